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
	return ApplyTransformers(v, transformers)
}

// ApplyTransformers applies transformers to v, innermost first, with
// [match.Transform]. Absent stays absent (len of an absent value is an
// absent number); a transformer that cannot apply (b64 of invalid text)
// makes the value absent.
func ApplyTransformers(v Value, transformers []string) Value {
	for _, name := range transformers {
		length := match.TransformerYieldsLength(name)
		if !v.OK {
			if length {
				v = Value{Kind: event.KindInt}
			}
			continue
		}
		s := v.Str
		if v.Kind == event.KindBytes {
			s = string(v.Bytes)
		}
		text, n, ok := match.Transform(name, s)
		if length {
			v = Value{Kind: event.KindInt, OK: ok, Int: n}
		} else {
			v = Value{Kind: event.KindString, OK: ok, Str: text}
		}
	}
	return v
}
