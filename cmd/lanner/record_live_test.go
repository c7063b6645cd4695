package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/internal/testutil"
)

// TestLiveRecord records a few seconds of programs run with a secret in
// their environment: the file is created 0600 in the compact format,
// holds the environment only with --env, and replays.
func TestLiveRecord(t *testing.T) {
	testutil.LockKernel(t)
	bin := lanner(t)
	for _, withEnv := range []bool{false, true} {
		dir := t.TempDir()
		out := filepath.Join(dir, "events")
		ready := filepath.Join(dir, "ready")
		args := []string{"record", "--out", out, "--ready-file", ready, "--duration", "20s"}
		if withEnv {
			args = append(args, "--env")
		}
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if _, err := os.Stat(ready); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("record did not become ready:\n%s", stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		for range 20 {
			c := exec.Command("/bin/sh", "-c", "cat /etc/hostname >/dev/null")
			c.Env = []string{"PATH=/usr/bin:/bin", "LANNER_TEST_SECRET=hunter2"}
			c.Run()
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("record: %v\n%s", err, stderr.String())
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("recording has mode %v, want 0600", fi.Mode())
		}
		data, _ := os.ReadFile(out)
		if !bytes.HasPrefix(data, []byte(`{"lanner_events":2}`+"\n")) {
			t.Errorf("recording starts %.80q, want the version 2 header", data)
		}
		if got := bytes.Contains(data, []byte("LANNER_TEST_SECRET=hunter2")); got != withEnv {
			t.Errorf("--env %v: the environment recorded: %v", withEnv, got)
		}
		events := 0
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), `{"type":`) {
				events++
			}
		}
		if events == 0 {
			t.Fatal("no event recorded")
		}
		t.Logf("--env %v: %d events in %d bytes, %d bytes per event", withEnv, events, len(data), len(data)/events)
		stderrReplay, code := replayRun(t, nil, out)
		if code != 0 || !strings.Contains(stderrReplay, " 0 malformed lines") {
			t.Errorf("replay of the recording: exit %d, %q", code, stderrReplay)
		}
	}
}
