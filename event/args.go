package event

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// ArgID names one syscall parameter, as evt.arg.NAME and evt.rawarg.NAME
// refer to it.
type ArgID uint8

// The parameters rules and outputs can name.
const (
	ArgIDNone ArgID = iota
	ArgIDRes
	ArgIDFd
	ArgIDName
	ArgIDPath
	ArgIDFlags
	ArgIDMode
	ArgIDDirfd
	ArgIDOldpath
	ArgIDNewpath
	ArgIDTarget
	ArgIDLinkpath
	ArgIDFilename
	ArgIDUID
	ArgIDGID
	ArgIDRequest
	ArgIDPID
	ArgIDCmd
	ArgIDDomain
	ArgIDType
	ArgIDProto
	ArgIDTuple
	ArgIDExe
	ArgIDArgs
	ArgIDOldfd
	ArgIDNewfd
	ArgIDNstype
	ArgIDResOrFd
	ArgIDCwd
	ArgIDSize
	ArgIDRuid
	ArgIDEuid
	ArgIDSuid
	ArgIDRgid
	ArgIDEgid
	ArgIDSgid
	ArgIDCapInheritable
	ArgIDCapPermitted
	ArgIDCapEffective
	ArgIDOlddirfd
	ArgIDNewdirfd
	ArgIDOlddir
	ArgIDNewdir
	ArgIDLinkdirfd
	ArgIDAddr
	ArgIDBacklog
	ArgIDQueuepct
	ArgIDQueuelen
	ArgIDQueuemax
	ArgIDData
	numArgIDs
)

var argIDNames = [numArgIDs]string{
	ArgIDRes: "res", ArgIDFd: "fd", ArgIDName: "name", ArgIDPath: "path",
	ArgIDFlags: "flags", ArgIDMode: "mode", ArgIDDirfd: "dirfd",
	ArgIDOldpath: "oldpath", ArgIDNewpath: "newpath", ArgIDTarget: "target",
	ArgIDLinkpath: "linkpath", ArgIDFilename: "filename", ArgIDUID: "uid",
	ArgIDGID: "gid", ArgIDRequest: "request", ArgIDPID: "pid", ArgIDCmd: "cmd",
	ArgIDDomain: "domain", ArgIDType: "type", ArgIDProto: "proto",
	ArgIDTuple: "tuple", ArgIDExe: "exe", ArgIDArgs: "args", ArgIDOldfd: "oldfd",
	ArgIDNewfd: "newfd", ArgIDNstype: "nstype", ArgIDResOrFd: "res_or_fd",
	ArgIDCwd: "cwd", ArgIDSize: "size",
	ArgIDRuid: "ruid", ArgIDEuid: "euid", ArgIDSuid: "suid",
	ArgIDRgid: "rgid", ArgIDEgid: "egid", ArgIDSgid: "sgid",
	ArgIDCapInheritable: "cap_inheritable", ArgIDCapPermitted: "cap_permitted",
	ArgIDCapEffective: "cap_effective",
	ArgIDOlddirfd:     "olddirfd", ArgIDNewdirfd: "newdirfd", ArgIDOlddir: "olddir",
	ArgIDNewdir: "newdir", ArgIDLinkdirfd: "linkdirfd", ArgIDAddr: "addr",
	ArgIDBacklog: "backlog", ArgIDQueuepct: "queuepct", ArgIDQueuelen: "queuelen",
	ArgIDQueuemax: "queuemax", ArgIDData: "data",
}

func (id ArgID) String() string {
	if id < numArgIDs {
		return argIDNames[id]
	}
	return "?"
}

// LookupArgID returns the parameter called name.
func LookupArgID(name string) (ArgID, bool) {
	for id := ArgIDNone + 1; id < numArgIDs; id++ {
		if argIDNames[id] == name {
			return id, true
		}
	}
	return ArgIDNone, false
}

