package pipeline

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/rulefiles"
	"github.com/lannersec/lanner/ruleset"
)

// typesCollector is a collector that records the types it is set to.
type typesCollector struct {
	mu    sync.Mutex
	types event.TypeSet
	sets  []event.TypeSet
}

func (c *typesCollector) Name() string                  { return "fake" }
func (c *typesCollector) Read(*collectors.Record) error { select {} }
func (c *typesCollector) Close() error                  { return nil }
func (c *typesCollector) Stats() collectors.Stats       { return collectors.Stats{} }
func (c *typesCollector) Capabilities() collectors.Capabilities {
	c.mu.Lock()
	defer c.mu.Unlock()
	return collectors.Capabilities{Types: collectors.SyscallTypes(), Watched: c.types}
}
func (c *typesCollector) SetTypes(ts event.TypeSet) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types = ts
	c.sets = append(c.sets, ts)
	return nil
}

// syncBuffer is a goroutine-safe log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const unlinkRule = "- rule: U\n  desc: d\n  condition: evt.type = unlinkat and proc.name = x\n  output: u\n  priority: INFO\n"
const openRule = "- rule: O\n  desc: d\n  condition: evt.type = openat and proc.name = x\n  output: o\n  priority: INFO\n"

// TestReloadRules: a good file is put in force with the collector widened
// first and narrowed after; a bad one leaves the rules in force, logged
// with its place and counted; a change of the file is reloaded once
// after the debounce.
func TestReloadRules(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "r.yaml")
	os.WriteFile(file, []byte(unlinkRule), 0o644)
	paths := []string{file}
	var log syncBuffer
	loader, err := rulefiles.NewLoader(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := loader.Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	sel := func(rules []*ruleset.Rule) (*ruleset.Set, error) {
		return ruleset.New(rules, ruleset.Selection{}, ruleset.MatchFirst), nil
	}
	set, _ := sel(res.Rules)
	col := &typesCollector{types: set.Types()}
	eng := engine.New(engine.Config{Collector: col, Rules: set})
	rl := &rulesReloader{loader: loader, paths: paths, sel: sel, log: slog.New(slog.NewTextHandler(&log, nil)), files: res.Files, dirs: res.Dirs}
	stop := rl.start(eng, col, true)
	defer stop()

	// Replaced as editors do, by a rename.
	tmp := filepath.Join(dir, ".r.yaml.tmp")
	os.WriteFile(tmp, []byte(unlinkRule+openRule), 0o644)
	os.Rename(tmp, file)
	waitFor(t, &log, `msg="rules reloaded" reason="a rules file changed"`)
	if s := eng.Stats(); s.RulesReloads != 1 {
		t.Errorf("reloads %d, want 1", s.RulesReloads)
	}
	col.mu.Lock()
	sets := col.sets
	col.mu.Unlock()
	both := event.TypeSetOf(event.TypeUnlinkat, event.TypeOpenat)
	if len(sets) != 2 || sets[0] != both || sets[1] != both {
		t.Errorf("collector set to %v, want widened then narrowed to unlinkat and openat", sets)
	}
	if names := ruleNamesOf(eng); names != "U,O" {
		t.Errorf("rules in force %s", names)
	}

	// Drop U: widened to both, narrowed to openat.
	os.WriteFile(file, []byte(openRule), 0o644)
	waitFor(t, &log, `msg="rules reloaded" reason="a rules file changed"`, 2)
	col.mu.Lock()
	sets = col.sets
	col.mu.Unlock()
	if len(sets) != 4 || sets[2] != both || sets[3] != event.TypeSetOf(event.TypeOpenat) {
		t.Errorf("collector set to %v", sets)
	}

	// A broken file: the rules stay, the error has file:line:col.
	os.WriteFile(file, []byte(strings.Replace(openRule, "proc.name", "proc.nosuch", 1)), 0o644)
	waitFor(t, &log, "failed, the rules in force stay")
	if !strings.Contains(log.String(), file+":3:") {
		t.Errorf("log lacks %s:3:...:\n%s", file, log.String())
	}
	if s := eng.Stats(); s.RulesReloadFailures != 1 || s.RulesReloads != 2 {
		t.Errorf("reloads %d failures %d", s.RulesReloads, s.RulesReloadFailures)
	}
	if names := ruleNamesOf(eng); names != "O" {
		t.Errorf("rules in force %s", names)
	}

	// SIGHUP reloads too (and does not stop the process).
	os.WriteFile(file, []byte(unlinkRule), 0o644)
	waitFor(t, &log, "failed, the rules in force stay", 1)
	time.Sleep(3 * reloadDebounce) // the change's own reload
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, &log, `msg="rules reloaded" reason=SIGHUP`)
	if names := ruleNamesOf(eng); names != "U" {
		t.Errorf("rules in force after SIGHUP %s", names)
	}
}

func ruleNamesOf(eng *engine.Engine) string {
	var names []string
	for _, r := range eng.Rules().Rules() {
		names = append(names, r.Name)
	}
	return strings.Join(names, ",")
}

func waitFor(t *testing.T, log *syncBuffer, s string, n ...int) {
	t.Helper()
	want := 1
	if len(n) > 0 {
		want = n[0]
	}
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(log.String(), s) < want {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", s, log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
