//go:build linux && amd64

package ebpf

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// TestSetTypesLive: types added while the collector runs are delivered
// from then on, types removed no longer, a type kept all along throughout;
// with tracepoints and with the raw_syscalls programs.
func TestSetTypesLive(t *testing.T) {
	for _, raw := range []bool{false, true} {
		name := "tracepoints"
		if raw {
			name = "raw_syscalls"
		}
		t.Run(name, func(t *testing.T) { testSetTypesLive(t, raw) })
	}
}

func testSetTypesLive(t *testing.T, raw bool) {
	c := liveCollector(t, Options{Types: event.TypeSetOf(event.TypeOpenat), Tracepoints: !raw})
	defer c.Close()
	dir := t.TempDir()
	var mu sync.Mutex
	seen := map[string]bool{} // "type path"
	go func() {
		var r collectors.Record
		for c.Read(&r) == nil {
			if r.Kind != collectors.KindSyscall {
				continue
			}
			p := r.Event.FD.Name
			if p == "" {
				p = r.Event.Args.Path
			}
			if p == "" {
				p = r.Event.Args.Name
			}
			if strings.HasPrefix(p, dir) {
				mu.Lock()
				seen[r.Event.Type.String()+" "+filepath.Base(p)] = true
				mu.Unlock()
			}
		}
	}()
	// step creates and removes a file named name, then waits until the
	// events wanted are seen; the types not wanted must not be.
	step := func(name string, want, unwanted []event.Type) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		// A marker opened last: once it is seen, everything before it
		// was read.
		mark := filepath.Join(dir, name+".mark")
		deadline := time.Now().Add(10 * time.Second)
		for {
			os.WriteFile(mark, nil, 0o600)
			mu.Lock()
			done := seen["openat "+name+".mark"]
			mu.Unlock()
			if done || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if !seen["openat "+name+".mark"] {
			t.Fatalf("%s: the marker's openat never came", name)
		}
		for _, ty := range want {
			if !seen[ty.String()+" "+name] {
				t.Errorf("%s: no %s event", name, ty)
			}
		}
		for _, ty := range unwanted {
			if seen[ty.String()+" "+name] {
				t.Errorf("%s: a %s event, not asked for", name, ty)
			}
		}
	}
	step("one", []event.Type{event.TypeOpenat}, []event.Type{event.TypeUnlinkat})
	if err := c.SetTypes(event.TypeSetOf(event.TypeOpenat, event.TypeUnlinkat)); err != nil {
		t.Fatal(err)
	}
	if w := c.Watched(); !w.Has(event.TypeUnlinkat) || !w.Has(event.TypeOpenat) {
		t.Errorf("watched %v", w.Types())
	}
	step("two", []event.Type{event.TypeOpenat, event.TypeUnlinkat}, nil)
	if err := c.SetTypes(event.TypeSetOf(event.TypeOpenat)); err != nil {
		t.Fatal(err)
	}
	step("three", []event.Type{event.TypeOpenat}, []event.Type{event.TypeUnlinkat})
	// The credential calls stay watched whatever the rules ask for: the
	// process table follows them.
	if w := c.Watched(); !w.Has(event.TypeSetuid) || !w.Has(event.TypeSetresuid) || !w.Has(event.TypeCapset) {
		t.Errorf("credential calls no longer watched after SetTypes: %v", w.Types())
	}
	wantMode := "tracepoints"
	if raw {
		wantMode = "raw_syscalls"
	}
	if c.Mode() != wantMode {
		t.Errorf("mode %q, want %q", c.Mode(), wantMode)
	}
}
