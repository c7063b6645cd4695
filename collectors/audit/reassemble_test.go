package audit

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// syscallLine returns a SYSCALL record of an openat by pid with serial.
func syscallLine(serial, pid int, arch string, items int) string {
	return fmt.Sprintf("type=1300 audit(1700000000.100:%d): arch=%s syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=0 a3=0 items=%d ppid=1 pid=%d auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"lanner\"\n",
		serial, arch, items, pid)
}

func pathLine(serial, item int, name string) string {
	return fmt.Sprintf("type=1302 audit(1700000000.100:%d): item=%d name=\"%s\" inode=1 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n",
		serial, item, name)
}

func cwdLine(serial int) string {
	return fmt.Sprintf("type=1307 audit(1700000000.100:%d): cwd=\"/etc\"\n", serial)
}

func eoeLine(serial int) string {
	return fmt.Sprintf("type=1320 audit(1700000000.100:%d): \n", serial)
}

func TestReassembleInterleaved(t *testing.T) {
	a := newReassembler(event.TypeSetOf(event.TypeOpenat), 0)
	// Two events whose records interleave, and a record of a type the
	// collector does not read.
	feed(t, a, []byte(syscallLine(1, 10, "c000003e", 1)+syscallLine(2, 20, "c000003e", 1)+
		cwdLine(2)+pathLine(2, 0, "b")+cwdLine(1)+pathLine(1, 0, "a")+
		"type=1305 audit(1700000000.100:1): op=set audit_pid=1 old=0\n"+
		eoeLine(2)+eoeLine(1)))
	recs := drain(a)
	if len(recs) != 2 || a.malformed != 0 {
		t.Fatalf("got %d records, %d malformed", len(recs), a.malformed)
	}
	if recs[0].PID != 20 || recs[0].Event.FD.Name != "/etc/b" || recs[1].PID != 10 || recs[1].Event.FD.Name != "/etc/a" {
		t.Errorf("got %+v", recs)
	}
}

func TestReassembleFilters(t *testing.T) {
	a := newReassembler(event.TypeSetOf(event.TypeOpenat), 77)
	feed(t, a, []byte(
		// Excluded pid, a 32-bit task, and a syscall not asked for.
		syscallLine(1, 77, "c000003e", 0)+eoeLine(1)+
			syscallLine(2, 10, "40000003", 0)+eoeLine(2)+
			strings.Replace(syscallLine(3, 10, "c000003e", 0), "syscall=257", "syscall=0", 1)+eoeLine(3)+
			syscallLine(4, 10, "c000003e", 0)+eoeLine(4)))
	recs := drain(a)
	if len(recs) != 1 || recs[0].PID != 10 || a.malformed != 0 {
		t.Errorf("got %d records (%+v), %d malformed", len(recs), recs, a.malformed)
	}
	if a.pendingCount() != 0 || a.bytes != 0 {
		t.Errorf("pending %d, %d bytes", a.pendingCount(), a.bytes)
	}
}

func TestReassembleMalformed(t *testing.T) {
	a := newReassembler(event.TypeSetOf(event.TypeOpenat), 0)
	feed(t, a, []byte(
		// No SYSCALL record (lost): partial.
		cwdLine(1)+pathLine(1, 0, "x")+eoeLine(1)+
			// A SYSCALL record without pid.
			strings.Replace(syscallLine(2, 10, "c000003e", 0), "pid=10", "", 1)+eoeLine(2)+
			// Garbage in the header.
			"type=1300 audit(17000x.1:3): arch=c000003e\n"+
			// Two SYSCALL records in one event.
			syscallLine(4, 10, "c000003e", 0)+syscallLine(4, 10, "c000003e", 0)+eoeLine(4)+
			// A SOCKADDR that is not hex.
			syscallLine(5, 10, "c000003e", 0)+"type=1306 audit(1700000000.100:5): saddr=zz\n"+eoeLine(5)+
			// A good one.
			syscallLine(6, 10, "c000003e", 0)+eoeLine(6)))
	recs := drain(a)
	if len(recs) != 1 || a.malformed != 5 {
		t.Errorf("got %d records, %d malformed; want 1, 5", len(recs), a.malformed)
	}
}

