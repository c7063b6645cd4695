package state

import (
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Defaults and policy constants.
const (
	DefaultMaxProcesses  = 32768
	DefaultMaxContainers = 4096

	// KeepExited is how many more processes may exit before an exited
	// process's entry is dropped.
	KeepExited = 256
	// StartSlack is how far apart two start times of a pid may be and
	// still name the same process (/proc start times are only precise to
	// the boot time's whole second).
	StartSlack = 2 * time.Second
	// NegativeTTL is how long a pid that could not be read from /proc is
	// not read again.
	NegativeTTL = time.Second
	// UserDBRecheck is how often a cached passwd/group pair may be checked
	// for changes.
	UserDBRecheck = 2 * time.Second
)

const (
	// unsetLoginUID is the audit loginuid of a process no login set.
	unsetLoginUID = 0xffffffff
	// maxNegative bounds the negative cache.
	maxNegative = 4096
	// maxLinkReads is how many ancestors a miss may read from /proc to
	// link a process to its parent.
	maxLinkReads = 4
	// maxAncestors bounds every walk up the parent chain.
	maxAncestors = 64
)

// Options configure Tables. Zero values select the defaults.
type Options struct {
	MaxProcesses  int    // process table bound, default DefaultMaxProcesses
	MaxContainers int    // container table bound, default DefaultMaxContainers
	ProcRoot      string // where procfs is mounted, default "/proc"
	HostRoot      string // root of the host filesystem (etc/passwd, etc/group), default "/"
}

// Stats are the tables' counters. Processes and Containers are current
// sizes; the others count since New.
type Stats struct {
	Processes  int
	Containers int
	// Hits and Misses count Process calls that found, or did not find, a
	// process in the table.
	Hits   uint64
	Misses uint64
	// ProcessEvictions and ContainerEvictions count entries the LRU bound
	// pushed out (not exited processes dropped by policy or replaced).
	ProcessEvictions   uint64
	ContainerEvictions uint64
	// ProcReads counts processes read from ProcRoot, by Seed or on a miss.
	ProcReads uint64
}

// procKey identifies a process across pid reuse.
type procKey struct {
	pid   int64
	start int64 // ns since the epoch, as first known
}

// vpidKey names a process by its pid inside a container.
type vpidKey struct {
	ctr  *event.Container
	vpid int64
}

type entry struct {
	proc   event.Process
	key    procKey
	exited bool
	// fromProc says the entry was read from /proc, so its start time is
	// only precise to StartSlack.
	fromProc bool
	// hostSID and hostPGID are the session and process group ids in the
	// host PID namespace when /proc gave them (0 otherwise).
	hostSID, hostPGID int64
	// vkey is the key the entry is indexed under in byVPID, if any.
	vkey vpidKey
	// execTime is when the entry last took an exec record (0 if never).
	execTime int64
}

// Tables are the process and container tables.
type Tables struct {
	opts  Options
	procs *lru.Cache[procKey, *entry]
	ctrs  *lru.Cache[string, *event.Container]

	// byPID maps a pid to its current entry.
	byPID map[int64]*entry
	// byVPID maps a process in a container to its current entry.
	byVPID map[vpidKey]*entry

	// exited is a ring of the keys of the last keepExited exits.
	exited     []procKey
	exitedNext int
	keepExited int

	// negative maps pids that could not be read to when they may be
	// read again.
	negative map[int64]int64

	userDBs map[string]*userDB

	bootTime int64 // ns since the epoch; 0 until read
	removing bool  // a Remove, not an eviction, is in progress
	now      func() int64

	hits, misses, procEvictions, ctrEvictions, procReads atomic.Uint64
}

// New returns empty tables.
func New(opts Options) *Tables {
	if opts.MaxProcesses <= 0 {
		opts.MaxProcesses = DefaultMaxProcesses
	}
	if opts.MaxContainers <= 0 {
		opts.MaxContainers = DefaultMaxContainers
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	if opts.HostRoot == "" {
		opts.HostRoot = "/"
	}
	t := &Tables{
		opts:       opts,
		byPID:      make(map[int64]*entry),
		byVPID:     make(map[vpidKey]*entry),
		keepExited: KeepExited,
		negative:   make(map[int64]int64),
		userDBs:    make(map[string]*userDB),
		now:        func() int64 { return time.Now().UnixNano() },
	}
	// Sizes are positive, so NewWithEvict cannot fail.
	t.procs, _ = lru.NewWithEvict(opts.MaxProcesses, t.onProcessEvict)
	t.ctrs, _ = lru.NewWithEvict(opts.MaxContainers, t.onContainerEvict)
	return t
}

// Stats returns the counters. It is safe to call from any goroutine.
func (t *Tables) Stats() Stats {
	return Stats{
		Processes:          t.procs.Len(),
		Containers:         t.ctrs.Len(),
		Hits:               t.hits.Load(),
		Misses:             t.misses.Load(),
		ProcessEvictions:   t.procEvictions.Load(),
		ContainerEvictions: t.ctrEvictions.Load(),
		ProcReads:          t.procReads.Load(),
	}
}

// Process returns the current process with thread group id pid (an
// exited one while it is kept). On a miss it reads ProcRoot/pid once, and
// the few ancestors the table lacks to link it; a pid that cannot be read
// is not tried again for NegativeTTL. It returns nil when the process is
// unknown. A hit does not allocate.
func (t *Tables) Process(pid int64) *event.Process {
	if e, ok := t.byPID[pid]; ok {
		t.procs.Get(e.key)
		t.hits.Add(1)
		return &e.proc
	}
	t.misses.Add(1)
	if e := t.miss(pid, maxLinkReads); e != nil {
		return &e.proc
	}
	return nil
}

// Apply updates the tables from a fork, exec, exit or identity
// (KindCred) record; other records are ignored. Apply copies whatever it keeps from r.
func (t *Tables) Apply(r *collectors.Record) {
	switch r.Kind {
	case collectors.KindFork:
		t.fork(r)
	case collectors.KindExec:
		t.exec(r)
	case collectors.KindExit:
		if !r.Exit.Thread {
			t.exit(r.PID)
		}
	case collectors.KindCred:
		t.SetCred(r.PID, &r.Cred)
	}
}

// lookup returns the current entry of pid, reading it from /proc on a
// miss (and up to depth of its ancestors).
func (t *Tables) lookup(pid int64, depth int) *entry {
	if e, ok := t.byPID[pid]; ok {
		t.procs.Get(e.key)
		return e
	}
	return t.miss(pid, depth)
}

func (t *Tables) miss(pid int64, depth int) *entry {
	if pid <= 0 {
		return nil
	}
	now := t.now()
	if until, ok := t.negative[pid]; ok {
		if now < until {
			return nil
		}
		delete(t.negative, pid)
	}
	e := t.read(pid)
	if e == nil {
		t.addNegative(pid, now)
		return nil
	}
	t.insert(e)
	t.link(e, depth)
	return e
}

func (t *Tables) addNegative(pid, now int64) {
	if len(t.negative) >= maxNegative {
		for p, until := range t.negative {
			if until <= now {
				delete(t.negative, p)
			}
		}
		if len(t.negative) >= maxNegative {
			clear(t.negative)
		}
	}
	t.negative[pid] = now + int64(NegativeTTL)
}

// link sets the Parent, SessionLeader and GroupLeader of an entry read
// from /proc, reading missing parents up to depth.
func (t *Tables) link(e *entry, depth int) {
	p := &e.proc
	if p.PPID > 0 && p.PPID != p.PID {
		var par *entry
		if depth > 0 {
			par = t.lookup(p.PPID, depth-1)
		} else {
			par = t.byPID[p.PPID]
		}
		if par != nil && par != e {
			p.Parent = &par.proc
		}
	}
	p.SessionLeader = t.hostLeader(e, e.hostSID)
	p.GroupLeader = t.hostLeader(e, e.hostPGID)
}

// hostLeader returns the entry of a host pid, for session and group
// leaders.
func (t *Tables) hostLeader(e *entry, hostPID int64) *event.Process {
	switch {
	case hostPID <= 0:
		return nil
	case hostPID == e.proc.PID:
		return &e.proc
	}
	if l := t.byPID[hostPID]; l != nil {
		return &l.proc
	}
	return nil
}

// insert makes e the current entry of its pid, dropping the previous one.
func (t *Tables) insert(e *entry) {
	pid := e.proc.PID
	if old := t.byPID[pid]; old != nil {
		t.drop(old)
	}
	delete(t.negative, pid)
	e.key = procKey{pid: pid, start: e.proc.StartTime}
	t.byPID[pid] = e
	t.index(e)
	t.procs.Add(e.key, e)
}

// drop removes e from the table; this is not counted as an eviction.
func (t *Tables) drop(e *entry) {
	t.removing = true
	t.procs.Remove(e.key)
	t.removing = false
	t.unlink(e)
}

func (t *Tables) onProcessEvict(_ procKey, e *entry) {
	t.unlink(e)
	if !t.removing {
		t.procEvictions.Add(1)
	}
}

// unlink removes e, which left the LRU, from the indexes. An exited
// process also lets go of the links to processes that left the table
// before it: live children keep their exited parent, but not a chain of
// exited ancestors behind it, which processes that fork and exit in turn
// would otherwise grow without bound.
func (t *Tables) unlink(e *entry) {
	if t.byPID[e.proc.PID] == e {
		delete(t.byPID, e.proc.PID)
	}
	t.unindex(e)
	if e.exited {
		p := &e.proc
		if !t.inTable(p.Parent) {
			p.Parent = nil
		}
		if p.SessionLeader != p && !t.inTable(p.SessionLeader) {
			p.SessionLeader = nil
		}
		if p.GroupLeader != p && !t.inTable(p.GroupLeader) {
			p.GroupLeader = nil
		}
	}
}

// inTable reports whether p is the current entry of its pid.
func (t *Tables) inTable(p *event.Process) bool {
	if p == nil {
		return false
	}
	e := t.byPID[p.PID]
	return e != nil && &e.proc == p
}

// hostNS reports whether p runs in the host PID namespace.
func hostNS(p *event.Process) bool {
	return p.VPID == p.PID || p.VPID == 0 && p.Container == nil
}

func (t *Tables) index(e *entry) {
	p := &e.proc
	if p.Container == nil || p.VPID <= 0 || hostNS(p) {
		return
	}
	e.vkey = vpidKey{ctr: p.Container, vpid: p.VPID}
	t.byVPID[e.vkey] = e
}

func (t *Tables) unindex(e *entry) {
	if e.vkey.ctr == nil {
		return
	}
	if t.byVPID[e.vkey] == e {
		delete(t.byVPID, e.vkey)
	}
	e.vkey = vpidKey{}
}

// sameStart reports whether two start times can be the same process's;
// 0 is unknown and matches anything.
func sameStart(a, b int64) bool {
	if a == 0 || b == 0 {
		return true
	}
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= int64(StartSlack)
}

func (t *Tables) fork(r *collectors.Record) {
	f := &r.Fork
	pid := f.ChildPID
	if f.Thread || pid <= 0 {
		return
	}
	par := t.lookup(f.ParentPID, maxLinkReads)
	if old := t.byPID[pid]; old != nil && !old.exited && old.execTime != 0 && r.Time-old.execTime < int64(StartSlack) {
		// The child's exec arrived before its fork: a collector that
		// reports syscalls at their exit (audit) sees a vfork'd child's
		// execve finish before the parent's clone returns. The exec is
		// the newer description, but a child starts in its parent's
		// cgroup: the container the exec could not read (the child had
		// already exited) is the parent's.
		if old.proc.Parent == nil && par != nil && par != old {
			old.proc.Parent = &par.proc
			old.proc.PPID = par.proc.PID
		}
		if old.proc.Container == nil && par != nil && par != old && par.proc.Container != nil {
			old.proc.Container = par.proc.Container
		}
		return
	}
	if old := t.byPID[pid]; old != nil && old.fromProc && !old.exited && sameStart(old.proc.StartTime, r.Time) {
		// Already read from /proc after an early event of the child: that
		// description is at least as recent as the parent's.
		if old.proc.Parent == nil && par != nil && par != old {
			old.proc.Parent = &par.proc
			old.proc.PPID = par.proc.PID
		}
		return
	}
	if par == nil || par.proc.PID == pid {
		if e := t.read(pid); e != nil {
			t.insert(e)
			t.link(e, maxLinkReads)
			return
		}
		e := &entry{}
		e.proc = event.Process{PID: pid, PPID: f.ParentPID, StartTime: r.Time, LoginUID: unsetLoginUID}
		e.proc.SetArgs(nil)
		t.insert(e)
		return
	}
	e := &entry{proc: par.proc, hostSID: par.hostSID, hostPGID: par.hostPGID}
	p := &e.proc
	p.PID = pid
	p.PPID = par.proc.PID
	p.Parent = &par.proc
	p.StartTime = r.Time
	switch {
	case hostNS(&par.proc):
		p.VPID = pid
	default:
		p.VPID = t.readVPID(pid)
	}
	t.insert(e)
}

func (t *Tables) exit(pid int64) {
	e := t.byPID[pid]
	if e == nil || e.exited {
		return
	}
	e.exited = true
	if t.keepExited <= 0 {
		t.drop(e)
		return
	}
	if len(t.exited) < t.keepExited {
		t.exited = append(t.exited, e.key)
		return
	}
	old := t.exited[t.exitedNext]
	t.exited[t.exitedNext] = e.key
	t.exitedNext = (t.exitedNext + 1) % t.keepExited
	if o := t.byPID[old.pid]; o != nil && o.key == old && o.exited {
		t.drop(o)
	}
}

func (t *Tables) exec(r *collectors.Record) {
	x := &r.Exec
	pid := r.PID
	if pid <= 0 {
		return
	}
	e := t.byPID[pid]
	if e != nil && (e.exited || !sameStart(e.proc.StartTime, x.StartTime)) {
		e = nil
	}
	fresh := e == nil
	if fresh {
		e = &entry{}
		e.proc.PID = pid
		e.proc.LoginUID = unsetLoginUID
		e.proc.StartTime = r.Time
	} else {
		t.unindex(e)
	}
	p := &e.proc
	if x.StartTime != 0 {
		p.StartTime = x.StartTime
		e.fromProc = false
	}
	e.execTime = r.Time

	p.Name = strings.Clone(x.Comm)
	if p.Name == "" {
		p.Name = commOf(x.ExePath, x.Filename)
	}
	var args []string
	if len(x.Args) > 0 {
		args = cloneStrings(x.Args)
		p.Exe = args[0]
		args = args[1:]
	} else {
		p.Exe = strings.Clone(x.Filename)
	}
	p.ExePath = strings.Clone(x.ExePath)
	p.SetArgs(args)
	if x.Env != nil {
		p.SetEnv(cloneStrings(x.Env))
	}
	if x.Cwd != "" {
		p.Cwd = strings.Clone(event.DirPath(x.Cwd))
	}
	p.TTY = x.TTY
	p.UID, p.GID = x.UID, x.GID
	p.LoginUID = x.LoginUID
	p.CapPermitted, p.CapEffective, p.CapInheritable = x.CapPermitted, x.CapEffective, x.CapInheritable
	p.ExeUpperLayer, p.ExeFromMemfd, p.ExeWritable = x.ExeUpperLayer, x.ExeFromMemfd, x.ExeWritable
	p.ExeFlagsUnknown = x.ExeFlagsUnknown
	p.ExeInoCtime, p.ExeInoMtime = x.ExeInoCtime, x.ExeInoMtime

	if x.CgroupPath != "" {
		p.Container = t.containerFromCgroup(x.CgroupPath)
	}
	if x.PPID > 0 && x.PPID != pid {
		p.PPID = x.PPID
		if p.Parent == nil || p.Parent.PID != x.PPID {
			p.Parent = nil
			if par := t.lookup(x.PPID, maxLinkReads); par != nil && par != e {
				p.Parent = &par.proc
			}
		}
	}
	if fresh && x.CgroupPath == "" && p.Container == nil && p.Parent != nil && p.Parent.Container != nil {
		// The cgroup could not be read (the process had already exited):
		// a child starts in its parent's cgroup.
		p.Container = p.Parent.Container
	}
	if x.VPID != 0 {
		p.VPID = x.VPID
	} else if fresh && p.Container == nil {
		p.VPID = pid
	}
	if x.SID != 0 {
		p.SID = x.SID
	}
	if x.VPGID != 0 {
		p.VPGID = x.VPGID
	}
	if hostNS(p) {
		e.hostSID, e.hostPGID = p.SID, p.VPGID
	} else {
		e.hostSID, e.hostPGID = 0, 0
	}

	t.setNames(p, pid)

	if t.byPID[pid] == e {
		t.index(e)
		t.procs.Get(e.key)
	} else {
		// New, or pushed out while its parent was read.
		t.insert(e)
	}
	p.SessionLeader = t.leader(e, p.SessionLeader, p.SID)
	p.GroupLeader = t.leader(e, p.GroupLeader, p.VPGID)
}

// leader finds the process whose pid, in p's namespace, is vid: the
// session or process group leader of e. prev is the leader e had so far.
func (t *Tables) leader(e *entry, prev *event.Process, vid int64) *event.Process {
	p := &e.proc
	if vid <= 0 {
		return nil
	}
	if hostNS(p) {
		if vid == p.PID {
			return p
		}
		if prev != nil && prev.PID == vid {
			return prev
		}
		if l := t.byPID[vid]; l != nil {
			return &l.proc
		}
		return nil
	}
	if vid == p.VPID {
		return p
	}
	if prev != nil && prev.VPID == vid && prev.Container == p.Container {
		return prev
	}
	a := p.Parent
	for i := 0; a != nil && i < maxAncestors && a.Container == p.Container; i++ {
		if a.VPID == vid {
			return a
		}
		a = a.Parent
	}
	if p.Container != nil {
		if l := t.byVPID[vpidKey{ctr: p.Container, vpid: vid}]; l != nil {
			return &l.proc
		}
	}
	return nil
}

// setNames resolves the user, group and login names of p, which runs as
// host pid pid.
func (t *Tables) setNames(p *event.Process, pid int64) {
	db := t.userDB(p.Container, pid)
	p.UserName = db.users[p.UID]
	p.GroupName = db.groups[p.GID]
	if p.LoginUID == unsetLoginUID {
		p.LoginName = ""
	} else {
		p.LoginName = db.users[p.LoginUID]
	}
}

// cloneStrings copies ss into one new backing string.
func cloneStrings(ss []string) []string {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range ss {
		b.WriteString(s)
	}
	all := b.String()
	out := make([]string, len(ss))
	off := 0
	for i, s := range ss {
		out[i] = all[off : off+len(s)]
		off += len(s)
	}
	return out
}

// commOf makes a comm from an executable path when none was given.
func commOf(paths ...string) string {
	for _, s := range paths {
		if s == "" {
			continue
		}
		s = s[strings.LastIndexByte(s, '/')+1:]
		if len(s) > 15 {
			s = s[:15]
		}
		return strings.Clone(s)
	}
	return ""
}
