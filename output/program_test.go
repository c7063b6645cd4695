package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitFile waits until path holds want.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %q", path, b, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitExited waits until the sink's program has exited.
func waitExited(t *testing.T, s *ProgramSink) {
	t.Helper()
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("program did not exit")
	}
}

func TestProgramSinkCat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts")
	s, err := NewProgramSink("cat >> " + path)
	if err != nil {
		t.Fatal(err)
	}
	line := string(sampleAlert(t).AppendJSON(nil))
	want := ""
	for _, l := range []string{line, "second\n", "third\n"} {
		if err := s.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
		want += l
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != want {
		t.Fatalf("file %q (%v), want %q", b, err, want)
	}
	if err := s.Write([]byte("late\n")); err == nil {
		t.Error("write after close succeeded")
	}
}

func TestProgramSinkRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts")
	s, err := NewProgramSink("head -n 1 >> " + path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.restartEvery = 50 * time.Millisecond
	if err := s.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	waitFile(t, path, "one\n")
	waitExited(t, s)
	time.Sleep(60 * time.Millisecond)
	if err := s.Write([]byte("two\n")); err != nil {
		t.Fatal(err)
	}
	waitFile(t, path, "one\ntwo\n")
}

func TestProgramSinkRestartLimited(t *testing.T) {
	s, err := NewProgramSink("exit 0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitExited(t, s)
	err = s.Write([]byte("x\n"))
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("err = %v, want a refusal to restart within a second", err)
	}
}

func TestProgramSinkCloseKills(t *testing.T) {
	s, err := NewProgramSink("exec sleep 60")
	if err != nil {
		t.Fatal(err)
	}
	s.closeWait = 100 * time.Millisecond
	// The program, which would sleep a minute, is killed.
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("err = %v", err)
	}
}

func TestProgramSinkEmpty(t *testing.T) {
	if _, err := NewProgramSink(""); err == nil {
		t.Error("empty command accepted")
	}
}
