//go:build linux

package audit

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestStatID: statID gives the device and inode stat(2) gives, follows a
// symbolic link or not, and allocates nothing.
func TestStatID(t *testing.T) {
	dir := t.TempDir()
	file, link := filepath.Join(dir, "f"), filepath.Join(dir, "l")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	id := func(p string) uint64 {
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		return st.Ino
	}
	if got, ok := statID(link, true); !ok || got.ino != id(file) {
		t.Errorf("statID(link, follow) = %v %v, want inode %d", got, ok, id(file))
	}
	if got, ok := statID(link, false); !ok || got.ino != id(link) {
		t.Errorf("statID(link, nofollow) = %v %v, want inode %d", got, ok, id(link))
	}
	if _, ok := statID(filepath.Join(dir, "missing"), true); ok {
		t.Error("statID of a missing file succeeded")
	}
	if n := testing.AllocsPerRun(100, func() { statID(file, true) }); n != 0 {
		t.Errorf("%v allocations per statID", n)
	}
}