func TestReassembleTimeout(t *testing.T) {
	a := newReassembler(event.TypeSetOf(event.TypeOpenat), 0)
	a.timeout = int64(time.Second)
	push := func(text string, now int64) {
		typ, data, _ := splitLine([]byte(strings.TrimSuffix(text, "\n")))
		a.push(typ, data, now)
	}
	// Event 1 lost its EOE but is complete; event 2 lost a PATH record.
	push(syscallLine(1, 10, "c000003e", 1), 0)
	push(pathLine(1, 0, "/a"), 0)
	push(syscallLine(2, 10, "c000003e", 2), int64(500*time.Millisecond))
	push(pathLine(2, 0, "/b"), int64(500*time.Millisecond))
	var r collectors.Record
	a.expire(int64(900 * time.Millisecond))
	if a.next(&r) {
		t.Fatal("flushed before the timeout")
	}
	if at, ok := a.nextExpiry(); !ok || at != int64(time.Second) {
		t.Errorf("next expiry %d %v", at, ok)
	}
	a.expire(int64(time.Second))
	if !a.next(&r) || r.Event.FD.Name != "/a" || a.next(&r) {
		t.Fatalf("after 1 s: %+v", r)
	}
	a.expire(int64(2 * time.Second))
	if a.next(&r) || a.malformed != 1 || a.pendingCount() != 0 {
		t.Errorf("after 2 s: malformed %d pending %d", a.malformed, a.pendingCount())
	}
	// The EOE of a flushed event comes late: nothing happens.
	push(eoeLine(1), int64(3*time.Second))
	if a.next(&r) || a.pendingCount() != 0 {
		t.Error("late EOE produced something")
	}
}

func TestReassembleBounds(t *testing.T) {
	a := newReassembler(event.TypeSetOf(event.TypeOpenat), 0)
	a.maxPending = 4
	var text strings.Builder
	for i := 1; i <= 10; i++ {
		text.WriteString(syscallLine(i, 10, "c000003e", 0))
	}
	feed(t, a, []byte(text.String()))
	if a.pendingCount() != 4 {
		t.Errorf("%d pending, want 4", a.pendingCount())
	}
	// The six flushed ones were complete (no PATH items expected).
	if recs := drain(a); len(recs) != 6 {
		t.Errorf("%d records flushed, want 6", len(recs))
	}
	a.flushAll()
	if recs := drain(a); len(recs) != 4 || a.flushed != 10 {
		t.Errorf("%d records at the end, %d flushed", len(recs), a.flushed)
	}

	// The byte bound: huge EXECVE records are cut, and the exec is still
	// reported, with the arguments that fit.
	a = newReassembler(event.TypeSetOf(event.TypeExecve), 0)
	text.Reset()
	text.WriteString(strings.Replace(strings.Replace(syscallLine(1, 10, "c000003e", 0), "syscall=257", "syscall=59", 1), "exit=3", "exit=0", 1))
	text.WriteString("type=1309 audit(1700000000.100:1): argc=100")
	arg := strings.Repeat("41", 4000)
	for i := range 100 {
		if i > 0 {
			text.WriteString("\ntype=1309 audit(1700000000.100:1):")
		}
		fmt.Fprintf(&text, " a%d=%s", i, arg)
	}
	text.WriteString("\n" + eoeLine(1))
	feed(t, a, []byte(text.String()))
	recs := drain(a)
	if len(recs) != 1 || recs[0].Kind != collectors.KindExec {
		t.Fatalf("got %d records, %d malformed", len(recs), a.malformed)
	}
	if n := len(recs[0].Exec.Args); n == 0 || n >= 100 || len(recs[0].Exec.Args[0]) != 4000 {
		t.Errorf("%d args kept", n)
	}
}

// TestRecordReuse checks that decoding reuses the record and the buffers.
func TestRecordReuse(t *testing.T) {
	text := readTestdata(t, "exec_cat.txt")
	a := newReassembler(event.TypeSetOf(event.TypeExecve), 0)
	var r collectors.Record
	allocs := testing.AllocsPerRun(100, func() {
		feed(t, a, text)
		if !a.next(&r) {
			t.Fatal("no record")
		}
	})
	// bufio.Scanner in feed allocates; the decoding itself should not
	// add much.
	if allocs > 20 {
		t.Errorf("%.0f allocations per event", allocs)
	}
}

