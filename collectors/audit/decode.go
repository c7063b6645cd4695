package audit

import (
	"path"
	"strings"
	"unsafe"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/linuxabi"
)

type result uint8

const (
	resOK        result = iota + 1
	resDrop             // not reported, not an error
	resMalformed        // malformed or incomplete
)

// unsetLoginUID is the loginuid of a process no login set (-1).
const unsetLoginUID = 0xffffffff

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
	// id is the file's device and inode, when the record gave both.
	id    fileID
	hasID bool
}

// sysRecord is what a SYSCALL record says.
type sysRecord struct {
	nr      uint64
	exit    int64
	hasExit bool
	a       [4]uint64
	hasA    [4]bool
	items   int
	pid     int64
	ppid    int64
	auid    uint32
	euid    uint32
	egid    uint32
	// ids are uid, euid, suid, fsuid, gid, egid, sgid and fsgid; hasIDs
	// has bit i set when ids[i] was given.
	ids      [8]uint32
	hasIDs   uint8
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
	// statID returns the device and inode of the file at path (of the
	// link itself when follow is false), to check a path the decoder
	// worked out against the file the records name.
	statID func(path string, follow bool) (fileID, bool)
	// longCwd returns the working directory of process pid when the
	// CWD record could not name it (longer than PATH_MAX): its head,
	// cut (event.CutPath).
	longCwd func(pid int64) (string, bool)
	// parentCwd returns the working directory of process ppid (its
	// head, cut, when longer than PATH_MAX) when dir, a relative path,
	// names the directory want from it.
	parentCwd func(ppid int64, dir string, want fileID) (string, bool)
	// sockProto returns the transport protocol of the socket that
	// descriptor fd of process pid is now (L4Unknown when it is not an
	// IP socket); known is false when that cannot be found out (the
	// process or the descriptor is gone).
	sockProto func(pid, fd int64) (l4 event.L4Proto, known bool)
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
	// how is openat2's struct open_how, from the OPENAT2 record.
	how struct {
		flags, mode uint32
		ok          bool
	}
	// fds remembers directory and socket descriptors across events
	// (nil: nothing is remembered).
	fds *fdTable
	// unresolved counts paths left relative: the directory they were
	// relative to could not be established.
	unresolved uint64
	// staleSockets counts fd table entries of sockets found to name
	// another socket than the one they were made for.
	staleSockets uint64
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

// inheritedCwd returns the working directory of the parent of a process
// gone before /proc could give its own, when that is the directory the
// call worked in: the parent item of the PATH records (the directory a
// relative name was created, removed or looked up in) must be the
// directory the name leads to from the parent's working directory. A
// process that changed its working directory, or a parent that did since,
// fails the check; the directory is then unknown.
func (d *decoder) inheritedCwd() (string, bool) {
	if d.parentCwd == nil || d.sys.ppid <= 0 {
		return "", false
	}
	parent := d.soleParent()
	if parent == nil {
		return "", false
	}
	for i := range d.paths {
		p := &d.paths[i]
		if p.nt == ntParent || !p.hasName || p.name == "" || p.name[0] == '/' {
			continue
		}
		return d.parentCwd(d.sys.ppid, path.Dir(p.name), parent.id)
	}
	return "", false
}

// climbs reports whether path has a ".." component.
func climbs(path string) bool {
	for _, c := range strings.Split(path, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

// cwdTooLong is what a CWD record says of a working directory whose path
// is longer than PATH_MAX.
const cwdTooLong = "<too_long>"

// join returns the clean absolute path of name relative to dir, cut to
// its head (event.CutPath) when it is longer than event.PathMax. A dir
// cut already stays as it is: where name leads from it is not known
// beyond its head.
func (d *decoder) join(dir, name string) string {
	if event.PathIsCut(dir) {
		if climbs(name) {
			return name // the directory's head does not tell
		}
		return dir
	}
	n := len(d.scratch)
	d.scratch = append(d.scratch, dir...)
	d.scratch = append(d.scratch, '/')
	d.scratch = append(d.scratch, name...)
	raw := view(d.scratch[n:len(d.scratch):len(d.scratch)])
	m := len(d.scratch)
	d.scratch = appendClean(d.scratch, raw)
	return event.CutPath(view(d.scratch[m:len(d.scratch):len(d.scratch)]))
}

// appendClean appends path.Clean(p) of an absolute path p to b, without
// allocating beyond b's growth.
func appendClean(b []byte, p string) []byte {
	start := len(b)
	b = append(b, '/')
	floor := start + 1 // ".." does not go above the root
	for r := 0; r < len(p); {
		switch {
		case p[r] == '/':
			r++
		case p[r] == '.' && (r+1 == len(p) || p[r+1] == '/'):
			r++
		case p[r] == '.' && r+1 < len(p) && p[r+1] == '.' && (r+2 == len(p) || p[r+2] == '/'):
			r += 2
			w := len(b)
			if w > floor {
				w--
				for w > floor && b[w] != '/' {
					w--
				}
				b = b[:w]
			}
		default:
			if len(b) != floor {
				b = append(b, '/')
			}
			for ; r < len(p) && p[r] != '/'; r++ {
				b = append(b, p[r])
			}
		}
	}
	return b
}

func (d *decoder) reset() {
	d.scratch = d.scratch[:0]
	d.sys = sysRecord{}
	d.paths = d.paths[:0]
	d.cwd, d.hasCwd = "", false
	d.saddr, d.hasSA = d.saddr[:0], false
	d.args = d.args[:0]
	d.fcaps.ok = false
	d.how.ok = false
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
		case typeOpenat2:
			d.parseHow(body)
		}
	}
	if !haveSys {
		return resMalformed
	}
	if d.hasCwd && d.cwd == cwdTooLong && d.longCwd != nil {
		// Deeper than audit's d_path can name: ask /proc while the
		// process is there.
		if p, ok := d.longCwd(d.sys.pid); ok {
			d.cwd = p
		} else if p, ok := d.inheritedCwd(); ok {
			d.cwd = p
		}
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
		if !r.Exit.Thread && d.fds != nil {
			d.fds.dropPID(s.pid)
		}
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
	if t == event.TypeUnknown || !a.types.Has(t) && !t.IsCred() {
		return resDrop
	}
	if !s.hasExit {
		return resMalformed
	}
	r.Kind = collectors.KindSyscall
	ev := &r.Event
	ev.Type, ev.Time, ev.TID, ev.Res = t, r.Time, r.TID, s.exit
	d.syscall(ev)
	d.remember(ev)
	if t.IsCred() {
		d.cred(r)
	}
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
			if !ok || arch != auditArch {
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
		case "uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid":
			i := credField(k)
			s.ids[i], ok = parseU32(v)
			if ok {
				s.hasIDs |= 1 << i
			}
			s.euid, s.egid = s.ids[1], s.ids[5]
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

// credField returns where the SYSCALL record field k (one of uid, euid,
// suid, fsuid, gid, egid, sgid, fsgid) goes in sysRecord.ids.
func credField(k []byte) int {
	i := 0
	if k[len(k)-3] == 'g' {
		i = 4
	}
	switch k[0] {
	case 'e':
		i++
	case 's':
		i += 2
	case 'f':
		i += 3
	}
	return i
}

func parseU32(b []byte) (uint32, bool) {
	n, ok := parseDec(b)
	if !ok || n > 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// statDev is the device of id in stat's encoding (as Falco prints fd.dev):
// 0 when the device's numbers do not fit it.
func statDev(id fileID) uint32 {
	major, minor := id.dev>>32, id.dev&(1<<32-1)
	if major >= 1<<12 || minor >= 1<<20 {
		return 0
	}
	return uint32(minor&0xff | major<<8 | (minor&^0xff)<<12)
}

func (d *decoder) parsePath(body []byte) bool {
	p := pathItem{id: fileID{dev: noDev}}
	ok := true
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
			p.id.ino, p.hasID = parseDec(v)
		case "dev":
			p.id.dev, ok = parseDev(v)
			if !ok {
				p.hasID = false
			}
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
	p.hasID = p.hasID && ok && p.id.dev != noDev
	d.paths = append(d.paths, p)
	return true
}

// noDev marks a device not yet read.
const noDev = ^uint64(0)

// parseDev parses an audit device number, "MAJOR:MINOR" in hex, as
// major<<32 | minor.
func parseDev(b []byte) (uint64, bool) {
	i := 0
	for i < len(b) && b[i] != ':' {
		i++
	}
	if i == len(b) {
		return noDev, false
	}
	major, ok1 := parseHex(b[:i])
	minor, ok2 := parseHex(b[i+1:])
	if !ok1 || !ok2 || major > 1<<32-1 || minor > 1<<32-1 {
		return noDev, false
	}
	return major<<32 | minor, true
}

// parseHow reads an OPENAT2 record: "oflag=0%o mode=0%o resolve=0x%x".
func (d *decoder) parseHow(body []byte) {
	var flags, mode uint32
	var n int
	it := fields{body}
	for {
		k, v, _, more := it.next()
		if !more {
			break
		}
		var dst *uint32
		switch string(k) {
		case "oflag":
			dst = &flags
		case "mode":
			dst = &mode
		default:
			continue
		}
		x, ok := parseOctal(v)
		if !ok {
			return
		}
		*dst = x
		n++
	}
	d.how.flags, d.how.mode, d.how.ok = flags, mode, n == 2
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
	if g.truncated && len(g.execTail) > 0 {
		d.execveTail(g.execTail)
	}
	return true
}

// execveTail appends to d.args the arguments in the last EXECVE records,
// kept when the ones before them were dropped: they start inside some
// argument, which is joined to the last one kept before the gap with
// event.ArgvCutMark between them.
func (d *decoder) execveTail(recs [][]byte) {
	var tail []string
	first, cur := -1, -1
	for _, body := range recs {
		it := fields{body}
		for {
			k, v, q, more := it.next()
			if !more {
				break
			}
			if len(k) < 2 || k[0] != 'a' {
				continue
			}
			idx, chunk, isLen, ok := argKey(k[1:])
			if !ok || isLen {
				continue
			}
			var val []byte
			n := len(d.scratch)
			if idx == cur && chunk > 0 {
				// The next chunk of the argument being read.
				d.scratch = append(d.scratch, tail[len(tail)-1]...)
			} else if first >= 0 && idx != cur+1 {
				return // out of order: keep what was read
			}
			var good bool
			if d.scratch, good = appendUntrusted(d.scratch, v, q); !good {
				d.scratch = d.scratch[:n]
				return
			}
			val = d.scratch[n:len(d.scratch):len(d.scratch)]
			switch {
			case idx == cur && chunk > 0:
				tail[len(tail)-1] = view(val)
			default:
				if first < 0 {
					first = idx
				}
				tail = append(tail, view(val))
				cur = idx
			}
		}
	}
	if len(tail) == 0 {
		return
	}
	last := len(d.args) - 1
	if last >= 0 && first == last {
		// The gap is inside one argument.
		d.args[last] = d.args[last] + event.ArgvCutMark + tail[0]
		tail = tail[1:]
	} else {
		tail[0] = event.ArgvCutMark + tail[0]
	}
	d.args = append(d.args, tail...)
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
		f.Thread = s.hasA[0] && s.a[0]&linuxabi.CloneThread != 0
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
		if d.fds != nil {
			d.fds.copyPID(f.ParentPID, f.ChildPID)
		}
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
	x.ExeFlagsUnknown = true // audit does not say
	x.ExeFromMemfd = strings.HasPrefix(s.exe, "/memfd:")
	x.Args = append(x.Args, event.CutArgs(d.args)...)
	x.Cwd = event.CutPath(d.cwd)
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
	if d.fds != nil {
		d.fds.dropCloexec(s.pid)
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

// soleParent returns the PARENT item of the event when there is one
// directory they all name (a rename or link between two directories has
// two, and which of its names each belongs to is not said), else nil.
func (d *decoder) soleParent() *pathItem {
	var parent *pathItem
	for i := range d.paths {
		p := &d.paths[i]
		if p.nt != ntParent {
			continue
		}
		if !p.hasID || parent != nil && parent.id != p.id {
			return nil
		}
		parent = p
	}
	return parent
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

// resolve returns the absolute form of the name of path item p, which the
// syscall resolved relative to dirfd (the working directory when dirfd is
// AT_FDCWD or absent). It reports false when that directory is unknown.
//
// The working directory comes from the CWD record. A directory fd is
// looked up in the fd table (the directory the process opened under that
// number) and then in /proc/PID/fd, and a directory found either way is
// taken only when the path it gives names the file the records name (the
// same device and inode, or the parent's when the file is gone): the
// descriptor may have been replaced, or closed and reused, since. A name
// that cannot be resolved is counted in unresolved.
func (d *decoder) resolve(p *pathItem, dirfd int64, hasDirfd bool) (string, bool) {
	name := p.name
	if name == "" {
		return "", false
	}
	if name[0] == '/' {
		n := len(d.scratch)
		d.scratch = appendClean(d.scratch, name)
		return view(d.scratch[n:len(d.scratch):len(d.scratch)]), true
	}
	if !hasDirfd || dirfd == linuxabi.AtFDCWD {
		if !d.hasCwd || d.cwd == "" || d.cwd[0] != '/' {
			d.unresolved++
			return "", false
		}
		return d.join(d.cwd, name), true
	}
	if d.fds != nil {
		if e := d.fds.get(d.sys.pid, dirfd); e != nil && e.dir {
			if full, ok := d.checked(view(e.path), &e.id, p); ok {
				return full, true
			}
		}
	}
	if d.dirPath != nil {
		if dir, ok := d.dirPath(d.sys.pid, dirfd); ok && dir != "" && dir[0] == '/' {
			if full, ok := d.checked(dir, nil, p); ok {
				return full, true
			}
		}
	}
	d.unresolved++
	return "", false
}

// checked joins dir (whose identity is dirID, when known) and p's name,
// and returns the path when it names the file p stands for.
func (d *decoder) checked(dir string, dirID *fileID, p *pathItem) (string, bool) {
	full := d.join(dir, p.name)
	parent := d.soleParent()
	// The parent's identity is logged when the call created or removed
	// a name (or failed to find one): a single-component name's parent
	// is the directory itself.
	if parent != nil && dirID != nil && *dirID == parent.id && !strings.Contains(p.name, "/") {
		return full, true
	}
	if d.statID == nil {
		return "", false
	}
	if p.hasID {
		for _, follow := range []bool{true, false} {
			if id, ok := d.statID(full, follow); ok && id == p.id {
				return full, true
			}
		}
	}
	if parent != nil {
		if id, ok := d.statID(path.Dir(full), true); ok && id == parent.id {
			return full, true
		}
	}
	return "", false
}

// dirfdArg returns the dirfd argument i, for resolve.
func (d *decoder) dirfdArg(i int) (int64, bool) {
	if i < 0 {
		return linuxabi.AtFDCWD, true
	}
	return d.argInt(i)
}

// pathOf returns a path argument: as passed, and absolute (or as passed
// when the directory it is relative to is unknown: abs reports which).
func (d *decoder) pathOf(p *pathItem, dirfdIdx int) (raw, full string, abs bool) {
	raw = p.name
	fd, has := d.dirfdArg(dirfdIdx)
	if full, ok := d.resolve(p, fd, has); ok {
		return raw, full, true
	}
	return raw, raw, false
}

// cred fills the identity a credential call left (the ids of its SYSCALL
// record, logged when it returned; all eight or none) and its arguments.
// Audit logs no capability sets: capset events have neither.
func (d *decoder) cred(r *collectors.Record) {
	s := &d.sys
	if s.hasIDs == 0xff {
		r.Cred = collectors.Cred{UIDsKnown: true, GIDsKnown: true,
			UID: s.ids[0], EUID: s.ids[1], SUID: s.ids[2], FSUID: s.ids[3],
			GID: s.ids[4], EGID: s.ids[5], SGID: s.ids[6], FSGID: s.ids[7]}
	}
	n := 1
	switch r.Event.Type {
	case event.TypeSetreuid, event.TypeSetregid:
		n = 2
	case event.TypeSetresuid, event.TypeSetresgid:
		n = 3
	}
	for i := range n {
		if !s.hasA[i] {
			return
		}
	}
	collectors.CredArgs(&r.Event.Args, r.Event.Type, [3]uint32{uint32(s.a[0]), uint32(s.a[1]), uint32(s.a[2])}, &r.Cred)
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
		// struct open_how is in user memory: the OPENAT2 record (Linux
		// 5.16 and later) gives its flags and mode.
		flags, mode, known = d.how.flags, d.how.mode, d.how.ok
		dfd = 0
	case event.TypeCreat:
		flags, mode = linuxabi.CreatFlags, uint32(s.a[1])
		known = s.hasA[1]
	}
	if dfd == 0 {
		d.setDirFD(a)
	}
	created := d.pick(ntCreate)
	if known {
		if flags&(linuxabi.OpenCreate|linuxabi.OpenTmpfile) == 0 {
			mode = 0
		}
		flags &^= event.OpenCreated
		if flags&linuxabi.OpenCreate != 0 && created != nil && ev.Res >= 0 {
			flags |= event.OpenCreated
		}
		a.Flags, a.Mode = flags, mode&0o7777
		a.Set |= event.ArgFlags | event.ArgMode
	}
	p := d.openItem()
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
		if p.hasID {
			ev.FD.Dev, ev.FD.Ino = statDev(p.id), p.id.ino
		}
	}
}

// openItem returns the path item of the file an open call opened: the
// created one, else the one looked up.
func (d *decoder) openItem() *pathItem {
	if p := d.pick(ntCreate); p != nil {
		return p
	}
	return d.pick(ntNormal, ntUnknown, ntDelete, ntOther)
}

// fileKind classifies a file by its inode mode.
func fileKind(mode uint32) event.FDKind {
	switch mode & linuxabi.ModeTypeMask {
	case linuxabi.ModeDir:
		return event.FDDirectory
	case linuxabi.ModeFIFO:
		return event.FDPipe
	case linuxabi.ModeSocket:
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

// remember keeps in the fd table what ev says of the descriptor it
// returned: a directory opened (with its absolute path and identity), a
// socket created or accepted (its kind and protocol); any other new
// descriptor replaces what was known of its number.
func (d *decoder) remember(ev *event.Event) {
	t := d.fds
	if t == nil || ev.Res < 0 {
		return
	}
	pid, fd := d.sys.pid, ev.Res
	switch ev.Type {
	case event.TypeOpen, event.TypeOpenat, event.TypeOpenat2:
		p := d.openItem()
		if ev.FD.Kind != event.FDDirectory || p == nil || !p.hasID || ev.FD.Name == "" || ev.FD.Name[0] != '/' {
			t.drop(pid, fd)
			return
		}
		e := t.put(pid, fd)
		e.dir, e.id = true, p.id
		e.path = append(e.path, ev.FD.Name...)
		// Unknown flags (an openat2 without its record): as if the
		// descriptor survived an exec, which the check on use covers.
		e.cloexec = ev.Args.Has(event.ArgFlags) && ev.Args.Flags&linuxabi.OpenCloexec != 0
	case event.TypeCreat:
		t.drop(pid, fd)
	case event.TypeSocket:
		if ev.FD.Kind != event.FDIPv4 && ev.FD.Kind != event.FDIPv6 {
			t.drop(pid, fd)
			return
		}
		e := t.put(pid, fd)
		e.kind, e.l4 = ev.FD.Kind, ev.FD.L4Proto
		e.cloexec = ev.Args.SockType&linuxabi.SockCloexec != 0
	case event.TypeDup, event.TypeDup2, event.TypeDup3:
		// When audited: the new number names what the old one does.
		old, ok := d.argInt(0)
		var src *fdEntry
		if ok {
			src = t.get(pid, old)
		}
		if src == nil || old == fd {
			if old != fd {
				t.drop(pid, fd)
			}
			return
		}
		e := t.put(pid, fd)
		if e == src {
			return // the table is full of this process's: keep it
		}
		path := e.path
		*e = *src
		e.key, e.path = fdKey{pid, fd}, append(path, src.path...)
		e.cloexec = ev.Type == event.TypeDup3 && ev.Args.Has(event.ArgFlags) && ev.Args.Flags&linuxabi.OpenCloexec != 0
	case event.TypeAccept, event.TypeAccept4:
		var kind event.FDKind
		var l4 event.L4Proto
		if lfd, ok := d.argInt(0); ok {
			if e := t.get(pid, lfd); e != nil && !e.dir {
				kind, l4 = e.kind, e.l4
			}
		}
		if kind == 0 {
			t.drop(pid, fd)
			return
		}
		e := t.put(pid, fd)
		e.kind, e.l4 = kind, l4
		e.cloexec = ev.Type == event.TypeAccept4 && ev.Args.Has(event.ArgFlags) && ev.Args.Flags&linuxabi.SockCloexec != 0
	}
}

// sockProto returns the transport protocol of socket fd num of kind
// kind: the socket's own while the process still has it, else what the
// fd table knows. The table's entry may be stale (the descriptor closed,
// or replaced by dup2, fcntl or a descriptor received, which audit does
// not report): asking the socket itself corrects it, and the entry with
// it.
func (d *decoder) sockProto(num int64, kind event.FDKind) event.L4Proto {
	var e *fdEntry
	if d.fds != nil {
		if e = d.fds.get(d.sys.pid, num); e != nil && (e.dir || e.kind != kind) {
			e = nil
		}
	}
	if d.hooks.sockProto != nil {
		if l4, known := d.hooks.sockProto(d.sys.pid, num); known {
			if e != nil && e.l4 != l4 {
				d.staleSockets++
				e.l4 = l4
			}
			return l4
		}
	}
	if e != nil {
		return e.l4
	}
	return event.L4Unknown
}
