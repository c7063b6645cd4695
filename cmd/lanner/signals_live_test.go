package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elastic/go-libaudit/v2"

	"github.com/lannersec/lanner/internal/testutil"
)

// auditState is what `auditctl -s` and `auditctl -l` show: the settings a
// run may change, and the rules.
type auditState struct {
	enabled, pid, backlogLimit, backlogWaitTime uint32
	rules                                       [][]byte
}

func readAuditState(t *testing.T) auditState {
	t.Helper()
	c, err := libaudit.NewAuditClient(nil)
	if err != nil {
		t.Fatalf("audit client: %v", err)
	}
	defer c.Close()
	st, err := c.GetStatus()
	if err != nil {
		t.Fatalf("audit status: %v", err)
	}
	rules, err := c.GetRules()
	if err != nil {
		t.Fatalf("audit rules: %v", err)
	}
	return auditState{st.Enabled, st.PID, st.BacklogLimit, st.BacklogWaitTime, rules}
}

func (a auditState) equal(b auditState) bool {
	if a.enabled != b.enabled || a.pid != b.pid || a.backlogLimit != b.backlogLimit ||
		a.backlogWaitTime != b.backlogWaitTime || len(a.rules) != len(b.rules) {
		return false
	}
	for i := range a.rules {
		if !bytes.Equal(a.rules[i], b.rules[i]) {
			return false
		}
	}
	return true
}

// notifySocket is a service manager's notification socket, as systemd
// gives a Type=notify service in $NOTIFY_SOCKET.
type notifySocket struct {
	path string
	msgs chan string
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	n := &notifySocket{path: filepath.Join(t.TempDir(), "notify"), msgs: make(chan string, 100)}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				close(n.msgs)
				return
			}
			n.msgs <- string(buf[:k])
		}
	}()
	return n
}

// expect waits for a notification containing want, with a generous
// deadline.
func (n *notifySocket) expect(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case m, ok := <-n.msgs:
			if !ok {
				t.Fatalf("notification socket closed before %q", want)
			}
			if strings.Contains(m, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q notification", want)
		}
	}
}

// TestLiveSignals runs each collector, sends SIGHUP twice (no --out-file)
// and then SIGTERM or SIGINT: SIGHUP must not stop Lanner, the stop must
// be clean (exit status 0), systemd's notifications READY=1, RELOADING=1
// and STOPPING=1 must come, and the kernel's audit settings and rules
// must be as they were before, and no BPF program of Lanner's left.
func TestLiveSignals(t *testing.T) {
	testutil.LockKernel(t)
	bin := lanner(t)
	for _, c := range []struct {
		collector string
		stop      syscall.Signal
	}{{"audit", syscall.SIGTERM}, {"ebpf", syscall.SIGINT}, {"fanotify", syscall.SIGTERM}} {
		t.Run(c.collector, func(t *testing.T) {
			stateDir := filepath.Join(t.TempDir(), "state")
			before := readAuditState(t)
			programsBefore := lannerPrograms(t)
			notify := newNotifySocket(t)
			cmd := exec.Command(bin, "run", "--collector", c.collector, "--state-dir", stateDir)
			cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+notify.path)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			lines := make(chan string, 1000)
			var all strings.Builder
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			expectLine := func(want string) {
				t.Helper()
				deadline := time.After(60 * time.Second)
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("lanner exited before %q:\n%s", want, all.String())
						}
						all.WriteString(l + "\n")
						if strings.Contains(l, want) {
							return
						}
					case <-deadline:
						t.Fatalf("no %q:\n%s", want, all.String())
					}
				}
			}
			notify.expect(t, "READY=1")
			if c.collector == "audit" {
				if _, err := os.Stat(filepath.Join(stateDir, "audit-lanner.state")); err != nil {
					t.Errorf("no state file while running: %v", err)
				}
				if readAuditState(t).equal(before) {
					t.Errorf("the audit collector changed nothing in the kernel")
				}
			}
			for range 2 {
				cmd.Process.Signal(syscall.SIGHUP)
				expectLine(`msg="SIGHUP: alert files reopened" files=0`)
				notify.expect(t, "RELOADING=1")
				notify.expect(t, "READY=1")
			}
			cmd.Process.Signal(c.stop)
			notify.expect(t, "STOPPING=1")
			expectLine("msg=exit collector=" + c.collector)
			for range lines {
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if errors.As(err, &ee) || err != nil {
				t.Fatalf("lanner: %v (want exit status 0 after %v)\n%s", err, c.stop, all.String())
			}
			if after := readAuditState(t); !after.equal(before) {
				t.Errorf("audit state changed: before %+v rules %d, after %+v rules %d",
					before, len(before.rules), after, len(after.rules))
			}
			if entries, _ := os.ReadDir(stateDir); len(entries) != 0 {
				t.Errorf("state files left: %v", entries)
			}
			// The kernel frees detached programs a little later.
			deadline := time.Now().Add(30 * time.Second)
			for {
				left := 0
				for id := range lannerPrograms(t) {
					if !programsBefore[id] {
						left++
					}
				}
				if left == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%d lanner_* BPF programs left after the stop", left)
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

// TestLiveStopWhileStarting sends SIGTERM as soon as the audit collector
// has changed the kernel's settings, before Lanner is ready: it must stop
// cleanly all the same and leave the settings and rules as they were.
func TestLiveStopWhileStarting(t *testing.T) {
	testutil.LockKernel(t)
	before := readAuditState(t)
	stateDir := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(lanner(t), "run", "--collector", "audit", "--state-dir", stateDir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	var all strings.Builder
	signalled := false
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		// Printed right after the collector set the kernel up.
		if !signalled && strings.Contains(sc.Text(), `msg="audit plan"`) {
			cmd.Process.Signal(syscall.SIGTERM)
			signalled = true
		}
	}
	if err := cmd.Wait(); err != nil || !signalled {
		t.Fatalf("lanner: %v, signalled %v\n%s", err, signalled, all.String())
	}
	if after := readAuditState(t); !after.equal(before) {
		t.Errorf("audit state changed: before %+v, after %+v", before, after)
	}
	if entries, _ := os.ReadDir(stateDir); len(entries) != 0 {
		t.Errorf("state files left: %v", entries)
	}
}
