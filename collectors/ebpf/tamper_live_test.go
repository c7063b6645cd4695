//go:build linux && amd64

package ebpf

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
)

// TestCollectorTamperLive overwrites the collector's syscall map with
// bpftool, as an attacker would: the change must be reported, put back,
// and opens seen again.
func TestCollectorTamperLive(t *testing.T) {
	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		testutil.RequireKernel(t, "bpftool is not installed")
	}
	var (
		mu      sync.Mutex
		notices []collectors.Notice
		opened  = map[string]bool{}
	)
	c := liveCollector(t, Options{Types: event.TypeSetOf(event.TypeOpenat, event.TypeExecve),
		Notify: func(n collectors.Notice) { mu.Lock(); notices = append(notices, n); mu.Unlock() }})
	defer c.Close()
	go func() {
		var r collectors.Record
		for c.Read(&r) == nil {
			if r.Event.Type == event.TypeOpenat && strings.HasPrefix(r.Event.FD.Name, "/tmp/") {
				mu.Lock()
				opened[r.Event.FD.Name] = true
				mu.Unlock()
			}
		}
	}()
	dir := t.TempDir()
	seen := func(name string) {
		t.Helper()
		p := filepath.Join(dir, name)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if f, err := os.Create(p); err == nil {
				f.Close()
			}
			mu.Lock()
			ok := opened[p]
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("open of %s not seen", p)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitNotice := func(from int, kind collectors.NoticeKind) int {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			for i := from; i < len(notices); i++ {
				if notices[i].Kind == kind {
					mu.Unlock()
					return i
				}
			}
			mu.Unlock()
			if time.Now().After(deadline) {
				t.Fatalf("no %s notice; got %+v", kind, notices)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	seen("before")
	info, err := c.objs.LannerSyscalls.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, ok := info.ID()
	if !ok {
		t.Fatal("no map id")
	}
	const openat = 257
	var want uint32
	if err := c.objs.LannerSyscalls.Lookup(uint32(openat), &want); err != nil || want == 0 {
		t.Fatalf("lanner_syscalls[openat] = %d, %v", want, err)
	}
	out, err := exec.Command(bpftool, "map", "update", "id", fmt.Sprint(id),
		"key", "0x01", "0x01", "0", "0", "value", "0", "0", "0", "0").CombinedOutput()
	if err != nil {
		t.Fatalf("bpftool map update: %v\n%s", err, out)
	}
	i := waitNotice(0, collectors.NoticeTampered)
	mu.Lock()
	n := notices[i]
	mu.Unlock()
	if n.Collector != "ebpf" || !strings.Contains(n.Message, "lanner_syscalls") || !strings.Contains(n.Message, "syscall 257: 0x0") {
		t.Errorf("notice %+v", n)
	}
	waitNotice(i+1, collectors.NoticeRepaired)
	var got uint32
	if err := c.objs.LannerSyscalls.Lookup(uint32(openat), &got); err != nil || got != want {
		t.Errorf("lanner_syscalls[openat] = %d, %v after the repair, want %d", got, err, want)
	}
	seen("after")

	// The links cannot be detached from outside: were that to change,
	// the watch would have to attach the programs again.
	for _, l := range c.links {
		info, err := l.Info()
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bpftool, "link", "detach", "id", fmt.Sprint(info.ID)).CombinedOutput()
		if err == nil {
			t.Errorf("bpftool link detach id %d (%v) succeeded: the collector does not notice", info.ID, info.Type)
		} else if !strings.Contains(string(out), "not supported") {
			t.Errorf("bpftool link detach id %d: %v %s", info.ID, err, out)
		}
	}
	seen("after_detach")
	mu.Lock()
	defer mu.Unlock()
	for _, n := range notices {
		t.Logf("%s: %s", n.Kind, n.Message)
	}
}