// params lists, per event type, its parameters in order: what evt.arg[N]
// indexes and evt.args prints.
var params = [NumTypes][]ArgID{
	TypeOpen:        {ArgIDFd, ArgIDName, ArgIDFlags, ArgIDMode},
	TypeOpenat:      {ArgIDFd, ArgIDDirfd, ArgIDName, ArgIDFlags, ArgIDMode},
	TypeOpenat2:     {ArgIDFd, ArgIDDirfd, ArgIDName, ArgIDFlags, ArgIDMode},
	TypeCreat:       {ArgIDFd, ArgIDName, ArgIDMode},
	TypeExecve:      {ArgIDRes, ArgIDExe, ArgIDArgs, ArgIDPID, ArgIDCwd, ArgIDFilename, ArgIDFlags},
	TypeExecveat:    {ArgIDRes, ArgIDExe, ArgIDArgs, ArgIDPID, ArgIDCwd, ArgIDFilename, ArgIDFlags},
	TypeConnect:     {ArgIDRes, ArgIDTuple, ArgIDFd, ArgIDAddr},
	TypeAccept:      {ArgIDFd, ArgIDTuple, ArgIDQueuepct, ArgIDQueuelen, ArgIDQueuemax},
	TypeAccept4:     {ArgIDFd, ArgIDTuple, ArgIDQueuepct, ArgIDQueuelen, ArgIDQueuemax, ArgIDFlags},
	TypeListen:      {ArgIDRes, ArgIDFd, ArgIDBacklog},
	TypeSocket:      {ArgIDFd, ArgIDDomain, ArgIDType, ArgIDProto, ArgIDFlags},
	TypeBind:        {ArgIDRes, ArgIDAddr, ArgIDFd},
	TypeSendto:      {ArgIDRes, ArgIDData, ArgIDFd, ArgIDSize, ArgIDTuple},
	TypeSendmsg:     {ArgIDRes, ArgIDData, ArgIDFd, ArgIDSize, ArgIDTuple},
	TypeRecvfrom:    {ArgIDRes, ArgIDData, ArgIDTuple, ArgIDFd, ArgIDSize},
	TypeRecvmsg:     {ArgIDRes, ArgIDSize, ArgIDData, ArgIDTuple, ArgIDFd},
	TypeRename:      {ArgIDRes, ArgIDOldpath, ArgIDNewpath},
	TypeRenameat:    {ArgIDRes, ArgIDOlddirfd, ArgIDOldpath, ArgIDNewdirfd, ArgIDNewpath},
	TypeRenameat2:   {ArgIDRes, ArgIDOlddirfd, ArgIDOldpath, ArgIDNewdirfd, ArgIDNewpath, ArgIDFlags},
	TypeUnlink:      {ArgIDRes, ArgIDPath},
	TypeUnlinkat:    {ArgIDRes, ArgIDDirfd, ArgIDName, ArgIDFlags},
	TypeRmdir:       {ArgIDRes, ArgIDPath},
	TypeMkdir:       {ArgIDRes, ArgIDPath, ArgIDMode},
	TypeMkdirat:     {ArgIDRes, ArgIDDirfd, ArgIDPath, ArgIDMode},
	TypeChmod:       {ArgIDRes, ArgIDFilename, ArgIDMode},
	TypeFchmod:      {ArgIDRes, ArgIDFd, ArgIDMode},
	TypeFchmodat:    {ArgIDRes, ArgIDDirfd, ArgIDFilename, ArgIDMode},
	TypeLink:        {ArgIDRes, ArgIDOldpath, ArgIDNewpath},
	TypeLinkat:      {ArgIDRes, ArgIDOlddir, ArgIDOldpath, ArgIDNewdir, ArgIDNewpath, ArgIDFlags},
	TypeSymlink:     {ArgIDRes, ArgIDTarget, ArgIDLinkpath},
	TypeSymlinkat:   {ArgIDRes, ArgIDTarget, ArgIDLinkdirfd, ArgIDLinkpath},
	TypeDup:         {ArgIDRes, ArgIDOldfd},
	TypeDup2:        {ArgIDRes, ArgIDOldfd, ArgIDNewfd},
	TypeDup3:        {ArgIDRes, ArgIDOldfd, ArgIDNewfd, ArgIDFlags},
	TypePtrace:      {ArgIDRes, ArgIDRequest, ArgIDPID},
	TypeSetuid:      {ArgIDRes, ArgIDUID},
	TypeSetgid:      {ArgIDRes, ArgIDGID},
	TypeSetns:       {ArgIDRes, ArgIDFd, ArgIDNstype},
	TypeUnshare:     {ArgIDRes, ArgIDFlags},
	TypeBpf:         {ArgIDResOrFd, ArgIDCmd},
	TypeInitModule:  {ArgIDRes},
	TypeFinitModule: {ArgIDRes, ArgIDFd, ArgIDFlags},
	TypeUserfaultfd: {ArgIDRes, ArgIDFlags},
	TypeMount:       {ArgIDRes, ArgIDName, ArgIDPath, ArgIDFlags},
	TypeSetresuid:   {ArgIDRes, ArgIDRuid, ArgIDEuid, ArgIDSuid},
	TypeSetresgid:   {ArgIDRes, ArgIDRgid, ArgIDEgid, ArgIDSgid},
	TypeSetreuid:    {ArgIDRes, ArgIDRuid, ArgIDEuid},
	TypeSetregid:    {ArgIDRes, ArgIDRgid, ArgIDEgid},
	TypeSetfsuid:    {ArgIDRes, ArgIDUID},
	TypeSetfsgid:    {ArgIDRes, ArgIDGID},
	TypeCapset:      {ArgIDRes, ArgIDCapInheritable, ArgIDCapPermitted, ArgIDCapEffective},
}

