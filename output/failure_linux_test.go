package output

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lannersec/lanner/internal/testutil"
)

// TestFileSinkOnFullFilesystem: a file sink on a filesystem that fills up
// reports the failure once and its recovery when space is freed. It
// mounts a small tmpfs (root only).
func TestFileSinkOnFullFilesystem(t *testing.T) {
	if os.Geteuid() != 0 {
		testutil.RequireKernel(t, "mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "size=64k,mode=0700"); err != nil {
		testutil.RequireKernel(t, "mount tmpfs: "+err.Error())
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	fs, err := NewFileSink(filepath.Join(dir, "alerts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	o := New(Text, fs)
	log := &lockedBuffer{}
	o.SetLog(slog.New(slog.NewTextHandler(log, nil)))
	a := sampleAlert(t)
	for range 20 {
		o.Send(a)
	}
	waitStats(t, o, 0, func(st SinkStats) bool { return st.Failed+st.Sent == 20 && st.Failed > 0 })
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	o.Send(a)
	st := waitStats(t, o, 0, func(st SinkStats) bool { return st.Failed+st.Sent == 21 })
	o.Close(5 * time.Second)
	if st.Sent == 0 {
		t.Errorf("nothing written after space was freed: %+v", st)
	}
	f1, r := reportLines(log, "failing"), reportLines(log, "recovered")
	if len(f1) != 1 || len(r) != 1 || !strings.Contains(f1[0], "no space left on device") {
		t.Errorf("reports:\n%s", log.take())
	}
}
