package ebpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"unsafe"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/linuxabi"
)

// ErrMalformed is wrapped by the errors Decode returns for records it
// cannot decode.
var ErrMalformed = errors.New("malformed eBPF record")

var le = binary.LittleEndian

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Decode decodes one ring buffer record into r.
//
// The strings and slices Decode stores in r are views into raw, valid as
// long as raw is: a caller that reuses raw for the next record must treat
// them as valid only until then. Decode also writes into raw: it cleans
// absolute paths in place (and records their new length in the record
// header, so decoding the same bytes again gives the same result), and it
// formats socket tuples into the room the kernel reserved for that. It
// never keeps raw after returning. r is reused: Exec.Args and Exec.Env keep
// their backing arrays.
func Decode(raw []byte, r *collectors.Record) error {
	if len(raw) < hdrSize {
		return malformed("%d bytes, shorter than the header", len(raw))
	}
	n := le.Uint32(raw[hdrLen:])
	if n < hdrSize || uint64(n) > uint64(len(raw)) {
		return malformed("record length %d, buffer %d", n, len(raw))
	}
	raw = raw[:n]
	var fixed int
	switch raw[hdrKind] {
	case kindSyscall:
		fixed = sysSize
	case kindExec:
		fixed = execSize
	case kindFork:
		fixed = forkSize
	case kindExit:
		fixed = exitSize
	case kindCred:
		fixed = credSize
	default:
		return malformed("unknown kind %d", raw[hdrKind])
	}
	if len(raw) < fixed {
		return malformed("kind %d: %d bytes, fixed part is %d", raw[hdrKind], len(raw), fixed)
	}
	var d decoder
	d.raw = raw
	off := fixed
	for i := range nstr {
		l := int(le.Uint16(raw[hdrSlen+2*i:]))
		if l > len(raw)-off {
			return malformed("string %d: %d bytes at %d, record has %d", i, l, off, len(raw))
		}
		d.off[i], d.len[i] = off, l
		off += l
	}

	args, env, buf := r.Exec.Args[:0], r.Exec.Env[:0], r.Event.Buffer[:0]
	*r = collectors.Record{}
	r.Exec.Args, r.Exec.Env, r.Event.Buffer = args, env, buf
	r.PID = int64(le.Uint32(raw[hdrTgid:]))
	r.TID = int64(le.Uint32(raw[hdrTid:]))
	r.Time = int64(le.Uint64(raw[hdrTS:]))

	switch raw[hdrKind] {
	case kindSyscall:
		r.Kind = collectors.KindSyscall
		return d.syscall(r)
	case kindCred:
		r.Kind = collectors.KindSyscall
		return d.cred(r)
	case kindExec:
		r.Kind = collectors.KindExec
		return d.exec(r)
	case kindFork:
		r.Kind = collectors.KindFork
		r.Fork = collectors.Fork{
			ParentPID: int64(le.Uint32(raw[forkParent:])),
			ChildPID:  int64(le.Uint32(raw[forkChild:])),
			ChildTID:  int64(le.Uint32(raw[forkChildTID:])),
			Thread:    le.Uint32(raw[forkThread:]) != 0,
		}
	case kindExit:
		r.Kind = collectors.KindExit
		r.Exit = collectors.Exit{
			Code:   int64(le.Uint64(raw[exitCode:])),
			Thread: le.Uint32(raw[exitGroupDead:]) == 0,
		}
	}
	return nil
}

type decoder struct {
	raw      []byte
	off, len [nstr]int
}

func (d *decoder) has(slot int) bool { return d.len[slot] > 0 }

func (d *decoder) bytes(slot int) []byte {
	o := d.off[slot]
	return d.raw[o : o+d.len[slot] : o+d.len[slot]]
}

