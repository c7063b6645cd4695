package collectors

import (
	"testing"
	"time"
)

func TestLossReporter(t *testing.T) {
	var got []Notice
	l := LossReporter{Collector: "ebpf", What: "records lost (ring buffer full)", Notify: func(n Notice) { got = append(got, n) }}
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at     time.Duration
		total  uint64
		byType map[string]uint64
		want   string // "" when no notice is due
	}{
		{0, 0, nil, ""},
		{time.Second, 12, map[string]uint64{"openat": 10, "connect": 2}, "ebpf: 12 records lost (ring buffer full): connect 2, openat 10"},
		{2 * time.Second, 20, map[string]uint64{"openat": 18, "connect": 2}, ""},
		{30 * time.Second, 25, map[string]uint64{"openat": 18, "connect": 7}, ""},
		{61 * time.Second, 30, map[string]uint64{"openat": 18, "connect": 7, "exec": 5},
			"ebpf: 18 more records lost (ring buffer full) in the last 1m0s (30 in all): connect 5, exec 5, openat 8"},
		{200 * time.Second, 30, map[string]uint64{"openat": 18, "connect": 7, "exec": 5}, ""},
		{201 * time.Second, 31, nil, "ebpf: 1 more records lost (ring buffer full) in the last 2m20s (31 in all)"},
	}
	for i, s := range steps {
		n := len(got)
		sent := l.Update(t0.Add(s.at), s.total, s.byType)
		if sent != (s.want != "") || len(got) != n+btoi(sent) {
			t.Fatalf("step %d: sent %v, notices %d -> %d, want %q", i, sent, n, len(got), s.want)
		}
		if !sent {
			continue
		}
		nt := got[len(got)-1]
		if nt.Message != s.want || nt.Kind != NoticeLost || nt.Collector != "ebpf" || nt.Time != t0.Add(s.at).UnixNano() {
			t.Errorf("step %d: notice %+v, want message %q", i, nt, s.want)
		}
	}
}

func TestLossReporterWithoutNotify(t *testing.T) {
	var l LossReporter
	if l.Update(time.Now(), 5, nil) {
		t.Error("sent a notice without Notify")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestLossReporterWatch: Watch reports what the counters say until stop
// is closed, then returns.
func TestLossReporterWatch(t *testing.T) {
	notices := make(chan Notice, 1)
	lr := LossReporter{Collector: "ebpf", What: "records lost", Notify: func(n Notice) {
		select {
		case notices <- n:
		default:
		}
	}}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		lr.Watch(stop, time.Millisecond, func() (uint64, map[string]uint64) { return 3, map[string]uint64{"openat": 3} })
		close(done)
	}()
	if n := <-notices; n.Kind != NoticeLost || n.Message != "ebpf: 3 records lost: openat 3" {
		t.Errorf("notice %+v", n)
	}
	close(stop)
	<-done
}
