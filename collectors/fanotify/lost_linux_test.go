//go:build linux

package fanotify

import (
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors"
)

// TestLostNotices checks that every loss is counted and that Notify hears
// of them at most once per lostNoticeEvery, with the number of losses it
// stands for.
func TestLostNotices(t *testing.T) {
	var got []collectors.Notice
	c := &Collector{notify: func(n collectors.Notice) { got = append(got, n) }}
	c.lost("queue overflow")
	c.lost("queue overflow")
	c.lost("queue overflow")
	if d := c.Stats().KernelDrops; d != 3 {
		t.Errorf("KernelDrops = %d, want 3", d)
	}
	if len(got) != 1 || got[0].Kind != collectors.NoticeLost || got[0].Collector != "fanotify" {
		t.Fatalf("notices = %+v, want one NoticeLost", got)
	}
	// A second later the next loss is noticed, with those held back.
	c.lastNotice.Add(-int64(lostNoticeEvery))
	c.lost("queue overflow")
	if len(got) != 2 || !strings.Contains(got[1].Message, "(3 losses") {
		t.Fatalf("notices = %+v, want a second one standing for 3 losses", got)
	}
	// Without Notify, losses are still counted.
	c = &Collector{}
	c.lost("connector overrun")
	if d := c.Stats().KernelDrops; d != 1 {
		t.Errorf("KernelDrops without Notify = %d, want 1", d)
	}
}
