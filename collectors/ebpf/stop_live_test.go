//go:build linux && amd64

package ebpf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// TestLiveStop: every record the programs wrote before Close is read
// (Close waits for the reader to take what is left in the ring buffer),
// Read then returns os.ErrClosed, and nothing of the collector stays in the
// kernel: no program, no link. With the raw_syscalls programs (the
// default) and with per-syscall tracepoints.
func TestLiveStop(t *testing.T) {
	for _, tracepoints := range []bool{false, true} {
		name := "raw_syscalls"
		if tracepoints {
			name = "tracepoints"
		}
		t.Run(name, func(t *testing.T) { testLiveStop(t, tracepoints) })
	}
}

func testLiveStop(t *testing.T, tracepoints bool) {
	c := liveCollector(t, Options{Types: event.TypeSetOf(event.TypeOpenat), Tracepoints: tracepoints})
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	progs, links := kernelIDs(t, c)
	dir := t.TempDir()

	// The reader takes one record, then waits until Close has begun:
	// the opens below pile up in the ring buffer meanwhile.
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	first := make(chan struct{})
	gate := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		var r collectors.Record
		for n := 0; ; n++ {
			if err := c.Read(&r); err != nil {
				readErr <- err
				return
			}
			if r.Kind == collectors.KindSyscall && r.Event.Type == event.TypeOpenat &&
				strings.HasPrefix(r.Event.FD.Name, dir+"/") {
				mu.Lock()
				// r's strings point into the collector's buffer.
				seen[strings.Clone(filepath.Base(r.Event.FD.Name))] = true
				mu.Unlock()
			}
			if n == 0 {
				close(first)
				<-gate
			}
		}
	}()
	start := filepath.Join(dir, "start")
	deadline := time.After(30 * time.Second)
	for waiting := true; waiting; {
		if f, err := os.Create(start); err == nil {
			f.Close()
		}
		select {
		case <-first:
			waiting = false
		case <-deadline:
			t.Fatal("no record read")
		case <-time.After(10 * time.Millisecond):
		}
	}
	const opens = 2000
	for i := range opens {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	closeErr := make(chan error, 1)
	go func() { closeErr <- c.Close() }()
	// Let Close stop the programs before the reader goes on (if it does
	// not get that far meanwhile, the reader simply starts earlier).
	time.Sleep(100 * time.Millisecond)
	close(gate)
	select {
	case err := <-closeErr:
		closed = true
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Close did not return")
	}
	// Close returned once Read had handed out the last record.
	select {
	case err := <-readErr:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read ended with %v, want os.ErrClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Read did not end after Close")
	}
	mu.Lock()
	var missing []string
	for i := range opens {
		if n := fmt.Sprintf("f%d", i); !seen[n] {
			missing = append(missing, n)
		}
	}
	mu.Unlock()
	if len(missing) > 0 {
		t.Errorf("%d of %d opens before Close not delivered (first: %s); stats %+v",
			len(missing), opens, missing[0], c.Stats())
	}

	// The kernel may take a grace period to release what was detached.
	var left []string
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left = left[:0]
		for _, id := range progs {
			if p, err := ebpf.NewProgramFromID(id); err == nil {
				p.Close()
				left = append(left, fmt.Sprintf("program %d", id))
			}
		}
		for _, id := range links {
			if l, err := link.NewFromID(id); err == nil {
				l.Close()
				left = append(left, fmt.Sprintf("link %d", id))
			}
		}
		if len(left) == 0 || time.Now().After(end) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("still in the kernel after Close: %v", left)
	}
}

// kernelIDs returns the ids of the collector's programs and links.
func kernelIDs(t *testing.T, c *Collector) ([]ebpf.ProgramID, []link.ID) {
	t.Helper()
	var progs []ebpf.ProgramID
	for _, p := range []*ebpf.Program{c.objs.LannerEnter, c.objs.LannerExit, c.objs.LannerTpEnter,
		c.objs.LannerTpExit, c.objs.LannerExec, c.objs.LannerFork, c.objs.LannerPexit} {
		if p == nil {
			continue // lanner_tp_exit is loaded only with Options.Tracepoints
		}
		info, err := p.Info()
		if err != nil {
			t.Fatal(err)
		}
		id, ok := info.ID()
		if !ok {
			t.Fatalf("program %q has no id", info.Name)
		}
		progs = append(progs, id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var links []link.ID
	for _, l := range c.links {
		info, err := l.Info()
		if err != nil {
			t.Fatal(err)
		}
		links = append(links, info.ID)
	}
	if len(links) < 4 {
		t.Fatalf("%d links, want the process programs' and the syscalls'", len(links))
	}
	return progs, links
}
