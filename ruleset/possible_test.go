package ruleset

import (
	"testing"

	"github.com/lannersec/lanner/event"
)

// TestTri: Kleene's three-valued and, or and not.
func TestTri(t *testing.T) {
	F, U, T := False, Unknown, True
	for _, c := range []struct {
		in      []Tri
		and, or Tri
	}{
		{nil, T, F},
		{[]Tri{F}, F, F},
		{[]Tri{U}, U, U},
		{[]Tri{T}, T, T},
		{[]Tri{T, T}, T, T},
		{[]Tri{T, U}, U, T},
		{[]Tri{U, F}, F, U},
		{[]Tri{F, T}, F, T},
		{[]Tri{U, U}, U, U},
		{[]Tri{F, F}, F, F},
		{[]Tri{T, U, F}, F, T},
	} {
		if got := TriAnd(c.in...); got != c.and {
			t.Errorf("and %v = %v, want %v", c.in, got, c.and)
		}
		if got := TriOr(c.in...); got != c.or {
			t.Errorf("or %v = %v, want %v", c.in, got, c.or)
		}
	}
	for in, want := range map[Tri]Tri{F: T, U: U, T: F} {
		if got := TriNot(in); got != want {
			t.Errorf("not %v = %v, want %v", in, got, want)
		}
	}
}

// TestFactsCheck: a check is evaluated only when every field it reads is
// known; a rule without a three-valued condition might match anything.
func TestFactsCheck(t *testing.T) {
	ev := &event.Event{Type: event.TypeOpenat}
	f := &Facts{Event: ev, Known: func(field string) bool { return field == "evt.type" }}
	isOpenat := func(ev *event.Event) bool { return ev.Type == event.TypeOpenat }
	if got := f.Check(isOpenat, "evt.type"); got != True {
		t.Errorf("known field: %v", got)
	}
	if got := f.Check(func(*event.Event) bool { return false }, "evt.type"); got != False {
		t.Errorf("known field, false check: %v", got)
	}
	if got := f.Check(isOpenat, "evt.type", "proc.name"); got != Unknown {
		t.Errorf("one unknown field: %v", got)
	}
	if got := (&Rule{}).Possible(f); got != Unknown {
		t.Errorf("rule without Cond: %v", got)
	}
}
