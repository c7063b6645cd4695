package ruleset

import (
	"net/netip"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/match"
)

// Value is a field value extracted through a field's accessor, tagged with
// its kind. OK is false when the value is absent.
type Value struct {
	Kind  event.Kind
	OK    bool
	Str   string
	Int   int64
	Bool  bool
	IP    netip.Addr
	Bytes []byte
	// For fields that look at both endpoints: the second (server) value;
	// IP and Int hold the client's.
	IP2  netip.Addr
	Int2 int64
}

// Extract reads field f with argument a from ev and applies transformers,
// innermost first. It dispatches on the accessor's type, so it is meant
// for the interpreter and for outputs, not for compiled matchers.
func Extract(ev *event.Event, f *event.Field, a event.Arg, transformers []string) Value {
	v := Value{Kind: f.Kind}
	switch get := f.Get.(type) {
	case event.StringFunc:
		v.Str, v.OK = get(ev, a)
	case event.IntFunc:
		v.Int, v.OK = get(ev, a)
	case event.BoolFunc:
		v.Bool, v.OK = get(ev, a)
	case event.IPFunc:
		v.IP, v.OK = get(ev, a)
	case event.BytesFunc:
		v.Bytes, v.OK = get(ev, a)
	case event.BothIPFunc:
		v.IP, v.IP2, v.OK = get(ev, a)
	case event.BothIntFunc:
		v.Int, v.Int2, v.OK = get(ev, a)
	}
	for _, t := range transformers {
		v = Transform(t, v)
	}
	return v
}

// Transform applies one transformer to a value. Absent stays absent; a
// transformer that cannot apply (b64 of invalid text) makes it absent.
func Transform(name string, v Value) Value {
	if !v.OK {
		if name == "len" {
			return Value{Kind: event.KindInt}
		}
		return v
	}
	s := v.Str
	if v.Kind == event.KindBytes {
		s = string(v.Bytes)
	}
	switch name {
	case "tolower":
		return Value{Kind: event.KindString, OK: true, Str: match.ToLower(s)}
	case "toupper":
		return Value{Kind: event.KindString, OK: true, Str: match.ToUpper(s)}
	case "b64":
		d, ok := match.B64(s)
		return Value{Kind: event.KindString, OK: ok, Str: d}
	case "basename":
		return Value{Kind: event.KindString, OK: true, Str: match.Basename(s)}
	case "len":
		return Value{Kind: event.KindInt, OK: true, Int: int64(len(s))}
	}
	return Value{Kind: v.Kind}
}

// TransformedKind is the kind a transformer yields.
func TransformedKind(name string) event.Kind {
	if name == "len" {
		return event.KindInt
	}
	return event.KindString
}
