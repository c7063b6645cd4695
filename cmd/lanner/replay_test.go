package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/internal/testutil"
)

// replayRun runs `lanner replay args...` with stdin, and returns its
// stderr and exit status.
func replayRun(t *testing.T, stdin []byte, args ...string) (string, int) {
	t.Helper()
	// A hang guard only: each replay takes seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lanner(t), append([]string{"replay"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = new(bytes.Buffer)
	cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("replay %v did not end; stderr starts %.300q", args, stderr.String())
	}
	return stderr.String(), cmd.ProcessState.ExitCode()
}

// TestReplayInputs: the committed activity recording replays, gzipped, as
// plain text and from standard input; a line of any length is read or
// rejected with one error; input with no event fails.
func TestReplayInputs(t *testing.T) {
	dir := t.TempDir()
	gz, err := os.ReadFile(filepath.Join(testutil.Root(t), "bench", "testdata", "activity.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	const replayed = "replayed 59500 events, 0 alerts, 0 malformed lines"
	activity := filepath.Join(dir, "activity.jsonl.gz")
	os.WriteFile(activity, gz, 0o600)
	if stderr, code := replayRun(t, nil, activity); code != 0 || !strings.Contains(stderr, replayed) {
		t.Errorf("replay of the gzipped recording: exit %d, %q", code, stderr)
	}
	if stderr, code := replayRun(t, gz, "-"); code != 0 || !strings.Contains(stderr, replayed) {
		t.Errorf("replay - of the gzipped recording: exit %d, %q", code, stderr)
	}

	event := `{"type":"openat","time":1,"res":3,"proc":{"pid":1,"name":"x","uid":0,"gid":0}}` + "\n"
	long := `{"type":"openat","time":1,"args":{"set":1,"path":"` + strings.Repeat("x", eventlog.MaxLine+10) + `"}}` + "\n"
	cases := []struct {
		name, input string
		wantCode    int
		wantLines   int // error lines naming the input
		want        string
	}{
		{"long line", event + long + event, 0, 1, "replayed 2 events, 0 alerts, 1 malformed lines"},
		{"long last line", event + strings.TrimSuffix(long, "\n"), 0, 1, "replayed 1 events"},
		{"garbage", "not json\n\x00\x01\x02\nmore\n", 1, 3 + 1, "no event could be read"},
		{"empty", "", 1, 1, "no event could be read"},
		{"only a long line", long, 1, 1 + 1, "no event could be read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "in")
			os.WriteFile(p, []byte(c.input), 0o600)
			stderr, code := replayRun(t, nil, p)
			if code != c.wantCode || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %.500q; want exit %d and %q", code, stderr, c.wantCode, c.want)
			}
			if n := strings.Count(stderr, p); n != c.wantLines {
				t.Errorf("%d lines name the input, want %d: %.500q", n, c.wantLines, stderr)
			}
		})
	}
}
