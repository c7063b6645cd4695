package event

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/lannersec/lanner/match"
)

// maxAncestors bounds every walk up the parent chain, so that a corrupt
// (cyclic) chain cannot loop forever.
const maxAncestors = 64

func ancestor(p *Process, n int) *Process {
	for i := 0; i < n && p != nil; i++ {
		if i >= maxAncestors {
			return nil
		}
		p = p.Parent
	}
	return p
}

// ---- evt.*

func EvtType(ev *Event, _ Arg) (string, bool) { return ev.Type.String(), true }
func EvtNum(ev *Event, _ Arg) (int64, bool)   { return int64(ev.Num), true }
func EvtTime(ev *Event, _ Arg) (int64, bool)  { return ev.Time, true }

// EvtTimeISO8601 renders the event time; it allocates (outputs only).
func EvtTimeISO8601(ev *Event, _ Arg) (string, bool) {
	return time.Unix(0, ev.Time).UTC().Format("2006-01-02T15:04:05.000000000Z"), true
}
func EvtDir(ev *Event, _ Arg) (string, bool) { return "<", true }
func EvtRes(ev *Event, _ Arg) (string, bool) {
	if ev.Res < 0 {
		return ErrnoName(-ev.Res), true
	}
	return "SUCCESS", true
}
func EvtRawres(ev *Event, _ Arg) (int64, bool) { return ev.Res, true }
func EvtFailed(ev *Event, _ Arg) (bool, bool)  { return ev.Res < 0, true }

func openFlags(ev *Event) (uint32, bool) {
	if !(ev.Type == TypeOpen || ev.Type == TypeOpenat || ev.Type == TypeOpenat2 || ev.Type == TypeCreat) || !ev.Args.Has(ArgFlags) {
		return 0, false
	}
	return ev.Args.Flags, true
}

func EvtIsOpenRead(ev *Event, _ Arg) (bool, bool) {
	f, ok := openFlags(ev)
	if !ok {
		return false, false
	}
	return f&3 == 0 || f&3 == 2, true
}
func EvtIsOpenWrite(ev *Event, _ Arg) (bool, bool) {
	f, ok := openFlags(ev)
	if !ok {
		return false, false
	}
	return f&3 == 1 || f&3 == 2, true
}
func EvtIsOpenExec(ev *Event, _ Arg) (bool, bool) {
	f, ok := openFlags(ev)
	if !ok {
		return false, false
	}
	return f&OpenCreated != 0 && ev.Args.Has(ArgMode) && ev.Args.Mode&0o111 != 0, true
}

// EvtArg renders one parameter of the event by name or index.
func EvtArg(ev *Event, a Arg) (string, bool) {
	id := a.ID
	if a.Key == "" {
		ps := Params(ev.Type)
		if a.Index < 0 || a.Index >= len(ps) {
			return "", false
		}
		id = ps[a.Index]
	}
	return argText(ev, id)
}

// EvtRawarg returns a numeric parameter of the event.
func EvtRawarg(ev *Event, a Arg) (int64, bool) { return rawArg(ev, a.ID) }

// EvtArgs renders every parameter as name=value pairs, as Falco renders
// them: descriptors with what they refer to (fd=3(<f>/etc/hosts)), AT_FDCWD
// by name, errors with theirs (fd=-2(ENOENT)), open flags with Falco's
// number; it allocates (outputs only).
func EvtArgs(ev *Event, _ Arg) (string, bool) {
	var b strings.Builder
	for _, id := range Params(ev.Type) {
		name := id.String()
		if n, ok := falcoArgNames[argOf{ev.Type, id}]; ok {
			name = n
		}
		start := b.Len()
		if start > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name)
		b.WriteByte('=')
		if !appendFalcoArg(&b, ev, id) {
			s := b.String()[:start]
			b.Reset()
			b.WriteString(s)
		}
	}
	// Falco ends an open's parameters with the inode: dev (hex) and ino,
	// zero when the open failed.
	if ev.Type.IsOpen() && (ev.Res < 0 || ev.FD.Ino != 0) {
		var dev uint32
		var ino uint64
		if ev.Res >= 0 {
			dev, ino = ev.FD.Dev, ev.FD.Ino
		}
		b.WriteString(" dev=")
		b.WriteString(strings.ToUpper(strconv.FormatUint(uint64(dev), 16)))
		b.WriteString(" ino=")
		b.WriteString(strconv.FormatUint(ino, 10))
	}
	return b.String(), true
}

// argOf names one parameter of one event type.
type argOf struct {
	t  Type
	id ArgID
}

