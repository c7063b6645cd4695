// Package selfcheck proves, end to end, that a collector still sees the
// machine. Every interval the Checker starts a probe: a child process that
// runs Lanner's own executable with a hidden argument (ProbeArg), so the
// collector must deliver its exec, and that then, when asked, opens a file
// of a unique name, so the collector must deliver an open too (when it
// delivers opens at all). The engine hands the probe's records to the
// Checker (IsProbeExec, ProbeEvent) instead of to the rules. A probe whose
// events do not all come back within the timeout makes the collector
// blind: the Checker reports a verdict (the engine raises "Lanner
// Collector Blind"), counts a failure and answers unhealthy until a later
// probe comes back (then "Lanner Collector Recovered").
//
// The probe is a child of Lanner, never Lanner itself, because collectors
// drop Lanner's own events in the kernel. Only an exec whose parent is this
// process and whose arguments carry ProbeArg is taken for a probe, so
// another process cannot hide its events by copying a probe's command line.
package selfcheck

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lannersec/lanner/event"
)

// ProbeArg is the hidden first argument that makes the lanner binary act as
// a probe (RunProbe).
const ProbeArg = "__lanner-self-check-probe"

// DefaultDir is where probe files are created; where it cannot be (a
// read-only /run), FallbackDir below the temporary directory.
const DefaultDir = "/run/lanner"

// FallbackDir is the probe directory's name below os.TempDir() when
// DefaultDir cannot be used.
const FallbackDir = "lanner-self-check"

// filePrefix starts the name of every probe file.
const filePrefix = "self-check-"

// Options configure a Checker.
type Options struct {
	// Collector is the name of the collector checked, for messages.
	Collector string
	// Interval is the time between the starts of two probes.
	Interval time.Duration
	// Timeout bounds how long a probe's events may take to come back;
	// 0 means 3 x Interval.
	Timeout time.Duration
	// ExpectOpen makes the probe open its file and the check wait for
	// that open; set it when the collector delivers opens (openat).
	ExpectOpen bool
	// Dir holds the probe files (DefaultDir, else FallbackDir, when
	// empty). It is created
	// mode 0700 and must be a directory owned by this user that no one
	// else can write.
	Dir string
	// Exe is the program the probe runs (default /proc/self/exe: this
	// very binary, which must call RunProbe for ProbeArg).
	Exe string
	// Report receives every change of verdict. It is called from the
	// Checker's goroutine.
	Report func(Verdict)
	// Log, when set, gets a record (keys collector, err) about probes
	// that could not be started.
	Log *slog.Logger
}

// Verdict is a change in the collector's health.
type Verdict struct {
	Collector string
	// Healthy is false when the collector went blind, true when its
	// events came back.
	Healthy bool
	// Time is when the verdict was reached, ns since the Unix epoch.
	Time int64
	// Since is the time of the last probe that came back (when blind),
	// or of the first probe that did not (when recovered).
	Since int64
	// Message says it in one line.
	Message string
}

// Status is the Checker's state, for metrics and health checks.
type Status struct {
	Enabled   bool
	Collector string
	Healthy   bool
	// Probes counts the probes started; Failures those whose events did
	// not come back in time; Errors those that could not be run at all
	// (past the timeout with no probe back, they make the collector
	// blind too: a self-check that cannot run proves nothing).
	Probes, Failures, Errors uint64
	// Reason says why the collector is not healthy.
	Reason string
}

// Checker runs the self-check. IsProbeExec and ProbeEvent are called from
// the engine's goroutine, Run from its own, Status from anywhere.
type Checker struct {
	opts    Options
	selfPID int64
	// fallback is the directory to use when opts.Dir cannot be, or "".
	fallback string

	probes, failures, errs atomic.Uint64

	mu        sync.Mutex
	nonce     string // of the probe running, "" between probes
	fileName  string // its file's base name
	execSeen  bool
	openSeen  bool
	arrived   chan struct{} // signalled when an awaited event came
	healthy   bool
	reason    string
	lastGood  time.Time // when a probe last came back (or the start)
	blindFrom time.Time // the start of the first probe that failed
	lastErr   string
}

