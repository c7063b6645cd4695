package ebpf

import (
	"slices"
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// TestDecodeCutPaths checks the paths the kernel flags cut: a head of
// event.PathMax bytes becomes a marked cut path, an absolute form that
// climbs above a cut directory is unknown, and a clean path longer than
// event.PathMax is cut.
func TestDecodeCutPaths(t *testing.T) {
	head := "/dev/.x" + strings.Repeat("/dddd", (event.PathMax-7)/5+1)
	head = head[:event.PathMax]
	const flags = 0o100 | 0o1 // O_CREAT|O_WRONLY
	open := func(path string, abs string, absCut bool) *collectors.Record {
		r := sysRec(event.TypeOpenat, 42, 3, uint64(0xffffff9c), 0x1000, flags, 0o100644).
			str(sP1, path).str(sP1Abs, abs).
			file(3, sIFREG|0o644, head).
			u32(sysFdi+fdiFlags, fdiFile|fdiCreated)
		r.flags |= 1 << sFDPath
		if absCut {
			r.flags |= 1 << sP1Abs
		}
		return decode(t, r.bytes())
	}
	r := open("./payload", head, true)
	if !event.PathIsCut(r.Event.FD.Name) || !strings.HasPrefix(r.Event.FD.Name, "/dev/.x/dddd") {
		t.Errorf("fd.name = %.40q (%d bytes), want the head marked cut", r.Event.FD.Name, len(r.Event.FD.Name))
	}
	// A failed open is described by its absolute path. A directory cut,
	// and a path that climbs from it, ends who knows where.
	failed := func(path, abs string, absCut bool) string {
		r := sysRec(event.TypeOpenat, 42, -13, uint64(0xffffff9c), 0x1000, flags, 0o100644).
			str(sP1, path).str(sP1Abs, abs)
		if absCut {
			r.flags |= 1 << sP1Abs
		}
		return decode(t, r.bytes()).Event.FD.Name
	}
	if got := failed("./payload", head, true); got != head+event.PathCutMark {
		t.Errorf("fd.name of a failed open below a cut directory = %.40q", got)
	}
	if got := failed("../../../../etc/shadow", head, true); got != "../../../../etc/shadow" {
		t.Errorf("fd.name of a climb from a cut directory = %.40q, want the path as passed", got)
	}
	// Whole in the record but longer than event.PathMax once joined.
	long := "/tmp" + strings.Repeat("/eeee", 1000)
	if got := failed("x", long+"/x", false); got != event.CutPath(long+"/x") {
		t.Errorf("fd.name of %d bytes = %d bytes", len(long)+2, len(got))
	}
}

// TestDecodeArgvHeadTail checks how the head and tail of a long argv
// the kernel copied are joined.
func TestDecodeArgvHeadTail(t *testing.T) {
	full := "sh\x00-c\x00: " + strings.Repeat("x", 20000) + "; curl x | sh\x00"
	headB, tailB := full[:argvLen], full[len(full)-argvLen:]
	raw := execRec(7, event.TypeExecve, "/bin/sh", "/usr/bin/dash", "/", nil)
	raw.strs[sArgv] = []byte(headB)
	raw.strs[sArgvTail] = []byte(tailB)
	raw.flags |= 1<<sArgv | 1<<sArgvTail
	r := decode(t, raw.bytes())
	want := []string{"sh", "-c", ": " + strings.Repeat("x", argvLen-8) + event.ArgvCutMark +
		strings.Repeat("x", argvLen-len("; curl x | sh\x00")) + "; curl x | sh"}
	if !slices.Equal(r.Exec.Args, want) {
		t.Errorf("Args = %d args, want %d; last ends %q", len(r.Exec.Args), len(want),
			r.Exec.Args[len(r.Exec.Args)-1][max(0, len(r.Exec.Args[len(r.Exec.Args)-1])-20):])
	}
	if !slices.Equal(r.Exec.Args, event.CutArgs(strings.Split(strings.TrimSuffix(full, "\x00"), "\x00"))) {
		t.Error("the kernel's head and tail differ from event.CutArgs")
	}

	// Between argvLen and 2*argvLen: the tail follows the head, nothing cut.
	full = "echo\x00" + strings.Repeat("y", 5000) + "\x00end\x00"
	raw = execRec(7, event.TypeExecve, "/bin/echo", "/usr/bin/echo", "/", nil)
	raw.strs[sArgv] = []byte(full[:argvLen])
	raw.strs[sArgvTail] = []byte(full[argvLen:])
	raw.flags |= 1 << sArgv
	r = decode(t, raw.bytes())
	if !slices.Equal(r.Exec.Args, []string{"echo", strings.Repeat("y", 5000), "end"}) {
		t.Errorf("Args = %d args", len(r.Exec.Args))
	}
}