// falcoArgNames are parameters Falco names differently in evt.args.
var falcoArgNames = map[argOf]string{
	{TypeRenameat, ArgIDOldpath}: "oldpath", {TypeLinkat, ArgIDOldpath}: "oldpath",
}

// isFDParam reports whether parameter id of ev is a descriptor.
func isFDParam(ev *Event, id ArgID) bool {
	switch id {
	case ArgIDFd, ArgIDOldfd, ArgIDNewfd:
		return true
	case ArgIDRes:
		return ev.Type == TypeDup || ev.Type == TypeDup2 || ev.Type == TypeDup3
	}
	return false
}

// appendFalcoArg renders parameter id of ev into b, and reports whether it
// is present.
func appendFalcoArg(b *strings.Builder, ev *Event, id ArgID) bool {
	switch {
	case isFDParam(ev, id):
		n, ok := rawArg(ev, id)
		if id == ArgIDRes || id == ArgIDFd && ev.Res < 0 && returnsFD(ev.Type) {
			n, ok = ev.Res, true
		}
		if !ok {
			return false
		}
		appendFD(b, ev, n)
		return true
	case isDirFDParam(id):
		n, ok := rawArg(ev, id)
		if !ok {
			return false
		}
		b.WriteString(strconv.FormatInt(n, 10))
		if n == atFDCWD {
			b.WriteString("(AT_FDCWD)")
		}
		return true
	case id == ArgIDFlags && ev.Type == TypeSocket:
		// Falco's number, then the names.
		n, ok := rawArg(ev, id)
		if !ok {
			return false
		}
		b.WriteString(strconv.FormatInt(n, 10))
		b.WriteByte('(')
		b.WriteString(cachedText(textFalcoOpenFlags, uint64(n)))
		b.WriteByte(')')
		return true
	case id == ArgIDDomain:
		n, ok := rawArg(ev, id)
		if !ok {
			return false
		}
		b.WriteString(strconv.FormatInt(n, 10))
		if name, ok := domainNames[uint64(n)]; ok && n >= 0 {
			b.WriteByte('(')
			b.WriteString(name)
			b.WriteByte(')')
		}
		return true
	case id == ArgIDFlags && ev.Type.IsOpen():
		if !ev.Args.Has(ArgFlags) {
			return false
		}
		b.WriteString(strconv.FormatUint(uint64(FalcoOpenFlags(ev.Args.Flags)), 10))
		b.WriteByte('(')
		b.WriteString(OpenFlagsText(ev.Args.Flags))
		b.WriteByte(')')
		return true
	case (id == ArgIDName || id == ArgIDPath) && ev.Args.Has(ArgPath) && ev.Args.Path != "" && ev.Args.Path[0] != '/':
		// A relative path: as given, then its absolute form.
		abs := ""
		switch {
		case ev.Args.Has(ArgName):
			abs = ev.Args.Name
		case isFileFD(ev):
			abs = ev.FD.Name
		}
		b.WriteString(ev.Args.Path)
		if abs != "" && abs != ev.Args.Path {
			b.WriteByte('(')
			b.WriteString(abs)
			b.WriteByte(')')
		}
		return true
	case id == ArgIDMode && (ev.Type == TypeChmod || ev.Type == TypeFchmod || ev.Type == TypeFchmodat):
		// The mode in octal, then by name.
		if !ev.Args.Has(ArgMode) {
			return false
		}
		b.WriteString(cachedText(textOctal, uint64(ev.Args.Mode)))
		b.WriteByte('(')
		b.WriteString(cachedText(textModeFlags, uint64(ev.Args.Mode)))
		b.WriteByte(')')
		return true
	case id == ArgIDFlags && (ev.Type == TypeRenameat2 || ev.Type == TypeLinkat || ev.Type == TypeUnlinkat):
		// The number, then the names when there are flags.
		if !ev.Args.Has(ArgFlags) {
			return false
		}
		b.WriteString(strconv.FormatUint(uint64(ev.Args.Flags), 10))
		if ev.Args.Flags != 0 {
			b.WriteByte('(')
			v, _ := argText(ev, id)
			b.WriteString(v)
			b.WriteByte(')')
		}
		return true
	case isIDParam(id):
		// A user or group id: the number, then its name when known.
		n, ok := rawArg(ev, id)
		if !ok {
			return false
		}
		num := strconv.FormatUint(uint64(uint32(n)), 10)
		b.WriteString(num)
		if name, ok := argText(ev, id); ok && name != num {
			b.WriteByte('(')
			b.WriteString(name)
			b.WriteByte(')')
		}
		return true
	case id == ArgIDRes && ev.Res < 0:
		b.WriteString(strconv.FormatInt(ev.Res, 10))
		b.WriteByte('(')
		b.WriteString(ErrnoName(-ev.Res))
		b.WriteByte(')')
		return true
	}
	v, ok := argText(ev, id)
	b.WriteString(v)
	return ok
}

