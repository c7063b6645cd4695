//go:build linux && (amd64 || arm64)

package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

const (
	// backlogLimit is the kernel queue length the collector asks for
	// when the current one is smaller (the kernel's default is 64): a
	// burst of 5,000 opens queues 15,000 records (SYSCALL, CWD, PATH).
	// Records wait there as sk_buffs of about 2 KiB, so a full queue
	// holds about 64 MiB of kernel memory.
	backlogLimit = 32768
	// backlogWaitTime is the backlog_wait_time the collector sets, in
	// jiffies (25 is 100 ms at HZ=250, 25 ms at HZ=1000): how long a
	// process whose record finds the queue full waits for room before the
	// record is dropped and counted lost. A burst then slows its source
	// down to the reader's pace instead of losing records; a reader that
	// stops reading costs each audited call at most this long. The
	// kernel's default, 60 s, would all but halt the machine then; 0
	// drops at once.
	backlogWaitTime = 25
	// rcvBuf is the receive buffer of the reading socket, which absorbs
	// bursts (and, in multicast mode, is all there is: a full buffer
	// drops records).
	rcvBuf = 8 << 20
	// idlePoll bounds a wait for records, so that Read notices timeouts.
	idlePoll = 250 * time.Millisecond
	// gatherDelay is how long Read lets records gather once the socket
	// has some, so that one recvmmsg reads many.
	gatherDelay = 30 * time.Millisecond
	// pidRetries bounds the attempts to register with the kernel while a
	// dead process is still registered (the kernel notices only when it
	// next fails to send it a record).
	pidRetries = 40
)

// Shrinking the receive buffer while Read waits (unicast mode, see Read).
const (
	// rcvBufLow is the receive buffer while Read waits and gathers: a
	// few records fill it, and kauditd then waits for Read.
	rcvBufLow = 4 << 10
	// minGather is the shortest gathering worth shrinking the buffer for.
	minGather = time.Millisecond
	// drainWindow bounds how long Read waits for kauditd to show that it
	// sent what had queued once the buffer is restored: a record of an
	// event that began at most caughtUpSlack before the gathering ended.
	// Without one, Read does not shrink the buffer before its next wait.
	drainWindow   = 5 * time.Millisecond
	caughtUpSlack = 5 * time.Millisecond
	// maxOvershoot is how much later than planned Read may restore the
	// buffer before it stops shrinking it for shrinkPause: kauditd
	// gives up a record it could not send for 100 ms, and every record
	// queued behind it then waits in a queue it may overflow.
	maxOvershoot = 20 * time.Millisecond
	shrinkPause  = 10 * time.Second
)

// Collector reads syscall events from the kernel's audit subsystem. Read
// must not be called concurrently with itself; Close, Stats and Mode may be
// called at any time.
type Collector struct {
	key      string
	mode     string
	types    event.TypeSet
	excluded []Exclusion

	ctlMu sync.Mutex // orders the requests on ctl
	ctl   *libaudit.AuditClient
	ctlS  *nlSock
	rd    *libaudit.AuditClient // unicast: registered with the kernel
	rdS   *nlSock
	wake  int // eventfd that unblocks Read

	readMu sync.Mutex // held by Read; Close takes it to tear down
	asm    *reassembler
	clock  time.Time

	// Unicast mode: the receive buffer is shrunk while Read waits (see
	// Read). Times are on the reassembler's clock.
	shrink     bool
	shrunk     bool          // the buffer is rcvBufLow now
	gatherFor  time.Duration // the gathering planned when it was shrunk
	cycleStart int64         // start of the last gathering
	gatherEnd  int64         // its end, ns since the epoch
	drainEnd   int64         // end of the drain window
	drained    int           // records read since cycleStart
	pauseUntil int64         // no shrinking before then
	target     int           // records the kernel's queue is left to hold

	tw       *tamperWatch
	watching bool // tw was started

	st       saved  // original settings, and which ones were changed
	stPath   string // the state file
	lostLast uint32
	lostAcc  uint64

	records, malformed, overflows, unresolved atomic.Uint64

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	// What SetPlan changes, under planMu: the main rule as installed, the
	// wire format of each exclusion installed, and the types the decoder
	// is to keep from the next record on (nil: unchanged).
	planMu       sync.Mutex
	excludePID   int
	ruleWF       []byte
	exclusionWF  map[string][]byte
	pendingTypes atomic.Pointer[event.TypeSet]
	stop         chan struct{}
	watcher      sync.WaitGroup
}

