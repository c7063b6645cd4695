package engine

import (
	"strconv"
	"sync"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/selfcheck"

	"golang.org/x/time/rate"
)

// Lanner's own alerts: what the collectors report about themselves
// (Notify) and the self-check's verdicts become alerts of these rules,
// with source "internal", written by the same sinks as rule alerts.
const (
	RuleBlind     = "Lanner Collector Blind"
	RuleRecovered = "Lanner Collector Recovered"
	RuleTampered  = "Lanner Collector Tampered"
	RuleRepaired  = "Lanner Collector Repaired"
	RuleLost      = "Lanner Events Lost"
)

// OwnSource is the source of Lanner's own alerts.
const OwnSource = "internal"

// ownRule is one kind of own alert.
type ownRule struct {
	name     string
	priority ruleset.Priority
}

var (
	ownBlind     = ownRule{RuleBlind, ruleset.Critical}
	ownRecovered = ownRule{RuleRecovered, ruleset.Warning}
	ownTampered  = ownRule{RuleTampered, ruleset.Critical}
	ownRepaired  = ownRule{RuleRepaired, ruleset.Warning}
	ownLost      = ownRule{RuleLost, ruleset.Critical}
)

// ownRuleOf maps a notice kind to its rule.
func ownRuleOf(k collectors.NoticeKind) (ownRule, bool) {
	switch k {
	case collectors.NoticeTampered:
		return ownTampered, true
	case collectors.NoticeRepaired:
		return ownRepaired, true
	case collectors.NoticeLost:
		return ownLost, true
	}
	return ownRule{}, false
}

// Own alerts of one rule and collector pass a token bucket of
// ownAlertBurst refilled at one a second, so that a collector reporting a
// storm cannot flood the sinks; the rest are counted as dropped.
const ownAlertBurst = 20

// ownAlerts is the state of Lanner's own alerts; mu serialises them.
type ownAlerts struct {
	mu      sync.Mutex
	stopped bool // the engine has stopped: the outputs are closing
	counts  map[string]uint64
	buckets map[[2]string]*rate.Limiter
	dropped uint64
}

// Fields of own alerts that name no event field.
var (
	pidField      = event.MustField("proc.pid")
	nameField     = event.MustField("proc.name")
	exepathField  = event.MustField("proc.exepath")
	uidField      = event.MustField("user.uid")
	loginuidField = event.MustField("user.loginuid")
)

// Notify turns a collector's notice into an alert of Lanner's own (see
// the Rule* names). It may be called from any goroutine and never blocks
// beyond a short lock: the alert is queued straight to the sinks (whose
// queues drop and count when full), not through the engine's loop, so it
// goes out even while no event arrives. Own alerts ignore --rate and the
// rule selection (--min-priority); a notice of an unknown kind, one past
// the burst of its rule and collector, or one after the engine stopped is
// counted as dropped.
func (e *Engine) Notify(n collectors.Notice) {
	r, ok := ownRuleOf(n.Kind)
	if !ok {
		e.own.mu.Lock()
		e.own.dropped++
		e.own.mu.Unlock()
		return
	}
	e.ownAlert(r, n)
}

// selfCheckVerdict raises Blind or Recovered.
func (e *Engine) selfCheckVerdict(v selfcheck.Verdict) {
	r := ownBlind
	if v.Healthy {
		r = ownRecovered
	}
	e.ownAlert(r, collectors.Notice{Time: v.Time, Collector: v.Collector, Message: v.Message, Actor: collectors.Actor{AUID: -1}})
}

// ownAlert builds and sends an own alert.
func (e *Engine) ownAlert(r ownRule, n collectors.Notice) {
	if n.Time == 0 {
		n.Time = time.Now().UnixNano()
	}
	o := &e.own
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stopped || !o.allow(r.name, n.Collector, n.Time) {
		o.dropped++
		return
	}
	if o.counts == nil {
		o.counts = map[string]uint64{}
	}
	o.counts[r.name]++
	if e.cfg.Output != nil {
		e.cfg.Output.Send(NewOwnAlert(r.name, r.priority, n, e.cfg.Hostname))
	}
}

// allow takes a token from the bucket of rule and collector; o.mu is held.
func (o *ownAlerts) allow(rule, collector string, now int64) bool {
	if o.buckets == nil {
		o.buckets = map[[2]string]*rate.Limiter{}
	}
	k := [2]string{rule, collector}
	b := o.buckets[k]
	if b == nil {
		b = rate.NewLimiter(1, ownAlertBurst)
		o.buckets[k] = b
	}
	return b.AllowN(time.Unix(0, now), 1)
}

// stop makes later own alerts count as dropped: the outputs close next.
func (o *ownAlerts) stop() {
	o.mu.Lock()
	o.stopped = true
	o.mu.Unlock()
}

