//go:build linux

package fanotify

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
)

// TestLiveExecStorm runs stormN short processes of a program of its own
// as fast as a shell can start them. Every one of their execs must be
// delivered with its details (argv read from /proc) or counted as lost:
// in KernelDrops, and with a NoticeLost where the count is not known.
func TestLiveExecStorm(t *testing.T) {
	const stormN = 2000
	testutil.LockKernel(t)
	var (
		mu      sync.Mutex
		notices []collectors.Notice
	)
	c, err := New(Options{Types: Types(), ExcludePID: os.Getpid(), SkipEnv: true,
		Notify: func(n collectors.Notice) { mu.Lock(); notices = append(notices, n); mu.Unlock() }})
	if err != nil {
		if errors.Is(err, collectors.ErrNotSupported) {
			testutil.RequireKernel(t, err.Error())
		}
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Connector() {
		testutil.RequireKernel(t, "no process connector: execs are polled")
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "lanner-storm-prog")
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, data, 0o755); err != nil {
		t.Fatal(err)
	}

	var complete, partial int
	var wg sync.WaitGroup
	wg.Add(1)
	done := make(chan struct{})
	go func() {
		defer wg.Done()
		var r collectors.Record
		for {
			if err := c.Read(&r); err != nil {
				return
			}
			if r.Kind != collectors.KindExec || r.Exec.ExePath != prog {
				continue
			}
			mu.Lock()
			if len(r.Exec.Args) == 2 && r.Exec.Args[1] == "storm" {
				complete++
			} else {
				partial++
			}
			n := complete + partial
			mu.Unlock()
			if n == stormN {
				close(done)
			}
		}
	}()
	drops0 := c.Stats().KernelDrops
	sh := exec.Command("sh", "-c", `i=0; while [ $i -lt `+strconv.Itoa(stormN)+` ]; do "$0" storm; i=$((i+1)); done`, prog)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("storm: %v %s", err, out)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
	}
	// Whatever is still on its way.
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	drops := c.Stats().KernelDrops - drops0
	lost := 0
	for _, n := range notices {
		if n.Kind == collectors.NoticeLost {
			lost++
		}
	}
	t.Logf("%d execs: %d complete, %d without details, %d counted lost, %d lost notices",
		stormN, complete, partial, drops, lost)
	if uint64(complete)+drops < stormN && lost == 0 {
		t.Errorf("%d of %d execs neither delivered complete nor counted lost", stormN-complete-int(drops), stormN)
	}
	if complete+partial > stormN {
		t.Errorf("%d exec records for %d execs", complete+partial, stormN)
	}
}

// TestLiveMmapRead reads a file through mmap only: page faults raise no
// FAN_ACCESS, so the read is known from the close of the file opened
// read-only, as an open for reading.
func TestLiveMmapRead(t *testing.T) {
	testutil.LockKernel(t)
	c, err := New(Options{Types: Types(), ExcludePID: os.Getpid(), SkipEnv: true})
	if err != nil {
		if errors.Is(err, collectors.ErrNotSupported) {
			testutil.RequireKernel(t, err.Error())
		}
		t.Fatal(err)
	}
	defer c.Close()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	found := make(chan struct{})
	go func() {
		var r collectors.Record
		for {
			if err := c.Read(&r); err != nil {
				return
			}
			if r.Kind == collectors.KindSyscall && r.Event.FD.Name == secret &&
				r.Event.Args.Has(event.ArgFlags) && r.Event.Args.Flags&unix.O_ACCMODE == unix.O_RDONLY {
				close(found)
				return
			}
		}
	}()
	script := `import mmap, sys
with open(sys.argv[1], "rb") as f:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    assert m[:6] == b"s3cret"`
	if out, err := exec.Command("python3", "-c", script, secret).CombinedOutput(); err != nil {
		t.Fatalf("mmap read: %v %s", err, out)
	}
	select {
	case <-found:
	case <-time.After(10 * time.Second):
		t.Fatal("no open for reading of the file read through mmap")
	}
}
