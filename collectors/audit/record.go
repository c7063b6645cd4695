package audit

import (
	"bytes"
	"errors"
)

// Audit record types this package reads (linux/audit.h).
const (
	typeSyscall   = 1300
	typePath      = 1302
	typeSockaddr  = 1306
	typeCwd       = 1307
	typeExecve    = 1309
	typeEOE       = 1320
	typeBprmFcaps = 1321
	typeProctitle = 1327
	typeOpenat2   = 1337
)

// x86_64 as audit names it in arch= (AUDIT_ARCH_X86_64).
const archX8664 = 0xc000003e

var errHeader = errors.New("audit: malformed record header")

// header is the "audit(SECONDS.MILLIS:SERIAL): " prefix of every record.
type header struct {
	time   int64 // ns since the Unix epoch
	serial uint64
}

// parseHeader parses the header of a record's text and returns it with
// the rest of the text (the fields).
func parseHeader(b []byte) (header, []byte, error) {
	var h header
	b = bytes.TrimLeft(b, " ")
	rest, ok := bytes.CutPrefix(b, []byte("audit("))
	if !ok {
		return h, nil, errHeader
	}
	end := bytes.IndexByte(rest, ')')
	if end < 0 {
		return h, nil, errHeader
	}
	ts := rest[:end]
	rest = rest[end+1:]
	if len(rest) > 0 && rest[0] == ':' {
		rest = rest[1:]
	}
	colon := bytes.IndexByte(ts, ':')
	if colon < 0 {
		return h, nil, errHeader
	}
	stamp, serial := ts[:colon], ts[colon+1:]
	var sec, frac []byte = stamp, nil
	if dot := bytes.IndexByte(stamp, '.'); dot >= 0 {
		sec, frac = stamp[:dot], stamp[dot+1:]
	}
	s, ok := parseDec(sec)
	if !ok || s > 1<<34 {
		return h, nil, errHeader
	}
	if len(frac) > 9 {
		return h, nil, errHeader
	}
	f, ok := uint64(0), true
	if len(frac) > 0 {
		f, ok = parseDec(frac)
		if !ok {
			return h, nil, errHeader
		}
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
	}
	n, ok := parseDec(serial)
	if !ok {
		return h, nil, errHeader
	}
	h.time = int64(s)*1e9 + int64(f)
	h.serial = n
	return h, rest, nil
}

// fields iterates over the key=value fields of a record. Values are
// either quoted ("...", the quotes removed, quoted set) or a bare token up
// to the next space.
type fields struct {
	b []byte
}

func (it *fields) next() (key, val []byte, quoted, ok bool) {
	for {
		for len(it.b) > 0 && (it.b[0] == ' ' || it.b[0] == '\n' || it.b[0] == 0) {
			it.b = it.b[1:]
		}
		if len(it.b) == 0 {
			return nil, nil, false, false
		}
		eq := -1
		for i, c := range it.b {
			if c == '=' {
				eq = i
				break
			}
			if c == ' ' {
				break
			}
		}
		if eq <= 0 {
			// A token without a key: skip it.
			sp := bytes.IndexByte(it.b, ' ')
			if sp < 0 {
				it.b = nil
			} else {
				it.b = it.b[sp:]
			}
			continue
		}
		key = it.b[:eq]
		rest := it.b[eq+1:]
		if len(rest) > 0 && rest[0] == '"' {
			end := bytes.IndexByte(rest[1:], '"')
			if end < 0 {
				// Unterminated: take the rest as the value.
				val, it.b = rest[1:], nil
				return key, val, true, true
			}
			val = rest[1 : 1+end]
			it.b = rest[2+end:]
			return key, val, true, true
		}
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			val, it.b = rest, nil
		} else {
			val, it.b = rest[:sp], rest[sp:]
		}
		return key, val, false, true
	}
}

// lookup returns the value of the first field called key.
func lookup(b []byte, key string) (val []byte, quoted, ok bool) {
	it := fields{b}
	for {
		k, v, q, more := it.next()
		if !more {
			return nil, false, false
		}
		if string(k) == key {
			return v, q, true
		}
	}
}

func parseDec(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseInt parses a decimal number with an optional minus sign.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	n, ok := parseDec(b)
	if !ok || n > 1<<63 || (!neg && n == 1<<63) {
		return 0, false
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}

// parseHex parses a hexadecimal number of at most 16 digits, as audit
// prints syscall arguments (without 0x).
func parseHex(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		d, ok := unhex(c)
		if !ok {
			return 0, false
		}
		n = n<<4 | uint64(d)
	}
	return n, true
}

// parseOctal parses an octal number (PATH mode=).
func parseOctal(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 11 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '7' {
			return 0, false
		}
		n = n<<3 | uint64(c-'0')
	}
	if n > 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// isNull reports whether an unquoted value is audit's "(null)".
func isNull(val []byte, quoted bool) bool { return !quoted && string(val) == "(null)" }

// appendUntrusted appends the string an audit "untrusted string" value
// stands for: a quoted value as it is, an unquoted one hex-decoded. It
// reports false for (null) and for an unquoted value that is not hex.
func appendUntrusted(dst, val []byte, quoted bool) ([]byte, bool) {
	if quoted {
		return append(dst, val...), true
	}
	if len(val)%2 != 0 || isNull(val, quoted) {
		return dst, false
	}
	n := len(dst)
	for i := 0; i < len(val); i += 2 {
		hi, ok1 := unhex(val[i])
		lo, ok2 := unhex(val[i+1])
		if !ok1 || !ok2 {
			return dst[:n], false
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, true
}