var _ collectors.Collector = (*Collector)(nil)

// New installs the audit rules for opts.Types and starts reading records.
//
// When no other process owns the audit socket, the collector registers as
// the audit daemon (ModeUnicast): it raises the backlog limit to
// backlogLimit if it is lower, sets the backlog wait time to
// backlogWaitTime (a process whose record finds the queue full waits that
// long for room, then the record is dropped, which KernelDrops counts),
// and enables auditing if it is disabled. When another daemon owns it
// (auditd), the collector leaves the settings alone and reads the
// read-only multicast group (ModeMulticast). In both modes it removes the
// rules carrying its key (left by a run that was killed) before adding its
// own, and Close restores whatever it changed.
//
// Once started, the collector watches its rules and the settings it owns
// and puts them back when another process changes them, reporting both to
// opts.Notify (see tamperWatch).
//
// When audit is not available (no kernel support, no privileges), the
// error wraps collectors.ErrNotSupported.
func New(opts Options) (*Collector, error) {
	key := opts.Key
	if key == "" {
		key = DefaultKey
	}
	if len(key) > 255 || strings.ContainsAny(key, "\x00\x01") {
		return nil, fmt.Errorf("audit: invalid rule key %q", key)
	}
	if opts.ExcludePID < 0 || opts.ExcludePID > 1<<31-1 {
		return nil, fmt.Errorf("audit: ExcludePID %d out of range", opts.ExcludePID)
	}
	stateDir := opts.StateDir
	if stateDir == "" {
		stateDir = DefaultStateDir
	}
	c := &Collector{key: key, types: opts.Types, wake: -1, clock: time.Now(), stPath: statePath(stateDir, key),
		excludePID: opts.ExcludePID, exclusionWF: map[string][]byte{}, stop: make(chan struct{})}
	c.tw = newTamperWatch(c, opts.Notify, int64(os.Getpid()))
	ownDone := c.tw.own()
	c.asm = newReassembler(opts.Types, int64(opts.ExcludePID))
	c.asm.dec.hooks = hooks{dirPath: procDirPath, isThread: procIsThread, exec: procExec, statID: statID, longCwd: procCwd, parentCwd: procParentCwd,
		sockProto: procSockProto}
	c.asm.early = true

	var err error
	if c.ctlS, err = newNLSock(0, 0); err != nil {
		return nil, unsupported("open audit socket", err)
	}
	c.ctl = &libaudit.AuditClient{Netlink: c.ctlS}
	status, err := c.ctl.GetStatus()
	if err != nil {
		c.ctlS.Close()
		return nil, unsupported("get status", err)
	}
	if status.Enabled == 2 {
		c.ctlS.Close()
		return nil, fmt.Errorf("audit: %w: the audit configuration is locked (immutable)", collectors.ErrNotSupported)
	}
	fail := func(what string, err error) (*Collector, error) {
		c.Close()
		return nil, unsupported(what, err)
	}

	// The settings to restore: those found, unless a killed run changed
	// them first.
	self := int64(os.Getpid())
	c.st = saved{pid: self, start: startTime(self)}
	c.st.enabled.val, c.st.backlog.val, c.st.waitTime.val = status.Enabled, status.BacklogLimit, status.BacklogWaitTime
	if old, ok := readState(c.stPath); ok {
		if old.pid != self && alive(old.pid, old.start) {
			c.ctlS.Close()
			return nil, fmt.Errorf("audit: process %d already runs a collector with key %q", old.pid, key)
		}
		for _, s := range []struct{ old, cur *setting }{
			{&old.enabled, &c.st.enabled}, {&old.backlog, &c.st.backlog}, {&old.waitTime, &c.st.waitTime},
		} {
			if s.old.set {
				*s.cur = *s.old
			}
		}
		// The killed run's exclusions: this run adds its own if it can.
		for _, x := range old.recordExclusions() {
			if *x.added {
				c.dropExclusion(x.typ)
			}
		}
	}
	if err := c.removeRules(); err != nil {
		return fail("remove stale rules", err)
	}

	owner := int64(status.PID)
	if owner != 0 && owner != self && alive(owner, 0) {
		c.mode = ModeMulticast
	} else {
		c.mode = ModeUnicast
		c.st.backlog.set = c.st.backlog.set || status.BacklogLimit < backlogLimit
		c.st.waitTime.set = c.st.waitTime.set || status.BacklogWaitTime != backlogWaitTime
	}
	c.st.enabled.set = c.st.enabled.set || status.Enabled == 0
	// Best effort: without the file, a killed run's settings stay changed.
	_ = writeState(c.stPath, &c.st)

	if c.mode == ModeUnicast {
		if status.BacklogLimit < backlogLimit {
			if err := c.ctl.SetBacklogLimit(backlogLimit, libaudit.WaitForReply); err != nil {
				return fail("set backlog limit", err)
			}
		}
		if status.BacklogWaitTime != backlogWaitTime {
			if err := c.ctl.SetBacklogWaitTime(backlogWaitTime, libaudit.WaitForReply); err != nil {
				return fail("set backlog wait time", err)
			}
		}
		if err := c.register(); errors.Is(err, unix.EEXIST) {
			c.mode = ModeMulticast // another daemon registered meanwhile
		} else if err != nil {
			return fail("register with the kernel", err)
		}
	}
	if c.mode == ModeUnicast {
		c.excludeRecords()
		c.asm.shape = true
		limit := max(status.BacklogLimit, backlogLimit)
		if status.BacklogLimit == 0 {
			limit = backlogLimit // unlimited
		}
		c.shrink, c.target = true, int(limit/8)
	}
	if c.mode == ModeMulticast {
		if c.rdS, err = newNLSock(libaudit.NetlinkGroupReadLog, rcvBuf); err != nil {
			return fail("join the audit multicast group", err)
		}
	}

	if c.mode == ModeUnicast {
		for _, x := range opts.Exclusions {
			wf, err := buildExclusion(x, key)
			if err == nil {
				c.ctlMu.Lock()
				err = c.ctl.AddRule(wf)
				c.ctlMu.Unlock()
			}
			if err != nil {
				return fail("add exclusion "+x.String(), err)
			}
			c.excluded = append(c.excluded, x)
			c.exclusionWF[exclusionKey(x)] = wf
			c.tw.install = append(c.tw.install, wf)
		}
	}
	wf, err := buildRule(&opts, key)
	if err != nil {
		return fail("build rule", err)
	}
	c.ctlMu.Lock()
	err = c.ctl.AddRule(wf)
	c.ctlMu.Unlock()
	if err != nil {
		return fail("add rule", err)
	}
	c.ruleWF = wf
	c.tw.install = append(c.tw.install, wf)

	if status.Enabled == 0 {
		if err := c.ctl.SetEnabled(true, libaudit.WaitForReply); err != nil {
			return fail("enable audit", err)
		}
	}
	if st, err := c.ctl.GetStatus(); err == nil {
		c.lostLast = st.Lost
	}
	if c.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fail("eventfd", err)
	}
	for _, x := range c.st.recordExclusions() {
		if *x.added {
			c.tw.typeExcl = append(c.tw.typeExcl, x.typ)
		}
	}
	c.tw.settings = c.mode == ModeUnicast
	if err := c.tw.snapshot(); err != nil {
		return fail("list the rules installed", err)
	}
	ownDone()
	c.watching = true
	c.tw.start()
	if opts.Notify != nil {
		c.watcher.Add(1)
		go c.watchLost(opts.Notify)
	}
	return c, nil
}

