package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/selfcheck"
	"github.com/lannersec/lanner/state"
)

// TestMain lets the test binary act as the self-check's probe.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == selfcheck.ProbeArg {
		os.Exit(selfcheck.RunProbe(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// lockedBuffer is a goroutine-safe sink target.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSuffix(l.b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// waitLines waits until buf holds at least n lines.
func waitLines(t *testing.T, buf *lockedBuffer, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(buf.lines()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("want %d lines, have %q", n, buf.lines())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return buf.lines()
}

// TestOwnAlertFormat: each notice kind becomes its rule, priority and
// source "internal", in Falco's text line and with output_fields in JSON;
// a hostile process name cannot break the line.
func TestOwnAlertFormat(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano()
	actor := collectors.Actor{PID: 42, UID: 0, AUID: 1000, Comm: "audit\nctl\x1b[2J", Exe: "/tmp/\xffx"}
	cases := []struct {
		kind     collectors.NoticeKind
		actor    collectors.Actor
		rule     string
		priority string
		text     string
	}{
		{collectors.NoticeTampered, actor, "Lanner Collector Tampered", "Critical",
			`03:04:05.000000006: Critical Lanner Collector Tampered: rules deleted (lanner.collector=audit proc.pid=42 proc.name=audit\nctl\x1b[2J proc.exepath=/tmp/\xffx user.uid=0 user.loginuid=1000)`},
		{collectors.NoticeRepaired, collectors.Actor{AUID: -1}, "Lanner Collector Repaired", "Warning",
			`03:04:05.000000006: Warning Lanner Collector Repaired: rules deleted (lanner.collector=audit)`},
		{collectors.NoticeLost, collectors.Actor{AUID: -1}, "Lanner Events Lost", "Critical",
			`03:04:05.000000006: Critical Lanner Events Lost: rules deleted (lanner.collector=audit)`},
	}
	for _, c := range cases {
		var text, js lockedBuffer
		out := output.New(output.Text, output.NewWriterSink("text", &text), jsonSink{output.NewWriterSink("json", &js)})
		e := New(Config{Output: out, Hostname: "h"})
		e.Notify(collectors.Notice{Time: at, Collector: "audit", Kind: c.kind, Message: "rules deleted", Actor: c.actor})
		out.Close(5 * time.Second)
		if got := text.lines(); len(got) != 1 || got[0] != c.text {
			t.Errorf("%v text:\n got %q\nwant %q", c.kind, got, c.text)
		}
		var a struct {
			Rule, Priority, Source, Hostname, Output string
			OutputFields                             map[string]any `json:"output_fields"`
		}
		if err := json.Unmarshal(js.b.Bytes(), &a); err != nil {
			t.Fatalf("%v json %q: %v", c.kind, js.b.String(), err)
		}
		if a.Rule != c.rule || a.Priority != c.priority || a.Source != "internal" || a.Hostname != "h" || a.Output != c.text {
			t.Errorf("%v json: %+v", c.kind, a)
		}
		if a.OutputFields["lanner.collector"] != "audit" || a.OutputFields["lanner.notice"] != "rules deleted" {
			t.Errorf("%v output_fields: %v", c.kind, a.OutputFields)
		}
		_, hasPID := a.OutputFields["proc.pid"]
		if hasPID != (c.actor.PID > 0) {
			t.Errorf("%v: proc.pid present %v", c.kind, hasPID)
		}
		if hasPID && (a.OutputFields["proc.name"] != actor.Comm || a.OutputFields["user.loginuid"] != 1000.0 || a.OutputFields["proc.pid"] != 42.0) {
			t.Errorf("%v actor fields: %v", c.kind, a.OutputFields)
		}
		if s := e.Stats(); len(s.ByRule) != 1 || s.ByRule[0].Rule != c.rule || s.ByRule[0].Priority != c.priority || s.ByRule[0].Count != 1 {
			t.Errorf("%v ByRule: %+v", c.kind, s.ByRule)
		}
	}
}

// jsonSink makes a sink take JSON whatever the output's format.
type jsonSink struct{ output.Sink }

func (jsonSink) Format() output.Format { return output.JSON }

// TestNotifyDrops: an unknown kind, notices past the burst of one rule and
// collector, and notices after the engine stopped are counted as dropped;
// another collector has its own burst; neither --rate nor the rule
// selection applies.
func TestNotifyDrops(t *testing.T) {
	var buf lockedBuffer
	out := output.New(output.Text, output.NewWriterSink("b", &buf))
	e := New(Config{Output: out, Rate: 0.001, MaxBurst: 1,
		Rules: ruleset.New(nil, ruleset.Selection{MinPriority: ruleset.Emergency, HasMinPrio: true}, ruleset.MatchFirst)})
	now := time.Now().UnixNano()
	e.Notify(collectors.Notice{Time: now, Collector: "x", Kind: 99})
	for i := 0; i < ownAlertBurst+5; i++ {
		e.Notify(collectors.Notice{Time: now, Collector: "audit", Kind: collectors.NoticeLost, Message: "m"})
	}
	e.Notify(collectors.Notice{Time: now, Collector: "ebpf", Kind: collectors.NoticeLost, Message: "m"})
	e.own.stop()
	e.Notify(collectors.Notice{Time: now, Collector: "ebpf", Kind: collectors.NoticeTampered, Message: "m"})
	out.Close(5 * time.Second)
	if n := len(buf.lines()); n != ownAlertBurst+1 {
		t.Errorf("%d alerts written, want %d", n, ownAlertBurst+1)
	}
	if s := e.Stats().Own; s.Dropped != 1+5+1 || s.Alerts[RuleLost] != ownAlertBurst+1 {
		t.Errorf("own stats %+v", s)
	}
}

// TestNotifyConcurrent: Notify from many goroutines while the engine
// handles events (run with -race).
func TestNotifyConcurrent(t *testing.T) {
	var buf lockedBuffer
	out := output.New(output.JSON, output.NewWriterSink("b", &buf))
	r := &ruleset.Rule{Name: "r", Enabled: true, EvtTypes: []event.Type{event.TypeOpenat}, Match: func(*event.Event) bool { return true },
		Format: func(dst []byte, ev *event.Event) []byte { return append(dst, "x"...) }}
	e := New(Config{Output: out, Rules: ruleset.New([]*ruleset.Rule{r}, ruleset.Selection{}, ruleset.MatchFirst)})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				e.Notify(collectors.Notice{Collector: "c" + strconv.Itoa(g), Kind: collectors.NoticeTampered, Message: "m"})
			}
		}()
	}
	for i := 0; i < 100; i++ {
		e.HandleEvent(&event.Event{Type: event.TypeOpenat, Time: int64(i)})
	}
	wg.Wait()
	out.Close(5 * time.Second)
	if n := len(buf.lines()); n != 140 {
		t.Errorf("%d alerts, want 140", n)
	}
}

