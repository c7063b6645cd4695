package engine

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/output"
)

// lineSink keeps the lines written to it.
type lineSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *lineSink) Name() string { return "test" }
func (s *lineSink) Write(line []byte) error {
	s.mu.Lock()
	s.lines = append(s.lines, string(line))
	s.mu.Unlock()
	return nil
}
func (s *lineSink) Close() error { return nil }

// TestNotifyAlert turns a tamper notice whose actor chose a name with a
// newline into an alert: one line in each format, with the fields of
// Lanner's own alerts.
func TestNotifyAlert(t *testing.T) {
	forged := "x\n01:02:03.000000000: Critical FORGED"
	n := collectors.Notice{Time: 1e18, Collector: "audit", Kind: collectors.NoticeTampered,
		Message: "audit rules deleted", Actor: collectors.Actor{PID: 42, UID: 0, AUID: -1, Comm: forged, Exe: "/tmp/" + forged}}
	for _, format := range []output.Format{output.Text, output.JSON} {
		sink := &lineSink{}
		out := output.New(format, sink)
		New(Config{Output: out, Hostname: "h"}).Notify(n)
		out.Close(5 * time.Second)
		if len(sink.lines) != 1 || strings.Count(sink.lines[0], "\n") != 1 || !strings.HasSuffix(sink.lines[0], "\n") {
			t.Fatalf("format %v: %q, want one line", format, sink.lines)
		}
		line := sink.lines[0]
		if format == output.Text {
			if !strings.Contains(line, "Critical Lanner Collector Tampered") || !strings.Contains(line, "audit rules deleted") {
				t.Errorf("text %q", line)
			}
			continue
		}
		var a struct {
			Rule, Priority, Source string
			OutputFields           map[string]any `json:"output_fields"`
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		f := a.OutputFields
		if a.Rule != "Lanner Collector Tampered" || a.Priority != "Critical" || a.Source != "internal" ||
			f["lanner.collector"] != "audit" || f["lanner.notice"] != "audit rules deleted" || f["proc.pid"] != 42.0 ||
			f["proc.name"] != forged || f["proc.exepath"] != "/tmp/"+forged || f["user.uid"] != 0.0 {
			t.Errorf("json %s", line)
		}
	}
}
