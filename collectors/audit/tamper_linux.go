//go:build linux && (amd64 || arm64)

package audit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
)

// Tamper detection. The collector keeps what it installed (its rules as
// the kernel lists them, the record type exclusions it added, and in
// unicast mode the settings it left) and compares the kernel's state with
// it when a CONFIG_CHANGE record shows another process changing the audit
// configuration, and every tamperCheckEvery in any case (a change made
// while auditing is off leaves no record). A difference is reported
// (NoticeTampered, with the process that made the change when a record
// names it), put back, and the repair reported (NoticeRepaired).
//
// The collector's own changes (New, its repairs, Close) are not reported:
// a CONFIG_CHANGE record whose SYSCALL record has the collector's pid is
// ignored, and so is one without a SYSCALL record (the kernel writes none
// for the calls of the registered audit daemon) made while the collector
// was changing the configuration itself; the expected state is taken once
// New is done, and Close stops the watch before it removes anything. A
// difference found before any record names its author waits once for
// the records, which may still be queued. Repairs are rate limited
// (repairBurst, then one per repairEvery), so a process that deletes the
// rules in a loop cannot make the collector spin; the changes are still
// counted, and the rules put back at that rate.
const (
	tamperCheckEvery = 2 * time.Second
	// tamperSettle is how long the watch lets the changes of one command
	// (auditctl -D removes the rules one by one) come in before it
	// compares.
	tamperSettle = 100 * time.Millisecond
	// actorWait bounds the wait for the SYSCALL record that follows a
	// CONFIG_CHANGE record.
	actorWait = 200 * time.Millisecond
	// maxPendingChanges bounds the CONFIG_CHANGE records waiting for
	// their SYSCALL record; maxChangesKept those kept for a report.
	maxPendingChanges = 32
	maxChangesKept    = 16
	repairBurst       = 5
	repairEvery       = time.Second
)

var errWatchClosed = errors.New("audit: collector closed")

// tamperWatch watches the collector's audit rules and settings.
type tamperWatch struct {
	c      *Collector
	notify collectors.Notify
	self   int64

	// Read's side: CONFIG_CHANGE records waiting for their SYSCALL
	// record (only Read's goroutine touches it).
	pending []pendingChange

	changes chan changeSeen
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	// The collector's own changes run from ownFrom to ownTo (ns since
	// the epoch).
	ownFrom, ownTo atomic.Int64

	// What the collector installed (set before the watch starts; changed
	// by SetPlan, read and changed under the collector's ctlMu after).
	rules    [][]byte // its keyed rules, as the kernel lists them
	install  [][]byte // the keyed rules to add, in order
	typeExcl []int    // record types whose exclusion rule it added
	// foreign are the never rules of the exit list, not the collector's,
	// that were there when it started (unicast: a new one is reported).
	foreign  [][]byte
	status   libaudit.AuditStatus
	settings bool // unicast: the settings are the collector's to keep

	// The watch goroutine's own.
	tokens   float64
	last     time.Time
	reported map[string]string // unrepaired differences already reported

	// seen are the changes by other processes not reported yet.
	seen []changeSeen
	// waited: a difference was found before any record of it came, and
	// the report waits once for the records (they may still be queued).
	waited bool

	tampered, repaired, held, others atomic.Uint64
}

// pendingChange is a CONFIG_CHANGE record waiting for its SYSCALL record.
type pendingChange struct {
	serial uint64
	time   int64 // the record's time, ns since the epoch
	at     int64 // when it came, on the collector's clock
	cc     configChange
}

// changeSeen is a configuration change made by another process (or by an
// unknown one: known is false when no SYSCALL record came).
type changeSeen struct {
	cc    configChange
	actor collectors.Actor
	known bool
}

// difference is one way the kernel's state differs from the collector's.
type difference struct {
	what   string // identifies it, for not reporting it twice
	msg    string
	repair func() error // nil: not the collector's to put back
}

func newTamperWatch(c *Collector, notify collectors.Notify, self int64) *tamperWatch {
	return &tamperWatch{
		c: c, notify: notify, self: self,
		changes:  make(chan changeSeen, 64),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		tokens:   repairBurst,
		reported: map[string]string{},
	}
}