// fakeCollector sees the self-check's probes the way a collector would,
// by watching /proc for this process's children, and delivers their exec
// and open while delivering is set: clearing it stands for a stalled
// reader, a detached program or removed marks.
type fakeCollector struct {
	delivering atomic.Bool
	out        chan collectors.Record
	done       chan struct{}
	closeOnce  sync.Once
}

func newFakeCollector() *fakeCollector {
	c := &fakeCollector{out: make(chan collectors.Record, 64), done: make(chan struct{})}
	c.delivering.Store(true)
	go c.watch()
	return c
}

func (c *fakeCollector) watch() {
	seen := map[int]bool{}
	self := os.Getpid()
	for {
		select {
		case <-c.done:
			return
		case <-time.After(10 * time.Millisecond):
		}
		if !c.delivering.Load() {
			continue
		}
		dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, d := range dirs {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
			if seen[pid] {
				continue
			}
			b, err := os.ReadFile(d)
			args := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
			if err != nil || len(args) != 4 || args[1] != selfcheck.ProbeArg {
				continue
			}
			seen[pid] = true
			now := time.Now().UnixNano()
			c.out <- collectors.Record{Kind: collectors.KindExec, PID: int64(pid), TID: int64(pid), Time: now,
				Event: event.Event{Type: event.TypeExecve, Time: now},
				Exec:  collectors.Exec{PPID: int64(self), Args: args, Comm: "lanner"}}
			c.out <- collectors.Record{Kind: collectors.KindSyscall, PID: int64(pid), TID: int64(pid), Time: now,
				Event: event.Event{Type: event.TypeOpenat, Time: now, FD: event.FD{Kind: event.FDFile, Name: args[3]}}}
			c.out <- collectors.Record{Kind: collectors.KindExit, PID: int64(pid), TID: int64(pid), Time: now}
		}
	}
}

func (c *fakeCollector) Name() string { return "fake" }

func (c *fakeCollector) Read(r *collectors.Record) error {
	select {
	case *r = <-c.out:
		return nil
	case <-c.done:
		return os.ErrClosed
	}
}

func (c *fakeCollector) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	return nil
}