// Params returns the parameters of events of type t, in order.
func Params(t Type) []ArgID {
	if t < NumTypes {
		return params[t]
	}
	return nil
}

// paramMask has, per event type, bit id set for each parameter it has.
var paramMask = func() (m [NumTypes]uint64) {
	for t, ps := range params {
		for _, p := range ps {
			m[t] |= 1 << p
		}
	}
	return m
}()

func hasParam(t Type, id ArgID) bool {
	return t < NumTypes && paramMask[t]&(1<<id) != 0
}

// rawArg returns a numeric parameter of ev.
func rawArg(ev *Event, id ArgID) (int64, bool) {
	if !hasParam(ev.Type, id) {
		return 0, false
	}
	a := &ev.Args
	switch id {
	case ArgIDRes, ArgIDResOrFd:
		return ev.Res, true
	case ArgIDFd:
		if a.Has(ArgFD) {
			return a.FD, true
		}
		if ev.FD.Kind != FDNone {
			return ev.FD.Num, true
		}
	case ArgIDOldfd:
		if a.Has(ArgFD) {
			return a.FD, true
		}
	case ArgIDNewfd:
		if ev.Res >= 0 {
			return ev.Res, true
		}
	case ArgIDFlags, ArgIDNstype:
		switch {
		case ev.Type == TypeSocket && id == ArgIDFlags:
			// Falco's flags parameter of socket: SOCK_NONBLOCK and
			// SOCK_CLOEXEC of its type, as open flags.
			if a.Has(ArgType) {
				return int64(SocketFlags(uint32(a.SockType))), true
			}
		case ev.Type == TypeAccept4 && id == ArgIDFlags:
			if a.Has(ArgFlags) {
				return int64(SocketFlags(a.Flags)), true
			}
		case a.Has(ArgFlags):
			return int64(a.Flags), true
		}
	case ArgIDMode:
		if a.Has(ArgMode) {
			return int64(a.Mode), true
		}
	case ArgIDDirfd, ArgIDOlddirfd, ArgIDOlddir, ArgIDLinkdirfd:
		if a.Has(ArgDirFD) {
			return a.DirFD, true
		}
	case ArgIDNewdirfd, ArgIDNewdir:
		if a.Has(ArgNewDirFD) {
			return a.NewDirFD, true
		}
	case ArgIDSize:
		if a.Has(ArgSize) {
			return a.Size, true
		}
	case ArgIDBacklog:
		if a.Has(ArgBacklog) {
			return a.Backlog, true
		}
	case ArgIDQueuelen:
		if a.Has(ArgQueue) {
			return int64(a.QueueLen), true
		}
	case ArgIDQueuemax:
		if a.Has(ArgQueue) {
			return int64(a.QueueMax), true
		}
	case ArgIDQueuepct:
		if a.Has(ArgQueue) {
			return int64(queuePercent(a.QueueLen, a.QueueMax)), true
		}
	case ArgIDUID:
		if a.Has(ArgUID) {
			return int64(a.UID), true
		}
	case ArgIDGID:
		if a.Has(ArgGID) {
			return int64(a.GID), true
		}
	case ArgIDRuid, ArgIDRgid:
		if a.Has(ArgRID) {
			return int64(a.IDs[0]), true
		}
	case ArgIDEuid, ArgIDEgid:
		if a.Has(ArgEID) {
			return int64(a.IDs[1]), true
		}
	case ArgIDSuid, ArgIDSgid:
		if a.Has(ArgSID) {
			return int64(a.IDs[2]), true
		}
	case ArgIDCapInheritable, ArgIDCapPermitted, ArgIDCapEffective:
		if a.Has(ArgCaps) {
			return int64(a.Caps[id-ArgIDCapInheritable]), true
		}
	case ArgIDRequest:
		if a.Has(ArgRequest) {
			return a.Request, true
		}
	case ArgIDPID:
		if a.Has(ArgPID) {
			return a.PID, true
		}
	case ArgIDCmd:
		if a.Has(ArgCmd) {
			return a.Cmd, true
		}
	case ArgIDDomain:
		if a.Has(ArgDomain) {
			return a.Domain, true
		}
	case ArgIDType:
		if a.Has(ArgType) {
			return a.SockType, true
		}
	case ArgIDProto:
		if a.Has(ArgProto) {
			return a.Proto, true
		}
	}
	return 0, false
}