// lostCheckInterval is how often the collector looks for new losses to
// report (Options.Notify).
const lostCheckInterval = time.Second

// watchLost reports lost records to notify until Close.
func (c *Collector) watchLost(notify collectors.Notify) {
	defer c.watcher.Done()
	lr := collectors.LossReporter{Collector: "audit", What: "records lost (audit backlog or socket buffer full)", Notify: notify}
	lr.Watch(c.stop, lostCheckInterval, func() (uint64, map[string]uint64) { return c.Stats().KernelDrops, nil })
}

// unsupported wraps err, with collectors.ErrNotSupported when it says that
// audit is unavailable rather than that something went wrong.
func unsupported(what string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPROTONOSUPPORT) ||
		errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("audit: %s: %w: %w", what, collectors.ErrNotSupported, err)
	}
	return fmt.Errorf("audit: %s: %w", what, err)
}

// register makes a new socket the kernel's audit daemon socket. A dead
// process may still be registered: the kernel drops it when it next fails
// to send it a record, which a settings change produces.
func (c *Collector) register() error {
	s, err := newNLSock(0, rcvBuf)
	if err != nil {
		return err
	}
	rd := &libaudit.AuditClient{Netlink: s}
	for i := 0; ; i++ {
		err = rd.SetPID(libaudit.WaitForReply)
		if err == nil {
			c.rd, c.rdS = rd, s
			return nil
		}
		if !errors.Is(err, unix.EEXIST) || i == pidRetries {
			break
		}
		st, serr := c.ctl.GetStatus()
		if serr != nil {
			err = serr
			break
		}
		if st.PID != 0 && alive(int64(st.PID), 0) {
			break // a live daemon: leave it
		}
		// Produce a record (a CONFIG_CHANGE) so that the kernel finds out.
		_ = c.ctl.SetBacklogLimit(st.BacklogLimit, libaudit.WaitForReply)
		time.Sleep(25 * time.Millisecond)
	}
	s.Close()
	return err
}

