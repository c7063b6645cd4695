//go:build linux

package audit

import "testing"

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
