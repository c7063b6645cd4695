package config

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestLogLevels: Lanner's level names and Falco's map onto slog's levels;
// anything else is refused, naming the flag.
func TestLogLevels(t *testing.T) {
	for _, c := range []struct {
		name string
		want slog.Level
		ok   bool
	}{
		{"debug", slog.LevelDebug, true}, {"info", slog.LevelInfo, true}, {"warn", slog.LevelWarn, true},
		{"error", slog.LevelError, true}, {"WARNING", slog.LevelWarn, true}, {"notice", slog.LevelInfo, true},
		{"critical", slog.LevelError, true}, {"emergency", slog.LevelError, true}, {"alert", slog.LevelError, true},
		{"loud", slog.LevelInfo, false}, {"", slog.LevelInfo, false},
	} {
		got, err := ParseLogLevel(c.name)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseLogLevel(%q) = %v, %v; want %v, ok %v", c.name, got, err, c.want, c.ok)
		}
	}
	r := RunFlags{LogLevel: "loud", Outputs: Outputs{HTTPTimeout: 1e9}}
	found := false
	for _, err := range r.Check() {
		found = found || strings.HasPrefix(err.Error(), "log-level: ")
	}
	if !found {
		t.Errorf("--log-level loud: no error naming the flag")
	}
}

// TestLogger: the level filters records; json writes one JSON object a
// line with the record's keys, text key=value.
func TestLogger(t *testing.T) {
	var b strings.Builder
	log := NewLogger(&b, "warn", "json")
	log.Info("not shown")
	log.Warn("collector unavailable", "collector", "ebpf", "err", "line\nbreak")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1: %q", len(lines), b.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["msg"] != "collector unavailable" || rec["collector"] != "ebpf" || rec["err"] != "line\nbreak" || rec["level"] != "WARN" {
		t.Errorf("record %v", rec)
	}
	b.Reset()
	NewLogger(&b, "debug", "text").Debug("stats", "kernel_drops", 3)
	if !strings.Contains(b.String(), "level=DEBUG msg=stats kernel_drops=3\n") {
		t.Errorf("text record %q", b.String())
	}
}