// New returns a Checker for opts; Run starts it.
func New(opts Options) (*Checker, error) {
	if opts.Interval <= 0 {
		return nil, errors.New("self-check: interval must be positive")
	}
	if opts.Timeout < 0 {
		return nil, errors.New("self-check: timeout must not be negative")
	}
	if opts.Timeout == 0 {
		opts.Timeout = 3 * opts.Interval
	}
	fallback := ""
	if opts.Dir == "" {
		opts.Dir, fallback = DefaultDir, filepath.Join(os.TempDir(), FallbackDir)
	}
	if opts.Exe == "" {
		opts.Exe = "/proc/self/exe"
	}
	return &Checker{opts: opts, selfPID: int64(os.Getpid()), fallback: fallback, healthy: true,
		arrived: make(chan struct{}, 1), lastGood: time.Now()}, nil
}

// SetReport sets the function that receives verdicts (Options.Report);
// call it before Run.
func (c *Checker) SetReport(report func(Verdict)) { c.opts.Report = report }

// Timeout is the bound within which a probe's events must come back.
func (c *Checker) Timeout() time.Duration { return c.opts.Timeout }

// Status returns the current state.
func (c *Checker) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Status{Enabled: true, Collector: c.opts.Collector, Healthy: c.healthy, Reason: c.reason,
		Probes: c.probes.Load(), Failures: c.failures.Load(), Errors: c.errs.Load()}
}

// IsProbeExec reports whether an exec record (its parent and argv) is one
// of this Checker's probes; the engine then hands the process's later
// records to ProbeEvent instead of the rules. It costs two compares for
// other execs.
func (c *Checker) IsProbeExec(ppid int64, args []string) bool {
	if ppid != c.selfPID || len(args) < 3 || args[1] != ProbeArg {
		return false
	}
	c.mu.Lock()
	if c.nonce != "" && args[2] == c.nonce && !c.execSeen {
		c.execSeen = true
		c.signal()
	}
	c.mu.Unlock()
	return true
}

// ProbeEvent takes a syscall event of a probe process.
func (c *Checker) ProbeEvent(ev *event.Event) {
	switch ev.Type {
	case event.TypeOpenat, event.TypeOpen, event.TypeOpenat2:
	default:
		return
	}
	if !strings.Contains(ev.FD.Name, filePrefix) {
		return
	}
	c.mu.Lock()
	if c.nonce != "" && !c.openSeen && filepath.Base(ev.FD.Name) == c.fileName {
		c.openSeen = true
		c.signal()
	}
	c.mu.Unlock()
}

// signal wakes the probe waiting; c.mu is held.
func (c *Checker) signal() {
	select {
	case c.arrived <- struct{}{}:
	default:
	}
}

// Run probes every interval until ctx is done; it returns after the last
// probe process has exited and its file is removed (and the directory,
// when empty).
func (c *Checker) Run(ctx context.Context) {
	c.removeStale()
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	defer os.Remove(c.opts.Dir) // when empty: no other run uses it
	for {
		c.probe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// probe runs one probe and draws its verdict.
func (c *Checker) probe(ctx context.Context) {
	start := time.Now()
	nonce, path, err := c.createFile()
	if err != nil {
		c.fail(err)
		return
	}
	defer os.Remove(path)
	c.mu.Lock()
	c.nonce, c.fileName, c.execSeen, c.openSeen = nonce, filepath.Base(path), false, false
	select {
	case <-c.arrived:
	default:
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.nonce, c.fileName = "", ""
		c.mu.Unlock()
	}()

	cmd := exec.Command(c.opts.Exe, ProbeArg, nonce, path)
	cmd.Args[0] = "lanner"
	cmd.Env = []string{}
	cmd.SysProcAttr = probeAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		c.fail(err)
		return
	}
	if err := cmd.Start(); err != nil {
		c.fail(fmt.Errorf("start the probe: %w", err))
		return
	}
	c.probes.Add(1)
	defer func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()

	deadline := time.NewTimer(c.opts.Timeout)
	defer deadline.Stop()
	askedOpen := false
	for {
		c.mu.Lock()
		execSeen, openSeen := c.execSeen, c.openSeen
		c.mu.Unlock()
		if execSeen && c.opts.ExpectOpen && !askedOpen {
			// Only now: the open must come after the engine knows
			// the process for a probe.
			askedOpen = true
			io.WriteString(stdin, "open\n")
		}
		if execSeen && (openSeen || !c.opts.ExpectOpen) {
			c.verdict(true, start, "")
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-c.arrived:
		case <-deadline.C:
			missing := "exec"
			if execSeen {
				missing = "open"
			}
			c.verdict(false, start, missing)
			return
		}
	}
}

// staleAge: probe files older than this were left by a Lanner that was
// killed before it could remove them (a probe lasts its timeout at most).
const staleAge = 10 * time.Minute

// removeStale removes the probe files of killed runs.
func (c *Checker) removeStale() {
	old := time.Now().Add(-max(staleAge, 2*c.opts.Timeout))
	for _, dir := range []string{c.opts.Dir, c.fallback} {
		if dir == "" {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, filePrefix+"*"))
		for _, f := range files {
			if fi, err := os.Lstat(f); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(old) {
				os.Remove(f)
			}
		}
	}
}

