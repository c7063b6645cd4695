package fanotify

import (
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// TestPairCreate: a file's creation and its creator's write pair up once,
// in either order, within the dedup window; other processes' writes and
// late writes do not.
func TestPairCreate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		name       string
		steps      func(c *Collector) (first, second bool)
		wantSecond bool
	}{
		{"create then write", func(c *Collector) (bool, bool) {
			a := c.pairCreate(7, "/dev/x", true, now)
			c.firstSeen(7, "/dev/x", true, now.Add(time.Millisecond))
			return a, c.pairCreate(7, "/dev/x", false, now.Add(time.Millisecond))
		}, true},
		{"write then create", func(c *Collector) (bool, bool) {
			c.firstSeen(7, "/dev/x", true, now)
			a := c.pairCreate(7, "/dev/x", false, now)
			return a, c.pairCreate(7, "/dev/x", true, now.Add(time.Millisecond))
		}, true},
		{"another process writes", func(c *Collector) (bool, bool) {
			a := c.pairCreate(7, "/dev/x", true, now)
			return a, c.pairCreate(8, "/dev/x", false, now)
		}, false},
		{"write too late", func(c *Collector) (bool, bool) {
			a := c.pairCreate(7, "/dev/x", true, now)
			return a, c.pairCreate(7, "/dev/x", false, now.Add(dedupWindow+time.Second))
		}, false},
		{"paired once", func(c *Collector) (bool, bool) {
			c.pairCreate(7, "/dev/x", true, now)
			c.pairCreate(7, "/dev/x", false, now)
			return false, c.pairCreate(7, "/dev/x", false, now)
		}, false},
	} {
		col := &Collector{writes: map[writeKey]time.Time{}, created: map[writeKey]time.Time{}}
		first, second := c.steps(col)
		if first || second != c.wantSecond {
			t.Errorf("%s: %v %v, want false %v", c.name, first, second, c.wantSecond)
		}
	}
}

// TestParkExec: the exec of a process gone before its executable was
// named waits for fanotify's open for exec, with the records that follow
// it, and goes out without the name after parkTimeout.
func TestParkExec(t *testing.T) {
	newCol := func() *Collector {
		c := &Collector{connector: true, out: make(chan collectors.Record, 16), done: make(chan struct{}),
			execNotes: map[int32]execNote{}, lastExec: map[int32]time.Time{}, parked: map[int32]*parkedExec{},
			proc: procReader{Root: t.TempDir()}}
		c.types.Add(event.TypeExecve)
		return c
	}
	const pid = 4242 // no such process below the empty /proc root
	exec := &procEvent{What: procEventExec, PID: pid, TGID: pid}
	exit := &procEvent{What: procEventExit, PID: pid, TGID: pid}
	other := &procEvent{What: procEventExit, PID: pid + 1, TGID: pid + 1}

	c := newCol()
	c.handleProc(exec, 0)
	c.handleProc(exit, 0)
	c.handleProc(other, 0)
	if r := <-c.out; r.Kind != collectors.KindExit || r.PID != pid+1 {
		t.Fatalf("first record %+v, want the other process's exit", r)
	}
	if len(c.out) != 0 {
		t.Fatalf("%d records out before the exec was named", len(c.out))
	}
	c.openExec(pid, "/usr/bin/noop", time.Now())
	x, e := <-c.out, <-c.out
	if x.Kind != collectors.KindExec || x.Exec.ExePath != "/usr/bin/noop" || x.Exec.Filename != "/usr/bin/noop" ||
		x.Event.Type != event.TypeExecve || x.Event.Args.Filename != "/usr/bin/noop" {
		t.Errorf("exec %+v", x)
	}
	if e.Kind != collectors.KindExit || e.PID != pid {
		t.Errorf("then %+v, want the exit", e)
	}
	if _, noted := c.execNotes[pid]; noted {
		t.Error("the open for exec was also kept as a note")
	}

	// fanotify names the executable while the connector reads /proc.
	c = newCol()
	var rec collectors.Record
	c.execRecord(&rec, pid, pid, 1, "")
	c.openExec(pid, "/usr/bin/noop", time.Now())
	if c.park(pid, &rec) || rec.Exec.ExePath != "/usr/bin/noop" {
		t.Errorf("exec named meanwhile: parked %v, %+v", len(c.parked), rec.Exec)
	}

	c = newCol()
	c.handleProc(exec, 0)
	select {
	case r := <-c.out:
		if r.Kind != collectors.KindExec || r.Exec.ExePath != "" {
			t.Errorf("after the timeout: %+v", r)
		}
	case <-time.After(10 * parkTimeout):
		t.Fatal("the parked exec never went out")
	}
	if len(c.parked) != 0 {
		t.Errorf("%d execs still parked", len(c.parked))
	}
}