// observe takes a CONFIG_CHANGE record, or a SYSCALL record that may be
// the one that follows a pending CONFIG_CHANGE. Called by Read.
func (t *tamperWatch) observe(typ uint16, data []byte, now int64) {
	h, body, err := parseHeader(data)
	if err != nil {
		return
	}
	if typ == typeConfigChange {
		cc, ok := parseConfigChange(body)
		if !ok {
			return
		}
		if len(t.pending) == maxPendingChanges {
			t.forwardUnknown(&t.pending[0])
			t.pending = slices.Delete(t.pending, 0, 1)
		}
		t.pending = append(t.pending, pendingChange{h.serial, h.time, now, cc})
		return
	}
	for i := range t.pending {
		if t.pending[i].serial == h.serial {
			cc := t.pending[i].cc
			t.pending = slices.Delete(t.pending, i, i+1)
			t.forward(cc, parseActor(body), true)
			return
		}
	}
}

// expire forwards the CONFIG_CHANGE records whose SYSCALL record did not
// come in time, with what they say of the actor. Called by Read.
func (t *tamperWatch) expire(now int64) {
	n := 0
	for n < len(t.pending) && now-t.pending[n].at > int64(actorWait) {
		t.forwardUnknown(&t.pending[n])
		n++
	}
	t.pending = slices.Delete(t.pending, 0, n)
}

// ownSlack covers the coarse clock of the records' time stamps.
const ownSlack = 50 * time.Millisecond

// forwardUnknown forwards a change no SYSCALL record came for, unless it
// was made while the collector changed the configuration itself.
func (t *tamperWatch) forwardUnknown(p *pendingChange) {
	if p.time >= t.ownFrom.Load()-int64(ownSlack) && p.time <= t.ownTo.Load()+int64(ownSlack) {
		return
	}
	t.forward(p.cc, collectors.Actor{AUID: p.cc.AUID, UID: -1}, false)
}

// own marks the time the collector changes the configuration; done ends
// it.
func (t *tamperWatch) own() (done func()) {
	t.ownFrom.Store(time.Now().UnixNano())
	t.ownTo.Store(1<<63 - 1)
	return func() { t.ownTo.Store(time.Now().UnixNano()) }
}

// forward hands a change to the watch goroutine, unless the collector
// made it. A full channel drops it: the periodic comparison still finds
// the difference.
func (t *tamperWatch) forward(cc configChange, actor collectors.Actor, known bool) {
	if known && actor.PID == t.self {
		return
	}
	select {
	case t.changes <- changeSeen{cc, actor, known}:
	default:
	}
}

// snapshot records the collector's rules and settings as they are now,
// at the end of New.
func (t *tamperWatch) snapshot() error {
	c := t.c
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	rules, err := c.ctl.GetRules()
	if err != nil {
		return err
	}
	for _, r := range rules {
		if ruleHasKey(r, c.key) {
			t.rules = append(t.rules, bytes.Clone(r))
		} else if isExitNever(r) {
			t.foreign = append(t.foreign, bytes.Clone(r))
		}
	}
	st, err := c.ctl.GetStatus()
	if err != nil {
		return err
	}
	t.status = *st
	return nil
}

func (t *tamperWatch) start() { go t.run() }

// close stops the watch and waits for it; safe before start and twice.
func (t *tamperWatch) close(started bool) {
	t.once.Do(func() {
		close(t.stop)
		if started {
			<-t.done
		}
	})
}

func (t *tamperWatch) run() {
	defer close(t.done)
	tick := time.NewTicker(tamperCheckEvery)
	defer tick.Stop()
	var settle <-chan time.Time
	for {
		select {
		case <-t.stop:
			return
		case ch := <-t.changes:
			t.others.Add(1)
			if len(t.seen) == maxChangesKept {
				t.seen = slices.Delete(t.seen, 0, 1)
			}
			t.seen = append(t.seen, ch)
			if settle == nil {
				settle = time.After(tamperSettle)
			}
			continue
		case <-settle:
			settle = nil
		case <-tick.C:
		}
		if t.check() && settle == nil {
			settle = time.After(actorWait + tamperSettle)
		}
	}
}