// isDirFDParam reports whether parameter id is a directory descriptor.
func isDirFDParam(id ArgID) bool {
	switch id {
	case ArgIDDirfd, ArgIDOlddirfd, ArgIDNewdirfd, ArgIDOlddir, ArgIDNewdir, ArgIDLinkdirfd:
		return true
	}
	return false
}

// sockAddrText returns the address a bind, connect, sendto or sendmsg
// call passed, as Falco renders it: ip:port (an IPv6 address without
// brackets), the path of a Unix socket.
func sockAddrText(ev *Event) (string, bool) {
	if !ev.Args.Has(ArgSockAddr) {
		return "", false
	}
	switch ev.FD.Kind {
	case FDUnix:
		return ev.FD.Name, true
	case FDIPv4, FDIPv6:
		ap := ev.FD.Remote
		if ev.Type == TypeBind {
			ap = ev.FD.Local
		}
		if !ap.IsValid() {
			return "", false
		}
		return ap.Addr().String() + ":" + strconv.FormatUint(uint64(ap.Port()), 10), true
	}
	return "", false
}

// queuePercent is how full a listening socket's queue is, in percent, as
// Falco's queuepct parameter of accept.
func queuePercent(n, limit uint32) uint8 {
	if n == 0 || limit == 0 {
		return 0
	}
	return uint8(uint64(n) * 100 / uint64(limit))
}

// isIDParam reports whether parameter id is a user or group id.
func isIDParam(id ArgID) bool {
	switch id {
	case ArgIDUID, ArgIDGID, ArgIDRuid, ArgIDEuid, ArgIDSuid, ArgIDRgid, ArgIDEgid, ArgIDSgid:
		return true
	}
	return false
}

// returnsFD reports whether calls of type t return the descriptor their fd
// parameter names.
func returnsFD(t Type) bool {
	return t.IsOpen() || t == TypeSocket || t == TypeAccept || t == TypeAccept4
}

// atFDCWD is Linux's AT_FDCWD.
const atFDCWD = -100

// appendFD renders descriptor n as Falco does: a failure with its errno
// name, the event's own fd with its type character and name.
func appendFD(b *strings.Builder, ev *Event, n int64) {
	b.WriteString(strconv.FormatInt(n, 10))
	switch {
	case n < 0:
		b.WriteByte('(')
		b.WriteString(ErrnoName(-n))
		b.WriteByte(')')
	case hasFD(ev):
		b.WriteString("(<")
		b.WriteString(typeChars[fdKind(ev)])
		if isIPFD(ev) && !unknownEndpoint(ev.FD.Local) {
			switch ev.FD.L4Proto {
			case L4TCP:
				b.WriteByte('t')
			case L4UDP:
				b.WriteByte('u')
			}
		}
		b.WriteByte('>')
		b.WriteString(ev.FD.Name)
		b.WriteByte(')')
	}
}
func EvtBuffer(ev *Event, _ Arg) ([]byte, bool) {
	return ev.Buffer, len(ev.Buffer) > 0 || ev.Args.Has(ArgData)
}
func EvtHostname(ev *Event, _ Arg) (string, bool) {
	return ev.Hostname, ev.Hostname != ""
}
func EvtSource(ev *Event, _ Arg) (string, bool) { return "syscall", true }

// ---- proc.*

func procStr(ev *Event, get func(*Process) string) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return get(ev.Proc), true
}

func ProcName(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return ev.Proc.Name, true
}
func ProcExe(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return ev.Proc.Exe, true
}
func ProcExepath(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return ev.Proc.ExePath, true
}
func ProcArgs(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return ev.Proc.ArgsText, true
}
func ProcCmdline(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return ev.Proc.Cmdline, true
}
func ProcCwd(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil || ev.Proc.Cwd == "" {
		return "", false
	}
	return ev.Proc.Cwd, true
}

