package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// plant makes dir/name a symbolic link to a file holding "secret" and
// returns the target's path.
func plant(t *testing.T, dir, name string) string {
	t.Helper()
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	return target
}

func TestSymlinkRefused(t *testing.T) {
	opens := map[string]func(string) error{
		"Create": func(p string) error {
			f, err := Create(p, 0o600)
			if err == nil {
				f.Close()
			}
			return err
		},
		"Append": func(p string) error {
			f, err := Append(p, 0o640)
			if err == nil {
				f.Close()
			}
			return err
		},
		"WriteFile": func(p string) error { return WriteFile(p, []byte("x"), 0o644) },
	}
	for name, open := range opens {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target := plant(t, dir, "link")
			err := open(filepath.Join(dir, "link"))
			if err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("%s through a link: %v, want a symbolic link error", name, err)
			}
			if b, _ := os.ReadFile(target); string(b) != "secret" {
				t.Errorf("target now holds %q", b)
			}
			if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
				t.Errorf("target mode now %v", fi.Mode())
			}
		})
	}
}

func TestFIFORefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	// No reader: an open that waited for one would hang here.
	if _, err := Append(p, 0o600); err == nil {
		t.Error("Append opened a FIFO")
	}
}

func TestCreateModes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	if err := os.WriteFile(p, []byte("old content that is long"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("after WriteFile: %q mode %v, want \"new\" mode 0600", b, fi.Mode())
	}
	q := filepath.Join(dir, "new")
	old := syscall.Umask(0)
	f, err := Create(q, 0o600)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Stat(q); fi.Mode().Perm() != 0o600 {
		t.Errorf("created with mode %v, want 0600", fi.Mode())
	}
}

func TestAppendKeeps(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	for _, line := range []string{"one\n", "two\n"} {
		f, err := Append(p, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(line)
		f.Close()
	}
	if b, _ := os.ReadFile(p); string(b) != "one\ntwo\n" {
		t.Errorf("log holds %q", b)
	}
}

// TestOtherUsersFileInStickyDir: a file another user left in a
// world-writable sticky directory is not written to, and is untouched.
func TestOtherUsersFileInStickyDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "planted")
	if err := os.WriteFile(p, []byte("theirs"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("mine"), 0o600); err == nil || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("WriteFile over another user's file: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "theirs" {
		t.Errorf("file now holds %q", b)
	}
	// In a directory that is not world-writable the owner's choice holds.
	os.Chmod(dir, 0o755)
	if err := WriteFile(p, []byte("mine"), 0o600); err != nil {
		t.Errorf("WriteFile in a private directory: %v", err)
	}
}

// TestCharDevice: an alert log may be a character device (Append), a
// file Lanner creates may not (Create).
func TestCharDevice(t *testing.T) {
	f, err := Append("/dev/null", 0o600)
	if err != nil {
		t.Fatalf("Append(/dev/null): %v", err)
	}
	f.Close()
	if f, err := Create("/dev/null", 0o600); err == nil {
		f.Close()
		t.Error("Create(/dev/null) accepted a device")
	}
}
