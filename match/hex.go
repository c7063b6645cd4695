package match

import "fmt"

// ParseHex decodes the right-hand side of bcontains and bstartswith, a
// string of hexadecimal digits such as "cafebabe" or "7F454C46". Digits may
// be in either case. The string must have an even number of digits and
// nothing else: no "0x" prefix, no spaces. The empty string decodes to an
// empty slice.
func ParseHex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("hex value %q: odd number of digits", s)
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, ok := unhex(s[i])
		if !ok {
			return nil, fmt.Errorf("hex value %q: invalid digit %q at offset %d", s, s[i], i)
		}
		lo, ok := unhex(s[i+1])
		if !ok {
			return nil, fmt.Errorf("hex value %q: invalid digit %q at offset %d", s, s[i+1], i+1)
		}
		out[i/2] = hi<<4 | lo
	}
	return out, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