// check compares, reports and repairs. It returns true when the next
// check should come soon: it found a difference but no record of it yet
// (the next check reports it), or it repaired something (a command still
// running, such as auditctl -D going through the rules, may change more).
func (t *tamperWatch) check() (wait bool) {
	diffs, err := t.compare()
	if err != nil {
		return false
	}
	if len(diffs) == 0 {
		// A change to the collector's state undone before this check
		// (rules deleted, used, and added back) is tampering all the same.
		if msg := t.undone(); msg != "" {
			actor, known := pickActor(t.seen)
			if !known {
				msg += "; no audit record names the process that made the change"
			}
			t.tampered.Add(1)
			t.send(collectors.NoticeTampered, msg, actor)
		}
		t.seen = t.seen[:0]
		t.waited = false
		return false
	}
	if !slices.ContainsFunc(t.seen, func(c changeSeen) bool { return c.known }) && !t.waited {
		t.waited = true
		return true
	}
	t.waited = false
	current := map[string]bool{}
	var report []difference
	for _, d := range diffs {
		current[d.what] = true
		if t.reported[d.what] == d.msg {
			continue // reported, and could not be put back
		}
		report = append(report, d)
	}
	for what := range t.reported {
		if !current[what] {
			delete(t.reported, what)
		}
	}
	if len(report) == 0 {
		return false
	}
	repairable := slices.ContainsFunc(report, func(d difference) bool { return d.repair != nil })
	if repairable && !t.allow() {
		t.held.Add(1)
		return false // the next check tries again
	}
	n := t.tampered.Add(1)
	msgs := make([]string, len(report))
	for i, d := range report {
		msgs[i] = d.msg
	}
	msg := strings.Join(msgs, "; ")
	if n > 1 {
		msg += fmt.Sprintf(" (report %d since start, %d changes by other processes seen", n, t.others.Load())
		if h := t.held.Load(); h > 0 {
			msg += fmt.Sprintf(", %d repairs held back by the rate limit", h)
		}
		msg += ")"
	}
	actor, known := pickActor(t.seen)
	t.seen = t.seen[:0]
	if !known {
		msg += "; no audit record names the process that made the change"
	}
	t.send(collectors.NoticeTampered, msg, actor)

	var fixed, failed []string
	for _, d := range report {
		if d.repair == nil {
			t.reported[d.what] = d.msg
			continue
		}
		done := t.own()
		err := t.locked(d.repair)
		done()
		if err != nil {
			t.reported[d.what] = d.msg
			failed = append(failed, fmt.Sprintf("%s: %v", d.msg, err))
			continue
		}
		fixed = append(fixed, d.what)
	}
	if len(fixed) > 0 {
		wait = true
		t.repaired.Add(1)
		t.send(collectors.NoticeRepaired, "put back: "+strings.Join(fixed, ", "), collectors.Actor{AUID: -1, UID: -1})
	}
	if len(failed) > 0 {
		t.send(collectors.NoticeTampered, "could not put back: "+strings.Join(failed, "; "), actor)
	}
	return wait
}

// undone describes the changes other processes, named by their audit
// records, made to the collector's state (its rules, by their key; in
// unicast mode the settings it set; audit_enabled in any mode) that were
// undone before they could be seen by a comparison, or "" when there were
// none.
func (t *tamperWatch) undone() string {
	var what []string
	for _, ch := range t.seen {
		cc := ch.cc
		// Only a change an audit record attributes to another process:
		// one with no such record may be the collector's own (a reload),
		// and a change that left no difference needs a name to report.
		if cc.Res == 0 || !ch.known {
			continue
		}
		var w string
		switch {
		case (cc.Op == "add_rule" || cc.Op == "remove_rule") && cc.Key == t.c.key:
			w = "rules with key " + t.c.key + " changed (" + cc.Op + ")"
		case cc.Op == "set" && (cc.Setting == "audit_enabled" || t.c.mode == ModeUnicast && cc.Setting != ""):
			w = cc.Setting + " changed"
		}
		if w != "" && !slices.Contains(what, w) {
			what = append(what, w)
		}
	}
	if len(what) == 0 {
		return ""
	}
	return strings.Join(what, "; ") + ", and changed back before Lanner could compare"
}

// allow takes a repair token.
func (t *tamperWatch) allow() bool {
	now := time.Now()
	if !t.last.IsZero() {
		t.tokens = min(repairBurst, t.tokens+now.Sub(t.last).Seconds()/repairEvery.Seconds())
	}
	t.last = now
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}

// pickActor returns the last change whose process is known, else the
// last change's login uid.
func pickActor(seen []changeSeen) (collectors.Actor, bool) {
	for i := len(seen) - 1; i >= 0; i-- {
		if seen[i].known {
			return seen[i].actor, true
		}
	}
	if len(seen) > 0 {
		return seen[len(seen)-1].actor, false
	}
	return collectors.Actor{AUID: -1, UID: -1}, false
}

func (t *tamperWatch) send(kind collectors.NoticeKind, msg string, actor collectors.Actor) {
	if t.notify == nil {
		return
	}
	t.notify(collectors.Notice{Time: time.Now().UnixNano(), Collector: "audit", Kind: kind, Message: msg, Actor: actor})
}