func TestRuleKeys(t *testing.T) {
	opts := Options{Types: event.TypeSetOf(event.TypeOpenat), ExcludePID: 42}
	for _, key := range []string{"lanner", "k2"} {
		wf, err := buildRule(&opts, key)
		if err != nil {
			t.Fatal(err)
		}
		if !ruleHasKey(wf, key) || ruleHasKey(wf, "other") || ruleHasKey(wf, "lanne") {
			t.Errorf("keys of %q: %q", key, ruleKeys(wf))
		}
		if ruleKeys(wf[:100]) != nil {
			t.Error("short rule has keys")
		}
	}
	names := ruleSyscalls(&opts.Types)
	for _, want := range []string{"openat", "execve", "execveat", "clone", "clone3", "fork", "vfork", "exit_group", "exit"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("rule syscalls %q lack %s", names, want)
		}
	}
	if strings.Contains(strings.Join(names, " "), "connect") {
		t.Errorf("rule syscalls %q has connect", names)
	}
}

// A child's syscall that comes before its parent's clone record (a vfork
// child) is preceded by the child's fork when it still runs the parent's
// program.
func TestReassembleEarlyChild(t *testing.T) {
	a := newReassembler(event.TypeSetOf(event.TypeOpenat), 0)
	a.early = true
	a.remember(1, image{comm: "cat", exe: "/usr/bin/cat"})
	other := strings.Replace(syscallLine(3, 20, "c000003e", 0), `comm="cat"`, `comm="sh"`, 1)
	feed(t, a, []byte(syscallLine(1, 10, "c000003e", 0)+eoeLine(1)+
		syscallLine(2, 10, "c000003e", 0)+eoeLine(2)+other+eoeLine(3)))
	recs := drain(a)
	if len(recs) != 4 || a.malformed != 0 {
		t.Fatalf("got %d records (%+v), %d malformed", len(recs), recs, a.malformed)
	}
	f := recs[0]
	if f.Kind != collectors.KindFork || f.PID != 1 || f.Fork.ParentPID != 1 || f.Fork.ChildPID != 10 || f.Fork.ChildTID != 10 || f.Fork.Thread {
		t.Errorf("fork record %+v", f)
	}
	for i, pid := range []int64{10, 10, 20} {
		if r := recs[i+1]; r.Kind != collectors.KindSyscall || r.PID != pid || r.Event.Type != event.TypeOpenat {
			t.Errorf("record %d: %+v", i+1, r)
		}
	}
	if a.bytes != 0 || a.pendingCount() != 0 {
		t.Errorf("%d bytes, %d pending", a.bytes, a.pendingCount())
	}
}

