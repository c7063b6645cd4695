package output

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// recordingSink keeps a copy of every line it is given and is slow: it
// yields or sleeps in the middle of each write, and checks that the line
// did not change meanwhile (a line recycled for a later alert while its
// sink still writes it would).
type recordingSink struct {
	name   string
	format Format
	mu     sync.Mutex
	lines  []string
	prios  []ruleset.Priority
	errs   []string
	writes int
}

func (s *recordingSink) Name() string   { return s.name }
func (s *recordingSink) Format() Format { return s.format }
func (s *recordingSink) Close() error   { return nil }

func (s *recordingSink) take(line []byte, p ruleset.Priority) {
	before := string(line)
	s.mu.Lock()
	s.writes++
	slow := s.writes%32 == 0
	s.mu.Unlock()
	if slow {
		time.Sleep(50 * time.Microsecond)
	} else {
		runtime.Gosched()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if after := string(line); after != before {
		s.errs = append(s.errs, fmt.Sprintf("line changed while being written: %.100q became %.100q", before, after))
	}
	s.lines = append(s.lines, before)
	s.prios = append(s.prios, p)
}

func (s *recordingSink) Write(line []byte) error {
	s.take(line, 0)
	return nil
}

// prioritySlowSink takes alerts with their priority.
type prioritySlowSink struct{ *recordingSink }

func (s prioritySlowSink) WritePriority(line []byte, p ruleset.Priority) error {
	s.take(line, p)
	return nil
}

// hostSlowSink takes alerts with their priority and host name.
type hostSlowSink struct{ *recordingSink }

func (s hostSlowSink) WriteHost(line []byte, p ruleset.Priority, hostname string) error {
	if hostname != "vm" {
		s.mu.Lock()
		s.errs = append(s.errs, fmt.Sprintf("host name %q", hostname))
		s.mu.Unlock()
	}
	s.take(line, p)
	return nil
}

func (s hostSlowSink) WritePriority(line []byte, p ruleset.Priority) error {
	return s.WriteHost(line, p, "")
}

// batchSlowSink takes queued alerts in batches.
type batchSlowSink struct{ *recordingSink }

func (s batchSlowSink) WriteBatch(lines [][]byte) error {
	for _, l := range lines {
		s.take(l, 0)
	}
	return nil
}

// TestSlowSinksGetEveryAlertIntact builds many alerts with one Builder, as
// the engine does, from an event whose strings are views into one buffer
// rewritten for each event, as a collector's records are, and sends them
// faster than slow sinks of both formats and of every kind write them:
// every sink gets every alert, in order, each line exactly the one built
// on its own for that event, although the lines' memory goes round to
// later alerts.
func TestSlowSinksGetEveryAlertIntact(t *testing.T) {
	crit := hostileRule(t)
	warn := *crit
	warn.Name, warn.Priority = "Hostile values, warning", ruleset.Warning
	rules := []*ruleset.Rule{crit, &warn}

	text := &recordingSink{name: "text", format: Text}
	json := &recordingSink{name: "json", format: JSON}
	prio := prioritySlowSink{&recordingSink{name: "priority", format: Text}}
	host := hostSlowSink{&recordingSink{name: "host", format: JSON}}
	batch := batchSlowSink{&recordingSink{name: "batch", format: JSON}}
	o := New(Text, text, json, prio, host, batch)
	o.SetLog(nil)

	const n = 3 * QueueLen
	var raw [64]byte // the record buffer the event's path is a view of
	ev := hostileEvent("", "cat /etc/shadow", "/root\x1b[2J", "cat")
	path := func(i int) string { return fmt.Sprintf("/tmp/alert-%06d\n\"<&>\u2028\xff", i) }
	var b Builder
	for i := range n {
		// Keep every queue below full: nothing may be dropped.
		for o.fullest() > QueueLen-8 {
			time.Sleep(100 * time.Microsecond)
		}
		m := copy(raw[:], path(i))
		ev.FD.Name = unsafe.String(&raw[0], m)
		ev.Time = 1795757437486526403 + int64(i)
		o.Send(b.Build(rules[i%2], ev, "vm"))
		clear(raw[:]) // the collector reuses the record
	}
	o.Close(30 * time.Second)

	for _, st := range o.Stats() {
		if st.Sent != n || st.Undelivered() != 0 {
			t.Errorf("sink %s: %+v, want all %d sent", st.Name, st, n)
		}
	}
	for _, s := range []*recordingSink{text, json, prio.recordingSink, host.recordingSink, batch.recordingSink} {
		for _, e := range s.errs[:min(len(s.errs), 3)] {
			t.Errorf("sink %s: %s", s.name, e)
		}
		if len(s.lines) != n {
			t.Errorf("sink %s got %d lines, want %d", s.name, len(s.lines), n)
			continue
		}
		bad := 0
		for i, got := range s.lines {
			ev := hostileEvent("", "cat /etc/shadow", "/root\x1b[2J", "cat")
			ev.FD.Name, ev.Time = path(i), 1795757437486526403+int64(i)
			want, _ := NewAlert(rules[i%2], ev, "vm", nil)
			var line []byte
			if s.format == JSON {
				line = want.AppendJSON(nil)
			} else {
				line = want.AppendText(nil)
			}
			if got != string(line) && bad < 3 {
				bad++
				t.Errorf("sink %s, alert %d:\n got %q\nwant %q", s.name, i, got, line)
			}
			if (s == prio.recordingSink || s == host.recordingSink) && s.prios[i] != want.Priority {
				t.Errorf("sink %s, alert %d: priority %v, want %v", s.name, i, s.prios[i], want.Priority)
			}
		}
	}
	if !strings.Contains(text.lines[n-1], fmt.Sprintf("alert-%06d", n-1)) {
		t.Errorf("last text line %q", text.lines[n-1])
	}
}

// fullest is the length of the longest queue.
func (o *Output) fullest() int {
	m := 0
	for _, q := range o.queues {
		m = max(m, len(q.ch))
	}
	return m
}

// TestBuildAllocatesNothing: a Builder's alerts cost no allocation once
// it has seen their rule, and are NewAlert's.
func TestBuildAllocatesNothing(t *testing.T) {
	r := hostileRule(t)
	evs := []*event.Event{
		hostileEvent("/etc/shadow", "cat /etc/shadow", "/root", "cat"),
		hostileEvent("/tmp/x\n01:02:03.000000000: Critical FORGED\x1b[2J\xff", "a\nb\u0085", "v\r", "n\x1b"),
	}
	var b Builder
	i := 0
	if n := testing.AllocsPerRun(1000, func() { b.Build(r, evs[i%2], "vm"); i++ }); n != 0 {
		t.Errorf("Build: %v allocations per alert", n)
	}
	var buf []byte
	for _, ev := range evs {
		a := b.Build(r, ev, "vm")
		want, _ := NewAlert(r, ev, "vm", nil)
		if a.Output != want.Output || string(a.AppendJSON(buf[:0])) != string(want.AppendJSON(nil)) {
			t.Errorf("Build and NewAlert differ:\n%s\n%s", a.AppendJSON(nil), want.AppendJSON(nil))
		}
	}
}

// TestTimeFormats: the times alerts start with and end with are those
// time.Time.AppendFormat writes, before the epoch and at the ends of the
// int64 range too.
func TestTimeFormats(t *testing.T) {
	times := []int64{0, -1, 1, 999_999_999, 1e9, -1e9, -1e9 - 1, 86_400e9 - 1, 86_400e9, -86_400e9,
		1795757437486526403, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		times = append(times, int64(rng.Uint64()))
	}
	for _, ns := range times {
		tm := time.Unix(0, ns).UTC()
		if got, want := string(appendTimeOfDay(nil, ns)), tm.Format("15:04:05.000000000"); got != want {
			t.Errorf("appendTimeOfDay(%d) = %s, want %s", ns, got, want)
		}
		if got, want := string(appendUTCTime(nil, ns)), tm.Format("2006-01-02T15:04:05.000000000"); got != want {
			t.Errorf("appendUTCTime(%d) = %s, want %s", ns, got, want)
		}
	}
}

// TestJSONPlain8: the word test agrees with the byte table for every byte
// value at every position, among plain bytes of every kind, and for
// random words.
func TestJSONPlain8(t *testing.T) {
	check := func(b [8]byte) {
		want := true
		for _, c := range b {
			want = want && jsonPlain[c]
		}
		if got := jsonPlain8(binary.LittleEndian.Uint64(b[:])); got != want {
			t.Fatalf("jsonPlain8(%q) = %v, want %v", b, got, want)
		}
	}
	for _, fill := range []byte{' ', '!', '=', '?', 'a', 0x7f} {
		for pos := range 8 {
			for c := range 256 {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				check(b)
				if pos < 7 { // and with a 0x20 after it, which a borrow could hide
					b[pos+1] = ' '
					check(b)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], rng.Uint64()&0x7f7f7f7f7f7f7f7f|0x2020202020202020*uint64(rng.IntN(2)))
		check(b)
	}
}

// TestBuildMatchesNewAlert: a Builder's alert, rule after rule
// (the compiled default rules, a rule of another source, a rule naming
// evt.time and container fields itself), is each time the alert NewAlert
// builds, in every format and style.
func TestBuildMatchesNewAlert(t *testing.T) {
	rules := append([]*ruleset.Rule{}, compiled.Rules...)
	other := *hostileRule(t)
	other.Name, other.Source = "Other source", "aws_cloudtrail"
	own := *hostileRule(t)
	own.Name = "Names evt.time and container.id"
	own.Fields = append([]ruleset.OutputField{{Key: "container.id", Field: event.MustField("container.id")}, {Key: "evt.time", Field: event.MustField("evt.time")}}, own.Fields...)
	rules = append(rules, &other, &own)
	evs := []*event.Event{
		hostileEvent("/etc/shadow", "cat /etc/shadow", "/root", "cat"),
		hostileEvent("/tmp/x\n01:02:03.000000000: Critical FORGED\x1b[2J\xff", "a\nb\u0085", "v\r", "n\x1b"),
	}
	styles := []Style{{}, {ISOTime: true}, {OmitJSONOutput: true, OmitJSONTags: true}}
	var b Builder
	for round := range 3 {
		for i := range rules {
			r := rules[(i*7+round)%len(rules)]
			ev := evs[(i+round)%2]
			a := b.Build(r, ev, "vm")
			want, _ := NewAlert(r, ev, "vm", nil)
			if a.Output != want.Output {
				t.Fatalf("rule %q: output\n got %q\nwant %q", r.Name, a.Output, want.Output)
			}
			for _, s := range styles {
				if got, want := a.AppendJSONStyle(nil, s), want.AppendJSONStyle(nil, s); string(got) != string(want) {
					t.Fatalf("rule %q, %+v:\n got %s\nwant %s", r.Name, s, got, want)
				}
			}
		}
	}
}

// TestBuilderLayoutsBounded: rules reloaded again and again (new rules
// each time) do not pile up in a Builder, and its alerts stay right.
func TestBuilderLayoutsBounded(t *testing.T) {
	r := hostileRule(t)
	ev := hostileEvent("/etc/shadow", "cat /etc/shadow", "/root", "cat")
	want, _ := NewAlert(r, ev, "vm", nil)
	var b Builder
	for i := range maxLayouts*2 + 3 {
		reloaded := *r
		a := b.Build(&reloaded, ev, "vm")
		if len(b.layouts) > maxLayouts {
			t.Fatalf("after %d rules: %d layouts kept", i+1, len(b.layouts))
		}
		if got := a.AppendJSON(nil); string(got) != string(want.AppendJSON(nil)) {
			t.Fatalf("rule %d: %s", i, got)
		}
	}
}
