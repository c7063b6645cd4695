package collectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/event"
)

// deepDir makes levels nested directories named name below dir, each
// with a relative mkdirat (the whole path is too long for one call), and
// returns an O_PATH fd of the deepest.
func deepDir(t *testing.T, dir, name string, levels int) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range levels {
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
		fd = next
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func TestDirPath(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		comp   string
		levels int
	}{
		{"short", "abc", 3},
		{"just below PATH_MAX", "n", (event.PathMax - len(base) - 200) / 2},
		{"long names", strings.Repeat("L", 250), 30},
		{"many short names", "s", 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := os.MkdirTemp(base, "d")
			if err != nil {
				t.Fatal(err)
			}
			fd := deepDir(t, dir, tc.comp, tc.levels)
			want := dir + strings.Repeat("/"+tc.comp, tc.levels)
			got, err := DirPath(fd)
			if err != nil {
				t.Fatalf("DirPath: %v", err)
			}
			if got != event.CutPath(want) {
				t.Fatalf("DirPath = %d bytes %.60q..., want %d bytes (cut: %v)", len(got), got,
					len(want), len(want) > event.PathMax)
			}
			if len(want) > event.PathMax && !event.PathIsCut(got) {
				t.Fatal("a long path is not marked cut")
			}
		})
	}
}
