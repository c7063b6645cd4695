package pipeline

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/audit"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/rulefiles"
	"github.com/lannersec/lanner/ruleset"
)

// reloadDebounce is how long a change of a rules file waits for more
// changes (an editor writes a file in several steps) before the reload.
const reloadDebounce = 200 * time.Millisecond

// rulesReloader reloads the rules files of a run on SIGHUP and when they
// change, and puts the new rules in force if they load: the collector is
// first widened to the event types of both sets, the engine swaps the sets
// between two events, then the collector is narrowed to the new set's
// types, so that no event the old or new rules need is missed. If the
// files do not load, the rules in force stay, the error is logged with
// its file:line:col and counted.
type rulesReloader struct {
	loader *rulefiles.Loader
	paths  []string
	sel    func([]*ruleset.Rule) (*ruleset.Set, error)
	log    *slog.Logger
	// narrow and auditExclusions: as in Config.
	narrow, auditExclusions bool
	// keep are event types the collector keeps delivering whatever the
	// rules (those the self-check expects).
	keep event.TypeSet

	mu    sync.Mutex // serializes reloads
	eng   *engine.Engine
	col   collectors.Collector
	files []string // the files the last good load read
	dirs  []string // the directories named
	// watchDirs is told the directories to watch after each load.
	watchDirs func([]string)
}

// start begins reloading for eng and col: on SIGHUP, and (watch) when a
// loaded file changes. stop ends it.
func (rl *rulesReloader) start(eng *engine.Engine, col collectors.Collector, watch bool) (stop func()) {
	rl.mu.Lock()
	rl.eng, rl.col = eng, col
	rl.mu.Unlock()
	done := make(chan struct{})
	var wg sync.WaitGroup
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-hup:
				rl.reloadRules("SIGHUP")
			case <-done:
				return
			}
		}
	}()
	if watch {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			rl.log.Warn("rules files not watched", "err", err)
		} else {
			// The directories are watched before start returns: a
			// change made after it is never missed.
			watching := map[string]bool{}
			rl.addWatches(w, watching)
			wg.Add(1)
			go func() {
				defer wg.Done()
				rl.watch(w, watching, done)
			}()
		}
	}
	return func() {
		signal.Stop(hup)
		close(done)
		wg.Wait()
	}
}

