package ruleset

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/lannersec/lanner/event"
)

// NA is printed for values an event does not have.
const NA = "<NA>"

// The Append functions render one output value; compiled and interpreted
// formatters both use them, so outputs are identical.

// AppendString appends s, or <NA> when absent.
func AppendString(dst []byte, s string, ok bool) []byte {
	if !ok {
		return append(dst, NA...)
	}
	return append(dst, s...)
}

// AppendInt appends v in decimal, or <NA>.
func AppendInt(dst []byte, v int64, ok bool) []byte {
	if !ok {
		return append(dst, NA...)
	}
	return strconv.AppendInt(dst, v, 10)
}

// AppendTimeOfDay appends an abstime as HH:MM:SS.nnnnnnnnn (UTC), or <NA>.
func AppendTimeOfDay(dst []byte, v int64, ok bool) []byte {
	if !ok {
		return append(dst, NA...)
	}
	return time.Unix(0, v).UTC().AppendFormat(dst, "15:04:05.000000000")
}

// AppendBool appends true or false, or <NA>.
func AppendBool(dst []byte, v bool, ok bool) []byte {
	if !ok {
		return append(dst, NA...)
	}
	return strconv.AppendBool(dst, v)
}

// AppendIP appends an address, or <NA>.
func AppendIP(dst []byte, a netip.Addr, ok bool) []byte {
	if !ok {
		return append(dst, NA...)
	}
	return a.AppendTo(dst)
}

// AppendBytes appends a byte buffer with non-printable bytes as '.', or <NA>.
func AppendBytes(dst []byte, b []byte, ok bool) []byte {
	if !ok {
		return append(dst, NA...)
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		dst = append(dst, c)
	}
	return dst
}

// Pad makes the text appended since start exactly width bytes long,
// truncating or padding with spaces, as %Nfield does.
func Pad(dst []byte, start, width int) []byte {
	n := len(dst) - start
	if n > width {
		return dst[:start+width]
	}
	for ; n < width; n++ {
		dst = append(dst, ' ')
	}
	return dst
}

// AppendField renders any field of ev by its accessor. Formatters for
// generic use (the interpreter, output_fields) go through this; compiled
// formatters call the typed accessors directly with the same Append
// functions.
func AppendField(dst []byte, ev *event.Event, f *event.Field, a event.Arg, transformers []string) []byte {
	v := Extract(ev, f, a, transformers)
	return AppendValue(dst, f, v)
}

// AppendValue renders an extracted value.
func AppendValue(dst []byte, f *event.Field, v Value) []byte {
	switch v.Kind {
	case event.KindString:
		return AppendString(dst, v.Str, v.OK)
	case event.KindInt:
		if f != nil && f.Render == event.RenderTimeOfDay {
			return AppendTimeOfDay(dst, v.Int, v.OK)
		}
		return AppendInt(dst, v.Int, v.OK)
	case event.KindBool:
		return AppendBool(dst, v.Bool, v.OK)
	case event.KindIP, event.KindIPNet:
		return AppendIP(dst, v.IP, v.OK)
	case event.KindBytes:
		return AppendBytes(dst, v.Bytes, v.OK)
	}
	return append(dst, NA...)
}