// str returns string slot as a view into the record.
func (d *decoder) str(slot int) string {
	b := d.bytes(slot)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// cut reports whether the kernel flagged string slot as cut at its bound.
func (d *decoder) cut(slot int) bool {
	return le.Uint16(d.raw[hdrFlags:])&(1<<slot) != 0
}

// path returns the walked path in slot: a path longer than event.PathMax
// is its head, flagged, and gets event.PathCutMark.
func (d *decoder) path(slot int) string {
	if d.cut(slot) && d.has(slot) {
		return event.CutPath(d.str(slot) + event.PathCutMark)
	}
	return d.str(slot)
}

// clean cleans the absolute path in slot (the absolute form of the user
// path in slot-1) in place and returns it. The bytes the cleaning freed
// are overwritten with '/', which cleaning drops again, so the record
// keeps its layout and decoding it twice gives the same result.
//
// A cut slot holds the head of a directory longer than event.PathMax, and
// becomes that head with event.PathCutMark (when the user path climbs
// ("..") from there, where it ends is not known: hasAbs is false). A
// clean path longer than event.PathMax is cut to its head.
func (d *decoder) clean(slot int) string {
	b := d.bytes(slot)
	if d.cut(slot) {
		if len(b) == 0 || climbs(d.bytes(slot-1)) {
			return ""
		}
		return event.CutPath(d.str(slot) + event.PathCutMark)
	}
	n := cleanPath(b)
	for i := n; i < len(b); i++ {
		b[i] = '/'
	}
	if n == 0 {
		return ""
	}
	return event.CutPath(unsafe.String(&b[0], n))
}

// hasAbs reports whether the absolute path in slot is known: it is there,
// and it does not climb ("..") from a directory the kernel cut.
func (d *decoder) hasAbs(slot int) bool {
	return d.has(slot) && !(d.cut(slot) && climbs(d.bytes(slot-1)))
}

// climbs reports whether the path p has a ".." component.
func climbs(p []byte) bool {
	for len(p) > 0 {
		i := 0
		for i < len(p) && p[i] != '/' {
			i++
		}
		if i == 2 && p[0] == '.' && p[1] == '.' {
			return true
		}
		if i == len(p) {
			break
		}
		p = p[i+1:]
	}
	return false
}

func (d *decoder) u32(off int) uint32 { return le.Uint32(d.raw[off:]) }
func (d *decoder) u64(off int) uint64 { return le.Uint64(d.raw[off:]) }
func (d *decoder) arg(i int) uint64   { return le.Uint64(d.raw[sysArg+8*i:]) }
func (d *decoder) argInt(i int) int64 { return int64(int32(d.arg(i))) }

func (d *decoder) syscall(r *collectors.Record) error {
	t := event.Type(d.raw[hdrType])
	if t == event.TypeUnknown || t > maxSyscallType {
		return malformed("syscall record of type %d", t)
	}
	ev := &r.Event
	ev.Type = t
	ev.Time = r.Time
	ev.TID = r.TID
	ev.Res = int64(d.u64(sysRes))
	a := &ev.Args

	switch t {
	case event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeCreat:
		d.open(ev)
	case event.TypeExecve, event.TypeExecveat:
		if d.has(sP1) {
			a.Filename = d.str(sP1)
			a.Set |= event.ArgFilename
		}
		if t == event.TypeExecveat {
			a.DirFD = d.argInt(0)
			a.Set |= event.ArgDirFD
		}
		a.PID = r.TID
		a.Set |= event.ArgPID
	case event.TypeConnect, event.TypeBind, event.TypeListen, event.TypeSendto,
		event.TypeSendmsg, event.TypeRecvfrom, event.TypeRecvmsg:
		a.FD = d.argInt(0)
		a.Set |= event.ArgFD
		d.fd(ev, a.FD)
		switch t {
		case event.TypeListen:
			a.Backlog = d.argInt(1)
			a.Set |= event.ArgBacklog
		case event.TypeSendto, event.TypeRecvfrom:
			a.Size = int64(uint32(d.arg(2)))
			a.Set |= event.ArgSize
		case event.TypeSendmsg:
			a.Size = int64(uint32(d.u64(sysAux)))
			a.Set |= event.ArgSize
		case event.TypeRecvmsg:
			if ev.Res >= 0 {
				a.Size = int64(uint32(ev.Res))
				a.Set |= event.ArgSize
			}
		}
		switch t {
		case event.TypeSendto, event.TypeSendmsg, event.TypeRecvfrom, event.TypeRecvmsg:
			if d.has(sData) {
				ev.Buffer = append(ev.Buffer[:0], d.bytes(sData)...)
				a.Set |= event.ArgData
			}
		}
	case event.TypeAccept, event.TypeAccept4:
		if t == event.TypeAccept4 {
			a.Flags = uint32(d.arg(3))
			a.Set |= event.ArgFlags
		}
		a.QueueLen, a.QueueMax = uint32(d.u64(sysAux)), uint32(d.u64(sysAux+8))
		a.Set |= event.ArgQueue
		d.fd(ev, ev.Res)
	case event.TypeSocket:
		a.Domain, a.SockType, a.Proto = d.argInt(0), d.argInt(1), d.argInt(2)
		a.Set |= event.ArgDomain | event.ArgType | event.ArgProto
		if !d.fd(ev, ev.Res) && ev.Res >= 0 {
			ev.FD.Num = ev.Res
			ev.FD.Kind = collectors.FamilyKind(uint16(a.Domain))
		}
	case event.TypeRename, event.TypeRenameat, event.TypeRenameat2,
		event.TypeLink, event.TypeLinkat:
		if d.hasAbs(sP1Abs) {
			a.OldPath = d.clean(sP1Abs)
			a.Set |= event.ArgOldPath
		} else if d.has(sP1) {
			a.OldPath = d.str(sP1)
			a.Set |= event.ArgOldPath
		}
		if d.hasAbs(sP2Abs) {
			a.NewPath = d.clean(sP2Abs)
			a.Set |= event.ArgNewPath
		} else if d.has(sP2) {
			a.NewPath = d.str(sP2)
			a.Set |= event.ArgNewPath
		}
		switch t {
		case event.TypeRenameat, event.TypeRenameat2, event.TypeLinkat:
			a.DirFD, a.NewDirFD = d.argInt(0), d.argInt(2)
			a.Set |= event.ArgDirFD | event.ArgNewDirFD
		}
		switch t {
		case event.TypeRenameat2, event.TypeLinkat:
			a.Flags = uint32(d.arg(4))
			a.Set |= event.ArgFlags
		}
	case event.TypeUnlink, event.TypeRmdir, event.TypeMkdir, event.TypeChmod:
		d.pathArgs(a)
		switch t {
		case event.TypeMkdir, event.TypeChmod:
			a.Mode = uint32(d.arg(1)) & 0o7777
			a.Set |= event.ArgMode
		}
	case event.TypeUnlinkat, event.TypeMkdirat, event.TypeFchmodat:
		d.pathArgs(a)
		a.DirFD = d.argInt(0)
		a.Set |= event.ArgDirFD
		switch t {
		case event.TypeUnlinkat:
			a.Flags = uint32(d.arg(2))
			a.Set |= event.ArgFlags
		default:
			a.Mode = uint32(d.arg(2)) & 0o7777
			a.Set |= event.ArgMode
		}
	case event.TypeFchmod:
		a.FD = d.argInt(0)
		a.Mode = uint32(d.arg(1)) & 0o7777
		a.Set |= event.ArgFD | event.ArgMode
		d.fd(ev, a.FD)
	case event.TypeSymlink, event.TypeSymlinkat:
		if d.has(sP1) {
			a.Target = d.str(sP1)
			a.Set |= event.ArgTarget
		}
		if t == event.TypeSymlinkat {
			a.DirFD = d.argInt(1)
			a.Set |= event.ArgDirFD
		}
		if d.hasAbs(sP2Abs) {
			a.LinkPath = d.clean(sP2Abs)
			a.Set |= event.ArgLinkPath
		} else if d.has(sP2) {
			a.LinkPath = d.str(sP2)
			a.Set |= event.ArgLinkPath
		}
	case event.TypeDup, event.TypeDup2, event.TypeDup3:
		a.FD = d.argInt(0)
		a.Set |= event.ArgFD
		if t == event.TypeDup3 {
			a.Flags = uint32(d.arg(2))
			a.Set |= event.ArgFlags
		}
		d.fd(ev, ev.Res)
	case event.TypePtrace:
		a.Request = int64(d.arg(0))
		a.PID = d.argInt(1)
		a.Set |= event.ArgRequest | event.ArgPID
	case event.TypeSetns:
		a.FD = d.argInt(0)
		a.Flags = uint32(d.arg(1))
		a.Set |= event.ArgFD | event.ArgFlags
	case event.TypeUnshare:
		a.Flags = uint32(d.arg(0))
		a.Set |= event.ArgFlags
	case event.TypeBpf:
		a.Cmd = d.argInt(0)
		a.Set |= event.ArgCmd
	case event.TypeFinitModule:
		a.FD = d.argInt(0)
		a.Flags = uint32(d.arg(2))
		a.Set |= event.ArgFD | event.ArgFlags
		d.fd(ev, a.FD)
	case event.TypeUserfaultfd:
		a.Flags = uint32(d.arg(0))
		a.Set |= event.ArgFlags
		if !d.fd(ev, ev.Res) && ev.Res >= 0 {
			ev.FD.Num = ev.Res
			ev.FD.Kind = event.FDUserfault
		}
	case event.TypeMount:
		if d.has(sP1) {
			a.Name = d.str(sP1)
			a.Set |= event.ArgName
		}
		if d.has(sP2) {
			a.Path = d.str(sP2)
			a.Set |= event.ArgPath
		}
		a.Flags = uint32(d.arg(3))
		a.Set |= event.ArgFlags
	}
	return nil
}

// cred decodes the record of a credential call: its arguments and the
// identity the thread had once it returned.
func (d *decoder) cred(r *collectors.Record) error {
	t := event.Type(d.raw[hdrType])
	if !t.IsCred() {
		return malformed("credential record of type %d", t)
	}
	ev := &r.Event
	ev.Type = t
	ev.Time = r.Time
	ev.TID = r.TID
	ev.Res = int64(d.u64(credRes))
	c := &r.Cred
	c.UIDsKnown, c.GIDsKnown, c.CapsKnown = true, true, true
	c.UID, c.EUID, c.SUID, c.FSUID = d.u32(credUID), d.u32(credUID+4), d.u32(credUID+8), d.u32(credUID+12)
	c.GID, c.EGID, c.SGID, c.FSGID = d.u32(credGID), d.u32(credGID+4), d.u32(credGID+8), d.u32(credGID+12)
	c.CapInheritable, c.CapPermitted, c.CapEffective = d.u64(credCapInh), d.u64(credCapPerm), d.u64(credCapEff)
	arg := func(i int) uint32 { return uint32(le.Uint64(d.raw[credArg+8*i:])) }
	collectors.CredArgs(&ev.Args, t, [3]uint32{arg(0), arg(1), arg(2)}, c)
	return nil
}

// pathArgs sets Path (as passed) and Name (absolute) from slots P1/P1Abs.
func (d *decoder) pathArgs(a *event.Args) {
	if d.has(sP1) {
		a.Path = d.str(sP1)
		a.Set |= event.ArgPath
	}
	if d.hasAbs(sP1Abs) {
		a.Name = d.clean(sP1Abs)
		a.Set |= event.ArgName
	}
}

func (d *decoder) open(ev *event.Event) {
	a := &ev.Args
	var flags, mode uint32
	switch ev.Type {
	case event.TypeOpen:
		flags, mode = uint32(d.arg(1)), uint32(d.arg(2))
	case event.TypeOpenat:
		flags, mode = uint32(d.arg(2)), uint32(d.arg(3))
	case event.TypeOpenat2:
		flags, mode = uint32(d.u64(sysAux)), uint32(d.u64(sysAux+8))
	case event.TypeCreat:
		flags, mode = linuxabi.CreatFlags, uint32(d.arg(1))
	}
	if ev.Type == event.TypeOpenat || ev.Type == event.TypeOpenat2 {
		a.DirFD = d.argInt(0)
		a.Set |= event.ArgDirFD
	}
	if flags&(linuxabi.OpenCreate|linuxabi.OpenTmpfile) == 0 {
		mode = 0
	}
	flags &^= event.OpenCreated
	if flags&linuxabi.OpenCreate != 0 && d.u32(sysFdi+fdiFlags)&fdiCreated != 0 {
		flags |= event.OpenCreated
	}
	a.Flags, a.Mode = flags, mode&0o7777
	a.Set |= event.ArgFlags | event.ArgMode
	if d.has(sP1) {
		a.Path = d.str(sP1)
		a.Set |= event.ArgPath
	}
	if ev.Res >= 0 && d.fd(ev, ev.Res) {
		ev.FD.NameRaw = a.Path
		// fd.name is the path as given, made absolute, not resolved
		// through symbolic links (as Falco's); RealPath keeps the
		// resolved one.
		if d.has(sP1Abs) && (ev.FD.Kind == event.FDFile || ev.FD.Kind == event.FDDirectory) {
			ev.FD.Name = d.clean(sP1Abs)
		}
		return
	}
	// Failed (or the fd was gone already): describe the file by its path.
	ev.FD = event.FD{Kind: event.FDFile, Num: -1, NameRaw: a.Path}
	if ev.Res >= 0 {
		ev.FD.Num = ev.Res
	}
	if d.hasAbs(sP1Abs) {
		ev.FD.Name = d.clean(sP1Abs)
	} else {
		ev.FD.Name = a.Path
	}
}

// encodeDev turns the kernel's internal dev_t (major << 20 | minor) into
// the user-space encoding (as stat and Falco give it).
func encodeDev(kdev uint32) uint32 {
	major, minor := kdev>>20, kdev&(1<<20-1)
	return minor&0xff | major<<8 | (minor&^0xff)<<12
}

// fd fills ev.FD from the record's fdinfo, which describes file descriptor
// num; it reports whether the record had one.
func (d *decoder) fd(ev *event.Event, num int64) bool {
	fi := d.raw[sysFdi : sysFdi+fdiSize]
	fl := le.Uint32(fi[fdiFlags:])
	if fl&fdiFile == 0 {
		return false
	}
	if n := int64(d.u64(sysFD)); n >= 0 {
		num = n
	}
	fd := &ev.FD
	fd.Num = num
	if fl&fdiSock != 0 {
		d.socket(ev, fi, fl)
		return true
	}
	mode := le.Uint32(fi[fdiMode:])
	fd.Kind = fileKind(mode, le.Uint64(fi[fdiMagic:]), cstr(fi[fdiDname:fdiDev]))
	fd.Name = d.path(sFDPath)
	if fd.Kind == event.FDFile || fd.Kind == event.FDDirectory {
		fd.RealPath = fd.Name
		fd.Ino = le.Uint64(fi[fdiIno:])
		fd.Dev = encodeDev(le.Uint32(fi[fdiDev:]))
	}
	return true
}

func (d *decoder) socket(ev *event.Event, fi []byte, fl uint32) {
	fd := &ev.FD
	family := le.Uint16(fi[fdiFamily:])
	fd.Kind = collectors.FamilyKind(family)
	fd.Connected = fl&fdiConnected != 0
	switch fd.Kind {
	case event.FDUnix:
		d.unix(ev)
		return
	case event.FDIPv4, event.FDIPv6:
	default:
		return
	}
	fd.L4Proto = collectors.L4Proto(le.Uint16(fi[fdiSotype:]), le.Uint16(fi[fdiProto:]))
	lport, rport := le.Uint16(fi[fdiLport:]), le.Uint16(fi[fdiRport:])
	var laddr, raddr netip.Addr
	if family == collectors.AFInet {
		laddr = netip.AddrFrom4([4]byte(fi[fdiLaddr : fdiLaddr+4]))
		raddr = netip.AddrFrom4([4]byte(fi[fdiRaddr : fdiRaddr+4]))
	} else {
		laddr = netip.AddrFrom16([16]byte(fi[fdiLaddr : fdiLaddr+16]))
		raddr = netip.AddrFrom16([16]byte(fi[fdiRaddr : fdiRaddr+16]))
	}
	fd.Local = netip.AddrPortFrom(laddr, lport)
	fd.Remote = netip.AddrPortFrom(raddr, rport)

	sa, saOK := netip.AddrPort{}, false
	if d.has(sSaddr) {
		sa, saOK = linuxabi.ParseInetSockaddr(d.bytes(sSaddr))
	}
	if saOK {
		ev.Args.Set |= event.ArgSockAddr
	}
	switch ev.Type {
	case event.TypeAccept, event.TypeAccept4, event.TypeListen:
		fd.Server = true
	case event.TypeBind:
		if saOK {
			fd.Local = sa
		}
	case event.TypeConnect, event.TypeSendto, event.TypeSendmsg:
		if saOK {
			fd.Remote = sa
		}
		// A datagram sent to an address makes the socket's peer known:
		// Falco calls it connected.
		if ev.Type == event.TypeConnect && ev.Res == 0 || saOK && ev.Res >= 0 && fd.L4Proto == event.L4UDP {
			fd.Connected = true
		}
	case event.TypeRecvfrom, event.TypeRecvmsg:
		if saOK {
			fd.Remote = sa
			fd.Server = !fd.Connected
		}
	}
	if fd.Kind == event.FDIPv6 && v4able(fd.Local.Addr()) && v4able(fd.Remote.Addr()) &&
		(fd.Local.Addr().Is4In6() || fd.Remote.Addr().Is4In6()) {
		fd.Kind = event.FDIPv4
	}
	if fd.Kind == event.FDIPv4 {
		fd.Local = unmap(fd.Local)
		fd.Remote = unmap(fd.Remote)
	} else {
		fd.Local = to6(fd.Local)
		fd.Remote = to6(fd.Remote)
	}
	if fd.Local.Port() == 0 && fd.Remote.Port() == 0 &&
		fd.Local.Addr().IsUnspecified() && fd.Remote.Addr().IsUnspecified() {
		return // nothing known yet, as for a new socket
	}
	if fd.Remote.Port() == 0 && fd.Remote.Addr().IsUnspecified() {
		// Bound or listening, no peer: named by its own endpoint, as
		// Falco names a server socket.
		fd.Name = d.endpoint(fd.Local)
		return
	}
	client, server := fd.Local, fd.Remote
	if fd.Server {
		client, server = server, client
	}
	fd.Name = d.tuple(client, server)
}

// endpoint formats "ip:port" into the room the kernel reserved.
func (d *decoder) endpoint(ap netip.AddrPort) string {
	room := d.len[sText] >= textLen
	var b []byte
	if room {
		b = d.bytes(sText)[:0]
	}
	b = appendEndpoint(b, ap)
	if room && len(b) <= d.len[sText] {
		return unsafe.String(&d.raw[d.off[sText]], len(b))
	}
	return string(b)
}

// tuple formats "cip:cport->sip:sport" into the room the kernel reserved.
func (d *decoder) tuple(c, s netip.AddrPort) string {
	room := d.len[sText] >= textLen
	var b []byte
	if room {
		b = d.bytes(sText)[:0]
	}
	b = appendEndpoint(b, c)
	b = append(b, "->"...)
	b = appendEndpoint(b, s)
	if room && len(b) <= d.len[sText] {
		return unsafe.String(&d.raw[d.off[sText]], len(b))
	}
	// No room was reserved (a hand-built record), or too little: b is a
	// copy.
	return string(b)
}

func appendEndpoint(b []byte, ap netip.AddrPort) []byte {
	b = ap.Addr().AppendTo(b)
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(ap.Port()), 10)
}

