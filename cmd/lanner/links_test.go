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

	"github.com/lannersec/lanner/internal/testutil"
)

// plantLink makes a symbolic link in a fresh directory pointing at a file
// holding "secret", and returns the link and the target.
func plantLink(t *testing.T) (link, target string) {
	t.Helper()
	dir := t.TempDir()
	target = filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link, target
}

// checkRefused runs lanner with args (where "LINK" is a planted link) and
// checks that it fails naming the link, and leaves the target as it was.
func checkRefused(t *testing.T, flag string, args ...string) {
	t.Helper()
	link, target := plantLink(t)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "LINK", link)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lanner(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		t.Errorf("%s through a symbolic link: exit 0", flag)
	}
	if !strings.Contains(stderr.String(), link+" is a symbolic link") {
		t.Errorf("%s through a symbolic link: stderr %q, want it to say %s is a symbolic link", flag, stderr.String(), link)
	}
	if b, _ := os.ReadFile(target); string(b) != "secret" {
		t.Errorf("%s: the link's target now holds %q", flag, b)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
		t.Errorf("%s: the link's target now has mode %v", flag, fi.Mode())
	}
}

// TestFilesRefuseLinks: every file Lanner writes is refused when a
// symbolic link stands at its path. These all fail before a collector
// starts.
func TestFilesRefuseLinks(t *testing.T) {
	cases := []struct {
		flag string
		args []string
	}{
		{"--out-file", []string{"run", "--out-file", "LINK"}},
		{"--cpu-profile", []string{"run", "--cpu-profile", "LINK"}},
		{"record --out", []string{"record", "--out", "LINK"}},
		{"record --raw", []string{"record", "--out", os.DevNull + "x", "--raw", "LINK"}},
		{"replay --out-file", []string{"replay", "--out-file", "LINK", os.DevNull}},
	}
	for _, c := range cases {
		t.Run(c.flag, func(t *testing.T) {
			if c.flag == "record --raw" {
				c.args[2] = filepath.Join(t.TempDir(), "events")
			}
			checkRefused(t, c.flag, c.args...)
		})
	}
}

// TestLiveReadyFileRefusesLink: the ready file, written once the
// collector runs, is refused through a link too, and Lanner stops.
func TestLiveReadyFileRefusesLink(t *testing.T) {
	testutil.LockKernel(t)
	checkRefused(t, "--ready-file", "run", "--collector", "fanotify", "--out-file", filepath.Join(t.TempDir(), "alerts"),
		"--ready-file", "LINK", "--duration", "30s")
}
