package output

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lannersec/lanner/ruleset"
)

// Format is how alerts are written.
type Format uint8

// Alert formats.
const (
	Text Format = iota // Falco's text line
	JSON               // Falco's JSON schema, one alert per line
)

// ParseFormat reads "text" or "json".
func ParseFormat(s string) (Format, bool) {
	switch s {
	case "text", "":
		return Text, true
	case "json":
		return JSON, true
	}
	return Text, false
}

// Sink receives formatted alerts, one line per Write. Writes come from the
// sink's own goroutine, never concurrently. A sink that is also a
// PrioritySink gets each alert through WritePriority instead, with the
// alert's rule priority.
type Sink interface {
	Name() string
	Write(line []byte) error
	Close() error
}

// WriterSink writes alerts to an io.Writer (stdout, say).
type WriterSink struct {
	name string
	w    io.Writer
}

// NewWriterSink returns a sink writing to w.
func NewWriterSink(name string, w io.Writer) *WriterSink { return &WriterSink{name: name, w: w} }

func (s *WriterSink) Name() string { return s.name }

func (s *WriterSink) Write(line []byte) error {
	_, err := s.w.Write(line)
	return err
}

func (s *WriterSink) Close() error { return nil }

// FileSink appends alerts to a file; Reopen reopens it (after logrotate
// renamed it).
type FileSink struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// NewFileSink opens path for appending, creating it if needed.
func NewFileSink(path string) (*FileSink, error) {
	s := &FileSink{path: path}
	if err := s.Reopen(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *FileSink) Name() string { return "file:" + s.path }

// Reopen closes the file and opens path again.
func (s *FileSink) Reopen() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.f
	s.f = f
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

func (s *FileSink) Write(line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.f.Write(line)
	return err
}

func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

// SinkStats are one sink's counters.
type SinkStats struct {
	Name    string
	Sent    uint64
	Failed  uint64
	Dropped uint64 // queue full
}

// FormattedSink is a Sink that needs alerts in one format whatever the
// Output's format is (HTTP endpoints take JSON).
type FormattedSink interface {
	Sink
	Format() Format
}

// queued is one alert waiting for a sink: its line, shared by every sink
// taking that format, and its priority, for PrioritySinks.
type queued struct {
	line     []byte
	priority ruleset.Priority
}

type queue struct {
	sink                  Sink
	format                Format
	ch                    chan queued
	sent, failed, dropped atomic.Uint64
	done                  chan struct{}
}

// Output formats alerts and fans them out to sinks.
type Output struct {
	format Format
	queues []*queue
	closed atomic.Bool
}

// QueueLen is the number of alerts each sink may have waiting.
const QueueLen = 4096

// New starts one goroutine per sink.
func New(format Format, sinks ...Sink) *Output {
	o := &Output{format: format}
	for _, s := range sinks {
		q := &queue{sink: s, format: format, ch: make(chan queued, QueueLen), done: make(chan struct{})}
		if fs, ok := s.(FormattedSink); ok {
			q.format = fs.Format()
		}
		o.queues = append(o.queues, q)
		go q.run()
	}
	return o
}

func (q *queue) run() {
	defer close(q.done)
	ps, _ := q.sink.(PrioritySink)
	for a := range q.ch {
		var err error
		if ps != nil {
			err = ps.WritePriority(a.line, a.priority)
		} else {
			err = q.sink.Write(a.line)
		}
		if err != nil {
			q.failed.Add(1)
		} else {
			q.sent.Add(1)
		}
	}
}

// Send formats a once per format the sinks need and queues it, with its
// priority, for every sink without blocking; a sink whose queue is full
// drops it (counted).
func (o *Output) Send(a *Alert) {
	if o.closed.Load() {
		return
	}
	var text, json []byte
	for _, q := range o.queues {
		var line []byte
		if q.format == JSON {
			if json == nil {
				json = a.AppendJSON(nil)
			}
			line = json
		} else {
			if text == nil {
				text = a.AppendText(nil)
			}
			line = text
		}
		select {
		case q.ch <- queued{line, a.Priority}:
		default:
			q.dropped.Add(1)
		}
	}
}

// Close delivers what is queued, waiting at most timeout in all however
// many sinks hang, and closes the sinks.
func (o *Output) Close(timeout time.Duration) {
	if o.closed.Swap(true) {
		return
	}
	for _, q := range o.queues {
		close(q.ch)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	expired := false
	for _, q := range o.queues {
		if !expired {
			select {
			case <-q.done:
			case <-deadline.C:
				expired = true
			}
		}
		q.sink.Close()
	}
}

// Stats returns every sink's counters.
func (o *Output) Stats() []SinkStats {
	out := make([]SinkStats, len(o.queues))
	for i, q := range o.queues {
		out[i] = SinkStats{Name: q.sink.Name(), Sent: q.sent.Load(), Failed: q.failed.Load(), Dropped: q.dropped.Load()}
	}
	return out
}