func (d *decoder) unix(ev *event.Event) {
	fd := &ev.FD
	fd.L4Proto = event.L4Unknown
	var name string
	switch ev.Type {
	case event.TypeConnect, event.TypeSendto, event.TypeSendmsg, event.TypeBind:
		if d.has(sSaddr) {
			name = d.unixSockaddr(sSaddr)
		}
		if name != "" {
			ev.Args.Set |= event.ArgSockAddr
		}
	case event.TypeAccept, event.TypeAccept4, event.TypeListen:
		fd.Server = true
	}
	if name == "" && d.has(sFDPath) {
		name = d.unixPath(sFDPath)
	}
	if name == "" && d.has(sPeer) {
		name = d.unixPath(sPeer)
	}
	fd.Name = name
}

// unixSockaddr returns the path of the struct sockaddr_un in slot.
func (d *decoder) unixSockaddr(slot int) string {
	b := d.bytes(slot)
	if len(b) <= 2 || le.Uint16(b) != collectors.AFUnix {
		return ""
	}
	return unixName(b[2:])
}

// unixPath returns the sun_path bytes in slot as a name.
func (d *decoder) unixPath(slot int) string { return unixName(d.bytes(slot)) }

// unixName renders sun_path up to its first NUL; an abstract address
// (leading NUL) shows as "@" and the name, the "@" written over that NUL.
func unixName(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if p[0] == 0 {
		if len(p) == 1 {
			return ""
		}
		p[0] = '@'
	}
	for i, c := range p {
		if c == 0 {
			p = p[:i]
			break
		}
	}
	if len(p) == 0 {
		return ""
	}
	return unsafe.String(&p[0], len(p))
}