// caughtUp reports whether kauditd has sent what was queued when the last
// gathering ended, but for what the audited processes queued in its last
// caughtUpSlack: the kernel's queue is first in, first out, and a record's
// time is that of the syscall's entry, from a clock that runs behind.
func (c *Collector) caughtUp() bool { return c.asm.newest >= c.gatherEnd-int64(caughtUpSlack) }

// shrinkBuffer shrinks the receive buffer before Read waits, unless the
// last cycle says it is unsafe: Read ran late (pauseUntil), kauditd has
// not shown that it caught up (it runs late, or the kernel's queue still
// holds records), or records come too fast for the kernel's queue to hold
// them for a millisecond. Read then gathers for as long as the queue takes
// to fill to target at the rate of the last cycle, at most gatherDelay.
func (c *Collector) shrinkBuffer(now int64) {
	if now < c.pauseUntil || c.drained == 0 || !c.caughtUp() {
		return
	}
	g := gatherDelay
	if el := now - c.cycleStart; el > 0 {
		g = min(g, time.Duration(int64(c.target)*el/int64(c.drained)))
	}
	if g >= minGather && c.rdS.setRcvBuf(rcvBufLow) == nil {
		c.shrunk, c.gatherFor = true, g
	}
}

// gather lets records gather once the socket has some, and restores the
// receive buffer if it was shrunk.
func (c *Collector) gather() {
	c.drained, c.cycleStart, c.asm.newest = 0, c.now(), 0
	if !c.shrunk {
		time.Sleep(gatherDelay)
	} else {
		time.Sleep(c.gatherFor)
		c.restoreBuffer()
		if c.now()-c.cycleStart > int64(c.gatherFor+maxOvershoot) {
			c.pauseUntil = c.now() + int64(shrinkPause)
		}
	}
	c.gatherEnd = time.Now().UnixNano()
	c.drainEnd = c.now() + int64(drainWindow)
}

func (c *Collector) restoreBuffer() {
	c.shrunk = false
	if c.rdS.setRcvBuf(rcvBuf) != nil {
		c.shrink = false
	}
}

// recordExclusion is a record type the collector excludes in unicast
// mode, and whether it added the exclusion rule.
type recordExclusion struct {
	typ   int
	added *bool
}

// recordExclusions are the exclusions of PROCTITLE and EOE records.
func (s *saved) recordExclusions() []recordExclusion {
	return []recordExclusion{{typeProctitle, &s.exclusion}, {typeEOE, &s.eoeExclusion}}
}