// watchedDirs are the directories to watch for files: those named, and
// those of the files (an editor replaces a file by renaming another over
// it, which a watch on the file itself would not follow).
func (rl *rulesReloader) watchedDirs() []string {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	var out []string
	for _, d := range rl.dirs {
		out = append(out, filepath.Clean(d))
	}
	for _, f := range rl.files {
		out = append(out, filepath.Dir(filepath.Clean(f)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// concerns reports whether a change of path can change the rules: a file
// loaded, or a .yaml or .yml file in a directory named.
func (rl *rulesReloader) concerns(path string) bool {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	path = filepath.Clean(path)
	for _, f := range rl.files {
		if filepath.Clean(f) == path {
			return true
		}
	}
	for _, p := range rl.paths {
		if filepath.Clean(p) == path {
			return true
		}
	}
	if !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
		return false
	}
	for _, d := range rl.dirs {
		if filepath.Dir(path) == filepath.Clean(d) {
			return true
		}
	}
	return false
}

// addWatches adds to w the directories to watch that watching lacks.
func (rl *rulesReloader) addWatches(w *fsnotify.Watcher, watching map[string]bool) {
	for _, d := range rl.watchedDirs() {
		if watching[d] {
			continue
		}
		if err := w.Add(d); err != nil {
			rl.log.Warn("rules directory not watched", "dir", d, "err", err)
			continue
		}
		watching[d] = true
	}
}

func (rl *rulesReloader) watch(w *fsnotify.Watcher, watching map[string]bool, done <-chan struct{}) {
	defer w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-done:
			timer.Stop()
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod || !rl.concerns(ev.Name) {
				continue
			}
			timer.Reset(reloadDebounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			rl.log.Warn("watching the rules files", "err", err)
		case <-timer.C:
			rl.reloadRules("a rules file changed")
			rl.addWatches(w, watching)
		}
	}
}

// reloadRules loads the rules files again and, if they load, puts the new
// rules in force; else it logs why and counts the failure.
func (rl *rulesReloader) reloadRules(why string) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.eng == nil {
		return
	}
	fail := func(err error) {
		rl.eng.ReloadFailed()
		rl.log.Error("rules reload failed, the rules in force stay", "reason", why, "err", err)
	}
	res, err := rl.loader.Load(rl.paths)
	if res != nil {
		for _, d := range res.Warnings {
			rl.log.Warn("rules file warning", "pos", d.Pos.String(), "warning", d.Msg)
		}
	}
	if err != nil {
		fail(err)
		return
	}
	set, err := rl.sel(res.Rules)
	if err != nil {
		fail(err)
		return
	}
	old := rl.eng.Rules()
	if err := rl.follow(old, set, func() { rl.eng.SetRules(set) }); err != nil {
		fail(fmt.Errorf("the collector cannot follow the new rules: %w", err))
		return
	}
	rl.files, rl.dirs = res.Files, res.Dirs
	rl.log.Info("rules reloaded", "reason", why, "rules", len(set.Rules()), "interpreted", countInterpreted(set.Rules()),
		"watching", strings.Join(TypeNames(rl.col.Capabilities().Watched), ","))
}

func countInterpreted(rs []*ruleset.Rule) int {
	n := 0
	for _, r := range rs {
		if r.Interpreted {
			n++
		}
	}
	return n
}

// follow makes the collector deliver what set needs: widened to old's and
// set's needs, swap called, narrowed to set's. When the collector cannot
// be widened, swap is not called and the error returned; a failure to
// narrow is only logged (the collector then delivers more than needed).
func (rl *rulesReloader) follow(old, set *ruleset.Set, swap func()) error {
	oldTypes, newTypes := old.Types(), set.Types()
	for _, t := range rl.keep.Types() {
		newTypes.Add(t)
	}
	union := oldTypes
	for _, t := range newTypes.Types() {
		union.Add(t)
	}
	switch col := rl.col.(type) {
	case *audit.Collector:
		planOf := func(s *ruleset.Set) auditPlan {
			if !rl.narrow {
				return auditPlan{Types: s.Types()}
			}
			return planAudit(s, audit.Capabilities(), rl.auditExclusions)
		}
		po, pn := planOf(old), planOf(set)
		for _, t := range rl.keep.Types() {
			pn.Types.Add(t)
		}
		wide := po.Types
		for _, t := range pn.Types.Types() {
			wide.Add(t)
		}
		var common []audit.Exclusion
		for _, x := range po.Exclusions {
			if slices.ContainsFunc(pn.Exclusions, func(y audit.Exclusion) bool { return sameExclusion(x, y) }) {
				common = append(common, x)
			}
		}
		if err := col.SetPlan(wide, common); err != nil {
			return err
		}
		swap()
		if err := col.SetPlan(pn.Types, pn.Exclusions); err != nil {
			rl.log.Warn("collector not narrowed to the new rules", "collector", "audit", "err", err)
		}
		return nil
	case interface{ SetTypes(event.TypeSet) error }:
		if err := col.SetTypes(union); err != nil {
			return err
		}
		swap()
		if err := col.SetTypes(newTypes); err != nil {
			rl.log.Warn("collector not narrowed to the new rules", "collector", rl.col.Name(), "err", err)
		}
		return nil
	}
	// A collector that cannot change what it watches: the new rules are
	// served for the types it watches.
	have := rl.col.Capabilities().Watched
	var lost []string
	for _, t := range newTypes.Types() {
		if !have.Has(t) {
			lost = append(lost, t.String())
		}
	}
	if len(lost) > 0 {
		rl.log.Warn("collector cannot watch more event types while it runs; the new rules miss them until restart",
			"collector", rl.col.Name(), "missed", strings.Join(lost, ","))
	}
	swap()
	return nil
}

func sameExclusion(x, y audit.Exclusion) bool {
	return slices.Equal(x.Types, y.Types) && x.Path == y.Path && x.Arg == y.Arg && x.Value == y.Value
}