func v4able(a netip.Addr) bool { return !a.IsValid() || a.Is4() || a.Is4In6() || a.IsUnspecified() }

func unmap(ap netip.AddrPort) netip.AddrPort {
	a := ap.Addr()
	switch {
	case a.Is4In6():
		a = a.Unmap()
	case a.Is6() && a.IsUnspecified(), !a.IsValid():
		a = netip.IPv4Unspecified()
	}
	return netip.AddrPortFrom(a, ap.Port())
}

func to6(ap netip.AddrPort) netip.AddrPort {
	a := ap.Addr()
	if !a.IsValid() {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), ap.Port())
	}
	if a.Is4() {
		return netip.AddrPortFrom(netip.AddrFrom16(a.As16()), ap.Port())
	}
	return ap
}

// fileKind classifies a non-socket file by its inode mode, filesystem and
// dentry name.
func fileKind(mode uint32, magic uint64, dname []byte) event.FDKind {
	switch magic {
	case pipefsMagic:
		return event.FDPipe
	case pidfsMagic:
		return event.FDPidfd
	case anonInodeMagic:
		return anonKind(dname)
	}
	switch mode & linuxabi.ModeTypeMask {
	case linuxabi.ModeDir:
		return event.FDDirectory
	case linuxabi.ModeFIFO:
		return event.FDPipe
	case linuxabi.ModeRegular:
		if hasPrefix(dname, "memfd:") {
			return event.FDMemfd
		}
		return event.FDFile
	case linuxabi.ModeChar, linuxabi.ModeBlock, linuxabi.ModeSymlink:
		return event.FDFile
	}
	return anonKind(dname)
}

