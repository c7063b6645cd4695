package audit

import (
	"path"
	"unsafe"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

type result uint8

const (
	resOK        result = iota + 1
	resDrop             // not reported, not an error
	resMalformed        // malformed or incomplete
)

// Constants of the x86_64 Linux ABI.
const (
	atFDCWD     = -100
	oWRONLY     = 0o1
	oCREAT      = 0o100
	oTRUNC      = 0o1000
	oTMPFILE    = 0o20000000
	cloneThread = 0x10000

	sIFMT   = 0o170000
	sIFSOCK = 0o140000
	sIFLNK  = 0o120000
	sIFREG  = 0o100000
	sIFBLK  = 0o060000
	sIFDIR  = 0o040000
	sIFCHR  = 0o020000
	sIFIFO  = 0o010000

	unsetLoginUID = 0xffffffff
)

// Path item name types (nametype= of PATH records).
type nameType uint8

const (
	ntOther nameType = iota
	ntNormal
	ntParent
	ntCreate
	ntDelete
	ntUnknown
)

type pathItem struct {
	name     string
	hasName  bool
	nt       nameType
	mode     uint32
	hasMode  bool
	hasInode bool
	ino      uint64
	dev      uint32 // stat's encoding
}

// sysRecord is what a SYSCALL record says.
type sysRecord struct {
	nr       uint64
	exit     int64
	hasExit  bool
	a        [4]uint64
	hasA     [4]bool
	items    int
	pid      int64
	ppid     int64
	auid     uint32
	euid     uint32
	egid     uint32
	tty      []byte
	comm     string
	exe      string
	hasPid   bool
	haveArch bool
}

// Hooks give the decoder what the audit records lack but the running
// system may still tell; the pure decoder (tests, fuzzing) has none.
type hooks struct {
	// dirPath returns the path of directory file descriptor fd of
	// process pid.
	dirPath func(pid, fd int64) (string, bool)
	// isThread reports whether tid is a thread of process pid (known
	// reports whether that could be found out).
	isThread func(pid, tid int64) (thread, known bool)
	// exec completes an exec record (cgroup, namespaces, ...);
	// haveCaps says whether the record had the capability sets.
	exec func(r *collectors.Record, haveCaps bool)
}

// decoder decodes one group of records. Strings it produces are views into
// the group's buffer or into scratch, valid until the next decode.
type decoder struct {
	hooks
	scratch []byte
	sys     sysRecord
	paths   []pathItem
	cwd     string
	hasCwd  bool
	saddr   []byte
	hasSA   bool
	args    []string
	fcaps   struct {
		pp, pe, pi uint64
		ok         bool
	}
}

// view returns b, which lives in a buffer the decoder does not write
// again before the next decode, as a string.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// str returns the string an untrusted-string value stands for.
func (d *decoder) str(val []byte, quoted bool) (string, bool) {
	if quoted {
		return view(val), true
	}
	n := len(d.scratch)
	var ok bool
	d.scratch, ok = appendUntrusted(d.scratch, val, false)
	if !ok {
		return "", false
	}
	return view(d.scratch[n:len(d.scratch):len(d.scratch)]), true
}

// join returns the clean absolute path of name relative to dir.
func (d *decoder) join(dir, name string) string {
	n := len(d.scratch)
	d.scratch = append(d.scratch, dir...)
	d.scratch = append(d.scratch, '/')
	d.scratch = append(d.scratch, name...)
	return path.Clean(view(d.scratch[n:len(d.scratch):len(d.scratch)]))
}

func (d *decoder) reset() {
	d.scratch = d.scratch[:0]
	d.sys = sysRecord{}
	d.paths = d.paths[:0]
	d.cwd, d.hasCwd = "", false
	d.saddr, d.hasSA = d.saddr[:0], false
	d.args = d.args[:0]
	d.fcaps.ok = false
}

// decode decodes group g into r.
func (d *decoder) decode(a *reassembler, g *group, r *collectors.Record) result {
	d.reset()
	if g.overflow {
		return resMalformed
	}
	var haveSys bool
	var execRecs int
	for _, rr := range g.recs {
		body := g.buf[rr.start:rr.end]
		switch rr.typ {
		case typeSyscall:
			if haveSys || !d.parseSyscall(body) {
				return resMalformed
			}
			haveSys = true
		case typePath:
			if !d.parsePath(body) {
				return resMalformed
			}
		case typeCwd:
			v, q, ok := lookup(body, "cwd")
			if ok {
				d.cwd, d.hasCwd = d.str(v, q)
			}
		case typeSockaddr:
			v, _, ok := lookup(body, "saddr")
			if !ok {
				return resMalformed
			}
			n := len(d.scratch)
			var good bool
			d.scratch, good = appendUntrusted(d.scratch, v, false)
			if !good {
				return resMalformed
			}
			d.saddr, d.hasSA = d.scratch[n:len(d.scratch):len(d.scratch)], true
		case typeExecve:
			execRecs++
		case typeBprmFcaps:
			d.parseFcaps(body)
		}
	}
	if !haveSys {
		return resMalformed
	}
	s := &d.sys
	if !g.eoe && len(d.paths) < s.items {
		return resMalformed // flushed before all its PATH records came
	}
	if a.excludePID > 0 && s.pid == a.excludePID {
		return resDrop
	}

	args, env := r.Exec.Args[:0], r.Exec.Env[:0]
	*r = collectors.Record{}
	r.Exec.Args, r.Exec.Env = args, env
	r.PID, r.TID, r.Time = s.pid, s.pid, g.time

	switch s.nr {
	case nrClone, nrClone3, nrFork, nrVfork:
		return d.fork(r)
	case nrExit, nrExitGroup:
		r.Kind = collectors.KindExit
		r.Exit.Code = int64(s.a[0]&0xff) << 8
		r.Exit.Thread = s.nr == nrExit
		return resOK
	case nrExecve, nrExecveat:
		if s.hasExit && s.exit == 0 {
			if execRecs == 0 {
				return resMalformed
			}
			if !d.parseExecve(g) {
				return resMalformed
			}
			return d.exec(a, r)
		}
	}
	if s.nr >= maxNr {
		return resDrop
	}
	t := typeByNr[s.nr]
	if t == event.TypeUnknown || !a.types.Has(t) {
		return resDrop
	}
	if !s.hasExit {
		return resMalformed
	}
	r.Kind = collectors.KindSyscall
	ev := &r.Event
	ev.Type, ev.Time, ev.TID, ev.Res = t, r.Time, r.TID, s.exit
	d.syscall(ev)
	return resOK
}

func (d *decoder) parseSyscall(body []byte) bool {
	s := &d.sys
	var haveNr bool
	it := fields{body}
	for {
		k, v, q, more := it.next()
		if !more {
			break
		}
		var ok bool
		switch string(k) {
		case "arch":
			var arch uint64
			arch, ok = parseHex(v)
			if !ok || arch != archX8664 {
				return false
			}
			s.haveArch = true
		case "syscall":
			s.nr, ok = parseDec(v)
			haveNr = ok
		case "exit":
			s.exit, ok = parseInt(v)
			s.hasExit = ok
		case "a0", "a1", "a2", "a3":
			i := k[1] - '0'
			s.a[i], ok = parseHex(v)
			s.hasA[i] = ok
		case "items":
			var n uint64
			n, ok = parseDec(v)
			if n > maxRecords {
				return false
			}
			s.items = int(n)
		case "pid":
			s.pid, ok = parseInt(v)
			s.hasPid = ok && s.pid > 0
		case "ppid":
			s.ppid, ok = parseInt(v)
		case "auid":
			s.auid, ok = parseU32(v)
		case "euid":
			s.euid, ok = parseU32(v)
		case "egid":
			s.egid, ok = parseU32(v)
		case "tty":
			s.tty, ok = v, true
		case "comm":
			s.comm, _ = d.str(v, q)
			ok = true
		case "exe":
			s.exe, _ = d.str(v, q)
			ok = true
		default:
			ok = true
		}
		if !ok {
			return false
		}
	}
	return haveNr && s.hasPid && s.haveArch
}

func parseU32(b []byte) (uint32, bool) {
	n, ok := parseDec(b)
	if !ok || n > 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// parseDev parses a PATH record's dev= ("fe:00", major and minor in hex)
// into stat's encoding of a device number; 0 when malformed.
func parseDev(v []byte) uint32 {
	for i, c := range v {
		if c != ':' {
			continue
		}
		major, ok1 := parseHex(v[:i])
		minor, ok2 := parseHex(v[i+1:])
		if !ok1 || !ok2 || major >= 1<<12 || minor >= 1<<20 {
			return 0
		}
		return uint32(minor&0xff | major<<8 | (minor&^0xff)<<12)
	}
	return 0
}

func (d *decoder) parsePath(body []byte) bool {
	var p pathItem
	it := fields{body}
	for {
		k, v, q, more := it.next()
		if !more {
			break
		}
		switch string(k) {
		case "name":
			p.name, p.hasName = d.str(v, q)
		case "mode":
			p.mode, p.hasMode = parseOctal(v)
		case "inode":
			p.hasInode = true
			p.ino, _ = parseDec(v)
		case "dev":
			p.dev = parseDev(v)
		case "nametype":
			switch string(v) {
			case "NORMAL":
				p.nt = ntNormal
			case "PARENT":
				p.nt = ntParent
			case "CREATE":
				p.nt = ntCreate
			case "DELETE":
				p.nt = ntDelete
			case "UNKNOWN":
				p.nt = ntUnknown
			}
		}
	}
	d.paths = append(d.paths, p)
	return true
}

func (d *decoder) parseFcaps(body []byte) {
	it := fields{body}
	var n int
	for {
		k, v, _, more := it.next()
		if !more {
			break
		}
		var dst *uint64
		switch string(k) {
		case "pp":
			dst = &d.fcaps.pp
		case "pe":
			dst = &d.fcaps.pe
		case "pi":
			dst = &d.fcaps.pi
		default:
			continue
		}
		x, ok := parseHex(v)
		if !ok {
			return
		}
		*dst = x
		n++
	}
	d.fcaps.ok = n == 3
}

// parseExecve collects argv from the EXECVE records: "argc=N a0=... a1=..."
// with each argument quoted or hex-encoded, a long one split as
// "aN_len=L aN[0]=... aN[1]=..." over several records.
func (d *decoder) parseExecve(g *group) bool {
	argc := -1
	cur := -1 // argument being appended to
	for _, rr := range g.recs {
		if rr.typ != typeExecve {
			continue
		}
		it := fields{g.buf[rr.start:rr.end]}
		for {
			k, v, q, more := it.next()
			if !more {
				break
			}
			if string(k) == "argc" {
				n, ok := parseDec(v)
				if !ok || n > 1<<20 {
					return false
				}
				argc = int(n)
				continue
			}
			if len(k) < 2 || k[0] != 'a' {
				continue
			}
			idx, chunk, isLen, ok := argKey(k[1:])
			if !ok {
				return false
			}
			if isLen {
				continue
			}
			if chunk < 0 || chunk == 0 {
				// A new argument: they come in order.
				if idx != len(d.args) {
					return false
				}
				s, ok := d.str(v, q)
				if !ok {
					return false
				}
				d.args = append(d.args, s)
				cur = idx
				continue
			}
			// A later chunk of the current argument.
			if idx != cur || cur != len(d.args)-1 {
				return false
			}
			prev := d.args[cur]
			n := len(d.scratch)
			d.scratch = append(d.scratch, prev...)
			var good bool
			d.scratch, good = appendUntrusted(d.scratch, v, q)
			if !good {
				return false
			}
			d.args[cur] = view(d.scratch[n:len(d.scratch):len(d.scratch)])
		}
	}
	if argc < 0 {
		return false
	}
	if len(d.args) > argc {
		return false
	}
	if len(d.args) < argc && !g.truncated {
		return false
	}
	return true
}

// argKey parses the part after "a" of an EXECVE key: "N", "N[M]" or
// "N_len". chunk is -1 for the plain form.
func argKey(k []byte) (idx, chunk int, isLen, ok bool) {
	i := 0
	for i < len(k) && k[i] >= '0' && k[i] <= '9' {
		i++
	}
	n, good := parseDec(k[:i])
	if !good || n > 1<<20 {
		return 0, 0, false, false
	}
	idx, rest := int(n), k[i:]
	switch {
	case len(rest) == 0:
		return idx, -1, false, true
	case string(rest) == "_len":
		return idx, 0, true, true
	case rest[0] == '[' && rest[len(rest)-1] == ']':
		m, good := parseDec(rest[1 : len(rest)-1])
		if !good || m > 1<<20 {
			return 0, 0, false, false
		}
		return idx, int(m), false, true
	}
	return 0, 0, false, false
}

func (d *decoder) fork(r *collectors.Record) result {
	s := &d.sys
	if !s.hasExit || s.exit <= 0 {
		return resDrop // failed, or the child's side
	}
	r.Kind = collectors.KindFork
	f := &r.Fork
	f.ParentPID = s.pid
	f.ChildTID = s.exit
	switch s.nr {
	case nrClone:
		f.Thread = s.hasA[0] && s.a[0]&cloneThread != 0
	case nrClone3:
		// The flags are in user memory (struct clone_args): ask the
		// system whether the child is a thread of the caller.
		if d.isThread != nil {
			f.Thread, _ = d.isThread(s.pid, s.exit)
		}
	}
	if f.Thread {
		f.ChildPID = s.pid
	} else {
		f.ChildPID = s.exit
	}
	return resOK
}

func (d *decoder) exec(a *reassembler, r *collectors.Record) result {
	s := &d.sys
	r.Kind = collectors.KindExec
	x := &r.Exec
	if len(d.paths) > 0 && d.paths[0].hasName {
		x.Filename = d.paths[0].name
	}
	x.ExePath = s.exe
	x.Comm = s.comm
	x.Args = append(x.Args, d.args...)
	x.Cwd = d.cwd
	x.PPID = s.ppid
	x.TTY = ttyDev(s.tty)
	x.UID, x.GID = s.euid, s.egid
	x.LoginUID = s.auid
	if d.fcaps.ok {
		x.CapPermitted, x.CapEffective, x.CapInheritable = d.fcaps.pp, d.fcaps.pe, d.fcaps.pi
	}
	if d.hooks.exec != nil {
		d.hooks.exec(r, d.fcaps.ok)
	}
	t := typeByNr[s.nr]
	if a.types.Has(t) {
		ev := &r.Event
		ev.Type, ev.Time, ev.TID, ev.Res = t, r.Time, r.TID, 0
		d.execArgs(ev, x.Filename, len(d.paths) > 0 && d.paths[0].hasName)
	}
	return resOK
}

func (d *decoder) execArgs(ev *event.Event, filename string, known bool) {
	a := &ev.Args
	if known {
		a.Filename = filename
		a.Set |= event.ArgFilename
	}
	if ev.Type == event.TypeExecveat {
		d.setDirFD(a)
	}
	a.PID = ev.TID
	a.Set |= event.ArgPID
}

// arg returns syscall argument i as an int (the kernel's view of an int
// argument), and whether the record had it.
func (d *decoder) argInt(i int) (int64, bool) {
	return int64(int32(d.sys.a[i])), d.sys.hasA[i]
}

func (d *decoder) setDirFD(a *event.Args) {
	if v, ok := d.argInt(0); ok {
		a.DirFD = v
		a.Set |= event.ArgDirFD
	}
}

// pick returns the first path item of one of the types, in order of
// preference.
func (d *decoder) pick(types ...nameType) *pathItem {
	for _, t := range types {
		for i := range d.paths {
			p := &d.paths[i]
			if p.nt == t && p.hasName {
				return p
			}
		}
	}
	return nil
}

// resolve returns the absolute form of name, which the syscall resolved
// relative to dirfd (the working directory when dirfd is AT_FDCWD or
// absent). It reports false when that directory is unknown.
func (d *decoder) resolve(name string, dirfd int64, hasDirfd bool) (string, bool) {
	if name == "" {
		return "", false
	}
	if name[0] == '/' {
		return path.Clean(name), true
	}
	if !hasDirfd || dirfd == atFDCWD {
		if !d.hasCwd || d.cwd == "" || d.cwd[0] != '/' {
			return "", false
		}
		return d.join(d.cwd, name), true
	}
	if d.dirPath == nil {
		return "", false
	}
	dir, ok := d.dirPath(d.sys.pid, dirfd)
	if !ok || dir == "" || dir[0] != '/' {
		return "", false
	}
	return d.join(dir, name), true
}

// dirfdArg returns the dirfd argument i, for resolve.
func (d *decoder) dirfdArg(i int) (int64, bool) {
	if i < 0 {
		return atFDCWD, true
	}
	return d.argInt(i)
}

// pathOf returns a path argument: as passed, and absolute (or as passed
// when the directory it is relative to is unknown: abs reports which).
func (d *decoder) pathOf(p *pathItem, dirfdIdx int) (raw, full string, abs bool) {
	raw = p.name
	fd, has := d.dirfdArg(dirfdIdx)
	if full, ok := d.resolve(raw, fd, has); ok {
		return raw, full, true
	}
	return raw, raw, false
}

func (d *decoder) syscall(ev *event.Event) {
	a := &ev.Args
	s := &d.sys
	switch t := ev.Type; t {
	case event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeCreat:
		d.open(ev)
	case event.TypeExecve, event.TypeExecveat:
		var name string
		known := len(d.paths) > 0 && d.paths[0].hasName
		if known {
			name = d.paths[0].name
		}
		d.execArgs(ev, name, known)
	case event.TypeConnect, event.TypeBind, event.TypeListen, event.TypeSendto,
		event.TypeSendmsg, event.TypeRecvfrom, event.TypeRecvmsg:
		if fd, ok := d.argInt(0); ok {
			a.FD = fd
			a.Set |= event.ArgFD
			d.socket(ev, fd)
		}
	case event.TypeAccept, event.TypeAccept4:
		if t == event.TypeAccept4 && s.hasA[3] {
			a.Flags = uint32(s.a[3])
			a.Set |= event.ArgFlags
		}
		if ev.Res >= 0 {
			d.socket(ev, ev.Res)
		}
	case event.TypeSocket:
		if s.hasA[0] && s.hasA[1] && s.hasA[2] {
			a.Domain, _ = d.argInt(0)
			a.SockType, _ = d.argInt(1)
			a.Proto, _ = d.argInt(2)
			a.Set |= event.ArgDomain | event.ArgType | event.ArgProto
			if ev.Res >= 0 {
				ev.FD.Num = ev.Res
				ev.FD.Kind = collectors.FamilyKind(uint16(a.Domain))
				if ev.FD.Kind == event.FDIPv4 || ev.FD.Kind == event.FDIPv6 {
					ev.FD.L4Proto = collectors.L4Proto(uint16(a.SockType&0xf), uint16(a.Proto))
				}
			}
		}
	case event.TypeRename, event.TypeRenameat, event.TypeRenameat2:
		oldFD, newFD := -1, -1
		if t != event.TypeRename {
			oldFD, newFD = 0, 2
		}
		if p := d.pick(ntDelete); p != nil {
			_, a.OldPath, _ = d.pathOf(p, oldFD)
			a.Set |= event.ArgOldPath
		}
		if p := d.pick(ntCreate); p != nil {
			_, a.NewPath, _ = d.pathOf(p, newFD)
			a.Set |= event.ArgNewPath
		}
	case event.TypeLink, event.TypeLinkat:
		oldFD, newFD := -1, -1
		if t == event.TypeLinkat {
			oldFD, newFD = 0, 2
		}
		if p := d.pick(ntNormal); p != nil {
			_, a.OldPath, _ = d.pathOf(p, oldFD)
			a.Set |= event.ArgOldPath
		}
		if p := d.pick(ntCreate); p != nil {
			_, a.NewPath, _ = d.pathOf(p, newFD)
			a.Set |= event.ArgNewPath
		}
	case event.TypeUnlink, event.TypeRmdir, event.TypeUnlinkat:
		dfd := -1
		if t == event.TypeUnlinkat {
			dfd = 0
			d.setDirFD(a)
			if s.hasA[2] {
				a.Flags = uint32(s.a[2])
				a.Set |= event.ArgFlags
			}
		}
		d.pathArgs(a, d.pick(ntDelete), dfd)
	case event.TypeMkdir, event.TypeMkdirat:
		dfd, mode := -1, 1
		if t == event.TypeMkdirat {
			dfd, mode = 0, 2
			d.setDirFD(a)
		}
		d.pathArgs(a, d.pick(ntCreate), dfd)
		d.setMode(a, mode)
	case event.TypeChmod, event.TypeFchmodat:
		dfd, mode := -1, 1
		if t == event.TypeFchmodat {
			dfd, mode = 0, 2
			d.setDirFD(a)
		}
		d.pathArgs(a, d.pick(ntNormal), dfd)
		d.setMode(a, mode)
	case event.TypeFchmod:
		if fd, ok := d.argInt(0); ok {
			a.FD = fd
			a.Set |= event.ArgFD
			if len(d.paths) > 0 && d.paths[0].hasMode {
				ev.FD = event.FD{Kind: fileKind(d.paths[0].mode), Num: fd}
			}
		}
		d.setMode(a, 1)
	case event.TypeSymlink, event.TypeSymlinkat:
		dfd := -1
		if t == event.TypeSymlinkat {
			dfd = 1
		}
		target := d.pick(ntUnknown)
		if target != nil {
			a.Target = target.name
			a.Set |= event.ArgTarget
		}
		link := d.pick(ntCreate)
		if link == nil {
			// Failed: the link path is the item that is neither the
			// parent nor the target.
			for i := range d.paths {
				p := &d.paths[i]
				if p != target && p.nt != ntParent && p.hasName {
					link = p
					break
				}
			}
		}
		if link != nil {
			_, a.LinkPath, _ = d.pathOf(link, dfd)
			a.Set |= event.ArgLinkPath
		}
	case event.TypeDup, event.TypeDup2, event.TypeDup3:
		if fd, ok := d.argInt(0); ok {
			a.FD = fd
			a.Set |= event.ArgFD
		}
		if t == event.TypeDup3 && s.hasA[2] {
			a.Flags = uint32(s.a[2])
			a.Set |= event.ArgFlags
		}
	case event.TypePtrace:
		if s.hasA[0] {
			a.Request = int64(s.a[0])
			a.Set |= event.ArgRequest
		}
		if pid, ok := d.argInt(1); ok {
			a.PID = pid
			a.Set |= event.ArgPID
		}
	case event.TypeSetuid:
		if s.hasA[0] {
			a.UID = uint32(s.a[0])
			a.Set |= event.ArgUID
		}
	case event.TypeSetgid:
		if s.hasA[0] {
			a.GID = uint32(s.a[0])
			a.Set |= event.ArgGID
		}
	case event.TypeSetns:
		if fd, ok := d.argInt(0); ok {
			a.FD = fd
			a.Set |= event.ArgFD
		}
		if s.hasA[1] {
			a.Flags = uint32(s.a[1])
			a.Set |= event.ArgFlags
		}
	case event.TypeUnshare:
		if s.hasA[0] {
			a.Flags = uint32(s.a[0])
			a.Set |= event.ArgFlags
		}
	case event.TypeBpf:
		if cmd, ok := d.argInt(0); ok {
			a.Cmd = cmd
			a.Set |= event.ArgCmd
		}
	case event.TypeFinitModule:
		if fd, ok := d.argInt(0); ok {
			a.FD = fd
			a.Set |= event.ArgFD
		}
		if s.hasA[2] {
			a.Flags = uint32(s.a[2])
			a.Set |= event.ArgFlags
		}
	case event.TypeUserfaultfd:
		if s.hasA[0] {
			a.Flags = uint32(s.a[0])
			a.Set |= event.ArgFlags
		}
		if ev.Res >= 0 {
			ev.FD = event.FD{Kind: event.FDUserfault, Num: ev.Res}
		}
	case event.TypeMount:
		// The target is looked up (a PATH item); the source is not.
		for i := range d.paths {
			p := &d.paths[i]
			if p.nt != ntParent && p.hasName {
				a.Path = p.name
				a.Set |= event.ArgPath
				break
			}
		}
		if s.hasA[3] {
			a.Flags = uint32(s.a[3])
			a.Set |= event.ArgFlags
		}
	}
}

// pathArgs sets Path (as passed) and Name (absolute, when known).
func (d *decoder) pathArgs(a *event.Args, p *pathItem, dirfdIdx int) {
	if p == nil {
		return
	}
	raw, full, abs := d.pathOf(p, dirfdIdx)
	a.Path = raw
	a.Set |= event.ArgPath
	if abs {
		a.Name = full
		a.Set |= event.ArgName
	}
}

func (d *decoder) setMode(a *event.Args, i int) {
	if d.sys.hasA[i] {
		a.Mode = uint32(d.sys.a[i]) & 0o7777
		a.Set |= event.ArgMode
	}
}

func (d *decoder) open(ev *event.Event) {
	a := &ev.Args
	s := &d.sys
	var flags, mode uint32
	known := true
	dfd := -1
	switch ev.Type {
	case event.TypeOpen:
		flags, mode = uint32(s.a[1]), uint32(s.a[2])
		known = s.hasA[1] && s.hasA[2]
	case event.TypeOpenat:
		flags, mode = uint32(s.a[2]), uint32(s.a[3])
		known = s.hasA[2] && s.hasA[3]
		dfd = 0
	case event.TypeOpenat2:
		known = false // flags and mode are in user memory (struct open_how)
		dfd = 0
	case event.TypeCreat:
		flags, mode = oCREAT|oWRONLY|oTRUNC, uint32(s.a[1])
		known = s.hasA[1]
	}
	if dfd == 0 {
		d.setDirFD(a)
	}
	created := d.pick(ntCreate)
	if known {
		if flags&(oCREAT|oTMPFILE) == 0 {
			mode = 0
		}
		flags &^= event.OpenCreated
		if flags&oCREAT != 0 && created != nil && ev.Res >= 0 {
			flags |= event.OpenCreated
		}
		a.Flags, a.Mode = flags, mode&0o7777
		a.Set |= event.ArgFlags | event.ArgMode
	}
	p := created
	if p == nil {
		p = d.pick(ntNormal, ntUnknown, ntDelete, ntOther)
	}
	if p == nil {
		if ev.Res >= 0 {
			ev.FD = event.FD{Kind: event.FDFile, Num: ev.Res}
		}
		return
	}
	raw, full, _ := d.pathOf(p, dfd)
	a.Path = raw
	a.Set |= event.ArgPath
	ev.FD = event.FD{Kind: event.FDFile, Num: -1, Name: full, NameRaw: raw}
	if ev.Res >= 0 {
		ev.FD.Num = ev.Res
		if p.hasMode {
			ev.FD.Kind = fileKind(p.mode)
		}
		ev.FD.Dev, ev.FD.Ino = p.dev, p.ino
	}
}

// fileKind classifies a file by its inode mode.
func fileKind(mode uint32) event.FDKind {
	switch mode & sIFMT {
	case sIFDIR:
		return event.FDDirectory
	case sIFIFO:
		return event.FDPipe
	case sIFSOCK:
		return event.FDUnix
	}
	return event.FDFile
}

// ttyDev encodes an audit tty name (pts0, tty1, ttyS0, console, (none)) as
// the kernel's new_encode_dev of its device number; 0 when unknown.
func ttyDev(name []byte) uint32 {
	num := func(b []byte) (uint32, bool) {
		n, ok := parseDec(b)
		return uint32(n), ok && n < 1<<20
	}
	var major, minor uint32
	switch {
	case len(name) > 3 && string(name[:3]) == "pts":
		n, ok := num(name[3:])
		if !ok {
			return 0
		}
		major, minor = 136, n
	case len(name) > 4 && string(name[:4]) == "ttyS":
		n, ok := num(name[4:])
		if !ok {
			return 0
		}
		major, minor = 4, 64+n
	case len(name) > 3 && string(name[:3]) == "tty":
		n, ok := num(name[3:])
		if !ok {
			return 0
		}
		major, minor = 4, n
	case string(name) == "console":
		major, minor = 5, 1
	default:
		return 0
	}
	return minor&0xff | major<<8 | (minor&^0xff)<<12
}