// ProcEnv is the whole environment, or with a key one variable's value.
func ProcEnv(ev *Event, a Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	if !a.Set {
		return ev.Proc.EnvText, true
	}
	for _, kv := range ev.Proc.Env {
		if len(kv) > len(a.Key) && kv[len(a.Key)] == '=' && kv[:len(a.Key)] == a.Key {
			return kv[len(a.Key)+1:], true
		}
	}
	return "", false
}
func ProcTTY(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil {
		return 0, false
	}
	return int64(ev.Proc.TTY), true
}
func ProcPID(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil {
		return 0, false
	}
	return ev.Proc.PID, true
}
func ProcVPID(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil {
		return 0, false
	}
	return ev.Proc.VPID, true
}
func ProcPPID(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil || ev.Proc.Parent == nil {
		return 0, false
	}
	return ev.Proc.Parent.PID, true
}
func ProcSID(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil {
		return 0, false
	}
	return ev.Proc.SID, true
}
func ProcSname(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil || ev.Proc.SessionLeader == nil {
		return "", false
	}
	return ev.Proc.SessionLeader.Name, true
}
func ProcVPGID(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil {
		return 0, false
	}
	return ev.Proc.VPGID, true
}
func ProcVPGIDName(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil || ev.Proc.GroupLeader == nil {
		return "", false
	}
	return ev.Proc.GroupLeader.Name, true
}
func ProcVPGIDExe(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil || ev.Proc.GroupLeader == nil {
		return "", false
	}
	return ev.Proc.GroupLeader.Exe, true
}
func ProcVPGIDExepath(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil || ev.Proc.GroupLeader == nil {
		return "", false
	}
	return ev.Proc.GroupLeader.ExePath, true
}
func ProcIsVPGIDLeader(ev *Event, _ Arg) (bool, bool) {
	if ev.Proc == nil {
		return false, false
	}
	return ev.Proc.VPGID != 0 && ev.Proc.VPGID == ev.Proc.VPID, true
}
func ProcIsSIDLeader(ev *Event, _ Arg) (bool, bool) {
	if ev.Proc == nil {
		return false, false
	}
	return ev.Proc.SID == ev.Proc.PID, true
}

func parent(ev *Event) *Process {
	if ev.Proc == nil {
		return nil
	}
	return ev.Proc.Parent
}

func ProcPname(ev *Event, _ Arg) (string, bool) {
	if p := parent(ev); p != nil {
		return p.Name, true
	}
	return "", false
}
func ProcPexe(ev *Event, _ Arg) (string, bool) {
	if p := parent(ev); p != nil {
		return p.Exe, true
	}
	return "", false
}
func ProcPexepath(ev *Event, _ Arg) (string, bool) {
	if p := parent(ev); p != nil {
		return p.ExePath, true
	}
	return "", false
}
func ProcPcmdline(ev *Event, _ Arg) (string, bool) {
	if p := parent(ev); p != nil {
		return p.Cmdline, true
	}
	return "", false
}
func ProcPPIDDuration(ev *Event, _ Arg) (int64, bool) {
	if p := parent(ev); p != nil && p.StartTime != 0 {
		return ev.Time - p.StartTime, true
	}
	return 0, false
}

// ancestorStr returns a text of the Nth ancestor; without an index it
// joins the texts of every ancestor from the parent up (allocating: for
// outputs; conditions iterate by index instead).
func ancestorStr(ev *Event, a Arg, get func(*Process) string) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	if a.Set {
		p := ancestor(ev.Proc, a.Index)
		if p == nil {
			return "", false
		}
		return get(p), true
	}
	var b strings.Builder
	p := ev.Proc.Parent
	for i := 0; p != nil && i < maxAncestors; i++ {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(get(p))
		p = p.Parent
	}
	if b.Len() == 0 {
		return "", false
	}
	return b.String(), true
}

func nameOf(p *Process) string    { return p.Name }
func exeOf(p *Process) string     { return p.Exe }
func exepathOf(p *Process) string { return p.ExePath }
func cmdlineOf(p *Process) string { return p.Cmdline }

func ProcAname(ev *Event, a Arg) (string, bool)    { return ancestorStr(ev, a, nameOf) }
func ProcAexe(ev *Event, a Arg) (string, bool)     { return ancestorStr(ev, a, exeOf) }
func ProcAexepath(ev *Event, a Arg) (string, bool) { return ancestorStr(ev, a, exepathOf) }
func ProcAcmdline(ev *Event, a Arg) (string, bool) { return ancestorStr(ev, a, cmdlineOf) }
func ProcApid(ev *Event, a Arg) (int64, bool) {
	if ev.Proc == nil || !a.Set {
		return 0, false
	}
	p := ancestor(ev.Proc, a.Index)
	if p == nil {
		return 0, false
	}
	return p.PID, true
}
func ProcDuration(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil || ev.Proc.StartTime == 0 {
		return 0, false
	}
	return ev.Time - ev.Proc.StartTime, true
}
func ProcStartTS(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil || ev.Proc.StartTime == 0 {
		return 0, false
	}
	return ev.Proc.StartTime, true
}
func ProcIsExeUpperLayer(ev *Event, _ Arg) (bool, bool) {
	if ev.Proc == nil || ev.Proc.ExeFlagsUnknown {
		return false, false
	}
	return ev.Proc.ExeUpperLayer, true
}
func ProcIsExeFromMemfd(ev *Event, _ Arg) (bool, bool) {
	if ev.Proc == nil {
		return false, false
	}
	return ev.Proc.ExeFromMemfd, true
}
func ProcIsExeWritable(ev *Event, _ Arg) (bool, bool) {
	if ev.Proc == nil || ev.Proc.ExeFlagsUnknown {
		return false, false
	}
	return ev.Proc.ExeWritable, true
}
func ProcExeInoCtime(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil || ev.Proc.ExeInoCtime == 0 {
		return 0, false
	}
	return ev.Proc.ExeInoCtime, true
}
func ProcExeInoMtime(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil || ev.Proc.ExeInoMtime == 0 {
		return 0, false
	}
	return ev.Proc.ExeInoMtime, true
}
func ProcExeInoCtimeDurationProcStart(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil || ev.Proc.ExeInoCtime == 0 || ev.Proc.StartTime == 0 {
		return 0, false
	}
	return ev.Proc.StartTime - ev.Proc.ExeInoCtime, true
}

