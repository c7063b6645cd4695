package output

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lannersec/lanner/internal/safefile"
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

// BatchSink is a Sink that can take several lines in one call: the alerts
// that queued up while it wrote the last ones, up to maxBatchBytes. An
// error fails every line of the batch.
type BatchSink interface {
	Sink
	WriteBatch(lines [][]byte) error
}

// maxBatchBytes bounds the lines of one WriteBatch call.
const maxBatchBytes = 64 << 10

// joinLines appends lines to buf.
func joinLines(buf []byte, lines [][]byte) []byte {
	for _, l := range lines {
		buf = append(buf, l...)
	}
	return buf
}

// WriterSink writes alerts to an io.Writer (stdout, say).
type WriterSink struct {
	name string
	w    io.Writer
	buf  []byte
}

// NewWriterSink returns a sink writing to w.
func NewWriterSink(name string, w io.Writer) *WriterSink { return &WriterSink{name: name, w: w} }

func (s *WriterSink) Name() string { return s.name }

func (s *WriterSink) Write(line []byte) error {
	_, err := s.w.Write(line)
	return err
}

// WriteBatch writes lines with one Write.
func (s *WriterSink) WriteBatch(lines [][]byte) error {
	s.buf = joinLines(s.buf[:0], lines)
	_, err := s.w.Write(s.buf)
	return err
}

func (s *WriterSink) Close() error { return nil }

// FileSink appends alerts to a file; Reopen reopens it (after logrotate
// renamed it).
type FileSink struct {
	path string
	mu   sync.Mutex
	f    *os.File
	buf  []byte
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
	f, err := safefile.Append(s.path, 0o640)
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

// WriteBatch appends lines with one write.
func (s *FileSink) WriteBatch(lines [][]byte) error {
	s.buf = joinLines(s.buf[:0], lines)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.f.Write(s.buf)
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
	batch                 [][]byte
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
	bs, _ := q.sink.(BatchSink)
	for a := range q.ch {
		if bs != nil && ps == nil {
			q.writeBatch(bs, a)
			continue
		}
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

// writeBatch writes first and the alerts queued behind it, up to
// maxBatchBytes, in one call.
func (q *queue) writeBatch(bs BatchSink, first queued) {
	q.batch = append(q.batch[:0], first.line)
	size := len(first.line)
more:
	for size < maxBatchBytes {
		select {
		case a, ok := <-q.ch:
			if !ok {
				break more
			}
			q.batch = append(q.batch, a.line)
			size += len(a.line)
		default:
			break more
		}
	}
	if err := bs.WriteBatch(q.batch); err != nil {
		q.failed.Add(uint64(len(q.batch)))
	} else {
		q.sent.Add(uint64(len(q.batch)))
	}
	clear(q.batch)
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