// argText returns a parameter of ev rendered as text, the way evt.arg.NAME
// shows it. Rendered flag and number texts are cached, so this does not
// allocate once a value has been seen.
func argText(ev *Event, id ArgID) (string, bool) {
	if !hasParam(ev.Type, id) {
		return "", false
	}
	a := &ev.Args
	switch id {
	case ArgIDName:
		switch {
		case a.Has(ArgName):
			return a.Name, true
		case a.Has(ArgPath):
			return a.Path, true
		case ev.FD.Kind == FDFile || ev.FD.Kind == FDDirectory:
			return ev.FD.Name, true
		}
		return "", false
	case ArgIDPath:
		// The absolute form, as Falco's (the path as given when the
		// collector could not make it absolute).
		if a.Has(ArgName) {
			return a.Name, true
		}
		if a.Has(ArgPath) {
			return a.Path, true
		}
		return "", false
	case ArgIDOldpath:
		return a.OldPath, a.Has(ArgOldPath)
	case ArgIDNewpath:
		return a.NewPath, a.Has(ArgNewPath)
	case ArgIDTarget:
		return a.Target, a.Has(ArgTarget)
	case ArgIDLinkpath:
		return a.LinkPath, a.Has(ArgLinkPath)
	case ArgIDFilename:
		if a.Has(ArgFilename) {
			return a.Filename, true
		}
		return a.Path, a.Has(ArgPath)
	case ArgIDTuple:
		if ev.FD.Kind == FDIPv4 || ev.FD.Kind == FDIPv6 || ev.FD.Kind == FDUnix {
			return ev.FD.Name, true
		}
		return "", false
	case ArgIDExe:
		if ev.Proc != nil {
			return ev.Proc.Exe, true
		}
		return "", false
	case ArgIDArgs:
		if ev.Proc != nil {
			return ev.Proc.ArgsText, true
		}
		return "", false
	case ArgIDCwd:
		if ev.Proc != nil {
			return ev.Proc.Cwd, true
		}
		return "", false
	case ArgIDAddr:
		return sockAddrText(ev)
	case ArgIDData:
		if !a.Has(ArgData) {
			return "", false
		}
		return DataText(ev.Buffer), true
	case ArgIDRes, ArgIDResOrFd:
		if ev.Res < 0 {
			return ErrnoName(-ev.Res), true
		}
		return cachedText(textNumber, uint64(ev.Res)), true
	case ArgIDUID:
		if !a.Has(ArgUID) {
			return "", false
		}
		if a.UserName != "" {
			return a.UserName, true
		}
		return cachedText(textNumber, uint64(a.UID)), true
	case ArgIDGID:
		if !a.Has(ArgGID) {
			return "", false
		}
		if a.GroupName != "" {
			return a.GroupName, true
		}
		return cachedText(textNumber, uint64(a.GID)), true
	case ArgIDRuid, ArgIDEuid, ArgIDSuid, ArgIDRgid, ArgIDEgid, ArgIDSgid:
		i, bit := credArgIndex(id)
		if !a.Has(bit) {
			return "", false
		}
		if a.IDNames[i] != "" {
			return a.IDNames[i], true
		}
		return cachedText(textNumber, uint64(a.IDs[i])), true
	}
	n, ok := rawArg(ev, id)
	if !ok {
		return "", false
	}
	switch id {
	case ArgIDFlags:
		switch {
		case ev.Type.IsOpen():
			return cachedText(textOpenFlags, uint64(n)), true
		case ev.Type.IsExec():
			return cachedText(textExeFlags, uint64(n)), true
		case ev.Type == TypeUnshare:
			return cachedText(textCloneFlags, uint64(n)), true
		case ev.Type == TypeSocket:
			return cachedText(textFalcoOpenFlags, uint64(n)), true
		case ev.Type == TypeAccept4:
			return cachedText(textHex, uint64(n)), true
		case ev.Type == TypeRenameat2:
			return cachedText(textRenameFlags, uint64(n)), true
		case ev.Type == TypeUnlinkat || ev.Type == TypeLinkat:
			return cachedText(textAtFlags, uint64(n)), true
		default:
			return cachedText(textOpenFlags, uint64(n)), true
		}
	case ArgIDNstype:
		return cachedText(textCloneFlags, uint64(n)), true
	case ArgIDDirfd, ArgIDOlddirfd, ArgIDNewdirfd, ArgIDOlddir, ArgIDNewdir, ArgIDLinkdirfd:
		// As Falco resolves a directory descriptor: AT_FDCWD by name.
		switch {
		case n == atFDCWD:
			return "AT_FDCWD", true
		case n >= 0:
			return cachedText(textNumber, uint64(n)), true
		}
		return strconv.FormatInt(n, 10), true
	case ArgIDMode:
		switch {
		case ev.Type.IsOpen():
			return cachedText(textOctal, uint64(n)), true
		case ev.Type == TypeMkdir || ev.Type == TypeMkdirat:
			return cachedText(textHex, uint64(n)), true
		}
		return cachedText(textModeFlags, uint64(n)), true
	case ArgIDRequest:
		return cachedText(textPtrace, uint64(n)), true
	case ArgIDCmd:
		return cachedText(textBpfCmd, uint64(n)), true
	case ArgIDDomain:
		return cachedText(textDomain, uint64(n)), true
	case ArgIDCapInheritable, ArgIDCapPermitted, ArgIDCapEffective:
		return cachedText(textCaps, uint64(n)), true
	}
	return cachedText(textNumber, uint64(n)), true
}

