package engine

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/lannersec/lanner/output"
)

// logRecords returns the JSON records s.Log writes.
func logRecords(t *testing.T, s Stats) []map[string]any {
	t.Helper()
	var b strings.Builder
	s.Log(slog.New(slog.NewJSONHandler(&b, nil)), "stats")
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// TestStatsLogSinks: the stats record totals what the sinks failed,
// dropped and lost, and each sink gets a record of its own when there are
// several or one did not deliver everything.
func TestStatsLogSinks(t *testing.T) {
	s := Stats{Collector: "ebpf", Sinks: []output.SinkStats{
		{Name: "file:/var/log/lanner alerts.json", Sent: 10},
		{Name: "http:http://127.0.0.1:9/x", Failed: 3, Dropped: 2, Lost: 4},
	}}
	recs := logRecords(t, s)
	if len(recs) != 3 {
		t.Fatalf("records %v", recs)
	}
	if recs[0]["alert_drops"] != 2.0 || recs[0]["alert_failures"] != 3.0 || recs[0]["alerts_lost"] != 4.0 {
		t.Errorf("totals %v", recs[0])
	}
	if recs[1]["sink"] != "file:/var/log/lanner alerts.json" || recs[1]["sent"] != 10.0 ||
		recs[2]["sink"] != "http:http://127.0.0.1:9/x" || recs[2]["failed"] != 3.0 || recs[2]["dropped"] != 2.0 || recs[2]["lost"] != 4.0 {
		t.Errorf("sink records %v %v", recs[1], recs[2])
	}
	// One sink that delivered everything: the one record.
	s.Sinks = s.Sinks[:1]
	if recs := logRecords(t, s); len(recs) != 1 || recs[0]["alert_failures"] != 0.0 || recs[0]["alerts_lost"] != 0.0 {
		t.Errorf("records %v", recs)
	}
}

// TestStatsLogDropsByType: kernel drops a collector attributes are listed
// by event type, only when there are some.
func TestStatsLogDropsByType(t *testing.T) {
	s := Stats{Collector: "ebpf", KernelDrops: 12, KernelDropsByType: map[string]uint64{"openat": 10, "connect": 2}}
	if rec := logRecords(t, s)[0]; rec["kernel_drops"] != 12.0 || rec["kernel_drops_by_type"] != "connect:2,openat:10" {
		t.Errorf("%v", rec)
	}
	s.KernelDropsByType = nil
	if rec := logRecords(t, s)[0]; rec["kernel_drops_by_type"] != nil {
		t.Errorf("%v", rec)
	}
}

// TestStatsLog: the stats record has the keys of the totals, as
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
