package output

import (
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// waitStats waits until the sink's counters satisfy ok.
func waitStats(t *testing.T, o *Output, i int, ok func(SinkStats) bool) SinkStats {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := o.Stats()[i]
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("sink %s: %+v", st.Name, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// reportLines are the lines of log that mention the given word.
func reportLines(log *lockedBuffer, word string) []string {
	log.mu.Lock()
	defer log.mu.Unlock()
	var out []string
	for _, l := range strings.Split(log.b.String(), "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return out
}

// closedPort is an address on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRefusedHTTPSinkReported: an HTTP sink whose endpoint refuses
// connections has every alert counted failed, and its failure reported
// once, without the URL's credentials or query.
func TestRefusedHTTPSinkReported(t *testing.T) {
	addr := closedPort(t)
	url := "http://user:secret@" + addr + "/alerts?token=hunter2#frag"
	hs, err := NewHTTPSink(HTTPOptions{URL: url, Retries: -1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	o := New(JSON, hs)
	log := &lockedBuffer{}
	o.SetLog(slog.New(slog.NewTextHandler(log, nil)))
	a := sampleAlert(t)
	const n = 50
	for range n {
		o.Send(a)
	}
	waitStats(t, o, 0, func(st SinkStats) bool { return st.Failed == n })
	o.Close(5 * time.Second)
	st := o.Stats()[0]
	if st.Sent != 0 || st.Failed != n || st.Dropped != 0 || st.Lost != 0 {
		t.Errorf("stats %+v, want %d failed", st, n)
	}
	lines := reportLines(log, "msg=\"sink ")
	if len(lines) != 1 || !strings.Contains(lines[0], "failing") || !strings.Contains(lines[0], "connection refused") {
		t.Errorf("reports %q, want one line saying the sink fails and why", lines)
	}
	all := log.take()
	for _, secret := range []string{"secret", "hunter2", "token", "frag", "user"} {
		if strings.Contains(all, secret) || strings.Contains(st.Name, secret) {
			t.Errorf("%q shows in the name %q or the report %q", secret, st.Name, all)
		}
	}
	if want := "http:http://" + addr; st.Name != want {
		t.Errorf("name %q, want %q", st.Name, want)
	}
}

// TestFileSinkOnFullDevice: a file sink whose writes fail (/dev/full) has
// every alert counted failed, and one report, not one per alert.
func TestFileSinkOnFullDevice(t *testing.T) {
	fs, err := NewFileSink("/dev/full")
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	o := New(Text, fs)
	log := &lockedBuffer{}
	o.SetLog(slog.New(slog.NewTextHandler(log, nil)))
	a := sampleAlert(t)
	const n = 300
	for range n {
		o.Send(a)
	}
	o.Close(10 * time.Second)
	st := o.Stats()[0]
	if st.Sent != 0 || st.Failed != n || st.Lost != 0 {
		t.Errorf("stats %+v, want %d failed", st, n)
	}
	if lines := reportLines(log, "msg=\"sink "); len(lines) != 1 || !strings.Contains(lines[0], `msg="sink failing" sink=file:/dev/full`) || !strings.Contains(lines[0], "no space left on device") {
		t.Errorf("reports %q", lines)
	}
}

// flakySink fails while fail is set.
type flakySink struct{ fail atomic.Bool }

func (s *flakySink) Name() string { return "flaky" }
func (s *flakySink) Write(line []byte) error {
	if s.fail.Load() {
		return errors.New("flaky: down\x1b[2J\nFORGED")
	}
	return nil
}
func (s *flakySink) Close() error { return nil }

// TestFailureReportsRateLimited: the first failure and the recovery are
// reported at once; a sink that keeps failing, or fails again soon after,
// is reported at most once per interval.
func TestFailureReportsRateLimited(t *testing.T) {
	s := &flakySink{}
	o := New(Text, s)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	o.now = func() time.Time { return time.Unix(0, clock.Load()) }
	log := &lockedBuffer{}
	o.SetLog(slog.New(slog.NewTextHandler(log, nil)))
	a := sampleAlert(t)
	sent := uint64(0)
	send := func(n int, fail bool) {
		s.fail.Store(fail)
		for range n {
			o.Send(a)
		}
		sent += uint64(n)
		waitStats(t, o, 0, func(st SinkStats) bool { return st.Sent+st.Failed == sent })
	}
	send(10, true)
	send(5, false)
	if f, r := reportLines(log, "failing"), reportLines(log, "recovered"); len(f) != 1 || len(r) != 1 || !strings.Contains(r[0], "failed=10") {
		t.Fatalf("after a failure and a recovery: %q", log.take())
	}
	if f := reportLines(log, "failing")[0]; strings.ContainsAny(f, "\x1b") || !strings.Contains(f, `down\x1b[2J\nFORGED`) {
		t.Errorf("report %q: the error is not one escaped line", f)
	}
	// Flapping within the interval: not reported again.
	for range 5 {
		send(3, true)
		send(3, false)
	}
	if n := len(reportLines(log, "msg=\"sink ")); n != 2 {
		t.Errorf("flapping sink reported: %q", log.take())
	}
	// Past the interval, a sink that still fails is reported again, and
	// its recovery too.
	clock.Add(int64(FailureReportInterval))
	send(4, true)
	clock.Add(int64(FailureReportInterval))
	send(4, true)
	send(1, false)
	if still, r := reportLines(log, "still failing"), reportLines(log, "recovered"); len(still) != 1 || len(r) != 2 || !strings.Contains(r[1], "failed=8") {
		t.Errorf("reports:\n%s", log.take())
	}
	o.Close(time.Second)
	if st := o.Stats()[0]; st.Sent+st.Failed != sent || st.Failed != 10+15+8 {
		t.Errorf("stats %+v, %d sent", st, sent)
	}
}

// TestLostAtShutdown: alerts still queued, or being written, when Close's
// deadline runs out are counted as lost, so that every alert given to a
// sink is counted once.
func TestLostAtShutdown(t *testing.T) {
	h := newHangingSink()
	ok := &plainSink{}
	o := New(Text, h, ok)
	o.SetLog(nil)
	a := sampleAlert(t)
	const n = QueueLen + 100
	for range n {
		o.Send(a)
	}
	o.Close(200 * time.Millisecond)
	st := o.Stats()
	hs, oks := st[0], st[1]
	if hs.Sent+hs.Failed+hs.Dropped+hs.Lost != n || hs.Lost < QueueLen || hs.Dropped == 0 {
		t.Errorf("hanging sink %+v: want sent+failed+dropped+lost = %d, most lost, some dropped", hs, n)
	}
	if oks.Sent+oks.Dropped != n || oks.Lost != 0 || oks.Failed != 0 {
		t.Errorf("healthy sink %+v", oks)
	}
	// The hanging write returns once the sink is closed: the counts do
	// not move any more.
	time.Sleep(100 * time.Millisecond)
	if again := o.Stats()[0]; again != hs {
		t.Errorf("counts moved after Close: %+v, then %+v", hs, again)
	}
}

// TestSinkNamesUnique: sinks of one name are told apart in the stats.
func TestSinkNamesUnique(t *testing.T) {
	o := New(Text, &plainSink{}, &plainSink{}, &countSink{}, &plainSink{})
	defer o.Close(time.Second)
	var names []string
	for _, st := range o.Stats() {
		names = append(names, st.Name)
	}
	if strings.Join(names, " ") != "plain plain#2 count plain#3" {
		t.Errorf("names %q", names)
	}
}