func (c *fakeCollector) Stats() collectors.Stats { return collectors.Stats{} }
func (c *fakeCollector) Capabilities() collectors.Capabilities {
	return collectors.Capabilities{Types: collectors.SyscallTypes()}
}

// TestSelfCheckBlindAndRecovered runs the engine with the self-check over
// a collector that stops delivering: Blind (Critical) and an unhealthy
// status; when it delivers again, Recovered (Warning) and healthy. The
// probes' events never reach the rules.
func TestSelfCheckBlindAndRecovered(t *testing.T) {
	col := newFakeCollector()
	var buf lockedBuffer
	out := output.New(output.JSON, output.NewWriterSink("b", &buf))
	var ruleSaw atomic.Int64
	r := &ruleset.Rule{Name: "every event", Enabled: true, EvtTypes: []event.Type{event.TypeOpenat, event.TypeExecve},
		Match: func(*event.Event) bool { ruleSaw.Add(1); return false }}
	dir := t.TempDir()
	sc, err := selfcheck.New(selfcheck.Options{Collector: "fake", Interval: 50 * time.Millisecond, Timeout: time.Second,
		ExpectOpen: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	e := New(Config{Collector: col, Tables: state.New(state.Options{ProcRoot: t.TempDir()}), Output: out, SelfCheck: sc,
		Rules: ruleset.New([]*ruleset.Rule{r}, ruleset.Selection{}, ruleset.MatchFirst)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("no %s: status %+v, alerts %q", what, e.Stats().Own.SelfCheck, buf.lines())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("probes back", func() bool { s := e.Stats().Own.SelfCheck; return s.Probes >= 3 && s.Healthy })
	col.delivering.Store(false)
	lines := waitLines(t, &buf, 1)
	var a struct {
		Rule, Priority, Source, Output string
		OutputFields                   map[string]any `json:"output_fields"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	if a.Rule != RuleBlind || a.Priority != "Critical" || a.Source != "internal" || a.OutputFields["lanner.collector"] != "fake" ||
		!strings.Contains(a.Output, "the fake collector did not deliver the self-check's exec within 1s; no event proven seen since ") {
		t.Errorf("blind alert: %+v", a)
	}
	if s := e.Stats().Own.SelfCheck; s.Healthy || s.Failures < 1 || !strings.Contains(s.Reason, "did not deliver") {
		t.Errorf("status while blind: %+v", s)
	}
	col.delivering.Store(true)
	lines = waitLines(t, &buf, 2)
	if err := json.Unmarshal([]byte(lines[1]), &a); err != nil {
		t.Fatal(err)
	}
	if a.Rule != RuleRecovered || a.Priority != "Warning" || !strings.Contains(a.Output, "the fake collector delivers events again, after being blind since ") {
		t.Errorf("recovered alert: %+v", a)
	}
	waitFor("healthy", func() bool { return e.Stats().Own.SelfCheck.Healthy })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out.Close(5 * time.Second)
	if n := ruleSaw.Load(); n != 0 {
		t.Errorf("the rules saw %d probe events", n)
	}
	if n := len(buf.lines()); n != 2 {
		t.Errorf("%d alerts, want Blind and Recovered: %q", n, buf.lines())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "self-check-*")); len(left) != 0 {
		t.Errorf("probe files left: %v", left)
	}
}

// TestNoticeRelay: notices sent before the engine exists are kept (up to
// the backlog, the rest counted) and raised once it is attached; later
// ones go straight through.
func TestNoticeRelay(t *testing.T) {
	var buf lockedBuffer
	out := output.New(output.Text, output.NewWriterSink("b", &buf))
	var relay NoticeRelay
	for i := 0; i < relayBacklog+3; i++ {
		relay.Notify(collectors.Notice{Time: int64(i+1) * 1e9, Collector: "c" + strconv.Itoa(i), Kind: collectors.NoticeRepaired, Message: "early"})
	}
	e := New(Config{Output: out})
	relay.Attach(e)
	relay.Notify(collectors.Notice{Collector: "c", Kind: collectors.NoticeTampered, Message: "late"})
	out.Close(5 * time.Second)
	lines := buf.lines()
	if len(lines) != relayBacklog+1 || !strings.Contains(lines[0], "Lanner Collector Repaired: early") ||
		!strings.Contains(lines[relayBacklog], "Lanner Collector Tampered: late") {
		t.Errorf("alerts: %q", lines)
	}
	if d := e.Stats().Own.Dropped; d != 3 {
		t.Errorf("dropped %d, want 3", d)
	}
}
