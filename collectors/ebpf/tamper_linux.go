//go:build linux && amd64

package ebpf

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"

	"github.com/lannersec/lanner/collectors"
)

// Tamper detection. Another process with CAP_SYS_ADMIN (or CAP_BPF) can
// open the collector's maps by id and write them: `bpftool map update` of
// lanner_syscalls, which says which syscalls are reported, turns the
// collector blind to them. The collector keeps what it wrote there and
// compares the map with it every tamperCheckEvery; a difference is
// reported (NoticeTampered: the kernel does not say who wrote a map, so
// the actor is unknown), the entries are written back, and the repair
// reported (NoticeRepaired). The check runs at a fixed period, so a
// process that rewrites the map in a loop cannot make it spin.
//
// What cannot be changed from outside: the constants (exclude_tgid,
// boot_offset, wakeup_bytes) are in a frozen read-only map, which the
// kernel refuses to write; the programs are attached through links (raw
// tracepoint and perf event links) that only the collector's descriptors
// hold, and the kernel supports neither detaching nor replacing the
// program of such links (`bpftool link detach` fails with EOPNOTSUPP), so
// a program leaves only when the collector closes its link or exits.
// Each check still makes sure that every link is there.
const tamperCheckEvery = 2 * time.Second

// nrMax is the size of lanner_syscalls (NR_MAX in the BPF C).
const nrMax = 512

// tamperWatch compares the collector's maps with what it wrote.
type tamperWatch struct {
	c      *Collector
	notify collectors.Notify
	want   [nrMax]uint32 // lanner_syscalls as written
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	// reported: a difference that could not be put back, reported once.
	reported string
}

// startWatch reads lanner_syscalls as New left it and starts the watch.
func (c *Collector) startWatch(notify collectors.Notify) error {
	t := &tamperWatch{c: c, notify: notify, stop: make(chan struct{}), done: make(chan struct{})}
	got, err := t.syscallsMap()
	if err != nil {
		return err
	}
	t.want = got
	c.watch = t
	go t.run()
	return nil
}

// stopWatch stops the watch and waits for it.
func (c *Collector) stopWatch() {
	if t := c.watch; t != nil {
		t.once.Do(func() {
			close(t.stop)
			<-t.done
		})
	}
}

func (t *tamperWatch) run() {
	defer close(t.done)
	tick := time.NewTicker(tamperCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.check()
		}
	}
}

// syscallsMap reads lanner_syscalls.
func (t *tamperWatch) syscallsMap() ([nrMax]uint32, error) {
	var got [nrMax]uint32
	for nr := range uint32(nrMax) {
		if err := t.c.objs.LannerSyscalls.Lookup(nr, &got[nr]); err != nil {
			return got, fmt.Errorf("ebpf: read lanner_syscalls[%d]: %w", nr, err)
		}
	}
	return got, nil
}

// check compares, reports and repairs.
func (t *tamperWatch) check() {
	got, err := t.syscallsMap()
	if err != nil {
		return
	}
	var changed []string
	var nrs []uint32
	for nr := range uint32(nrMax) {
		if got[nr] != t.want[nr] {
			nrs = append(nrs, nr)
			if len(changed) < 8 {
				changed = append(changed, fmt.Sprintf("syscall %d: %#x (was %#x)", nr, got[nr], t.want[nr]))
			}
		}
	}
	var lost []string
	for _, l := range t.c.links {
		if _, err := l.Info(); err != nil {
			lost = append(lost, err.Error())
		}
	}
	if len(nrs) == 0 && len(lost) == 0 {
		t.reported = ""
		return
	}
	var msg []string
	if len(nrs) > 0 {
		more := ""
		if len(nrs) > len(changed) {
			more = fmt.Sprintf(", and %d more", len(nrs)-len(changed))
		}
		msg = append(msg, fmt.Sprintf("BPF map lanner_syscalls changed by another process (which one, the kernel does not say): %d entries: %s%s",
			len(nrs), strings.Join(changed, ", "), more))
	}
	if len(lost) > 0 {
		msg = append(msg, fmt.Sprintf("%d BPF links unreadable: %s", len(lost), lost[0]))
	}
	text := strings.Join(msg, "; ")
	if text == t.reported {
		return
	}
	t.send(collectors.NoticeTampered, text)
	if len(nrs) == 0 {
		t.reported = text // links: nothing to put back
		return
	}
	var failed error
	for _, nr := range nrs {
		if err := t.c.objs.LannerSyscalls.Update(nr, t.want[nr], ebpf.UpdateExist); err != nil {
			failed = err
			break
		}
	}
	if failed != nil {
		t.reported = text
		t.send(collectors.NoticeTampered, "could not put back lanner_syscalls: "+failed.Error())
		return
	}
	t.reported = ""
	t.send(collectors.NoticeRepaired, fmt.Sprintf("put back: %d entries of BPF map lanner_syscalls", len(nrs)))
}

func (t *tamperWatch) send(kind collectors.NoticeKind, msg string) {
	if t.notify == nil {
		return
	}
	t.notify(collectors.Notice{Time: time.Now().UnixNano(), Collector: "ebpf", Kind: kind, Message: msg,
		Actor: collectors.Actor{AUID: -1, UID: -1}})
}
