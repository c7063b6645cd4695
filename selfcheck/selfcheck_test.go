package selfcheck

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lannersec/lanner/event"
)

// TestIsProbeExec: only an exec by a child of this process carrying
// ProbeArg is a probe, and only the running probe's nonce counts as its
// exec arriving; an open counts only for the probe's own file.
func TestIsProbeExec(t *testing.T) {
	c, err := New(Options{Collector: "x", Interval: time.Second, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	self := int64(os.Getpid())
	c.nonce, c.fileName = "abc", filePrefix+"abc"
	for _, tc := range []struct {
		ppid  int64
		args  []string
		probe bool
	}{
		{self, []string{"lanner", ProbeArg, "abc", "/run/lanner/" + filePrefix + "abc"}, true},
		{self, []string{"lanner", ProbeArg, "old"}, true},
		{self + 1, []string{"lanner", ProbeArg, "abc"}, false}, // not our child: a copy of the command line
		{self, []string{"lanner", "run"}, false},
		{self, []string{"lanner", ProbeArg}, false},
		{self, nil, false},
	} {
		if got := c.IsProbeExec(tc.ppid, tc.args); got != tc.probe {
			t.Errorf("IsProbeExec(%d, %q) = %v", tc.ppid, tc.args, got)
		}
	}
	if !c.execSeen {
		t.Error("the probe's exec was not taken as arrived")
	}
	for _, ev := range []event.Event{
		{Type: event.TypeOpenat, FD: event.FD{Name: "/run/lanner/" + filePrefix + "other"}},
		{Type: event.TypeConnect, FD: event.FD{Name: "/run/lanner/" + filePrefix + "abc"}},
	} {
		c.ProbeEvent(&ev)
	}
	if c.openSeen {
		t.Error("another file's open or another call was taken as the probe's open")
	}
	c.ProbeEvent(&event.Event{Type: event.TypeOpenat, FD: event.FD{Name: "/var/run/lanner/" + filePrefix + "abc"}})
	if !c.openSeen {
		t.Error("the probe's open was not taken as arrived")
	}
}

// TestSecureDir: the probe directory must be this user's own directory,
// not a symbolic link, not writable by others.
func TestSecureDir(t *testing.T) {
	base := t.TempDir()
	good := filepath.Join(base, "good")
	if err := secureDir(good); err != nil {
		t.Errorf("new directory: %v", err)
	}
	if fi, err := os.Stat(good); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("created with %v, %v", fi.Mode(), err)
	}
	link := filepath.Join(base, "link")
	os.Symlink(good, link)
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	for _, d := range []string{link, open, file} {
		if err := secureDir(d); err == nil {
			t.Errorf("%s accepted", d)
		}
	}
}

// TestRunProbeArgs: the probe refuses arguments that are not a probe file.
func TestRunProbeArgs(t *testing.T) {
	for _, args := range [][]string{nil, {"n"}, {"n", "/etc/shadow"}, {"n", "/x/" + filePrefix + "n", "extra"}} {
		if RunProbe(args) != 2 {
			t.Errorf("RunProbe(%q) accepted", args)
		}
	}
}

// TestNewOptions: bad intervals are refused; the timeout defaults to 3 x
// the interval.
func TestNewOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("zero interval accepted")
	}
	if _, err := New(Options{Interval: time.Second, Timeout: -1}); err == nil {
		t.Error("negative timeout accepted")
	}
	c, err := New(Options{Interval: 2 * time.Second})
	if err != nil || c.Timeout() != 6*time.Second {
		t.Errorf("timeout %v, %v", c.Timeout(), err)
	}
}

// TestRemoveStale: probe files a killed run left are removed when the
// check starts; recent ones (of another run) are kept.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	c, err := New(Options{Interval: time.Second, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	stale, recent, other := filepath.Join(dir, filePrefix+"old"), filepath.Join(dir, filePrefix+"new"), filepath.Join(dir, "other")
	for _, f := range []string{stale, recent, other} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-time.Hour)
	os.Chtimes(stale, long, long)
	os.Chtimes(other, long, long)
	c.removeStale()
	for f, want := range map[string]bool{stale: false, recent: true, other: true} {
		if _, err := os.Stat(f); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", f, err == nil, want)
		}
	}
}
