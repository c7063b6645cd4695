package fanotify

import (
	"testing"
	"time"
)

// TestPairCreate: a file's creation and its creator's write pair up once,
// in either order, within the dedup window; other processes' writes and
// late writes do not.
func TestPairCreate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		name       string
		steps      func(c *Collector) (first, second bool)
		wantSecond bool
	}{
		{"create then write", func(c *Collector) (bool, bool) {
			a := c.pairCreate(7, "/dev/x", true, now)
			c.firstSeen(7, "/dev/x", true, now.Add(time.Millisecond))
			return a, c.pairCreate(7, "/dev/x", false, now.Add(time.Millisecond))
		}, true},
		{"write then create", func(c *Collector) (bool, bool) {
			c.firstSeen(7, "/dev/x", true, now)
			a := c.pairCreate(7, "/dev/x", false, now)
			return a, c.pairCreate(7, "/dev/x", true, now.Add(time.Millisecond))
		}, true},
		{"another process writes", func(c *Collector) (bool, bool) {
			a := c.pairCreate(7, "/dev/x", true, now)
			return a, c.pairCreate(8, "/dev/x", false, now)
		}, false},
		{"write too late", func(c *Collector) (bool, bool) {
			a := c.pairCreate(7, "/dev/x", true, now)
			return a, c.pairCreate(7, "/dev/x", false, now.Add(dedupWindow+time.Second))
		}, false},
		{"paired once", func(c *Collector) (bool, bool) {
			c.pairCreate(7, "/dev/x", true, now)
			c.pairCreate(7, "/dev/x", false, now)
			return false, c.pairCreate(7, "/dev/x", false, now)
		}, false},
	} {
		col := &Collector{writes: map[writeKey]time.Time{}, created: map[writeKey]time.Time{}}
		first, second := c.steps(col)
		if first || second != c.wantSecond {
			t.Errorf("%s: %v %v, want false %v", c.name, first, second, c.wantSecond)
		}
	}
}
