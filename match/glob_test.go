package match

import (
	"strings"
	"testing"
)

type globCase struct {
	pattern, s string
	want       bool
}

// globCases pin fnmatch(pattern, s, 0) as glibc computes it in the C locale;
// every expectation was checked against glibc 2.36, except those with a NUL
// byte, which a C string cannot hold.
var globCases = []globCase{
	// Empty pattern and empty string.
	{"", "", true},
	{"", "a", false},
	{"a", "", false},
	{"*", "", true},
	{"**", "", true},
	{"?", "", false},

	// Literals.
	{"abc", "abc", true},
	{"abc", "abd", false},
	{"abc", "ab", false},
	{"ab", "abc", false},

	// '*' matches any run, '/' and a leading '.' included.
	{"*", "anything/with/slashes", true},
	{"*", ".hidden", true},
	{"a*b", "a/b", true},
	{"a*b", "ab", true},
	{"a*b", "a/x/y/b", true},
	{"a*b", "a/x/y/bc", false},
	{"*a*b*c*", "xxaxxbxxcxx", true},
	{"*a*b*c*", "xxaxxcxxbxx", false},
	{"*.sh", "run.sh", true},
	{"*.sh", "/tmp/x/run.sh", true},
	{"*.sh", ".sh", true},
	{"*.sh", "run.shx", false},
	{"*.sh", "run.s", false},
	{"/etc/*", "/etc/passwd", true},
	{"/etc/*", "/etc/ssh/sshd_config", true},
	{"/etc/*", "/etc/", true},
	{"/etc/*", "/etc", false},
	{"/etc/*", "/etcetera", false},
	{"*/bin/*sh", "/usr/bin/bash", true},
	{"*/bin/*sh", "/usr/bin/bash/x", false},
	{"*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 64), false},
	{"*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 64) + "b", true},

	// '?' matches exactly one byte, '/' and '.' included.
	{"?", "a", true},
	{"?", "/", true},
	{"?", "ab", false},
	{"??", "a", false},
	{"a?c", "a/c", true},
	{"?hidden", ".hidden", true},
	{"*?", "", false},
	{"*?", "x", true},
	{"?*?", "x", false},
	{"\xc3\xa9", "\xc3\xa9", true},
	{"?", "\xc3\xa9", false}, // bytes, not runes
	{"??", "\xc3\xa9", true},

	// Bracket expressions.
	{"[abc]", "b", true},
	{"[abc]", "d", false},
	{"[abc]", "", false},
	{"[abc]", "ab", false},
	{"[a-c]", "b", true},
	{"[a-c]", "d", false},
	{"[a-cx-z]", "y", true},
	{"[z-a]", "m", false},
	{"[z-a]", "z", false},
	{"[a-]", "-", true},
	{"[a-]", "a", true},
	{"[-a]", "-", true},
	{"[a-c-e]", "d", false},
	{"[a-c-e]", "-", true},
	{"[a-c-e]", "e", true},
	{"[--0]", "/", true},
	{"[\x01-\xff]", "\x80", true},
	{"[\x80-\xff]", "\x7f", false},
	{"[.]", ".", true},
	{"[*]", "*", true},
	{"[*]", "a", false},
	{"[?]", "?", true},
	{"[?]", "a", false},
	{"[/]", "/", true},
	{"/proc/[0-9]*/environ", "/proc/1234/environ", true},
	{"/proc/[0-9]*/environ", "/proc/1/task/1/environ", true},
	{"/proc/[0-9]*/environ", "/proc/self/environ", false},
	{"/proc/[0-9]*/environ", "/proc//environ", false},

	// Negation with '!' or '^'.
	{"[!a]", "b", true},
	{"[!a]", "a", false},
	{"[!a]", "/", true},
	{"[!a]", "", false},
	{"[^a]", "b", true},
	{"[^a]", "a", false},
	{"[!a-c]", "d", true},
	{"[!a-c]", "b", false},
	{"[a!]", "!", true},
	{"[a^]", "^", true},

	// ']' first is a member.
	{"[]]", "]", true},
	{"[]]", "a", false},
	{"[]a]", "a", true},
	{"[]a]", "]", true},
	{"[!]]", "a", true},
	{"[!]]", "]", false},
	{"[^]]", "]", false},
	{"[]-a]", "^", true},
	{"[]-a]", "b", false},
	{"[]]]", "]]", true},
	{"[]]]", "]", false},

	// Character classes.
	{"[[:alpha:]]", "a", true},
	{"[[:alpha:]]", "Z", true},
	{"[[:alpha:]]", "1", false},
	{"[[:alpha:]]", "\xe9", false},
	{"[[:digit:]]x", "7x", true},
	{"[[:digit:]]", "a", false},
	{"[[:alnum:]]", "q", true},
	{"[[:alnum:]]", "5", true},
	{"[[:alnum:]]", "_", false},
	{"[[:upper:]]", "Q", true},
	{"[[:upper:]]", "q", false},
	{"[[:lower:]]", "q", true},
	{"[[:lower:]]", "Q", false},
	{"[[:space:]]", " ", true},
	{"[[:space:]]", "\t", true},
	{"[[:space:]]", "\v", true},
	{"[[:space:]]", "_", false},
	{"[[:blank:]]", "\t", true},
	{"[[:blank:]]", "\n", false},
	{"[[:punct:]]", "!", true},
	{"[[:punct:]]", "~", true},
	{"[[:punct:]]", "a", false},
	{"[[:xdigit:]]", "F", true},
	{"[[:xdigit:]]", "g", false},
	{"[[:print:]]", " ", true},
	{"[[:print:]]", "\x7f", false},
	{"[[:graph:]]", " ", false},
	{"[[:graph:]]", "~", true},
	{"[[:cntrl:]]", "\x7f", true},
	{"[[:cntrl:]]", "\x00", true},
	{"[[:cntrl:]]", "a", false},
	{"[[:alpha:][:digit:]]", "5", true},
	{"[[:alpha:][:digit:]]", "-", false},
	{"[![:digit:]]", "a", true},
	{"[![:digit:]]", "5", false},
	{"[x[:digit:]]", "x", true},
	{"[[:alpha:]-z]", "-", true}, // a class never starts a range
	{"[[:alpha:]-z]", "b", true},
	{"[[:ALPHA:]]", "A]", true}, // not a class: the set [:ALPH then ']'
	{"[[:ALPHA:]]", "A", false},
	{"[[:]", ":", true},
	{"[[:]", "[", true},

	// Backslash escapes.
	{"\\*", "*", true},
	{"\\*", "a", false},
	{"\\?", "?", true},
	{"\\?", "a", false},
	{"\\[", "[", true},
	{"\\a", "a", true},
	{"\\\\", "\\", true},
	{"a\\*b", "a*b", true},
	{"a\\*b", "axb", false},
	{"[\\]]", "]", true},
	{"[\\]]", "\\", false},
	{"[\\!a]", "!", true},
	{"[a\\-z]", "-", true},
	{"[a\\-z]", "b", false},
	{"[\\\\-a]", "_", true},
	{"[A-\\]]", "B", true},
	{"[!\\]]", "]", false},

	// A trailing backslash never matches.
	{"\\", "\\", false},
	{"\\", "", false},
	{"a\\", "a\\", false},
	{"a\\", "a", false},
	{"*\\", "x\\", false},

	// An unterminated '[' is a literal '['.
	{"[", "[", true},
	{"[", "", false},
	{"[", "a", false},
	{"[ab", "[ab", true},
	{"[ab", "a", false},
	{"[[", "[[", true},
	{"[[", "[", false},
	{"[[ab", "[[ab", true},
	{"[]", "[]", true},
	{"[]", "]", false},
	{"[]a", "[]a", true},
	{"[!", "[!", true},
	{"[!]", "[!]", true},
	{"[!]", "a", false},
	{"[a-z", "[a-z", true},
	{"[a-z", "b", false},
	{"*[", "x[", true},
	{"[\\]", "[]", true},
	{"[\\a", "[a", true},
	{"[[:alpha:]", "[a", true},
	{"[[:alpha:]", "[[:alpha:]", false},
	{"[x-[", "[x-[", true},

	// Malformed sets fail where glibc's scan meets the flaw.
	{"[[:foo:]]", "f", false},
	{"[[:foo:]]", "[", false},
	{"[a[:foo:]]", "a", true},
	{"[a[:foo:]]", "b", false},
	{"[a-", "[a-", false},
	{"[a-", "a", false},
	{"[\\", "[\\", false},
	{"[a\\", "[a\\", false},
	{"[[:alpha:]]x[a-", "ax[a-", false},

	// Equivalence classes and collating symbols of one byte.
	{"[[=a=]]", "a", true},
	{"[[=a=]b]", "b", true},
	{"[[=a=]]", "b", false},
	{"[[===]]", "=", true},
	{"[[=ab=]]", "a", false},
	{"[[.a.]]", "a", true},
	{"[[.-.]]", "-", true},
	{"[[.ab.]]", "a", false},
	{"[[.hyphen.]]", "-", false},
	{"[[.a.]-c]", "b", true},
	{"[a-[.c.]]", "b", true},
	{"[[.a.]-]", "a", false}, // glibc quirk: "-]" after a symbol blocks it
	{"[[.a.]-]", "-", true},
	{"[a[=b]", "[", true},  // "[=b]" is not an equivalence class here...
	{"[a[=b]", "a", false}, // ...but once 'a' matched, glibc rejects it

	// A range ending in '[' before ':' or '=' is read one way while looking
	// for the byte and another way after a match, so the set's width depends
	// on the byte; like glibc, '*' does not retry a matched segment.
	{"[xa-[:b:]xy]", "x", true},
	{"[xa-[:b:]xy]", ":xy]", true},
	{"[xa-[:b:]xy]", "x]", false},
	{"*[xa-[:b:]xy]*y]", "x_y]", true},
	{"*[xa-[:b:]xy]*y]", ":xy]", false},
	{"*[xa-[:b:]xy]*y]", ":xy]y]", true},
}

// iglobCases pin fnmatch(pattern, s, FNM_CASEFOLD); checked against glibc
// 2.36 like globCases.
var iglobCases = []globCase{
	{"", "", true},
	{"*.SH", "run.sh", true},
	{"*.sh", "RUN.SH", true},
	{"/ETC/*", "/etc/Passwd", true},
	{"abc", "ABD", false},
	{"[A-Z]", "q", true},
	{"[a-z]", "Q", true},
	{"[!a]", "A", false},
	{"[^A]", "a", false},
	{"[!a]", "B", true},
	{"\\A", "a", true},
	{"[\\A]", "a", true},
	{"[Z-a]", "m", false}, // folded to [z-a], an empty range
	{"[_-a]", "A", true},
	{"[[:upper:]]", "A", true},
	{"[[:upper:]]", "a", false}, // classes test the byte unfolded
	{"[[:lower:]]", "A", false},
	{"[[=a=]]", "A", false},
	{"[[.a.]]", "A", false},
	{"\xc3\xa9", "\xc3\x89", false}, // only ASCII folds
	{"[", "[", true},
	{"?", "A", true},
}

func TestGlob(t *testing.T) {
	for _, c := range globCases {
		if got := Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if len(c.s) > 16 || widthVaries(c.pattern) {
			continue
		}
		if got := refGlob(c.pattern, c.s, false); got != c.want {
			t.Errorf("refGlob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestIGlob(t *testing.T) {
	for _, c := range iglobCases {
		if got := IGlob(c.pattern, c.s); got != c.want {
			t.Errorf("IGlob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if got := refGlob(c.pattern, c.s, true); got != c.want {
			t.Errorf("refGlob(%q, %q, fold) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
	// Without classes, case folding is the same as lower-casing both sides.
	for _, c := range globCases {
		if !foldable(c.pattern) || !isASCII(c.pattern) || !isASCII(c.s) {
			continue
		}
		want := Glob(ToLower(c.pattern), ToLower(c.s))
		for _, s := range []string{c.s, ToUpper(c.s), ToLower(c.s)} {
			if got := IGlob(ToUpper(c.pattern), s); got != want {
				t.Errorf("IGlob(%q, %q) = %v, want %v", ToUpper(c.pattern), s, got, want)
			}
		}
	}
}

// The malformed-class limit: glibc gives up on a [:name: scan after
// CHARCLASS_NAME_MAX bytes, and the whole set then fails.
func TestGlobLongClassName(t *testing.T) {
	long := strings.Repeat("a", classNameMax)
	cases := []globCase{
		{"[[:" + long + "A]", "[", false},
		{"[[:" + long[1:] + "A]", "[", true},
		{"[x[:" + long[1:] + ":]]", "x", false},
		{"[x[:" + long[2:] + ":]]", "x", true},
	}
	for _, c := range cases {
		if got := Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%.12q... (%d bytes), %q) = %v, want %v", c.pattern, len(c.pattern), c.s, got, c.want)
		}
	}
}

// refGlob is the reference for FuzzGlob: plain recursion that tries every
// split of s at every star, and a bracket reader written independently of
// the one in glob.go. It is exponential, so it is only used on short inputs.
func refGlob(p, s string, fold bool) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		p = strings.TrimLeft(p, "*")
		for k := 0; k <= len(s); k++ {
			if refGlob(p, s[k:], fold) {
				return true
			}
		}
		return false
	}
	if s == "" {
		return false
	}
	b := s[0]
	var rest string
	var ok bool
	switch p[0] {
	case '?':
		rest, ok = p[1:], true
	case '\\':
		if len(p) < 2 {
			return false
		}
		rest, ok = p[2:], refFold(p[1], fold) == refFold(b, fold)
	case '[':
		rest, ok = refBracket(p, b, fold)
	default:
		rest, ok = p[1:], refFold(p[0], fold) == refFold(b, fold)
	}
	return ok && refGlob(rest, s[1:], fold)
}

func refFold(b byte, fold bool) byte {
	if fold && 'A' <= b && b <= 'Z' {
		return b - 'A' + 'a'
	}
	return b
}

// refMember is one member of a bracket expression as glibc reads it while
// looking for a byte.
type refMember struct {
	bad bool // the member makes the whole set fail

	// Members other than ranges.
	direct  bool   // compare with eq
	eq      byte   // the byte to compare with
	folded  bool   // eq is compared with the folded byte, else the raw one
	class   string // the name of a [:class:], if isClass
	isClass bool

	// Ranges, tried when direct is false or the comparison failed.
	isRange  bool
	rangeBad bool // the range is malformed
	lo, hi   byte
}

// refBracket matches b against the set at the start of p and returns what
// follows the set.
func refBracket(p string, b byte, fold bool) (string, bool) {
	fb := refFold(b, fold)
	body := p[1:]
	neg := strings.HasPrefix(body, "!") || strings.HasPrefix(body, "^")
	if neg {
		body = body[1:]
	}
	for first := true; ; first = false {
		if body == "" {
			return p[1:], b == '['
		}
		if body[0] == ']' && !first {
			return body[1:], neg
		}
		m, rest := refReadMember(body, fold)
		var hit bool
		switch {
		case m.bad:
			return "", false
		case m.isClass:
			if refClassNames[m.class] == nil {
				return "", false
			}
			hit = refClassNames[m.class](b)
		case m.direct && m.folded:
			hit = m.eq == fb
		case m.direct:
			hit = m.eq == b
		}
		if !hit && m.isRange {
			if m.rangeBad {
				return "", false
			}
			hit = m.lo <= fb && fb <= m.hi
		}
		if hit {
			return refSkip(p, rest, b, neg)
		}
		body = rest
	}
}

// refReadMember reads one member at the start of body.
func refReadMember(body string, fold bool) (refMember, string) {
	var m refMember
	if strings.HasPrefix(body, "[:") {
		name := strings.TrimLeft(body[2:], "abcdefghijklmnopqrstuvwxy")
		if strings.HasPrefix(name, ":]") {
			m.isClass, m.class = true, body[2:len(body)-len(name)]
			return m, name[2:]
		}
	}
	if len(body) >= 5 && body[:2] == "[=" && body[3:5] == "=]" {
		return refMember{direct: true, eq: body[2]}, body[5:]
	}
	var rest string
	var allowDashBracket bool
	if strings.HasPrefix(body, "[.") {
		end := strings.Index(body[2:], ".]")
		if end != 1 {
			return refMember{bad: true}, ""
		}
		m.eq, rest = body[2], body[5:]
		allowDashBracket = true
	} else if body[0] == '\\' {
		if len(body) < 2 {
			return refMember{bad: true}, ""
		}
		m.eq, m.folded, rest = refFold(body[1], fold), true, body[2:]
	} else {
		m.eq, m.folded, rest = refFold(body[0], fold), true, body[1:]
	}
	switch {
	case len(rest) >= 2 && rest[0] == '-' && rest[1] != ']':
		m.isRange = true
	case len(rest) == 1 && rest[0] == '-':
		// A range without an upper bound: glibc compares the first byte
		// and only then notices.
		m.direct, m.isRange, m.rangeBad = true, true, true
		return m, ""
	case len(rest) >= 2 && rest[0] == '-' && allowDashBracket:
		// "-]" after a collating symbol: neither a range nor a member.
		return m, rest
	default:
		m.direct = true
		return m, rest
	}
	m.lo = m.eq
	hi := rest[1:]
	switch {
	case strings.HasPrefix(hi, "[."):
		if strings.Index(hi[2:], ".]") != 1 {
			m.rangeBad = true
			return m, ""
		}
		m.hi, rest = hi[2], hi[5:]
	case hi[0] == '\\':
		if len(hi) < 2 {
			m.rangeBad = true
			return m, ""
		}
		m.hi, rest = refFold(hi[1], fold), hi[2:]
	default:
		m.hi, rest = refFold(hi[0], fold), hi[1:]
	}
	return m, rest
}

// refSkip finds the end of a set after a member matched, the way glibc
// does it.
func refSkip(p, rest string, b byte, neg bool) (string, bool) {
	for {
		switch {
		case rest == "":
			return p[1:], b == '['
		case rest[0] == ']':
			return rest[1:], !neg
		case rest[0] == '\\':
			if len(rest) < 2 {
				return "", false
			}
			rest = rest[2:]
		case strings.HasPrefix(rest, "[:"):
			name := strings.TrimLeft(rest[2:], "abcdefghijklmnopqrstuvwxy")
			if strings.HasPrefix(name, ":]") {
				rest = name[2:]
			} else {
				rest = rest[1:]
			}
		case strings.HasPrefix(rest, "[="):
			if len(rest) < 5 || rest[3:5] != "=]" {
				return "", false
			}
			rest = rest[5:]
		case strings.HasPrefix(rest, "[."):
			end := strings.Index(rest[2:], ".]")
			if end < 0 {
				return "", false
			}
			rest = rest[2+end+2:]
		default:
			rest = rest[1:]
		}
	}
}

var refClassNames = map[string]func(byte) bool{
	"alnum":  func(b byte) bool { return refLetter(b) || '0' <= b && b <= '9' },
	"alpha":  refLetter,
	"blank":  func(b byte) bool { return b == ' ' || b == '\t' },
	"cntrl":  func(b byte) bool { return b < 0x20 || b == 0x7f },
	"digit":  func(b byte) bool { return strings.IndexByte("0123456789", b) >= 0 },
	"graph":  func(b byte) bool { return b > ' ' && b < 0x7f },
	"lower":  func(b byte) bool { return strings.IndexByte("abcdefghijklmnopqrstuvwxyz", b) >= 0 },
	"print":  func(b byte) bool { return b >= ' ' && b < 0x7f },
	"punct":  func(b byte) bool { return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", b) >= 0 },
	"space":  func(b byte) bool { return strings.IndexByte(" \t\n\v\f\r", b) >= 0 },
	"upper":  func(b byte) bool { return strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ", b) >= 0 },
	"xdigit": func(b byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", b) >= 0 },
}

func refLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// widthVaries reports whether p may hold a set whose width depends on the
// byte tested (a range ending in '[' before ':' or '='). For those sets
// Glob, like glibc, does not retry a star segment that already matched, and
// the exhaustive reference would find more matches.
func widthVaries(p string) bool {
	return strings.Contains(p, "-[:") || strings.Contains(p, "-[=")
}

// foldable reports whether p uses none of the constructs that compare bytes
// without case folding under IGlob.
func foldable(p string) bool {
	return !strings.Contains(p, "[:") && !strings.Contains(p, "[=") && !strings.Contains(p, "[.")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzGlob(f *testing.F) {
	for _, c := range globCases {
		f.Add(c.pattern, c.s)
	}
	for _, c := range iglobCases {
		f.Add(c.pattern, c.s)
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 16 || len(s) > 16 {
			return
		}
		if !widthVaries(pattern) {
			for _, fold := range []bool{false, true} {
				if got, want := glob(pattern, s, fold), refGlob(pattern, s, fold); got != want {
					t.Fatalf("glob(%q, %q, fold=%v) = %v, reference says %v", pattern, s, fold, got, want)
				}
			}
		}
		if foldable(pattern) && isASCII(pattern) && isASCII(s) {
			if got, want := IGlob(pattern, s), Glob(ToLower(pattern), ToLower(s)); got != want {
				t.Fatalf("IGlob(%q, %q) = %v, Glob of the lower-cased pair = %v", pattern, s, got, want)
			}
		}
	})
}

func BenchmarkGlob(b *testing.B) {
	benches := []struct {
		name, pattern, s string
	}{
		{"literal", "/usr/bin/bash", "/usr/bin/bash"},
		{"suffix", "*.sh", "/home/user/projects/scripts/deploy-production.sh"},
		{"prefix", "/etc/*", "/etc/kubernetes/manifests/kube-apiserver.yaml"},
		{"class", "/proc/[0-9]*/environ", "/proc/123456/environ"},
		{"miss", "*/.ssh/authorized_keys*", "/var/lib/docker/overlay2/abcdef0123456789/merged/usr/lib/x86_64-linux-gnu/libc.so.6"},
		{"backtrack", "*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 64)},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Glob(bb.pattern, bb.s)
			}
		})
	}
	b.Run("iglob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			IGlob("*/BIN/*SH", "/usr/local/bin/zsh")
		}
	})
}