// NewOwnAlert builds an alert of Lanner's own. Its text is Falco's form
//
//	<time of day>: <Priority> <rule>: <message> (lanner.collector=<name>[ proc.pid=... proc.name=... proc.exepath=... user.uid=... user.loginuid=...])
//
// with the process fields only when the actor is known, the message and
// names escaped as event data in rule alerts are (ruleset.AppendEscaped),
// so that an alert is one line whatever a process is called. Its
// output_fields are lanner.collector, lanner.notice (the message) and the
// same process fields.
func NewOwnAlert(rule string, p ruleset.Priority, n collectors.Notice, hostname string) *output.Alert {
	a := &output.Alert{Time: n.Time, Rule: rule, Priority: p, Source: OwnSource, Hostname: hostname}
	str := func(s string) ruleset.Value { return ruleset.Value{Kind: event.KindString, OK: true, Str: s} }
	num := func(v int64) ruleset.Value { return ruleset.Value{Kind: event.KindInt, OK: true, Int: v} }
	a.Fields = []output.FieldValue{
		{Key: "evt.time", Field: timeField, Value: num(n.Time)},
		{Key: "lanner.collector", Value: str(n.Collector)},
		{Key: "lanner.notice", Value: str(n.Message)},
	}
	buf := ruleset.AppendTimeOfDay(nil, n.Time, true)
	buf = append(buf, ": "...)
	buf = append(buf, p.String()...)
	buf = append(buf, ' ')
	buf = append(buf, rule...)
	buf = append(buf, ": "...)
	buf = ruleset.AppendEscaped(buf, n.Message)
	buf = append(buf, " (lanner.collector="...)
	buf = ruleset.AppendEscaped(buf, n.Collector)
	if act := n.Actor; act.PID > 0 {
		a.Fields = append(a.Fields,
			output.FieldValue{Key: "proc.pid", Field: pidField, Value: num(act.PID)},
			output.FieldValue{Key: "proc.name", Field: nameField, Value: str(act.Comm)},
			output.FieldValue{Key: "proc.exepath", Field: exepathField, Value: str(act.Exe)},
			output.FieldValue{Key: "user.uid", Field: uidField, Value: num(act.UID)},
			output.FieldValue{Key: "user.loginuid", Field: loginuidField, Value: num(act.AUID)},
		)
		buf = append(buf, " proc.pid="...)
		buf = strconv.AppendInt(buf, act.PID, 10)
		buf = append(buf, " proc.name="...)
		buf = ruleset.AppendEscaped(buf, act.Comm)
		buf = append(buf, " proc.exepath="...)
		buf = ruleset.AppendEscaped(buf, act.Exe)
		buf = append(buf, " user.uid="...)
		buf = strconv.AppendInt(buf, act.UID, 10)
		buf = append(buf, " user.loginuid="...)
		buf = strconv.AppendInt(buf, act.AUID, 10)
	}
	buf = append(buf, ')')
	a.Output = string(buf)
	return a
}

var timeField = event.MustField("evt.time")

// OwnStats are the counters of Lanner's own alerts and self-check.
type OwnStats struct {
	// Alerts counts own alerts sent, by rule; Dropped the notices and
	// verdicts not turned into alerts.
	Alerts  map[string]uint64
	Dropped uint64
	// SelfCheck is the self-check's state (Enabled false when off).
	SelfCheck selfcheck.Status
}

// ownStats returns the counters of own alerts.
func (e *Engine) ownStats() OwnStats {
	o := &e.own
	o.mu.Lock()
	s := OwnStats{Alerts: make(map[string]uint64, len(o.counts)), Dropped: o.dropped}
	for k, v := range o.counts {
		s.Alerts[k] = v
	}
	o.mu.Unlock()
	if e.cfg.SelfCheck != nil {
		s.SelfCheck = e.cfg.SelfCheck.Status()
	}
	return s
}

// ownPriority returns the priority of an own rule, by name.
func ownPriority(name string) ruleset.Priority {
	for _, r := range []ownRule{ownBlind, ownRecovered, ownTampered, ownRepaired, ownLost} {
		if r.name == name {
			return r.priority
		}
	}
	return ruleset.Critical
}

// NoticeRelay hands collectors' notices to an engine created after the
// collector (which needs its Notify first). Notices before Attach are kept,
// up to relayBacklog (the rest counted as dropped), and sent on Attach.
type NoticeRelay struct {
	mu      sync.Mutex
	e       *Engine
	pending []collectors.Notice
	dropped uint64
}

// relayBacklog bounds the notices kept before Attach.
const relayBacklog = 32

// Notify is a collectors.Notify: goroutine-safe and non-blocking.
func (r *NoticeRelay) Notify(n collectors.Notice) {
	r.mu.Lock()
	e := r.e
	if e == nil {
		if len(r.pending) < relayBacklog {
			r.pending = append(r.pending, n)
		} else {
			r.dropped++
		}
	}
	r.mu.Unlock()
	if e != nil {
		e.Notify(n)
	}
}

// Attach sends the notices kept so far to e, and the later ones as they
// come.
func (r *NoticeRelay) Attach(e *Engine) {
	r.mu.Lock()
	pending, dropped := r.pending, r.dropped
	r.e, r.pending, r.dropped = e, nil, 0
	r.mu.Unlock()
	e.own.mu.Lock()
	e.own.dropped += dropped
	e.own.mu.Unlock()
	for _, n := range pending {
		e.Notify(n)
	}
}