// credArgIndex returns where in Args.IDs the user or group id parameter id
// is kept, and the mask bit that says it is present.
func credArgIndex(id ArgID) (int, ArgMask) {
	switch id {
	case ArgIDRuid, ArgIDRgid:
		return 0, ArgRID
	case ArgIDEuid, ArgIDEgid:
		return 1, ArgEID
	}
	return 2, ArgSID
}

// CredArgIsGroup reports whether the ids in Args.IDs of events of type t
// are group ids (setresgid, setregid) rather than user ids.
func CredArgIsGroup(t Type) bool { return t == TypeSetresgid || t == TypeSetregid }

type textKind uint8

const (
	textNumber textKind = iota
	textOctal
	textHex
	textOpenFlags
	textExeFlags
	textCloneFlags
	textAtFlags
	textModeFlags
	textRenameFlags
	textPtrace
	textBpfCmd
	textDomain
	textCaps
	textFalcoOpenFlags
)

type textKey struct {
	kind textKind
	v    uint64
}

// textCache holds rendered argument texts, so that rendering a value seen
// before does not allocate: a direct-mapped table of immutable entries,
// read and replaced atomically, so readers take no lock. A collision
// replaces the older entry.
var textCache [textCacheSize]atomic.Pointer[textEntry]

const textCacheSize = 1 << 12

type textEntry struct {
	key  textKey
	text string
}

func cachedText(kind textKind, v uint64) string {
	k := textKey{kind, v}
	h := (v*0x9E3779B97F4A7C15 + uint64(kind)*0xBF58476D1CE4E5B9) >> 52 // top 12 bits
	slot := &textCache[h&(textCacheSize-1)]
	if e := slot.Load(); e != nil && e.key == k {
		return e.text
	}
	e := &textEntry{key: k, text: renderText(kind, v)}
	slot.Store(e)
	return e.text
}

