package ruleset

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lannersec/lanner/event"
)

// NA is printed for values an event does not have.
const NA = "<NA>"

// The Append functions render one output value; compiled and interpreted
// formatters both use them, so outputs are identical.

// AppendString appends s escaped (see AppendEscaped), or <NA> when absent.
func AppendString(dst []byte, s string, ok bool) []byte {
	if !ok {
		return append(dst, NA...)
	}
	return AppendEscaped(dst, s)
}

// AppendEscaped appends s so that event data can neither break an alert's
// line nor forge an escape: the result is valid UTF-8 without control
// characters. A backslash becomes \\; newline, carriage return and tab
// become \n, \r and \t; any other C0 control byte, DEL and each byte of
// invalid UTF-8 become \xHH (two lower-case hex digits); the C1 controls
// (U+0080 to U+009F) and the line and paragraph separators (U+2028,
// U+2029) become \uHHHH. Everything else, printable ASCII and valid
// UTF-8, is copied as it is. It allocates nothing beyond growing dst.
func AppendEscaped(dst []byte, s string) []byte { return appendEscaped(dst, s, true) }

// AppendControlsEscaped is AppendEscaped leaving backslashes alone: for
// text already made of escaped values (an alert's line) that must stay one
// line whatever produced it.
func AppendControlsEscaped(dst, b []byte) []byte { return appendEscaped(dst, b, false) }

const hexDigits = "0123456789abcdef"

func appendEscaped[T string | []byte](dst []byte, s T, backslash bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f && (c != '\\' || !backslash) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		// At most 4 bytes: converting them does not allocate.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case r <= 0x9f || r == 0x2028 || r == 0x2029:
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// IsEscaped reports whether b is text AppendControlsEscaped leaves as it
// is: valid UTF-8 without control characters (C0, DEL, C1) or line and
// paragraph separators.
func IsEscaped(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 || r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return false
		}
		i += size
	}
	return true
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

// AppendBytes appends a byte buffer with non-printable bytes as '.', or
// <NA>, as Falco renders buffers; a backslash also becomes '.', so that no
// buffer can forge an escape.
func AppendBytes(dst []byte, b []byte, ok bool) []byte {
	if !ok {
		return append(dst, NA...)
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '\\' {
			c = '.'
		}
		dst = append(dst, c)
	}
	return dst
}

// Pad makes the text appended since start exactly width bytes long,
// truncating or padding with spaces, as %Nfield does. Text is cut only
// between characters and escapes (see AppendEscaped), never inside one, so
// a cut can neither make invalid UTF-8 nor leave a backslash that would
// escape what follows; the bytes it leaves out are padded with spaces.
func Pad(dst []byte, start, width int) []byte {
	if len(dst)-start > width {
		end := start
		for end < len(dst) {
			n := unitLen(dst[end:])
			if end+n > start+width {
				break
			}
			end += n
		}
		dst = dst[:end]
	}
	for n := len(dst) - start; n < width; n++ {
		dst = append(dst, ' ')
	}
	return dst
}

// unitLen is the length of the character or escape b starts with.
func unitLen(b []byte) int {
	n := 1
	switch {
	case b[0] == '\\' && len(b) > 1:
		switch b[1] {
		case 'x':
			n = 4
		case 'u':
			n = 6
		default:
			n = 2
		}
	case b[0] >= utf8.RuneSelf:
		_, n = utf8.DecodeRune(b)
	}
	return min(n, len(b))
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
