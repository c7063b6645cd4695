package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ProgramSink pipes alerts, one line each, to the standard input of a
// shell command, restarting it (at most once a second) if it exits.
type ProgramSink struct {
	command      string
	restartEvery time.Duration // minimum time between starts
	closeWait    time.Duration // how long Close waits before killing

	wmu sync.Mutex // serializes Write

	mu        sync.Mutex
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	exited    chan struct{} // closed when cmd has been waited for
	lastStart time.Time
	closed    bool
}

// NewProgramSink starts "/bin/sh -c command". The program's output goes to
// the standard error of this process.
func NewProgramSink(command string) (*ProgramSink, error) {
	if command == "" {
		return nil, errors.New("program output: empty command")
	}
	s := &ProgramSink{command: command, restartEvery: time.Second, closeWait: 5 * time.Second}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Name is "program:" and the base name of the command's program, never
// its arguments, which may hold a credential: it is what logs, stats and
// /metrics show.
func (s *ProgramSink) Name() string { return "program:" + programName(s.command) }

// programName is the base name of the program a shell command runs: its
// first word after any "exec", "env" and variable assignments, reduced to
// letters, digits and ._+-; "sh" when there is none.
func programName(command string) string {
	for _, w := range strings.Fields(command) {
		if w == "exec" || w == "env" || w == "command" || strings.Contains(w, "=") {
			continue
		}
		w = w[strings.LastIndexByte(w, '/')+1:]
		name := strings.Map(func(r rune) rune {
			if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+-", r)) {
				return r
			}
			return -1
		}, w)
		if name != "" {
			return name
		}
		break
	}
	return "sh"
}

// start runs the command; s.mu is held.
func (s *ProgramSink) start() error {
	s.lastStart = time.Now()
	cmd := exec.Command("/bin/sh", "-c", s.command)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name(), err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", s.Name(), err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.stdin, s.exited = cmd, stdin, exited
	return nil
}

// running reports whether the current program is still alive; s.mu is held.
func (s *ProgramSink) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// ensure returns the stdin of a running program, restarting it if it has
// exited and the last start is old enough.
func (s *ProgramSink) ensure() (io.Writer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%s: closed", s.Name())
	}
	if s.running() {
		return s.stdin, nil
	}
	if s.stdin != nil {
		s.stdin.Close()
		s.stdin = nil
	}
	if since := time.Since(s.lastStart); since < s.restartEvery {
		return nil, fmt.Errorf("%s: program exited, not restarting for %v", s.Name(), (s.restartEvery - since).Round(time.Millisecond))
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s.stdin, nil
}

// Write sends line to the program, restarting it first if it has exited.
func (s *ProgramSink) Write(line []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var err error
	for try := 0; try < 2; try++ {
		var w io.Writer
		if w, err = s.ensure(); err != nil {
			return err
		}
		if _, err = w.Write(line); err == nil {
			return nil
		}
		// The program went away under us (EPIPE): wait for it to be
		// reaped so ensure sees it gone, then try once more.
		s.mu.Lock()
		exited, closed := s.exited, s.closed
		s.mu.Unlock()
		if closed {
			break
		}
		select {
		case <-exited:
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: %w", s.Name(), err)
}

// Close closes the program's stdin and waits for it to exit, killing it
// after 5 seconds.
func (s *ProgramSink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cmd, stdin, exited := s.cmd, s.stdin, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if stdin != nil {
		stdin.Close()
	}
	t := time.NewTimer(s.closeWait)
	defer t.Stop()
	select {
	case <-exited:
		return nil
	case <-t.C:
	}
	cmd.Process.Kill()
	<-exited
	return fmt.Errorf("%s: killed after %v", s.Name(), s.closeWait)
}