// excludeRecords adds the exclusion rule of each record type the collector
// does without (see typeExclusion), unless an identical rule exists: that
// one is not the collector's to remove. Without a rule the records are read
// and ignored, so a failure is not an error.
func (c *Collector) excludeRecords() {
	for _, x := range c.st.recordExclusions() {
		wf, err := typeExclusion(x.typ)
		if err != nil {
			continue
		}
		// Recorded first, so that the next run removes the rule if this
		// one is killed.
		*x.added = true
		_ = writeState(c.stPath, &c.st)
		c.ctlMu.Lock()
		err = c.ctl.AddRule(wf)
		c.ctlMu.Unlock()
		if err != nil {
			*x.added = false
			_ = writeState(c.stPath, &c.st)
		}
	}
}

// dropExclusion deletes the exclusion rule of record type typ.
func (c *Collector) dropExclusion(typ int) error {
	wf, err := typeExclusion(typ)
	if err != nil {
		return err
	}
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	return c.ctl.DeleteRule(wf)
}

// removeRules deletes every rule carrying the collector's key, and only
// those.
func (c *Collector) removeRules() error {
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	c.ctlS.drain()
	rules, err := c.ctl.GetRules()
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rules {
		if ruleHasKey(r, c.key) {
			if err := c.ctl.DeleteRule(r); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Name returns "audit".
func (c *Collector) Name() string { return "audit" }

// Watched returns the event types the collector delivers syscall events
// of: Options.Types, or those of the last SetPlan.
func (c *Collector) Watched() event.TypeSet {
	c.planMu.Lock()
	defer c.planMu.Unlock()
	return c.types
}

// Excluded returns the Options.Exclusions the collector applied: all of
// them in ModeUnicast, none in ModeMulticast (or those of the last
// SetPlan).
func (c *Collector) Excluded() []Exclusion {
	c.planMu.Lock()
	defer c.planMu.Unlock()
	return slices.Clone(c.excluded)
}

// exclusionKey is x as a map key.
func exclusionKey(x Exclusion) string { return fmt.Sprintf("%v %s", x.Types, x) }

// SetPlan changes, while the collector runs, the event types it audits
// and the calls of those types it does not (the Options' Types and
// Exclusions). Calls audited before and after are never missed: the new
// rule is added before the old one is deleted, the decoder keeps the
// types of both until the old rule is gone, and exclusions are removed
// before the rule that needs their calls and added (ahead of it in the
// kernel's list) only after. On error the rules installed so far stay.
func (c *Collector) SetPlan(types event.TypeSet, exclusions []Exclusion) error {
	c.planMu.Lock()
	defer c.planMu.Unlock()
	if c.closed.Load() {
		return os.ErrClosed
	}
	union := c.types
	for _, t := range types.Types() {
		union.Add(t)
	}
	c.pendingTypes.Store(&union)
	// The whole change and the tamper watch's record of it are made under
	// ctlMu, which the watch holds while it compares: it never sees a
	// change half made, nor one it has not been told of.
	ownDone := c.tw.own()
	defer ownDone()
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	defer c.recordInstalled()
	c.ctlS.drain()
	// Exclusions no longer wanted go first: the new rules may need their
	// calls.
	want := map[string]Exclusion{}
	if c.mode == ModeUnicast {
		for _, x := range exclusions {
			want[exclusionKey(x)] = x
		}
	}
	var kept []Exclusion
	for i, x := range c.excluded {
		k := exclusionKey(x)
		if _, ok := want[k]; ok {
			kept = append(kept, x)
			continue
		}
		if err := c.ctl.DeleteRule(c.exclusionWF[k]); err != nil {
			c.excluded = append(kept, c.excluded[i:]...)
			return fmt.Errorf("audit: delete exclusion %s: %w", x, err)
		}
		delete(c.exclusionWF, k)
	}
	c.excluded = kept
	wf, err := buildRule(&Options{Types: types, ExcludePID: c.excludePID}, c.key)
	if err != nil {
		return fmt.Errorf("audit: build rule: %w", err)
	}
	if !bytes.Equal(wf, c.ruleWF) {
		if err := c.ctl.AddRule(wf); err != nil {
			return fmt.Errorf("audit: add rule: %w", err)
		}
		old := c.ruleWF
		c.ruleWF = wf
		if err := c.ctl.DeleteRule(old); err != nil {
			return fmt.Errorf("audit: delete the old rule: %w", err)
		}
	}
	c.types = types
	narrowed := types
	c.pendingTypes.Store(&narrowed)
	for _, x := range exclusions {
		if c.mode != ModeUnicast {
			break
		}
		k := exclusionKey(x)
		if _, ok := c.exclusionWF[k]; ok {
			continue
		}
		wf, err := buildPrependedExclusion(x, c.key)
		if err == nil {
			err = c.ctl.AddRule(wf)
		}
		if err != nil {
			return fmt.Errorf("audit: add exclusion %s: %w", x, err)
		}
		c.exclusionWF[k] = wf
		c.excluded = append(c.excluded, x)
	}
	return nil
}

// recordInstalled tells the tamper watch what the collector's rules now
// are: its keyed rules as the kernel lists them, and the order to put them
// back in (the never rules first). Called with ctlMu held.
func (c *Collector) recordInstalled() {
	var install [][]byte
	for _, x := range c.excluded {
		if wf, err := buildExclusion(x, c.key); err == nil {
			install = append(install, wf)
		}
	}
	install = append(install, c.ruleWF)
	c.tw.install = install
	if rules, err := c.ctl.GetRules(); err == nil {
		var keyed [][]byte
		for _, r := range rules {
			if ruleHasKey(r, c.key) {
				keyed = append(keyed, bytes.Clone(r))
			}
		}
		c.tw.rules = keyed
	}
}

// Mode returns ModeUnicast when the collector is the audit daemon, and
// ModeMulticast when it reads the copy of the records another daemon gets.
func (c *Collector) Mode() string { return c.mode }

// Read blocks until an event is complete and decodes it into r. Strings
// and slices in r point into the collector's buffers and are valid until
// the next Read. Events that cannot be decoded are counted in
// Stats().Malformed and skipped. After Close, Read returns os.ErrClosed.
func (c *Collector) Read(r *collectors.Record) error {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for {
		if c.closed.Load() {
			return os.ErrClosed
		}
		ok := c.asm.next(r)
		c.malformed.Store(c.asm.malformed)
		c.unresolved.Store(c.asm.dec.unresolved)
		if ok {
			c.records.Add(1)
			return nil
		}
		typ, data, err := c.rdS.nextRecord()
		switch {
		case err == nil:
			c.drained++
			if ts := c.pendingTypes.Swap(nil); ts != nil {
				c.asm.types = *ts
			}
			if typ == typeConfigChange || typ == typeSyscall && len(c.tw.pending) > 0 {
				c.tw.observe(typ, data, c.now())
			}
			c.asm.push(typ, data, c.now())
			continue
		case errors.Is(err, unix.EAGAIN):
		case errors.Is(err, unix.ENOBUFS):
			c.overflows.Add(1) // the socket's buffer overflowed: records were dropped
			c.pauseUntil = c.now() + int64(shrinkPause)
			continue
		case errors.Is(err, unix.EINTR):
			continue
		default:
			if c.closed.Load() {
				return os.ErrClosed
			}
			return fmt.Errorf("audit: read: %w", err)
		}
		// Nothing waiting: flush the events whose end did not come.
		now := c.now()
		c.asm.expire(now)
		if len(c.tw.pending) > 0 {
			c.tw.expire(now)
		}
		if len(c.asm.ready) > 0 {
			continue
		}
		wait := idlePoll
		if at, ok := c.asm.nextExpiry(); ok {
			wait = min(wait, time.Duration(at-now)+time.Millisecond)
		}
		// Unicast mode: while Read waits and gathers, the receive buffer
		// is small, so that kauditd soon waits for Read and the records
		// queue in the kernel. The audited processes then add records to
		// the queue without waking kauditd for each one (a large part of
		// what a record costs them), and kauditd sends the queue in one
		// go once Read restores the buffer.
		draining := c.shrink && !c.shrunk && now < c.drainEnd && !c.caughtUp()
		if draining {
			// kauditd is still sending what queued.
			wait = min(wait, time.Duration(c.drainEnd-now))
		} else if c.shrink && !c.shrunk {
			c.shrinkBuffer(now)
		}
		fds := []unix.PollFd{{Fd: int32(c.rdS.fd), Events: unix.POLLIN}, {Fd: int32(c.wake), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, int(wait/time.Millisecond)+1); err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("audit: poll: %w", err)
		}
		if fds[0].Revents&unix.POLLIN != 0 && fds[1].Revents == 0 && !draining {
			// Let records gather: a wakeup per record costs the
			// audited processes more than a short delay costs.
			c.gather()
		}
	}
}

func (c *Collector) now() int64 { return int64(time.Since(c.clock)) }

// Close removes the collector's rules, restores the audit settings it
// changed (enabled flag, backlog limit and wait time, the registered
// daemon), and unblocks Read. It is safe to call more than once.
func (c *Collector) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		c.watcher.Wait()
		// Under planMu: a SetPlan that has begun finishes before the
		// rules are removed, and none begins after.
		c.planMu.Lock()
		c.closed.Store(true)
		c.planMu.Unlock()
		// Before anything is removed, so that it is not reported.
		c.tw.close(c.watching)
		if c.wake >= 0 {
			var one [8]byte
			one[0] = 1
			unix.Write(c.wake, one[:])
		}
		c.readMu.Lock()
		defer c.readMu.Unlock()
		if c.shrunk {
			c.restoreBuffer() // room for the records that come until the end
		}
		c.updateLost()

		var errs []error
		if err := c.removeRules(); err != nil {
			errs = append(errs, fmt.Errorf("remove rules: %w", err))
		}
		for _, x := range c.st.recordExclusions() {
			if *x.added {
				if err := c.dropExclusion(x.typ); err != nil {
					errs = append(errs, fmt.Errorf("remove the exclusion of record type %d: %w", x.typ, err))
				}
			}
		}
		c.ctlMu.Lock()
		defer c.ctlMu.Unlock()
		if c.st.enabled.set {
			if err := c.ctl.SetEnabled(c.st.enabled.val != 0, libaudit.WaitForReply); err != nil {
				errs = append(errs, fmt.Errorf("restore enabled flag: %w", err))
			}
		}
		if c.rd != nil {
			// Unregisters (audit pid 0) and closes the socket.
			if err := c.rd.Close(); err != nil {
				errs = append(errs, fmt.Errorf("unregister: %w", err))
			}
		} else if c.rdS != nil {
			c.rdS.Close()
		}
		if c.st.backlog.set {
			if err := c.ctl.SetBacklogLimit(c.st.backlog.val, libaudit.WaitForReply); err != nil {
				errs = append(errs, fmt.Errorf("restore backlog limit: %w", err))
			}
		}
		if c.st.waitTime.set {
			if err := c.ctl.SetBacklogWaitTime(int32(c.st.waitTime.val), libaudit.WaitForReply); err != nil {
				errs = append(errs, fmt.Errorf("restore backlog wait time: %w", err))
			}
		}
		c.ctlS.Close()
		if c.wake >= 0 {
			unix.Close(c.wake)
		}
		if len(errs) == 0 {
			removeState(c.stPath)
		}
		c.closeErr = errors.Join(errs...)
		if c.closeErr != nil {
			c.closeErr = fmt.Errorf("audit: close: %w", c.closeErr)
		}
	})
	return c.closeErr
}

// updateLost folds the kernel's lost counter into lostAcc.
func (c *Collector) updateLost() {
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	if c.closed.Load() && c.ctlS.closed.Load() {
		return
	}
	st, err := c.ctl.GetStatus()
	if err != nil {
		return
	}
	if st.Lost >= c.lostLast {
		c.lostAcc += uint64(st.Lost - c.lostLast)
	} else {
		c.lostAcc += uint64(st.Lost) // the counter was reset
	}
	c.lostLast = st.Lost
}

// Stats returns the collector's counters. KernelDrops are the records the
// kernel counted as lost since New (backlog overflows, in any daemon's
// queue) plus the overflows of the collector's own socket buffer.
func (c *Collector) Stats() collectors.Stats {
	if !c.closed.Load() {
		c.updateLost()
	}
	c.ctlMu.Lock()
	lost := c.lostAcc
	c.ctlMu.Unlock()
	return collectors.Stats{
		Records:     c.records.Load(),
		KernelDrops: lost + c.overflows.Load(),
		Malformed:   c.malformed.Load(),
		Unresolved:  c.unresolved.Load(),
	}
}
