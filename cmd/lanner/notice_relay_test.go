package main

import (
	"testing"

	"github.com/lannersec/lanner/collectors"
)

// TestNoticeRelay: notices before the engine exists wait for it (a
// bounded number), and none goes to it once unset.
func TestNoticeRelay(t *testing.T) {
	r := &noticeRelay{}
	for i := range maxEarlyNotices + 5 {
		r.notify(collectors.Notice{Message: string(rune('a' + i))})
	}
	var got []string
	r.set(func(n collectors.Notice) { got = append(got, n.Message) })
	if len(got) != maxEarlyNotices || got[0] != "a" {
		t.Fatalf("early notices %q, want the first %d", got, maxEarlyNotices)
	}
	r.notify(collectors.Notice{Message: "late"})
	if got[len(got)-1] != "late" {
		t.Errorf("notice after set not delivered: %q", got)
	}
	r.set(nil)
	n := len(got)
	r.notify(collectors.Notice{Message: "after"})
	if len(got) != n {
		t.Errorf("notice delivered after unset: %q", got)
	}
}
