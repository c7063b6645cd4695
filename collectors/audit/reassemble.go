package audit

import (
	"strings"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Bounds of the reassembler.
const (
	// DefaultMaxPending is how many events may wait for their end
	// (EOE) record at once; beyond it the oldest is flushed.
	DefaultMaxPending = 4096
	// DefaultEventTimeout is how long an event waits for its EOE record
	// once nothing more is pending on the socket.
	DefaultEventTimeout = 500 * time.Millisecond
	// maxPendingBytes bounds the record text buffered for all pending
	// events together; beyond it the oldest are flushed.
	maxPendingBytes = 32 << 20
	// maxExecveBytes bounds the EXECVE record text kept for one event:
	// past it only the last execveTailRecs EXECVE records are kept, for
	// the end of the argument list (see event.CutArgv).
	maxExecveBytes = 256 << 10
	// execveTailRecs EXECVE records (the kernel writes at most 7500
	// bytes of arguments in one, hex-encoded when they have spaces) hold
	// more than event.ArgvTail bytes of arguments.
	execveTailRecs = 3
	// maxRecords bounds the other records kept for one event.
	maxRecords = 256
)

type recRef struct {
	typ        uint16
	start, end int32 // the record's fields in group.buf
}

type groupState uint8

const (
	statePending groupState = iota + 1
	stateReady
	stateFree
)

// group collects the records of one event (one serial number).
type group struct {
	serial  uint64
	time    int64 // from the record header, ns since the epoch
	arrived int64 // when the first record arrived (reassembler clock)
	gen     uint64
	state   groupState
	buf     []byte
	recs    []recRef

	eoe       bool // the end-of-event record arrived
	whole     bool // complete by its shape (see reassembler.shape)
	await     awaiting
	items     int  // the PATH records the SYSCALL record announces
	ignore    bool // not an event the collector reports: records are dropped
	truncated bool // EXECVE records were dropped (argument bound)
	overflow  bool // other records were dropped (record bound)
	execBytes int
	// execTail holds the last EXECVE records past the bound, oldest
	// first (the slices are reused).
	execTail [][]byte
}

// awaiting is the record that completes a group by its shape.
type awaiting uint8

const (
	awaitNothing  awaiting = iota
	awaitPath              // the PATH record of the last item
	awaitSockaddr          // a SOCKADDR record, which may never come
)

// shapeSerialSpan is how many events may start after one that may still
// get a record (awaitSockaddr) before it is taken as complete: the kernel
// writes the records of one event one after the other, in microseconds.
const shapeSerialSpan = 1024

type queued struct {
	g   *group
	gen uint64
}

// reassembler turns the records of the audit socket into
// collectors.Records: it groups them by serial number, and decodes a group
// once its EOE record is there (or once it has waited long enough).
//
// It is not safe for concurrent use.
type reassembler struct {
	types      event.TypeSet
	excludePID int64
	timeout    int64 // ns
	maxPending int
	maxBytes   int

	pending map[uint64]*group
	fifo    []queued // pending groups in arrival order, with stale entries
	head    int
	ready   []*group
	rhead   int
	free    []*group
	cur     *group // decoded by the last next, released by the next one
	bytes   int
	gen     uint64

	malformed uint64
	flushed   uint64 // groups flushed without their EOE record
	newest    int64  // the latest record time pushed, ns since the epoch

	dec decoder

	// shape, when set, completes a group as soon as the records its
	// SYSCALL record implies are there, without waiting for EOE: the
	// kernel writes the records of an event in a fixed order (SYSCALL,
	// auxiliary records such as EXECVE and SOCKADDR, CWD, the PATH items
	// numbered 0 to items-1, PROCTITLE, EOE). A group is complete at its
	// last PATH item; with no items, at its SYSCALL record, unless the
	// syscall may have a SOCKADDR record: then at that record, or once
	// shapeSerialSpan later events have begun, or at the timeout.
	shape bool
	// early, when set, reports the fork of a child whose own events come
	// before its parent's clone record (see lineage).
	early   bool
	lineage map[int64]image
	again   *group // decoded again by the next call, after a fork record
}

// image is the program a process is known to run: what its exec record
// said, inherited by the children the collector saw forked.
type image struct {
	comm, exe string
}

// maxLineage bounds the processes whose image the reassembler remembers.
const maxLineage = 1 << 16

func newReassembler(types event.TypeSet, excludePID int64) *reassembler {
	a := &reassembler{
		types:      types,
		excludePID: excludePID,
		timeout:    int64(DefaultEventTimeout),
		maxPending: DefaultMaxPending,
		maxBytes:   maxPendingBytes,
		pending:    make(map[uint64]*group),
	}
	a.dec.fds = newFDTable()
	return a
}

// wanted reports whether a syscall event for x86_64 syscall nr is
// reported.
func (a *reassembler) wanted(nr uint64) bool {
	if procTable(nr) {
		return true
	}
	if nr >= maxNr {
		return false
	}
	t := typeByNr[nr]
	return t != event.TypeUnknown && (a.types.Has(t) || t.IsCred())
}

// push adds one record, of audit type typ with text data ("audit(...):
// fields"), received at now (ns, any monotonic clock). It keeps no
// reference to data.
func (a *reassembler) push(typ uint16, data []byte, now int64) {
	switch typ {
	case typeSyscall, typePath, typeSockaddr, typeCwd, typeExecve, typeEOE, typeBprmFcaps, typeOpenat2:
	case typeProctitle:
		return // argv comes from EXECVE
	default:
		return
	}
	h, body, err := parseHeader(data)
	if err != nil {
		a.malformed++
		return
	}
	a.newest = max(a.newest, h.time)
	g := a.pending[h.serial]
	if g == nil {
		if typ == typeEOE {
			// Nothing of this event was kept: it was not one of ours,
			// or its records were lost (counted by the kernel).
			return
		}
		g = a.alloc()
		g.serial, g.time, g.arrived = h.serial, h.time, now
		g.state = statePending
		a.pending[h.serial] = g
		a.fifo = append(a.fifo, queued{g, g.gen})
		a.enforceBounds()
		if a.shape {
			a.completeSpanned(h.serial)
		}
	}
	if typ == typeEOE {
		g.eoe = true
		a.complete(g)
		return
	}
	if g.ignore {
		if a.shape {
			a.shapeDone(g, typ, 0, body)
		}
		return
	}
	var nr uint64
	switch typ {
	case typeSyscall:
		var ok bool
		if nr, g.items, ok = a.interesting(body); !ok {
			a.bytes -= len(g.buf)
			g.ignore = true
			g.buf, g.recs = g.buf[:0], g.recs[:0]
			if a.shape {
				// Its other records are swallowed until it is complete.
				a.shapeDone(g, typ, nr, body)
			}
			return
		}
	case typeExecve:
		if g.truncated || g.execBytes+len(body) > maxExecveBytes {
			// Past the bound, even a short record: the arguments it
			// holds come after the gap.
			g.truncated = true
			g.keepTail(body)
			return
		}
		g.execBytes += len(body)
	default:
		if len(g.recs) >= maxRecords {
			g.overflow = true
			return
		}
	}
	start := len(g.buf)
	if start+len(body) > 1<<31-1 {
		g.overflow = true
		return
	}
	g.buf = append(g.buf, body...)
	g.recs = append(g.recs, recRef{typ: typ, start: int32(start), end: int32(len(g.buf))})
	a.bytes += len(body)
	if a.shape {
		a.shapeDone(g, typ, nr, body)
	}
	if a.bytes > a.maxBytes {
		a.enforceBounds()
	}
}

// shapeDone completes g when record typ (body) is the last its shape
// implies (see reassembler.shape); nr is the syscall of a SYSCALL record.
func (a *reassembler) shapeDone(g *group, typ uint16, nr uint64, body []byte) {
	switch typ {
	case typeSyscall:
		switch {
		case g.items > 0:
			g.await = awaitPath
			return
		case g.items < 0:
			return // not announced: wait for EOE or the timeout
		case mayHaveSockaddr(nr):
			g.await = awaitSockaddr
			return
		}
	case typePath:
		if g.await != awaitPath {
			return
		}
		it := fields{body}
		k, v, _, ok := it.next()
		if !ok || string(k) != "item" {
			return
		}
		if n, ok := parseDec(v); !ok || n != uint64(g.items-1) {
			return
		}
	case typeSockaddr:
		if g.await != awaitSockaddr {
			return
		}
	default:
		return
	}
	g.whole = true
	a.complete(g)
}

// mayHaveSockaddr reports whether a call of syscall nr that announces no
// PATH item may still have a SOCKADDR record: the calls that take or
// return an address the kernel copies (it writes none when the address
// is NULL or empty).
func mayHaveSockaddr(nr uint64) bool {
	if nr >= maxNr {
		return false
	}
	switch typeByNr[nr] {
	case event.TypeConnect, event.TypeBind, event.TypeSendto, event.TypeSendmsg,
		event.TypeAccept, event.TypeAccept4, event.TypeRecvfrom, event.TypeRecvmsg:
		return true
	}
	return false
}

// completeSpanned completes the oldest groups still waiting for a SOCKADDR
// record once shapeSerialSpan events have begun since theirs.
func (a *reassembler) completeSpanned(serial uint64) {
	for {
		g := a.oldest()
		if g == nil || g.await == awaitNothing || serial < g.serial+shapeSerialSpan {
			return
		}
		a.popOldest()
		g.whole = g.await == awaitSockaddr
		a.complete(g)
	}
}

// interesting looks at a SYSCALL record's arch, syscall, items and pid to
// tell whether the event is one to report (ok), and returns the syscall
// and the items (-1 when not read). A record it cannot read is kept, so
// that the decoder counts it.
func (a *reassembler) interesting(body []byte) (nr uint64, items int, ok bool) {
	var arch uint64
	var pid int64
	var haveArch, haveNr, haveItems, havePid bool
	items = -1
	it := fields{body}
	for !(haveArch && haveNr && haveItems && havePid) {
		k, v, _, more := it.next()
		if !more {
			return nr, -1, true
		}
		switch string(k) {
		case "arch":
			arch, haveArch = parseHex(v)
			if !haveArch {
				return nr, -1, true
			}
		case "syscall":
			nr, haveNr = parseDec(v)
			if !haveNr {
				return nr, -1, true
			}
		case "items":
			var n uint64
			if n, haveItems = parseDec(v); !haveItems || n > maxRecords {
				return nr, -1, true
			}
			items = int(n)
		case "pid":
			pid, havePid = parseInt(v)
			if !havePid {
				return nr, -1, true
			}
		}
	}
	if arch != archX8664 || !a.wanted(nr) {
		return nr, items, false
	}
	return nr, items, a.excludePID <= 0 || pid != a.excludePID
}

func (a *reassembler) alloc() *group {
	var g *group
	if n := len(a.free); n > 0 {
		g = a.free[n-1]
		a.free = a.free[:n-1]
	} else {
		g = &group{}
	}
	a.gen++
	buf, recs, tail := g.buf[:0], g.recs[:0], g.execTail[:0]
	*g = group{buf: buf, recs: recs, gen: a.gen, execTail: tail}
	return g
}

// keepTail keeps body as the newest of the last execveTailRecs EXECVE
// records past the bound.
func (g *group) keepTail(body []byte) {
	switch n := len(g.execTail); {
	case n == execveTailRecs:
		oldest := g.execTail[0]
		copy(g.execTail, g.execTail[1:])
		g.execTail[n-1] = oldest
	case n < cap(g.execTail):
		g.execTail = g.execTail[:n+1] // reuses the slice left there
	default:
		g.execTail = append(g.execTail, nil)
	}
	last := len(g.execTail) - 1
	g.execTail[last] = append(g.execTail[last][:0], body...)
}

// release returns g to the free list.
func (a *reassembler) release(g *group) {
	if g.state == statePending {
		delete(a.pending, g.serial)
	}
	a.bytes -= len(g.buf)
	g.state = stateFree
	g.gen = 0
	if cap(g.buf) > 64<<10 {
		g.buf = nil // do not keep a large argv buffer around
	}
	if len(a.free) < 256 {
		a.free = append(a.free, g)
	}
}

// complete moves a pending group to the ready queue.
func (a *reassembler) complete(g *group) {
	if g.state != statePending {
		return
	}
	delete(a.pending, g.serial)
	g.state = stateReady
	if !g.eoe && !g.whole {
		a.flushed++
	}
	a.ready = append(a.ready, g)
}

// oldest returns the oldest pending group, dropping stale queue entries.
func (a *reassembler) oldest() *group {
	for a.head < len(a.fifo) {
		q := a.fifo[a.head]
		if q.g.gen == q.gen && q.g.state == statePending {
			return q.g
		}
		a.fifo[a.head] = queued{}
		a.head++
	}
	a.fifo, a.head = a.fifo[:0], 0
	return nil
}

func (a *reassembler) popOldest() {
	a.fifo[a.head] = queued{}
	a.head++
	if a.head > 1024 && a.head > len(a.fifo)/2 {
		n := copy(a.fifo, a.fifo[a.head:])
		clear(a.fifo[n:])
		a.fifo, a.head = a.fifo[:n], 0
	}
}

// enforceBounds flushes the oldest pending groups while there are too
// many, or they hold too many bytes.
func (a *reassembler) enforceBounds() {
	for len(a.pending) > a.maxPending || a.bytes > a.maxBytes {
		g := a.oldest()
		if g == nil {
			return
		}
		a.popOldest()
		a.complete(g)
	}
}

// expire flushes the groups that have waited for their EOE record for
// the timeout or longer. Call it only when no record is waiting to be
// read, so that a slow reader does not flush events whose end is queued.
func (a *reassembler) expire(now int64) {
	for {
		g := a.oldest()
		if g == nil || now-g.arrived < a.timeout {
			return
		}
		a.popOldest()
		a.complete(g)
	}
}

// nextExpiry returns when the oldest pending group times out, and false
// when nothing is pending.
func (a *reassembler) nextExpiry() (int64, bool) {
	g := a.oldest()
	if g == nil {
		return 0, false
	}
	return g.arrived + a.timeout, true
}

// flushAll moves every pending group to the ready queue.
func (a *reassembler) flushAll() {
	for {
		g := a.oldest()
		if g == nil {
			return
		}
		a.popOldest()
		a.complete(g)
	}
}

// next decodes the next ready group into r. It reports false when no
// group is ready. Groups that are not reported are skipped; malformed or
// incomplete ones are counted. Strings in r stay valid until the next call.
func (a *reassembler) next(r *collectors.Record) bool {
	if a.cur != nil {
		a.release(a.cur)
		a.cur = nil
	}
	if g := a.again; g != nil {
		a.again = nil
		switch a.dec.decode(a, g, r) {
		case resOK:
			a.cur = g
			a.track(r)
			return true
		case resMalformed:
			a.malformed++
		}
		a.release(g)
	}
	for a.rhead < len(a.ready) {
		g := a.ready[a.rhead]
		a.ready[a.rhead] = nil
		a.rhead++
		if a.rhead == len(a.ready) {
			a.ready, a.rhead = a.ready[:0], 0
		}
		if g.ignore {
			a.release(g)
			continue
		}
		switch a.dec.decode(a, g, r) {
		case resOK:
			if a.early && a.forkFirst(g, r) {
				return true
			}
			a.cur = g
			a.track(r)
			return true
		case resMalformed:
			a.malformed++
		}
		a.release(g)
	}
	return false
}

// forkFirst handles the event of a process the collector has not seen
// start, whose parent it knows: the child of a vfork (or of a fork that
// ran first) makes syscalls before the parent's clone returns, and audit
// reports a syscall when it returns. When the event's program is still
// the parent's, r becomes that child's fork record, and g is decoded
// again by the next call.
func (a *reassembler) forkFirst(g *group, r *collectors.Record) bool {
	if r.Kind != collectors.KindSyscall {
		return false
	}
	s := &a.dec.sys
	if s.ppid <= 0 || s.ppid == s.pid {
		return false
	}
	if _, ok := a.lineage[s.pid]; ok {
		return false
	}
	par, ok := a.lineage[s.ppid]
	if !ok || par.comm != s.comm || par.exe != s.exe {
		return false
	}
	a.remember(s.pid, par)
	pid, ppid, t := s.pid, s.ppid, r.Time
	args, env := r.Exec.Args[:0], r.Exec.Env[:0]
	*r = collectors.Record{}
	r.Exec.Args, r.Exec.Env = args, env
	r.Kind, r.PID, r.TID, r.Time = collectors.KindFork, ppid, ppid, t
	r.Fork = collectors.Fork{ParentPID: ppid, ChildPID: pid, ChildTID: pid}
	a.again = g
	return true
}

// track keeps the image of the processes whose exec or fork it reports.
func (a *reassembler) track(r *collectors.Record) {
	if !a.early {
		return
	}
	switch r.Kind {
	case collectors.KindExec:
		im, ok := a.lineage[r.PID]
		if !ok || im.comm != r.Exec.Comm || im.exe != r.Exec.ExePath {
			a.remember(r.PID, image{comm: strings.Clone(r.Exec.Comm), exe: strings.Clone(r.Exec.ExePath)})
		}
	case collectors.KindFork:
		if r.Fork.Thread {
			return
		}
		if _, ok := a.lineage[r.Fork.ChildPID]; ok {
			return // reported early, and may have run a program since
		}
		if par, ok := a.lineage[r.Fork.ParentPID]; ok {
			a.remember(r.Fork.ChildPID, par)
		}
	case collectors.KindExit:
		if !r.Exit.Thread {
			delete(a.lineage, r.PID)
		}
	}
}

func (a *reassembler) remember(pid int64, im image) {
	if a.lineage == nil {
		a.lineage = make(map[int64]image)
	}
	if len(a.lineage) >= maxLineage {
		if _, ok := a.lineage[pid]; !ok {
			clear(a.lineage)
		}
	}
	a.lineage[pid] = im
}

// pendingCount returns how many groups wait for their end.
func (a *reassembler) pendingCount() int { return len(a.pending) }
