//go:build linux

package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateFileRoundTrip(t *testing.T) {
	for _, s := range []saved{
		{pid: 12, start: 34},
		{pid: 12, start: 34, enabled: setting{0, true}, backlog: setting{64, true}, waitTime: setting{60000, true}},
		{pid: 12, start: 34, backlog: setting{64, true}, exclusion: true},
		{pid: 12, start: 34, exclusion: true, eoeExclusion: true},
		{pid: 12, start: 34, eoeExclusion: true},
	} {
		got, ok := parseSaved(s.marshal())
		if !ok || got != s {
			t.Errorf("%q: parsed %+v %v, want %+v", s.marshal(), got, ok, s)
		}
	}
	if _, ok := parseSaved([]byte("exclude_proctitle=1\n")); ok {
		t.Error("a state without pid parsed")
	}
}

// TestStateFileRefusesLink: a symbolic link planted where the state file
// is written makes writeState fail, and its target stays as it was.
func TestStateFileRefusesLink(t *testing.T) {
	p := statePath(t.TempDir(), "k")
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p+".tmp"); err != nil {
		t.Fatal(err)
	}
	err := writeState(p, &saved{pid: 1, start: 2})
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("writeState through a link: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "secret" {
		t.Errorf("target now holds %q", b)
	}
}