// ---- thread.*

func ThreadTID(ev *Event, _ Arg) (int64, bool) { return ev.TID, ev.TID != 0 }

var capNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// CapsText renders a capability set as space-separated names.
func CapsText(caps uint64) string {
	var b strings.Builder
	for i, n := range capNames {
		if caps&(1<<uint(i)) != 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

func capsCached(caps uint64) string { return cachedText(textCaps, caps) }

func ThreadCapPermitted(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return capsCached(ev.Proc.CapPermitted), true
}
func ThreadCapEffective(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return capsCached(ev.Proc.CapEffective), true
}
func ThreadCapInheritable(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil {
		return "", false
	}
	return capsCached(ev.Proc.CapInheritable), true
}

// ---- user.*, group.*

func UserUID(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil {
		return 0, false
	}
	return int64(ev.Proc.UID), true
}
func UserName(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil || ev.Proc.UserName == "" {
		return "", false
	}
	return ev.Proc.UserName, true
}
func UserLoginUID(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil {
		return 0, false
	}
	if ev.Proc.LoginUID == 0xffffffff {
		return -1, true
	}
	return int64(ev.Proc.LoginUID), true
}
func UserLoginName(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil || ev.Proc.LoginName == "" {
		return "", false
	}
	return ev.Proc.LoginName, true
}
func GroupGID(ev *Event, _ Arg) (int64, bool) {
	if ev.Proc == nil {
		return 0, false
	}
	return int64(ev.Proc.GID), true
}
func GroupName(ev *Event, _ Arg) (string, bool) {
	if ev.Proc == nil || ev.Proc.GroupName == "" {
		return "", false
	}
	return ev.Proc.GroupName, true
}

// ---- fd.*

func hasFD(ev *Event) bool { return ev.FD.Kind != FDNone }
func isFileFD(ev *Event) bool {
	return ev.FD.Kind == FDFile || ev.FD.Kind == FDDirectory
}
func isIPFD(ev *Event) bool { return ev.FD.Kind == FDIPv4 || ev.FD.Kind == FDIPv6 }

// fdKind is the kind of the event's fd as Falco names it: an open makes a
// directory fd only when it asks for one (O_DIRECTORY); the open of a
// directory without O_DIRECTORY gives a file fd.
func fdKind(ev *Event) FDKind {
	k := ev.FD.Kind
	if (k == FDFile || k == FDDirectory) && ev.Type.IsOpen() && ev.Args.Has(ArgFlags) {
		if ev.Args.Flags&oDirectory != 0 {
			return FDDirectory
		}
		return FDFile
	}
	return k
}

// oDirectory is Linux's O_DIRECTORY.
const oDirectory = 0x10000

// failedOpen reports whether the event is an open that failed: its fd has
// a name and a type character, but no type and no file name.
func failedOpen(ev *Event) bool { return ev.Res < 0 && ev.Type.IsOpen() }

// fdlessPathCalls are the calls whose fd.name is "" rather than absent
// when they have no fd (their dirfd stands for it in Falco).
func fdlessEmptyName(t Type) bool {
	return t == TypeUnlinkat || t == TypeSymlinkat || t == TypeFchmodat
}

func FDNum(ev *Event, _ Arg) (int64, bool) { return ev.FD.Num, hasFD(ev) }
func FDName(ev *Event, _ Arg) (string, bool) {
	if !hasFD(ev) && fdlessEmptyName(ev.Type) {
		return "", true
	}
	return ev.FD.Name, hasFD(ev)
}

// FDRealPath is the fd's path with every symbolic link resolved, where
// fd.name keeps the path the process gave.
func FDRealPath(ev *Event, _ Arg) (string, bool) {
	return ev.FD.RealPath, isFileFD(ev) && ev.FD.RealPath != ""
}
func FDNameRaw(ev *Event, _ Arg) (string, bool) {
	if !hasFD(ev) {
		return "", false
	}
	if ev.FD.NameRaw == "" {
		return ev.FD.Name, true
	}
	return ev.FD.NameRaw, true
}
func FDDirectoryName(ev *Event, _ Arg) (string, bool) {
	if !isFileFD(ev) {
		return "", false
	}
	n := ev.FD.Name
	if fdKind(ev) == FDDirectory || PathIsCut(n) {
		// A cut path's directory is not known beyond its head.
		return n, true
	}
	i := strings.LastIndexByte(n, '/')
	switch {
	case i < 0:
		return "", false
	case i == 0:
		return "/", true
	}
	return n[:i], true
}
func FDFilename(ev *Event, _ Arg) (string, bool) {
	if fdKind(ev) != FDFile || failedOpen(ev) || PathIsCut(ev.FD.Name) {
		return "", false
	}
	n := ev.FD.Name
	return n[strings.LastIndexByte(n, '/')+1:], true
}

var typeChars = func() (t [256]string) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return t
}()

func FDTypechar(ev *Event, _ Arg) (string, bool) {
	if !hasFD(ev) {
		return "", false
	}
	return typeChars[fdKind(ev)], true
}

var fdTypeNames = map[FDKind]string{
	FDFile: "file", FDDirectory: "directory", FDIPv4: "ipv4", FDIPv6: "ipv6", FDUnix: "unix",
	FDPipe: "pipe", FDEvent: "event", FDSignal: "signalfd", FDEventPoll: "eventpoll",
	FDInotify: "inotify", FDTimer: "timerfd", FDNetlink: "netlink", FDBPF: "bpf",
	FDIOUring: "io_uring", FDMemfd: "memfd", FDPidfd: "pidfd", FDUserfault: "userfaultfd",
	FDUnknown: "unknown",
}

func FDType(ev *Event, _ Arg) (string, bool) {
	if !hasFD(ev) || failedOpen(ev) {
		return "", false
	}
	s, ok := fdTypeNames[fdKind(ev)]
	return s, ok
}
func FDL4Proto(ev *Event, _ Arg) (string, bool) {
	if !isIPFD(ev) {
		return "", false
	}
	switch ev.FD.L4Proto {
	case L4TCP:
		return "tcp", true
	case L4UDP:
		return "udp", true
	case L4ICMP:
		return "icmp", true
	case L4Raw:
		return "raw", true
	}
	return "", false
}
func FDSockfamily(ev *Event, _ Arg) (string, bool) {
	switch ev.FD.Kind {
	case FDIPv4, FDIPv6:
		return "ip", true
	case FDUnix:
		return "unix", true
	}
	return "", false
}
func isSocket(ev *Event) bool { return isIPFD(ev) || ev.FD.Kind == FDUnix }
func FDConnected(ev *Event, _ Arg) (bool, bool) {
	return ev.FD.Connected, isSocket(ev)
}
func FDNameChanged(ev *Event, _ Arg) (bool, bool) {
	return ev.FD.NameChanged, hasFD(ev)
}
func FDIsServer(ev *Event, _ Arg) (bool, bool) { return ev.FD.Server, isSocket(ev) }

// unknownEndpoint reports whether an endpoint of a socket is not known yet
// (a socket not bound, or without a peer): Falco leaves its fields absent.
func unknownEndpoint(ap netip.AddrPort) bool {
	return !ap.IsValid() || ap.Port() == 0 && ap.Addr().IsUnspecified()
}

// endpoints returns the client and server endpoints. A socket with no peer
// yet (bound or listening) is a server socket, as in Falco: its local
// endpoint is the server's.
func endpoints(ev *Event) (client, server netip.AddrPort, ok bool) {
	if !isIPFD(ev) {
		return netip.AddrPort{}, netip.AddrPort{}, false
	}
	if ev.FD.Server || unknownEndpoint(ev.FD.Remote) {
		return ev.FD.Remote, ev.FD.Local, true
	}
	return ev.FD.Local, ev.FD.Remote, true
}

func validAddr(ap netip.AddrPort) (netip.Addr, bool) {
	if unknownEndpoint(ap) {
		return netip.Addr{}, false
	}
	a := ap.Addr()
	return a.Unmap(), a.IsValid()
}

// local returns the local endpoint of a connection; a socket without a
// peer has none (Falco names only its server endpoint).
func local(ev *Event) netip.AddrPort {
	if unknownEndpoint(ev.FD.Remote) {
		return netip.AddrPort{}
	}
	return ev.FD.Local
}

func FDSip(ev *Event, _ Arg) (netip.Addr, bool) {
	_, s, ok := endpoints(ev)
	if !ok {
		return netip.Addr{}, false
	}
	return validAddr(s)
}
func FDCip(ev *Event, _ Arg) (netip.Addr, bool) {
	c, _, ok := endpoints(ev)
	if !ok {
		return netip.Addr{}, false
	}
	return validAddr(c)
}
func FDLip(ev *Event, _ Arg) (netip.Addr, bool) {
	if !isIPFD(ev) {
		return netip.Addr{}, false
	}
	return validAddr(local(ev))
}
func FDRip(ev *Event, _ Arg) (netip.Addr, bool) {
	if !isIPFD(ev) {
		return netip.Addr{}, false
	}
	return validAddr(ev.FD.Remote)
}
func port(ap netip.AddrPort) (int64, bool) {
	return int64(ap.Port()), ap.IsValid() && !unknownEndpoint(ap)
}
func FDSport(ev *Event, _ Arg) (int64, bool) {
	_, s, ok := endpoints(ev)
	if !ok {
		return 0, false
	}
	return port(s)
}
func FDCport(ev *Event, _ Arg) (int64, bool) {
	c, _, ok := endpoints(ev)
	if !ok {
		return 0, false
	}
	return port(c)
}
func FDLport(ev *Event, _ Arg) (int64, bool) {
	if !isIPFD(ev) {
		return 0, false
	}
	return port(local(ev))
}
func FDRport(ev *Event, _ Arg) (int64, bool) {
	if !isIPFD(ev) {
		return 0, false
	}
	return port(ev.FD.Remote)
}

// FDIP returns both endpoints' addresses, for fd.ip and fd.net.
func FDIP(ev *Event, _ Arg) (client, server netip.Addr, ok bool) {
	c, s, ok := endpoints(ev)
	if !ok || !c.IsValid() && !s.IsValid() {
		return netip.Addr{}, netip.Addr{}, false
	}
	return c.Addr().Unmap(), s.Addr().Unmap(), true
}

// FDPort returns both endpoints' ports, for fd.port.
func FDPort(ev *Event, _ Arg) (client, server int64, ok bool) {
	c, s, ok := endpoints(ev)
	if !ok || !c.IsValid() && !s.IsValid() {
		return 0, 0, false
	}
	return int64(c.Port()), int64(s.Port()), true
}
func serverIsLocal(ev *Event) bool { return ev.FD.Server }
func FDSipName(ev *Event, _ Arg) (string, bool) {
	if !isIPFD(ev) {
		return "", false
	}
	n := ev.FD.RemoteName
	if serverIsLocal(ev) {
		n = ev.FD.LocalName
	}
	return n, n != ""
}
func FDCipName(ev *Event, _ Arg) (string, bool) {
	if !isIPFD(ev) {
		return "", false
	}
	n := ev.FD.LocalName
	if serverIsLocal(ev) {
		n = ev.FD.RemoteName
	}
	return n, n != ""
}
func FDLipName(ev *Event, _ Arg) (string, bool) {
	return ev.FD.LocalName, isIPFD(ev) && ev.FD.LocalName != ""
}
func FDRipName(ev *Event, _ Arg) (string, bool) {
	return ev.FD.RemoteName, isIPFD(ev) && ev.FD.RemoteName != ""
}

// ---- container.*, k8s.*

func ctr(ev *Event) (*Container, bool) {
	if ev.Proc == nil {
		return nil, false
	}
	return ev.Proc.Container, true
}

// onHost reports whether the event's process is known to run outside
// containers, where Falco gives the container.image.* fields as "".
func onHost(ev *Event) bool { return ev.Proc != nil && ev.Proc.Container == nil }

// ctrMeta returns the container when its runtime metadata is known.
func ctrMeta(ev *Event) *Container {
	c, _ := ctr(ev)
	if c == nil || !c.MetadataKnown {
		return nil
	}
	return c
}

func ContainerID(ev *Event, _ Arg) (string, bool) {
	c, ok := ctr(ev)
	if !ok {
		return "", false
	}
	if c == nil {
		return "host", true
	}
	return c.ID, true
}
func ContainerFullID(ev *Event, _ Arg) (string, bool) {
	c, ok := ctr(ev)
	if !ok {
		return "", false
	}
	if c == nil {
		return "host", true
	}
	return c.FullID, true
}
func ContainerName(ev *Event, _ Arg) (string, bool) {
	c, ok := ctr(ev)
	if !ok {
		return "", false
	}
	if c == nil {
		return "host", true
	}
	if !c.MetadataKnown {
		return "", false
	}
	return c.Name, true
}
func ContainerType(ev *Event, _ Arg) (string, bool) {
	c, ok := ctr(ev)
	if !ok || c == nil || c.Runtime == "" {
		return "", false
	}
	return c.Runtime, true
}
func ContainerImage(ev *Event, _ Arg) (string, bool) {
	if c := ctrMeta(ev); c != nil {
		return c.Image, true
	}
	return "", onHost(ev)
}
func ContainerImageRepository(ev *Event, _ Arg) (string, bool) {
	if c := ctrMeta(ev); c != nil {
		return c.ImageRepo, true
	}
	return "", onHost(ev)
}
func ContainerImageTag(ev *Event, _ Arg) (string, bool) {
	if c := ctrMeta(ev); c != nil {
		return c.ImageTag, true
	}
	return "", onHost(ev)
}
func ContainerImageID(ev *Event, _ Arg) (string, bool) {
	if c := ctrMeta(ev); c != nil && c.ImageID != "" {
		return c.ImageID, true
	}
	return "", onHost(ev)
}
func ContainerPrivileged(ev *Event, _ Arg) (bool, bool) {
	if c := ctrMeta(ev); c != nil {
		return c.Privileged, true
	}
	return false, false
}
func ContainerMounts(ev *Event, _ Arg) (string, bool) {
	if c := ctrMeta(ev); c != nil {
		return c.MountsText, true
	}
	return "", false
}

// findMount returns the mount an argument selects: by index, or the first
// whose source matches the argument as a glob. ok is false when the
// container's mounts are unknown; m is nil when none matches.
func findMount(ev *Event, a Arg) (m *Mount, ok bool) {
	c := ctrMeta(ev)
	if c == nil {
		return nil, false
	}
	if a.Key == "" {
		if a.Index >= 0 && a.Index < len(c.Mounts) {
			return &c.Mounts[a.Index], true
		}
		return nil, true
	}
	for i := range c.Mounts {
		if match.Glob(a.Key, c.Mounts[i].Source) {
			return &c.Mounts[i], true
		}
	}
	return nil, true
}

// notAvailable is what mount fields return when no mount matches.
const notAvailable = "N/A"

func ContainerMountSource(ev *Event, a Arg) (string, bool) {
	m, ok := findMount(ev, a)
	if !ok {
		return "", false
	}
	if m == nil {
		return notAvailable, true
	}
	return m.Source, true
}
func ContainerMountDest(ev *Event, a Arg) (string, bool) {
	m, ok := findMount(ev, a)
	if !ok {
		return "", false
	}
	if m == nil {
		return notAvailable, true
	}
	return m.Dest, true
}
func ContainerMountMode(ev *Event, a Arg) (string, bool) {
	m, ok := findMount(ev, a)
	if !ok {
		return "", false
	}
	if m == nil {
		return notAvailable, true
	}
	return m.Mode, true
}
func ContainerMountRdwr(ev *Event, a Arg) (string, bool) {
	m, ok := findMount(ev, a)
	if !ok {
		return "", false
	}
	if m == nil {
		return notAvailable, true
	}
	return strconv.FormatBool(m.RW), true
}
func ContainerStartTS(ev *Event, _ Arg) (int64, bool) {
	c, _ := ctr(ev)
	if c == nil || c.StartTS == 0 {
		return 0, false
	}
	return c.StartTS, true
}
func ContainerDuration(ev *Event, _ Arg) (int64, bool) {
	c, _ := ctr(ev)
	if c == nil || c.StartTS == 0 {
		return 0, false
	}
	return ev.Time - c.StartTS, true
}
func ContainerLabel(ev *Event, a Arg) (string, bool) {
	c := ctrMeta(ev)
	if c == nil {
		return "", false
	}
	v, ok := c.Labels[a.Key]
	return v, ok
}
func K8sNsName(ev *Event, _ Arg) (string, bool) {
	if c := ctrMeta(ev); c != nil && c.K8sNamespace != "" {
		return c.K8sNamespace, true
	}
	return "", false
}
func K8sPodName(ev *Event, _ Arg) (string, bool) {
	if c := ctrMeta(ev); c != nil && c.K8sPodName != "" {
		return c.K8sPodName, true
	}
	return "", false
}
func K8sPodUID(ev *Event, _ Arg) (string, bool) {
	if c := ctrMeta(ev); c != nil && c.K8sPodUID != "" {
		return c.K8sPodUID, true
	}
	return "", false
}
func K8sPodLabel(ev *Event, a Arg) (string, bool) {
	c := ctrMeta(ev)
	if c == nil {
		return "", false
	}
	v, ok := c.K8sPodLabels[a.Key]
	return v, ok
}
