package collectors

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
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

// lockTreeStorm holds the kernel test lock, as root, for a test that
// makes and removes thousands of directories: such a storm would flood
// the collector of a live test another package runs at the same time.
func lockTreeStorm(t *testing.T) {
	if os.Geteuid() == 0 {
		testutil.LockKernel(t)
	}
}

func TestDirPath(t *testing.T) {
	lockTreeStorm(t)
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

// removeDeep removes the levels nested directories named name above the
// directory open as fd (deepDir's), from the deepest up: os.RemoveAll
// holds a descriptor per level.
func removeDeep(t *testing.T, fd int, name string, levels int) {
	t.Helper()
	cur, err := unix.Openat(fd, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { unix.Close(cur) }()
	for range levels {
		up, err := unix.Openat(cur, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(cur)
		cur = up
		if err := unix.Unlinkat(cur, name, unix.AT_REMOVEDIR); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDirPathDeep: a directory nested deeper than DirPath climbs (here
// with a climb lowered to 1,000 levels, for a tree of 5,000) is not named,
// and not given another path; one within the bound is. Neither makes
// DirPath allocate in proportion to the depth.
func TestDirPathDeep(t *testing.T) {
	lockTreeStorm(t)
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const levels = 5000
	dir, err := os.MkdirTemp(base, "d")
	if err != nil {
		t.Fatal(err)
	}
	fd := deepDir(t, dir, "d", levels)
	defer removeDeep(t, fd, "d", levels)
	for _, tc := range []struct {
		name  string
		climb int
		named bool
	}{
		{"deeper than the climb", 1000, false},
		{"within the climb", maxClimb, true},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := dirPath(fd, tc.climb)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<10 {
			t.Errorf("%s: DirPath allocated %d bytes", tc.name, alloc)
		}
		if !tc.named {
			if !errors.Is(err, unix.ENAMETOOLONG) {
				t.Errorf("%s: DirPath = %.60q, %v; want ENAMETOOLONG", tc.name, got, err)
			}
			continue
		}
		want := event.CutPath(dir + strings.Repeat("/d", levels))
		if err != nil || got != want || !event.PathIsCut(got) {
			t.Errorf("%s: DirPath = %d bytes %.60q, %v; want %.60q", tc.name, len(got), got, err, want)
		}
	}
}
