//go:build linux

package fanotify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
)

// ownFDs lists this process's fds and what they point to.
func ownFDs(t *testing.T) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out[e.Name()] = l
	}
	return out
}

func TestLive(t *testing.T) {
	testutil.LockKernel(t)
	before := ownFDs(t)

	c, err := New(Options{Types: Types(), ExcludePID: os.Getpid()})
	if err != nil {
		if errors.Is(err, collectors.ErrNotSupported) {
			testutil.RequireKernel(t, err.Error())
		}
		t.Fatal(err)
	}
	t.Logf("process connector: %v", c.Connector())

	var (
		mu   sync.Mutex
		recs []collectors.Record
	)
	readDone := make(chan error, 1)
	go func() {
		for {
			var r collectors.Record
			if err := c.Read(&r); err != nil {
				readDone <- err
				return
			}
			mu.Lock()
			recs = append(recs, r)
			mu.Unlock()
		}
	}()

	dir, err := os.MkdirTemp("/tmp", "lanner-fanotify-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		t.Fatal(err)
	}
	a, b, sub := dir+"/a", dir+"/b", dir+"/sub"

	// cat stays until its standard input closes: the collector reads an
	// exec's details from /proc, which a process that exits at once may
	// have left before its exec is handled (the open-for-exec note then
	// names the executable only if it was handled first).
	cat := exec.Command("cat", "/etc/hostname", "-")
	stdin, hold := io.Pipe()
	cat.Stdin = stdin
	go func() { time.Sleep(300 * time.Millisecond); hold.Close() }()
	if out, err := cat.CombinedOutput(); err != nil {
		t.Fatalf("cat: %v %s", err, out)
	}
	catPID := int64(cat.Process.Pid)
	script := fmt.Sprintf("echo hello > %[1]s; echo more >> %[1]s; sleep 0.3; mv %[1]s %[2]s; rm %[2]s; mkdir %[3]s; rmdir %[3]s", a, b, sub)
	sh := exec.Command("sh", "-c", script)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("sh: %v %s", err, out)
	}
	shPID := int64(sh.Process.Pid)
	// A child that becomes nobody before its exec (Go's fork does setgid
	// and setuid in the child).
	drop := exec.Command("true")
	drop.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := drop.CombinedOutput(); err != nil {
		t.Fatalf("true as nobody: %v %s", err, out)
	}
	dropPID := int64(drop.Process.Pid)

	type check struct {
		name string
		ok   func(r *collectors.Record) bool
	}
	open := func(r *collectors.Record, path string) bool {
		return r.Kind == collectors.KindSyscall && r.Event.Type == event.TypeOpenat && r.Event.FD.Name == path
	}
	checks := []check{
		{"exec of cat", func(r *collectors.Record) bool {
			return r.Kind == collectors.KindExec && r.PID == catPID && r.Exec.ExePath == "/usr/bin/cat" &&
				r.Event.Type == event.TypeExecve && r.Event.Args.Filename != ""
		}},
		{"openat /etc/hostname by cat", func(r *collectors.Record) bool {
			return open(r, "/etc/hostname") && r.PID == catPID && r.Event.FD.Kind == event.FDFile
		}},
		{"create a", func(r *collectors.Record) bool {
			f := r.Event.Args.Flags
			return open(r, a) && r.Event.Args.Has(event.ArgFlags) && f&event.OpenCreated != 0 && f&unix.O_CREAT != 0
		}},
		{"write a", func(r *collectors.Record) bool {
			return open(r, a) && r.Event.Args.Has(event.ArgFlags) && r.Event.Args.Flags&unix.O_ACCMODE == unix.O_WRONLY
		}},
		{"a created for writing", func(r *collectors.Record) bool {
			f := r.Event.Args.Flags
			return open(r, a) && r.Event.Args.Has(event.ArgFlags) && f&unix.O_ACCMODE == unix.O_WRONLY &&
				f&unix.O_CREAT != 0 && f&event.OpenCreated != 0 && r.PID == shPID
		}},
		{"rename a b", func(r *collectors.Record) bool {
			return r.Event.Type == event.TypeRenameat2 && r.Event.Args.OldPath == a && r.Event.Args.NewPath == b &&
				r.Event.Args.Has(event.ArgOldPath|event.ArgNewPath)
		}},
		{"unlink b", func(r *collectors.Record) bool {
			return r.Event.Type == event.TypeUnlinkat && r.Event.Args.Name == b && r.Event.Args.Flags == 0
		}},
		{"mkdir sub", func(r *collectors.Record) bool {
			return r.Event.Type == event.TypeMkdirat && r.Event.Args.Name == sub
		}},
		{"rmdir sub", func(r *collectors.Record) bool {
			return r.Event.Type == event.TypeUnlinkat && r.Event.Args.Name == sub &&
				r.Event.Args.Flags == unix.AT_REMOVEDIR
		}},
	}
	if c.Connector() {
		checks = append(checks,
			check{"fork by sh", func(r *collectors.Record) bool {
				return r.Kind == collectors.KindFork && r.Fork.ParentPID == shPID && r.Fork.ChildPID != shPID
			}},
			check{"exit of cat", func(r *collectors.Record) bool {
				return r.Kind == collectors.KindExit && r.PID == catPID && !r.Exit.Thread
			}},
			check{"uid change to nobody", func(r *collectors.Record) bool {
				return r.Kind == collectors.KindCred && r.PID == dropPID && r.Cred.UIDsKnown && r.Cred.EUID == 65534
			}},
			check{"gid change to nogroup", func(r *collectors.Record) bool {
				return r.Kind == collectors.KindCred && r.PID == dropPID && r.Cred.GIDsKnown && r.Cred.EGID == 65534
			}})
	}

	var missing []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		missing = missing[:0]
		mu.Lock()
		for _, ch := range checks {
			found := false
			for i := range recs {
				if ch.ok(&recs[i]) {
					found = true
					break
				}
			}
			if !found {
				missing = append(missing, ch.name)
			}
		}
		mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(missing) > 0 {
		mu.Lock()
		for _, r := range recs {
			if r.PID == catPID || strings.HasPrefix(r.Event.FD.Name, dir) || strings.HasPrefix(r.Event.Args.Name, dir) ||
				strings.HasPrefix(r.Event.Args.OldPath, dir) {
				if r.Kind == collectors.KindExec {
					t.Logf("exec: %+v", r.Exec)
				} else {
					t.Logf("%v pid %d %s %+v", r.Kind, r.PID, r.Event.Type, r.Event.Args)
				}
			}
		}
		mu.Unlock()
		t.Errorf("missing: %s", strings.Join(missing, ", "))
	}

	mu.Lock()
	for _, r := range recs {
		if r.PID == int64(os.Getpid()) {
			t.Errorf("record of the excluded pid: %+v", r)
			break
		}
	}
	mu.Unlock()

	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case err := <-readDone:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Read still blocked after Close")
	}
	var r collectors.Record
	if err := c.Read(&r); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	after := ownFDs(t)
	for fd, l := range after {
		if strings.Contains(l, "fanotify") || (before[fd] != l && !strings.HasPrefix(l, "pipe:")) {
			t.Errorf("fd %s (%s) left open after Close", fd, l)
		}
	}
	st := c.Stats()
	t.Logf("stats: %+v", st)
	if st.Records == 0 {
		t.Error("no records counted")
	}
}