func anonKind(dname []byte) event.FDKind {
	switch string(dname) {
	case "[eventfd]":
		return event.FDEvent
	case "[signalfd]":
		return event.FDSignal
	case "[eventpoll]":
		return event.FDEventPoll
	case "[timerfd]":
		return event.FDTimer
	case "inotify":
		return event.FDInotify
	case "[userfaultfd]":
		return event.FDUserfault
	case "[io_uring]":
		return event.FDIOUring
	case "[pidfd]":
		return event.FDPidfd
	}
	if hasPrefix(dname, "bpf") {
		return event.FDBPF
	}
	return event.FDUnknown
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// cstr returns b up to its first NUL.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func (d *decoder) exec(r *collectors.Record) error {
	ex := &r.Exec
	ex.Filename = d.str(sFilename)
	ex.ExePath = d.path(sExe)
	ex.Cwd = d.path(sCwd)
	ex.CgroupPath = d.str(sCgroup)
	ex.Args = d.argv(ex.Args)
	ex.Env = splitNUL(ex.Env, d.bytes(sEnv))
	comm := cstr(d.raw[execComm : execComm+16])
	if len(comm) > 0 {
		ex.Comm = unsafe.String(&comm[0], len(comm))
	}
	ex.PPID = int64(d.u32(execPPID))
	ex.VPID = int64(d.u32(execVPID))
	ex.SID = int64(d.u32(execSID))
	ex.VPGID = int64(d.u32(execVPGID))
	ex.TTY = d.u32(execTTY)
	ex.UID = d.u32(execUID)
	ex.GID = d.u32(execGID)
	ex.LoginUID = d.u32(execLoginUID)
	ex.CapPermitted = d.u64(execCapPerm)
	ex.CapEffective = d.u64(execCapEff)
	ex.CapInheritable = d.u64(execCapInh)
	ex.StartTime = int64(d.u64(execStart))
	ex.ExeInoCtime = int64(d.u64(execCtime))
	ex.ExeInoMtime = int64(d.u64(execMtime))
	flags := d.u32(execExeFlags)
	ex.ExeWritable = flags&event.ExeWritable != 0
	ex.ExeUpperLayer = flags&event.ExeUpperLayer != 0
	ex.ExeFromMemfd = flags&event.ExeFromMemfd != 0

	t := event.Type(d.raw[hdrType])
	switch t {
	case event.TypeUnknown:
		return nil
	case event.TypeExecve, event.TypeExecveat:
	default:
		return malformed("exec record of type %d", t)
	}
	ev := &r.Event
	ev.Type = t
	ev.Time = r.Time
	ev.TID = r.TID
	ev.Res = int64(le.Uint64(d.raw[execRes:]))
	a := &ev.Args
	a.Filename = ex.Filename
	a.Flags = flags
	a.PID = r.TID
	a.Set |= event.ArgFilename | event.ArgFlags | event.ArgPID
	if t == event.TypeExecveat {
		a.DirFD = int64(int32(le.Uint64(d.raw[execArg:])))
		a.Set |= event.ArgDirFD
	}
	return nil
}