// createFile makes the probe's file, of a name no one can guess.
func (c *Checker) createFile() (nonce, path string, err error) {
	if err := secureDir(c.opts.Dir); err != nil {
		if c.fallback == "" || secureDir(c.fallback) != nil {
			return "", "", err
		}
		c.opts.Dir, c.fallback = c.fallback, ""
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	nonce = hex.EncodeToString(b[:])
	path = filepath.Join(c.opts.Dir, filePrefix+nonce)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return "", "", err
	}
	f.Close()
	return nonce, path, nil
}

// secureDir creates dir (mode 0700) if need be and checks that it is a
// directory of this user that no one else can write.
func secureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case !ok || int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%s is not owned by uid %d", dir, os.Geteuid())
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s is writable by others", dir)
	}
	return nil
}

// fail counts a probe that could not be run, saying why once per reason.
func (c *Checker) fail(err error) {
	c.errs.Add(1)
	c.mu.Lock()
	repeated := c.lastErr == err.Error()
	c.lastErr = err.Error()
	c.mu.Unlock()
	if !repeated && c.opts.Log != nil {
		c.opts.Log.Warn("self-check probe not run", "collector", c.opts.Collector, "err", err)
	}
	// A self-check that cannot run proves nothing: past the bound it is
	// blindness too (someone may have mounted over its directory).
	c.mu.Lock()
	stale := time.Since(c.lastGood) > c.opts.Timeout
	since := c.lastGood
	c.mu.Unlock()
	if stale {
		c.verdict(false, since, "probe (it could not be run: "+err.Error()+")")
	}
}

// verdict records a probe's outcome and reports a change of health.
func (c *Checker) verdict(ok bool, start time.Time, missing string) {
	now := time.Now()
	c.mu.Lock()
	var v *Verdict
	if ok {
		c.lastGood = now
		if !c.healthy {
			c.healthy, c.reason = true, ""
			v = &Verdict{Collector: c.opts.Collector, Healthy: true, Time: now.UnixNano(), Since: c.blindFrom.UnixNano(),
				Message: fmt.Sprintf("the %s collector delivers events again, after being blind since %s",
					c.opts.Collector, utc(c.blindFrom))}
		}
	} else {
		c.failures.Add(1)
		if c.healthy {
			c.healthy, c.blindFrom = false, start
			v = &Verdict{Collector: c.opts.Collector, Healthy: false, Time: now.UnixNano(), Since: c.lastGood.UnixNano(),
				Message: fmt.Sprintf("the %s collector did not deliver the self-check's %s within %v; no event proven seen since %s",
					c.opts.Collector, missing, c.opts.Timeout, utc(c.lastGood))}
			c.reason = v.Message
		}
	}
	c.mu.Unlock()
	if v != nil && c.opts.Report != nil {
		c.opts.Report(*v)
	}
}

func utc(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// RunProbe is the probe process's side (lanner ProbeArg NONCE PATH): it
// waits for "open" on stdin, opens PATH, and exits when stdin closes (or
// after a minute, should its parent be gone). It returns the exit status.
func RunProbe(args []string) int {
	if len(args) != 2 || !strings.HasPrefix(filepath.Base(args[1]), filePrefix) {
		return 2
	}
	go func() {
		time.Sleep(time.Minute)
		os.Exit(3)
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "open" {
			if f, err := os.Open(args[1]); err == nil {
				f.Close()
			}
		}
	}
	return 0
}
