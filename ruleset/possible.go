package ruleset

import "github.com/lannersec/lanner/event"

// Tri is a truth value of three-valued (Kleene) logic, for reasoning about
// events of which only some fields are known.
type Tri uint8

// Truth values.
const (
	False Tri = iota
	Unknown
	True
)

func (t Tri) String() string {
	switch t {
	case False:
		return "false"
	case True:
		return "true"
	}
	return "unknown"
}

// TriOf converts a known truth value.
func TriOf(b bool) Tri {
	if b {
		return True
	}
	return False
}

// TriAnd is False when some operand is, True when all are.
func TriAnd(ts ...Tri) Tri {
	out := True
	for _, t := range ts {
		if t == False {
			return False
		}
		if t == Unknown {
			out = Unknown
		}
	}
	return out
}

// TriOr is True when some operand is, False when all are.
func TriOr(ts ...Tri) Tri {
	out := False
	for _, t := range ts {
		if t == True {
			return True
		}
		if t == Unknown {
			out = Unknown
		}
	}
	return out
}

// TriNot negates t; Unknown stays Unknown.
func TriNot(t Tri) Tri { return 2 - t }

// Facts describe a class of events by what is known of them: Event holds
// the values of the known fields, and Known reports whether a field's
// value on every event of the class is the one it has on Event (a field
// the events never carry is known when it is absent from Event too).
// Checks on other fields are Unknown.
type Facts struct {
	Event *event.Event
	// Known is called with the field as a rule names it: its name, or
	// its name and argument for fields that take one ("evt.arg.domain",
	// "proc.aname[2]").
	Known func(field string) bool
}

// Check evaluates one comparison of a condition: check on Event when every
// field it reads is known, Unknown otherwise.
func (f *Facts) Check(check func(*event.Event) bool, fields ...string) Tri {
	for _, name := range fields {
		if !f.Known(name) {
			return Unknown
		}
	}
	return TriOf(check(f.Event))
}

// Possible says whether r can match an event described by f: False when
// no such event can match, Unknown when some might, True when all do. A
// rule without a Possible function might match any event.
func (r *Rule) Possible(f *Facts) Tri {
	if r.Cond == nil {
		return Unknown
	}
	return r.Cond(f)
}