// withoutTypes drops the records of the given types from audit text.
func withoutTypes(text []byte, types ...string) []byte {
	var out []string
	for _, line := range strings.Split(string(text), "\n") {
		keep := true
		for _, typ := range types {
			if strings.HasPrefix(line, "type="+typ+" ") {
				keep = false
			}
		}
		if keep {
			out = append(out, line)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

// TestReassembleShape: completing events by their shape gives the records
// that waiting for EOE gives, with or without the EOE and PROCTITLE
// records, and in the same order.
func TestReassembleShape(t *testing.T) {
	files := []string{"chmod.txt", "clone_exit.txt", "exec_cat.txt", "exec_long.txt", "exec_tty_hex.txt",
		"link_unlink.txt", "mount_mkdir.txt", "openat_create.txt", "openat_relative.txt", "rename.txt",
		"sockets.txt", "symlink.txt"}
	h := hooks{dirPath: func(int64, int64) (string, bool) { return "/dir", true }}
	for _, name := range files {
		want, _ := decodeFile(t, name, allTypes(), h)
		for _, strip := range [][]string{nil, {"1320", "1327"}} {
			a := newReassembler(allTypes(), 0)
			a.dec.hooks = h
			a.shape = true
			feed(t, a, withoutTypes(readTestdata(t, name), strip...))
			got := drain(a)
			waiting := a.pendingCount()
			for _, g := range a.pending {
				if g.await != awaitSockaddr {
					t.Errorf("%s without %v: serial %d still waits (items %d)", name, strip, g.serial, g.items)
				}
			}
			a.flushAll()
			got = append(got, drain(a)...)
			if len(want) == 0 || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("%s without %v:\n got %+v\nwant %+v", name, strip, got, want)
			}
			if a.malformed != 0 {
				t.Errorf("%s without %v: %d malformed", name, strip, a.malformed)
			}
			if strip == nil && waiting != 0 {
				t.Errorf("%s: %d groups waiting after their EOE", name, waiting)
			}
		}
	}
}

// TestReassembleShapeOrder: an event is complete at its last PATH item, at
// its SYSCALL record when it announces no item, at its SOCKADDR record when
// it may have one, or once enough later events have begun; the records of
// an event not reported are swallowed until it is complete.
func TestReassembleShapeOrder(t *testing.T) {
	a := newReassembler(event.TypeSetOf(event.TypeOpenat, event.TypeConnect, event.TypeSendto), 0)
	a.shape = true
	connect := func(serial int) string {
		return fmt.Sprintf("type=1300 audit(1700000000.100:%d): arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=1 a2=10 a3=0 items=0 ppid=1 pid=30 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"nc\" exe=\"/usr/bin/nc\" key=\"lanner\"\n", serial)
	}
	sockaddr := func(serial int) string {
		return fmt.Sprintf("type=1306 audit(1700000000.100:%d): saddr=020000357F0000010000000000000000\n", serial)
	}
	sendto := func(serial int) string {
		return strings.Replace(connect(serial), "syscall=42", "syscall=44", 1)
	}
	step := func(text string, want int) {
		t.Helper()
		feed(t, a, []byte(text))
		if got := len(drain(a)); got != want {
			t.Fatalf("after %q: %d records, want %d", text, got, want)
		}
	}
	step(syscallLine(1, 10, "c000003e", 2), 0)
	step(syscallLine(2, 20, "c000003e", 0), 1) // no item: complete at once
	step(cwdLine(1)+pathLine(1, 0, "a"), 0)
	step(pathLine(1, 1, "b"), 1)
	step(connect(3), 0)
	step(sockaddr(3), 1)
	// Another pid's event the collector does not report, with items.
	step(strings.Replace(syscallLine(4, 10, "c000003e", 1), "syscall=257", "syscall=0", 1), 0)
	step(cwdLine(4)+pathLine(4, 0, "x"), 0)
	step(sendto(5), 0) // a send without an address has no SOCKADDR
	step(syscallLine(5+shapeSerialSpan-1, 20, "c000003e", 0), 1)
	step(syscallLine(5+shapeSerialSpan, 20, "c000003e", 0), 2)
	if a.pendingCount() != 0 || a.malformed != 0 {
		t.Errorf("%d pending, %d malformed", a.pendingCount(), a.malformed)
	}
	// EOE records of completed events change nothing.
	step(eoeLine(1)+eoeLine(3)+eoeLine(4), 0)
	if a.pendingCount() != 0 || a.malformed != 0 || a.flushed != 0 {
		t.Errorf("%d pending, %d malformed, %d flushed", a.pendingCount(), a.malformed, a.flushed)
	}
}

// TestDirFDAllocs: decoding opens (relative to a directory fd, openat2
// with its record) allocates nothing once the buffers have grown.
func TestDirFDAllocs(t *testing.T) {
	type line struct {
		typ  uint16
		data []byte
	}
	var lines []line
	for l := range bytes.Lines(readTestdata(t, "openat2_dirfd.txt")) {
		typ, data, ok := splitLine(bytes.TrimRight(l, "\n"))
		if !ok {
			t.Fatalf("bad line %q", l)
		}
		lines = append(lines, line{typ, data})
	}
	a := newReassembler(event.TypeSetOf(event.TypeOpenat, event.TypeOpenat2), 0)
	a.dec.hooks = hooks{statID: func(string, bool) (fileID, bool) { return fileID{dev: 0xfe << 32, ino: 817}, true }}
	var r collectors.Record
	run := func() {
		for _, l := range lines {
			a.push(l.typ, l.data, 0)
		}
		n := 0
		for a.next(&r) {
			n++
		}
		if n != 5 {
			t.Fatalf("%d records", n)
		}
		a.flushAll() // drops the queue's entries of completed events, as Read's expiry does
	}
	run()
	if allocs := testing.AllocsPerRun(100, run); allocs > 0 {
		t.Errorf("%.1f allocations per 5 events", allocs)
	}
	if a.dec.unresolved != 0 {
		t.Errorf("%d unresolved", a.dec.unresolved)
	}
}
