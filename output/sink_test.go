package output

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lannersec/lanner/ruleset"
)

// prioritySink records the priorities it is given, in order.
type prioritySink struct {
	mu    sync.Mutex
	got   []ruleset.Priority
	lines int // through Write
}

func (s *prioritySink) Name() string { return "priority" }

func (s *prioritySink) Write(line []byte) error {
	s.mu.Lock()
	s.lines++
	s.mu.Unlock()
	return nil
}

func (s *prioritySink) WritePriority(line []byte, p ruleset.Priority) error {
	s.mu.Lock()
	s.got = append(s.got, p)
	s.mu.Unlock()
	return nil
}

func (s *prioritySink) Close() error { return nil }

// countSink counts lines by priority without allocating.
type countSink struct {
	byPriority [8]atomic.Uint64
	plain      atomic.Uint64
}

func (s *countSink) Name() string            { return "count" }
func (s *countSink) Write(line []byte) error { s.plain.Add(1); return nil }
func (s *countSink) Close() error            { return nil }
func (s *countSink) WritePriority(line []byte, p ruleset.Priority) error {
	s.byPriority[min(int(p), 7)].Add(1)
	return nil
}

// total is the number of lines written.
func (s *countSink) total() uint64 {
	n := s.plain.Load()
	for i := range s.byPriority {
		n += s.byPriority[i].Load()
	}
	return n
}

// plainSink is a Sink only.
type plainSink struct{ n atomic.Uint64 }

func (s *plainSink) Name() string            { return "plain" }
func (s *plainSink) Write(line []byte) error { s.n.Add(1); return nil }
func (s *plainSink) Close() error            { return nil }

// TestOutputPassesPriority: a PrioritySink gets every alert through
// WritePriority with the alert's own priority, in order; a plain Sink gets
// Write.
func TestOutputPassesPriority(t *testing.T) {
	ps, plain := &prioritySink{}, &plainSink{}
	o := New(Text, ps, plain)
	a := sampleAlert(t)
	want := []ruleset.Priority{ruleset.Emergency, ruleset.Debug, ruleset.Warning, ruleset.Alert, ruleset.Critical,
		ruleset.Error, ruleset.Notice, ruleset.Informational, ruleset.Warning}
	for _, p := range want {
		b := *a
		b.Priority = p
		o.Send(&b)
	}
	o.Close(5 * time.Second)
	if ps.lines != 0 {
		t.Errorf("%d lines through Write, want none", ps.lines)
	}
	if len(ps.got) != len(want) {
		t.Fatalf("got priorities %v, want %v", ps.got, want)
	}
	for i := range want {
		if ps.got[i] != want[i] {
			t.Errorf("alert %d: priority %v, want %v", i, ps.got[i], want[i])
		}
	}
	if n := plain.n.Load(); n != uint64(len(want)) {
		t.Errorf("plain sink got %d lines, want %d", n, len(want))
	}
}

// TestOutputSendAllocs: passing the priority costs no allocation: Send
// allocates only the formatted line, whatever kind of sinks it feeds.
func TestOutputSendAllocs(t *testing.T) {
	a := sampleAlert(t)
	measure := func(sinks ...Sink) float64 {
		o := New(Text, sinks...)
		defer o.Close(time.Second)
		return testing.AllocsPerRun(1000, func() { o.Send(a) })
	}
	cs := &countSink{}
	plain := measure(&plainSink{})
	withPriority := measure(cs, &plainSink{})
	t.Logf("allocations per Send: %v with a plain sink, %v with a priority sink too", plain, withPriority)
	if plain > 1 || withPriority > plain {
		t.Errorf("allocations per Send: %v with a plain sink, %v with a priority sink too; want at most 1 each", plain, withPriority)
	}
	deadline := time.Now().Add(5 * time.Second)
	for cs.total() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if cs.plain.Load() != 0 || cs.byPriority[ruleset.Warning].Load() == 0 {
		t.Errorf("priority sink: %d through Write, %d as Warning", cs.plain.Load(), cs.byPriority[ruleset.Warning].Load())
	}
}

// hangingSink's writes block until it is closed.
type hangingSink struct {
	closeOnce sync.Once
	closed    chan struct{}
}

func newHangingSink() *hangingSink { return &hangingSink{closed: make(chan struct{})} }

func (s *hangingSink) Name() string { return "hanging" }

func (s *hangingSink) Write(line []byte) error {
	<-s.closed
	return errors.New("closed")
}

func (s *hangingSink) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// TestOutputCloseBoundWithHangingSinks: Close waits at most its timeout in
// all, however many sinks hang, and closes every sink; a healthy sink
// still gets everything.
func TestOutputCloseBoundWithHangingSinks(t *testing.T) {
	h1, h2, h3 := newHangingSink(), newHangingSink(), newHangingSink()
	ok := &plainSink{}
	o := New(Text, h1, ok, h2, h3)
	a := sampleAlert(t)
	for range 10 {
		o.Send(a)
	}
	done := make(chan struct{})
	go func() {
		o.Close(200 * time.Millisecond)
		close(done)
	}()
	// Close gives up on the hanging sinks (a generous deadline: it must
	// not wait for them at all).
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Close waits for the hanging sinks")
	}
	for i, h := range []*hangingSink{h1, h2, h3} {
		select {
		case <-h.closed:
		default:
			t.Errorf("hanging sink %d not closed", i+1)
		}
	}
	if ok.n.Load() != 10 {
		t.Errorf("healthy sink got %d of 10", ok.n.Load())
	}
}

// slowWriter records its writes; the first one blocks until release.
type slowWriter struct {
	mu      sync.Mutex
	data    []byte
	writes  int
	release chan struct{}
}

func (w *slowWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	first := w.writes == 0
	w.writes++
	w.data = append(w.data, p...)
	w.mu.Unlock()
	if first {
		<-w.release
	}
	return len(p), nil
}

// TestBatchedWrites: alerts that queue up while a sink writes go out in
// one write, every one of them, in order.
func TestBatchedWrites(t *testing.T) {
	w := &slowWriter{release: make(chan struct{})}
	o := New(Text, NewWriterSink("slow", w))
	var want []byte
	for i := range 200 {
		a := &Alert{Output: fmt.Sprintf("alert %d", i)}
		want = a.AppendText(want)
		o.Send(a)
	}
	close(w.release)
	o.Close(5 * time.Second)
	if string(w.data) != string(want) {
		t.Errorf("written:\n%s\nwant:\n%s", w.data, want)
	}
	if w.writes > 10 {
		t.Errorf("%d writes for 200 alerts queued at once", w.writes)
	}
	if st := o.Stats()[0]; st.Sent != 200 || st.Failed != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}
