package audit

import (
	"testing"

	"github.com/lannersec/lanner/event"
)

func TestFDTable(t *testing.T) {
	tb := newFDTable()
	if tb.get(1, 3) != nil {
		t.Fatal("entry in an empty table")
	}
	e := tb.put(1, 3)
	e.dir, e.path = true, append(e.path, "/etc"...)
	e = tb.put(1, 4)
	e.kind, e.l4, e.cloexec = event.FDIPv4, event.L4UDP, true

	// A fork copies, an exec drops the close-on-exec ones.
	tb.copyPID(1, 2)
	if e := tb.get(2, 3); e == nil || !e.dir || string(e.path) != "/etc" {
		t.Fatalf("child's fd 3: %+v", e)
	}
	if e := tb.get(2, 4); e == nil || e.l4 != event.L4UDP {
		t.Fatalf("child's fd 4: %+v", e)
	}
	tb.dropCloexec(2)
	if tb.get(2, 4) != nil || tb.get(2, 3) == nil || tb.get(1, 4) == nil {
		t.Fatal("exec of the child: wrong entries dropped")
	}
	// The child's path is its own copy.
	tb.get(1, 3).path[1] = 'x'
	if string(tb.get(2, 3).path) != "/etc" {
		t.Fatalf("child's path changed with the parent's: %q", tb.get(2, 3).path)
	}
	// A new descriptor under a known number replaces the entry.
	if e := tb.put(1, 3); e.dir || len(e.path) != 0 {
		t.Fatalf("put returned a filled entry: %+v", e)
	}
	tb.dropPID(1)
	if tb.get(1, 3) != nil || tb.get(1, 4) != nil || tb.get(2, 3) == nil {
		t.Fatal("dropPID dropped the wrong entries")
	}

	// Bounded: the oldest entries are forgotten first.
	for i := range int64(maxFDs + 10) {
		tb.put(100, i).l4 = event.L4TCP
	}
	if n := len(tb.index); n != maxFDs {
		t.Fatalf("%d entries, want %d", n, maxFDs)
	}
	if tb.get(100, 0) != nil || tb.get(100, maxFDs+9) == nil || tb.get(2, 3) != nil {
		t.Fatal("not the oldest entries forgotten")
	}
	if int(tb.byPID[100]) != maxFDs || len(tb.byPID) != 1 {
		t.Fatalf("per-process counts %v", tb.byPID)
	}
	allocs := testing.AllocsPerRun(100, func() {
		e := tb.put(100, 5)
		e.dir, e.path = true, append(e.path, "/var/lib"...)
		tb.get(100, 5)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per put", allocs)
	}
}
