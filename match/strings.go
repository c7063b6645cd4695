package match

import (
	"encoding/base64"
	"strings"
)

// ContainsFold reports whether sub occurs in s when ASCII letters are
// compared without regard to case. It is the icontains operator. Bytes
// outside ASCII compare exactly. An empty sub is in every s. ContainsFold
// does not allocate.
func ContainsFold(s, sub string) bool {
	n := len(sub)
	switch {
	case n == 0:
		return true
	case n > len(s):
		return false
	}
	first := foldIf(sub[0], true)
	for i := 0; i+n <= len(s); i++ {
		if foldIf(s[i], true) == first && equalFold(s[i+1:i+n], sub[1:]) {
			return true
		}
	}
	return false
}

// equalFold reports whether a and b, of equal length, are equal under ASCII
// case folding.
func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && foldIf(a[i], true) != foldIf(b[i], true) {
			return false
		}
	}
	return true
}

// ToLower implements the tolower transformer: it maps ASCII 'A'-'Z' to
// 'a'-'z' and leaves every other byte alone. It returns s itself when
// nothing changes.
func ToLower(s string) string {
	return mapASCII(s, 'A', 'Z', 'a'-'A')
}

// ToUpper implements the toupper transformer: it maps ASCII 'a'-'z' to
// 'A'-'Z' and leaves every other byte alone. It returns s itself when
// nothing changes.
func ToUpper(s string) string {
	return mapASCII(s, 'a', 'z', -('a' - 'A'))
}

func mapASCII(s string, lo, hi byte, delta int) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if lo <= b[i] && b[i] <= hi {
			b[i] = byte(int(b[i]) + delta)
		}
	}
	return string(b)
}

// B64 implements the b64 transformer: it decodes s as standard base64
// (RFC 4648 alphabet with '+' and '/'). As in libsinsp, padding is
// optional: up to two trailing '=' are dropped and the rest must be a valid
// unpadded encoding whose unused trailing bits are zero. Line breaks and
// other whitespace are invalid. The empty string decodes to the empty
// string. The second result is false when s is not valid base64.
func B64(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", false
	}
	t := strings.TrimSuffix(s, "=")
	t = strings.TrimSuffix(t, "=")
	if t == "" {
		return "", false
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(t)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Basename implements the basename transformer. Like libsinsp's, it returns
// the text after the last '/' of s, or s itself when s has no '/'. It does
// not clean the path first, so it differs from [path.Base] at the edges:
// Basename("") and Basename("/") are "", and Basename("a/b/") is "" rather
// than "b".
func Basename(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}