func renderText(kind textKind, v uint64) string {
	switch kind {
	case textOctal:
		if v == 0 {
			return "0"
		}
		return "0" + strconv.FormatUint(v, 8)
	case textHex:
		return strings.ToUpper(strconv.FormatUint(v, 16))
	case textOpenFlags:
		return OpenFlagsText(uint32(v))
	case textExeFlags:
		return flagsText(uint32(v), exeFlagNames, "")
	case textCloneFlags:
		return flagsText(uint32(v), cloneFlagNames, "0")
	case textAtFlags:
		return flagsText(uint32(v), atFlagNames, "0")
	case textModeFlags:
		return flagsText(uint32(v), modeFlagNames, "0")
	case textRenameFlags:
		return flagsText(uint32(v), renameFlagNames, "0")
	case textPtrace:
		if s, ok := ptraceNames[v]; ok {
			return s
		}
	case textBpfCmd:
		if v < uint64(len(bpfCmdNames)) {
			return bpfCmdNames[v]
		}
	case textDomain:
		if s, ok := domainNames[v]; ok {
			return s
		}
	case textCaps:
		return CapsText(v)
	case textFalcoOpenFlags:
		return FalcoOpenFlagsText(uint32(v))
	}
	return strconv.FormatUint(v, 10)
}

var argIDGoNames = [numArgIDs]string{
	ArgIDNone: "ArgIDNone", ArgIDRes: "ArgIDRes", ArgIDFd: "ArgIDFd", ArgIDName: "ArgIDName",
	ArgIDPath: "ArgIDPath", ArgIDFlags: "ArgIDFlags", ArgIDMode: "ArgIDMode",
	ArgIDDirfd: "ArgIDDirfd", ArgIDOldpath: "ArgIDOldpath", ArgIDNewpath: "ArgIDNewpath",
	ArgIDTarget: "ArgIDTarget", ArgIDLinkpath: "ArgIDLinkpath", ArgIDFilename: "ArgIDFilename",
	ArgIDUID: "ArgIDUID", ArgIDGID: "ArgIDGID", ArgIDRequest: "ArgIDRequest", ArgIDPID: "ArgIDPID",
	ArgIDCmd: "ArgIDCmd", ArgIDDomain: "ArgIDDomain", ArgIDType: "ArgIDType",
	ArgIDProto: "ArgIDProto", ArgIDTuple: "ArgIDTuple", ArgIDExe: "ArgIDExe",
	ArgIDArgs: "ArgIDArgs", ArgIDOldfd: "ArgIDOldfd", ArgIDNewfd: "ArgIDNewfd",
	ArgIDNstype: "ArgIDNstype", ArgIDResOrFd: "ArgIDResOrFd", ArgIDCwd: "ArgIDCwd",
	ArgIDSize: "ArgIDSize", ArgIDRuid: "ArgIDRuid", ArgIDEuid: "ArgIDEuid", ArgIDSuid: "ArgIDSuid",
	ArgIDRgid: "ArgIDRgid", ArgIDEgid: "ArgIDEgid", ArgIDSgid: "ArgIDSgid",
	ArgIDCapInheritable: "ArgIDCapInheritable", ArgIDCapPermitted: "ArgIDCapPermitted",
	ArgIDCapEffective: "ArgIDCapEffective", ArgIDOlddirfd: "ArgIDOlddirfd",
	ArgIDNewdirfd: "ArgIDNewdirfd", ArgIDOlddir: "ArgIDOlddir", ArgIDNewdir: "ArgIDNewdir",
	ArgIDLinkdirfd: "ArgIDLinkdirfd", ArgIDAddr: "ArgIDAddr", ArgIDBacklog: "ArgIDBacklog",
	ArgIDQueuepct: "ArgIDQueuepct", ArgIDQueuelen: "ArgIDQueuelen", ArgIDQueuemax: "ArgIDQueuemax",
	ArgIDData: "ArgIDData",
}

// GoName returns the name of id's constant in this package, for generated
// code.
func (id ArgID) GoName() string {
	if id < numArgIDs {
		return argIDGoNames[id]
	}
	return "ArgIDNone"
}
