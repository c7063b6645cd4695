//go:build linux

package audit

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
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

// TestProcSockProto asks this process's own descriptors what they are.
func TestProcSockProto(t *testing.T) {
	pid := int64(os.Getpid())
	udp, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(udp)
	tcp, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(tcp)
	var pipe [2]int
	if err := syscall.Pipe(pipe[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(pipe[0])
	defer syscall.Close(pipe[1])
	if _, known := procSockProto(pid, int64(udp)); !known {
		testutil.RequireKernel(t, "pidfd_getfd is not available")
	}
	for _, tc := range []struct {
		name  string
		fd    int
		want  event.L4Proto
		known bool
	}{
		{"udp", udp, event.L4UDP, true},
		{"tcp6", tcp, event.L4TCP, true},
		{"pipe", pipe[0], event.L4Unknown, true},
		{"no such descriptor", 1 << 20, event.L4Unknown, false},
	} {
		if got, known := procSockProto(pid, int64(tc.fd)); got != tc.want || known != tc.known {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, got, known, tc.want, tc.known)
		}
	}
}
