package ruleset

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendEscaped(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/etc/shadow", "/etc/shadow"},
		{"/tmp/x\n01:02:03.000000000: Critical FORGED", `/tmp/x\n01:02:03.000000000: Critical FORGED`},
		{"\x1b[2J", `\x1b[2J`},
		{"a\rb\tc", `a\rb\tc`},
		{`a\nb`, `a\\nb`},
		{"\x00\x01\x1f\x7f", `\x00\x01\x1f\x7f`},
		{"\u0080\u0085\u009f\u00a0", `\u0080\u0085\u009f` + "\u00a0"},
		{"a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"\xff\xfe", `\xff\xfe`},
		{"\xc2", `\xc2`},                 // truncated sequence
		{"\xe2\x80", `\xe2\x80`},         // truncated sequence
		{"\xed\xa0\x80", `\xed\xa0\x80`}, // surrogate
		{"\xc0\xaf", `\xc0\xaf`},         // overlong
		{"é日本\U0001F600\ufffd", "é日本\U0001F600\ufffd"},
		{"", ""},
	} {
		if got := string(AppendEscaped(nil, c.in)); got != c.want {
			t.Errorf("AppendEscaped(%q) = %q, want %q", c.in, got, c.want)
		}
		if !IsEscaped([]byte(c.want)) {
			t.Errorf("IsEscaped(%q) = false", c.want)
		}
	}
	if got := string(AppendControlsEscaped(nil, []byte("a\\n\nb\x1b"))); got != `a\n\nb\x1b` {
		t.Errorf("AppendControlsEscaped: %q", got)
	}
	for _, s := range []string{"\n", "a\x1b", "\x7f", "\u0085", "\u2028", "\xff"} {
		if IsEscaped([]byte(s)) {
			t.Errorf("IsEscaped(%q) = true", s)
		}
	}
	if got := string(AppendString(nil, "x\ny", true)); got != `x\ny` {
		t.Errorf("AppendString: %q", got)
	}
	if got := string(AppendBytes(nil, []byte("a\\n\n\xff"), true)); got != "a.n.." {
		t.Errorf("AppendBytes: %q", got)
	}
}

func TestPad(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 4, "abcd"},
		{"日本語", 4, "日 "},
		{"a\x1bbc", 3, "a  "},
		{"a\x1bbc", 5, `a\x1b`},
		{"ab\\c", 3, "ab "},
		{"a\u0085", 5, "a    "},
		{"a\u0085", 7, `a\u0085`},
	} {
		got := string(Pad(AppendEscaped([]byte("<"), c.in), 1, c.width))
		if got != "<"+c.want {
			t.Errorf("Pad(%q, %d) = %q, want %q", c.in, c.width, got[1:], c.want)
		}
	}
}

// unescape reverses AppendEscaped.
func unescape(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'x':
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			b.WriteByte(byte(v))
			i += 2
		case 'u':
			v, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			b.WriteRune(rune(v))
			i += 4
		default:
			t.Fatalf("unknown escape in %q", s)
		}
	}
	return b.String()
}

// FuzzAppendEscaped: the escaped form is visible text that gives back
// exactly the input, and padding it keeps it so.
func FuzzAppendEscaped(f *testing.F) {
	f.Add("/tmp/x\n01:02:03.000000000: Critical FORGED", 8)
	f.Add("\x1b[2J\\x1b\xff\u0085\u2028", 5)
	f.Fuzz(func(t *testing.T, s string, width int) {
		e := AppendEscaped(nil, s)
		if !utf8.Valid(e) || !IsEscaped(e) {
			t.Fatalf("%q escaped to %q", s, e)
		}
		if back := unescape(t, string(e)); back != s {
			t.Fatalf("%q escaped to %q, which reads back as %q", s, e, back)
		}
		width = width & 0xff
		p := Pad(append([]byte{}, e...), 0, width)
		if len(p) != width || !IsEscaped(p) {
			t.Fatalf("Pad(%q, %d) = %q", e, width, p)
		}
		// What padding kept is a prefix of the escaped text made of
		// whole escapes: it reads back as a prefix of s.
		kept := strings.TrimRight(string(p), " ")
		if !strings.HasPrefix(string(e), kept) || !strings.HasPrefix(s, unescape(t, kept)) {
			t.Fatalf("Pad(%q, %d) = %q", e, width, p)
		}
	})
}