// locked runs f with the control socket's lock, unless the collector is
// closing.
func (t *tamperWatch) locked(f func() error) error {
	c := t.c
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	if c.closed.Load() {
		return errWatchClosed
	}
	c.ctlS.drain()
	return f()
}

// compare lists the differences between the kernel's state and the
// collector's.
func (t *tamperWatch) compare() ([]difference, error) {
	var diffs []difference
	// Under ctlMu: the collector changes its rules (SetPlan) and what
	// t.rules and t.install hold under it too.
	err := t.locked(func() error {
		rules, err := t.c.ctl.GetRules()
		if err != nil {
			return err
		}
		st, err := t.c.ctl.GetStatus()
		if err != nil {
			return err
		}
		diffs = t.differences(rules, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return diffs, nil
}

// differences compares a rule list and status with what the collector
// installed.
func (t *tamperWatch) differences(rules [][]byte, st *libaudit.AuditStatus) []difference {
	c := t.c
	var diffs []difference
	var have [][]byte
	for _, r := range rules {
		if ruleHasKey(r, c.key) {
			have = append(have, r)
		}
	}
	missing, extra := ruleDiff(t.rules, have)
	if t.settings {
		// As the audit daemon, a never rule of the exit list added by
		// another process ahead of the collector's rules hides the
		// calls it matches from the collector, which alone reads the
		// records: it is removed. Never rules there when the collector
		// started are left as they are.
		var ahead [][]byte
		for _, r := range rules {
			if ruleHasKey(r, c.key) {
				if !isExitNever(r) {
					break // rules after the collector's own cannot hide its calls
				}
				continue // one of its exclusions
			}
			if isExitNever(r) && !slices.ContainsFunc(t.foreign, func(f []byte) bool { return bytes.Equal(f, r) }) {
				ahead = append(ahead, bytes.Clone(r))
			}
		}
		if len(ahead) > 0 {
			diffs = append(diffs, difference{what: "never rules ahead of the collector's rules (removed)",
				msg: fmt.Sprintf("%d audit never rule(s) added ahead of the collector's rules (%s): the calls they match are not audited",
					len(ahead), describeRules(ahead)),
				repair: func() error {
					for _, r := range ahead {
						if err := c.ctl.DeleteRule(r); err != nil && !errors.Is(err, unix.ENOENT) {
							return err
						}
					}
					return nil
				}})
		}
	}
	if missing > 0 || extra > 0 {
		var msg string
		switch {
		case missing == len(t.rules):
			msg = fmt.Sprintf("audit rules deleted: all %d rules with key %q", len(t.rules), c.key)
		case missing > 0:
			msg = fmt.Sprintf("audit rules deleted: %d of %d rules with key %q", missing, len(t.rules), c.key)
		}
		if extra > 0 {
			if msg != "" {
				msg += ", "
			}
			msg += fmt.Sprintf("%d audit rules with key %q added", extra, c.key)
		}
		diffs = append(diffs, difference{what: "audit rules", msg: msg, repair: t.reinstallRules})
	}
	for _, typ := range t.typeExcl {
		if !slices.ContainsFunc(rules, func(r []byte) bool { return isTypeExclusion(r, typ) }) {
			typ := typ
			diffs = append(diffs, difference{
				what: fmt.Sprintf("exclusion of record type %d", typ),
				msg:  fmt.Sprintf("audit exclusion rule of record type %d deleted", typ),
				repair: func() error {
					wf, err := typeExclusion(typ)
					if err != nil {
						return err
					}
					return c.ctl.AddRule(wf)
				},
			})
		}
	}
	want := &t.status
	if st.Enabled != want.Enabled {
		d := difference{what: "audit enabled", msg: fmt.Sprintf("audit disabled (enabled=%d)", st.Enabled)}
		if st.Enabled == 2 {
			d.msg = "audit configuration locked (enabled=2): rules and settings can no longer be put back"
		} else if st.Enabled != 0 {
			d.msg = fmt.Sprintf("audit enabled flag changed to %d (was %d)", st.Enabled, want.Enabled)
		}
		switch {
		case st.Enabled == 2:
		case t.settings:
			d.repair = func() error { return c.ctl.SetEnabled(want.Enabled != 0, libaudit.WaitForReply) }
		case st.Enabled == 0:
			d.msg += "; the audit daemon owns the audit settings: left as it is"
		default:
			d = difference{}
		}
		if d.what != "" {
			diffs = append(diffs, d)
		}
	}
	if !t.settings {
		return diffs
	}
	for _, s := range []struct {
		name     string
		got, was uint32
		set      func(uint32) error
	}{
		{"backlog_limit", st.BacklogLimit, want.BacklogLimit, func(v uint32) error {
			return c.ctl.SetBacklogLimit(v, libaudit.WaitForReply)
		}},
		{"backlog_wait_time", st.BacklogWaitTime, want.BacklogWaitTime, func(v uint32) error {
			return c.ctl.SetBacklogWaitTime(int32(v), libaudit.WaitForReply)
		}},
		{"rate_limit", st.RateLimit, want.RateLimit, func(v uint32) error {
			return c.ctl.SetRateLimit(v, libaudit.WaitForReply)
		}},
		{"failure", st.Failure, want.Failure, func(v uint32) error {
			return c.ctl.SetFailure(libaudit.FailureMode(v), libaudit.WaitForReply)
		}},
	} {
		if s.got != s.was {
			set, was := s.set, s.was
			diffs = append(diffs, difference{what: "audit " + s.name,
				msg:    fmt.Sprintf("audit %s changed to %d (was %d)", s.name, s.got, s.was),
				repair: func() error { return set(was) }})
		}
	}
	if st.PID != want.PID {
		diffs = append(diffs, difference{what: "audit daemon",
			msg: fmt.Sprintf("audit daemon changed: pid %d registered (was %d)", st.PID, want.PID)})
	}
	return diffs
}

// reinstallRules deletes the rules carrying the collector's key and adds
// its own again, in their order (the never rules first). Called with
// ctlMu held.
func (t *tamperWatch) reinstallRules() error {
	c := t.c
	rules, err := c.ctl.GetRules()
	if err != nil {
		return err
	}
	for _, r := range rules {
		if ruleHasKey(r, c.key) {
			if err := c.ctl.DeleteRule(r); err != nil {
				return err
			}
		}
	}
	for _, wf := range t.install {
		if err := c.ctl.AddRule(wf); err != nil {
			return err
		}
	}
	return nil
}

// ruleDiff counts the rules of want missing from have, and those of have
// not in want (as multisets).
func ruleDiff(want, have [][]byte) (missing, extra int) {
	used := make([]bool, len(have))
next:
	for _, w := range want {
		for i, h := range have {
			if !used[i] && bytes.Equal(w, h) {
				used[i] = true
				continue next
			}
		}
		missing++
	}
	for _, u := range used {
		if !u {
			extra++
		}
	}
	return missing, extra
}

// Rule lists, actions, fields and operators of struct audit_rule_data.
const (
	filterExclude = 5          // AUDIT_FILTER_EXCLUDE (AUDIT_FILTER_TYPE)
	filterExit    = 4          // AUDIT_FILTER_EXIT
	filterPrepend = 0x10       // AUDIT_FILTER_PREPEND
	actionNever   = 0          // AUDIT_NEVER
	fieldMsgType  = 12         // AUDIT_MSGTYPE
	opEqual       = 0x40000000 // AUDIT_EQUAL
)

// describeRules names rules in binary format by their keys, for a
// report: at most maxDescribed of them.
func describeRules(rules [][]byte) string {
	const maxDescribed = 4
	var parts []string
	for i, r := range rules {
		if i == maxDescribed {
			parts = append(parts, fmt.Sprintf("%d more", len(rules)-i))
			break
		}
		keys := ruleKeys(r)
		if len(keys) == 0 {
			parts = append(parts, "no key")
			continue
		}
		parts = append(parts, fmt.Sprintf("key %q", strings.Join(keys, ",")))
	}
	return strings.Join(parts, ", ")
}

// isExitNever reports whether a rule in binary format is a never rule of
// the exit list (prepended or not).
func isExitNever(wf []byte) bool {
	if len(wf) < ruleHdrSize {
		return false
	}
	le := binary.LittleEndian
	return le.Uint32(wf[0:])&^filterPrepend == filterExit && le.Uint32(wf[4:]) == actionNever
}

// isTypeExclusion reports whether a rule in binary format is "-a
// never,exclude -F msgtype=typ" (see typeExclusion).
func isTypeExclusion(wf []byte, typ int) bool {
	if len(wf) < ruleHdrSize {
		return false
	}
	le := binary.LittleEndian
	return le.Uint32(wf[0:]) == filterExclude && le.Uint32(wf[4:]) == actionNever && le.Uint32(wf[8:]) == 1 &&
		le.Uint32(wf[ruleOffFields:]) == fieldMsgType && le.Uint32(wf[ruleOffValues:]) == uint32(typ) &&
		le.Uint32(wf[ruleOffValues+ruleMaxFields*4:]) == opEqual
}
