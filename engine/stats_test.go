package engine

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/lannersec/lanner/output"
)

// TestStatsLineSinks: the stats line totals what the sinks failed, dropped
// and lost, and then gives each sink's counters on a line of its own.
func TestStatsLineSinks(t *testing.T) {
	s := Stats{Collector: "ebpf", Sinks: []output.SinkStats{
		{Name: "file:/var/log/lanner alerts.json", Sent: 10},
		{Name: "http:http://127.0.0.1:9/x", Failed: 3, Dropped: 2, Lost: 4},
	}}
	lines := strings.Split(s.Line(), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines %q", lines)
	}
	for _, want := range []string{" alert_drops=2 ", " alert_failures=3 ", " alerts_lost=4"} {
		if !strings.Contains(lines[0]+" ", want) {
			t.Errorf("%q lacks %q", lines[0], want)
		}
	}
	if want := `stats: sink="file:/var/log/lanner alerts.json" sent=10 failed=0 dropped=0 lost=0`; lines[1] != want {
		t.Errorf("%q, want %q", lines[1], want)
	}
	if want := `stats: sink=http:http://127.0.0.1:9/x sent=0 failed=3 dropped=2 lost=4`; lines[2] != want {
		t.Errorf("%q, want %q", lines[2], want)
	}
	// One sink that delivered everything: the one line, as before.
	s.Sinks = s.Sinks[:1]
	if l := s.Line(); strings.Contains(l, "\n") || !strings.Contains(l, "alert_failures=0 alerts_lost=0") {
		t.Errorf("%q", l)
	}
}

// TestStatsLineDropsByType: kernel drops a collector attributes are listed
// by event type at the end of the first line, only when there are some.
func TestStatsLineDropsByType(t *testing.T) {
	s := Stats{Collector: "ebpf", KernelDrops: 12, KernelDropsByType: map[string]uint64{"openat": 10, "connect": 2}}
	l := s.Line()
	if !strings.Contains(l, " kernel_drops=12 ") || !strings.HasSuffix(l, " kernel_drops_by_type=connect:2,openat:10") {
		t.Errorf("%q", l)
	}
	s.KernelDropsByType = nil
	if l := s.Line(); strings.Contains(l, "by_type") {
		t.Errorf("%q", l)
	}
}

// TestStatsLog: the stats record has the keys of the stats line, as
// numbers in JSON, and a record per sink when a sink did not deliver all.
func TestStatsLog(t *testing.T) {
	s := Stats{Collector: "audit", Events: 5, KernelDrops: 12, KernelDropsByType: map[string]uint64{"openat": 10, "connect": 2},
		Sinks: []output.SinkStats{{Name: "file:/f x", Sent: 4, Lost: 1}}}
	var b strings.Builder
	s.Log(slog.New(slog.NewJSONHandler(&b, nil)), "exit")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("records %q", lines)
	}
	var rec, sink map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &sink); err != nil {
		t.Fatal(err)
	}
	if rec["msg"] != "exit" || rec["collector"] != "audit" || rec["events"] != 5.0 || rec["kernel_drops"] != 12.0 ||
		rec["alerts_lost"] != 1.0 || rec["kernel_drops_by_type"] != "connect:2,openat:10" {
		t.Errorf("record %v", rec)
	}
	if sink["msg"] != "sink stats" || sink["sink"] != "file:/f x" || sink["sent"] != 4.0 || sink["lost"] != 1.0 {
		t.Errorf("sink record %v", sink)
	}
}
