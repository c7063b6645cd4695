package engine

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
)

// Rules of Lanner's own alerts, which come from collector notices rather
// than from events; their source is "internal".
const (
	RuleCollectorTampered = "Lanner Collector Tampered"
	RuleCollectorRepaired = "Lanner Collector Repaired"
	RuleEventsLost        = "Lanner Events Lost"
	internalSource        = "internal"
)

// Notify turns a collector's notice into an alert of Lanner's own, sent to
// the outputs like any other. It is safe to call from any goroutine and
// does not block.
func (e *Engine) Notify(n collectors.Notice) {
	var rule string
	var prio ruleset.Priority
	switch n.Kind {
	case collectors.NoticeTampered:
		rule, prio = RuleCollectorTampered, ruleset.Critical
	case collectors.NoticeRepaired:
		rule, prio = RuleCollectorRepaired, ruleset.Warning
	case collectors.NoticeLost:
		rule, prio = RuleEventsLost, ruleset.Critical
	default:
		return
	}
	if n.Time == 0 {
		n.Time = time.Now().UnixNano()
	}
	str := func(k, v string) output.FieldValue {
		return output.FieldValue{Key: k, Value: ruleset.Value{Kind: event.KindString, OK: true, Str: v}}
	}
	num := func(k string, v int64) output.FieldValue {
		return output.FieldValue{Key: k, Value: ruleset.Value{Kind: event.KindInt, OK: true, Int: v}}
	}
	fields := []output.FieldValue{
		num("evt.time", n.Time),
		str("lanner.collector", n.Collector),
		str("lanner.notice", n.Message),
	}
	a := n.Actor
	if a.PID > 0 {
		fields = append(fields, num("proc.pid", a.PID), str("proc.name", a.Comm), str("proc.exepath", a.Exe))
		if a.UID >= 0 {
			fields = append(fields, num("user.uid", a.UID))
		}
		if a.AUID >= 0 {
			fields = append(fields, num("user.loginuid", a.AUID))
		}
	}
	text := ruleset.AppendTimeOfDay(nil, n.Time, true)
	text = fmt.Appendf(text, ": %s %s (", prio, rule)
	for i, f := range fields[1:] {
		if i > 0 {
			text = append(text, ' ')
		}
		text = append(text, f.Key...)
		text = append(text, '=')
		if f.Value.Kind == event.KindInt {
			text = strconv.AppendInt(text, f.Value.Int, 10)
		} else {
			text = appendEscaped(text, f.Value.Str)
		}
	}
	text = append(text, ')')
	e.alerts.Add(1)
	if e.cfg.Output == nil {
		return
	}
	e.cfg.Output.Send(&output.Alert{
		Time: n.Time, Rule: rule, Priority: prio, Output: string(text), Fields: fields,
		Source: internalSource, Tags: []string{"lanner"}, Hostname: e.cfg.Hostname,
	})
}

// appendEscaped appends s with control characters, backslashes and invalid
// UTF-8 escaped, so that a name chosen by an attacker cannot end the line.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			for _, b := range []byte(s[i : i+size]) {
				dst = fmt.Appendf(dst, `\x%02x`, b)
			}
		case r == '\\':
			dst = append(dst, `\\`...)
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