// argv appends the arguments to dst: the head and the tail the kernel
// copied, with event.ArgvCutMark where bytes between them were left out,
// inside the argument the cut falls in.
func (d *decoder) argv(dst []string) []string {
	head := d.bytes(sArgv)
	if !d.has(sArgvTail) {
		return splitNUL(dst, head)
	}
	if !d.cut(sArgvTail) {
		// Nothing left out: the tail follows the head in the record.
		o := d.off[sArgv]
		return splitNUL(dst, d.raw[o:o+len(head)+d.len[sArgvTail]])
	}
	// Rare (an argument list longer than 2*argvLen): the argument the
	// cut falls in is built anew.
	tail := d.bytes(sArgvTail)
	last := len(head)
	for last > 0 && head[last-1] != 0 {
		last--
	}
	dst = splitNUL(dst, head[:last])
	first := 0
	for first < len(tail) && tail[first] != 0 {
		first++
	}
	dst = append(dst, string(head[last:])+event.ArgvCutMark+string(tail[:first]))
	if first < len(tail) {
		dst = splitNUL(dst, tail[first+1:])
	}
	return dst
}

// splitNUL appends to dst the NUL-separated strings of b (a final NUL
// ends the last one), as views into b.
func splitNUL(dst []string, b []byte) []string {
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if i == 0 {
			dst = append(dst, "")
		} else {
			dst = append(dst, unsafe.String(&b[0], i))
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return dst
}

// cleanPath cleans the path in b in place, as path.Clean would, and
// returns its new length. Every write goes to an index not past the one
// being read, so the input is never overwritten before it is used.
func cleanPath(b []byte) int {
	n := len(b)
	if n == 0 {
		return 0
	}
	rooted := b[0] == '/'
	r, w, dotdot := 0, 0, 0
	if rooted {
		r, w, dotdot = 1, 1, 1
	}
	for r < n {
		switch {
		case b[r] == '/':
			r++
		case b[r] == '.' && (r+1 == n || b[r+1] == '/'):
			r++
		case b[r] == '.' && b[r+1] == '.' && (r+2 == n || b[r+2] == '/'):
			r += 2
			switch {
			case w > dotdot:
				w--
				for w > dotdot && b[w] != '/' {
					w--
				}
			case !rooted:
				if w > 0 {
					b[w] = '/'
					w++
				}
				b[w] = '.'
				b[w+1] = '.'
				w += 2
				dotdot = w
			}
		default:
			if rooted && w != 1 || !rooted && w != 0 {
				b[w] = '/'
				w++
			}
			for ; r < n && b[r] != '/'; r++ {
				b[w] = b[r]
				w++
			}
		}
	}
	if w == 0 {
		b[0] = '.'
		w = 1
	}
	return w
}
