package output

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
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
// alert's rule priority; one that is a HostSink through WriteHost, with
// the priority and the alert's host name. The line is the sink's only
// until the call returns: its memory then goes to later alerts, so a sink
// that needs the bytes longer copies them (as io.Writer's contract says).
type Sink interface {
	Name() string
	Write(line []byte) error
	Close() error
}

// BatchSink is a Sink that can take several lines in one call: the alerts
// that queued up while it wrote the last ones, up to maxBatchBytes. An
// error fails every line of the batch. The lines are the sink's only until
// WriteBatch returns.
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

// SinkStats are one sink's counters. Every alert given to a sink is
// counted once: Sent + Failed + Dropped + Lost is the number of alerts the
// sink was given.
type SinkStats struct {
	// Name is the sink's name, made unique among the Output's sinks
	// ("#2" added to a second sink of the same name).
	Name    string
	Sent    uint64
	Failed  uint64 // the sink reported an error
	Dropped uint64 // queue full
	// Lost are the alerts still queued, or being written, when Close's
	// deadline ran out: their delivery was never confirmed.
	Lost uint64
}

// Undelivered is the number of alerts the sink was given and did not
// deliver.
func (s SinkStats) Undelivered() uint64 { return s.Failed + s.Dropped + s.Lost }

// FormattedSink is a Sink that needs alerts in one format whatever the
// Output's format is (HTTP endpoints take JSON).
type FormattedSink interface {
	Sink
	Format() Format
}

// queued is one alert waiting for a sink: its line, shared by every sink
// taking that format, and its priority and host name, for PrioritySinks
// and HostSinks.
type queued struct {
	line     *line
	priority ruleset.Priority
	hostname string
}

// line is one formatted alert, shared by the queues that took it. Each
// holds a reference until its sink has written the line; the last to let
// go puts the buffer back into linePool for a later alert, so that sending
// allocates nothing once the pool holds as many lines as are queued.
type line struct {
	b    []byte
	refs atomic.Int32
}

// linePool holds the lines no queue refers to.
var linePool = sync.Pool{New: func() any { return &line{b: make([]byte, 0, 1024)} }}

// maxPooledLine: a line that grew past this size is left to the garbage
// collector rather than kept for alerts that seldom need it.
const maxPooledLine = 64 << 10

// newLine returns an empty line with one reference, its creator's.
func newLine() *line {
	l := linePool.Get().(*line)
	l.b = l.b[:0]
	l.refs.Store(1)
	return l
}

// release drops one reference; the last one recycles l, whose bytes must
// then no longer be touched.
func (l *line) release() {
	if l.refs.Add(-1) == 0 && cap(l.b) <= maxPooledLine {
		linePool.Put(l)
	}
}

type queue struct {
	out    *Output
	sink   Sink
	name   string // unique among the Output's sinks
	format Format
	ch     chan queued
	// given counts the alerts queued; the others are counted as they
	// settle.
	given, sent, failed, dropped, lost atomic.Uint64
	done                               chan struct{}
	batch                              [][]byte
	batchLines                         []*line

	// mu orders the counting of a write's result against Close giving
	// the queue up: after that (abandoned), results are not counted, the
	// alerts having been counted as lost.
	mu        sync.Mutex
	abandoned atomic.Bool

	// The state of the failure reports, owned by the queue's goroutine.
	failing      bool      // the last write failed
	failingSince time.Time // when the current failure began
	outageFailed uint64    // alerts failed since then
	reported     bool      // the current failure has been reported
	lastReport   time.Time
}

// Output formats alerts and fans them out to sinks.
type Output struct {
	format Format
	style  Style
	queues []*queue
	closed atomic.Bool

	log atomic.Pointer[slog.Logger]
	// reportEvery is the least time between two failure reports of a
	// sink; now tells the time for them.
	reportEvery time.Duration
	now         func() time.Time
}

// QueueLen is the number of alerts each sink may have waiting.
const QueueLen = 4096

// FailureReportInterval is the least time between two reports of one
// sink's failures: the first failure of a sink is reported at once, and so
// is its recovery, but a sink that keeps failing, or fails again soon
// after it recovered, is reported at most this often.
const FailureReportInterval = time.Minute

// New starts one goroutine per sink. Failures of the sinks are reported to
// the logger SetLog gives (none until then).
func New(format Format, sinks ...Sink) *Output {
	o := &Output{format: format, reportEvery: FailureReportInterval, now: time.Now}
	seen := map[string]int{}
	for _, s := range sinks {
		name := s.Name()
		if seen[name]++; seen[name] > 1 {
			name = name + "#" + strconv.Itoa(seen[name])
		}
		q := &queue{out: o, sink: s, name: name, format: format, ch: make(chan queued, QueueLen), done: make(chan struct{})}
		if fs, ok := s.(FormattedSink); ok {
			q.format = fs.Format()
		}
		o.queues = append(o.queues, q)
		go q.run()
	}
	return o
}

// SetStyle sets how alerts are written; call it before the first Send.
func (o *Output) SetStyle(s Style) { o.style = s }

// SetLog sends the reports of sink failures and recoveries to log, as
// records with keys sink, err, failed (alerts failed since the sink
// started failing) and since; nil discards them.
func (o *Output) SetLog(log *slog.Logger) { o.log.Store(log) }

func (q *queue) run() {
	defer close(q.done)
	ps, _ := q.sink.(PrioritySink)
	hs, _ := q.sink.(HostSink)
	bs, _ := q.sink.(BatchSink)
	for a := range q.ch {
		if q.abandoned.Load() {
			a.line.release()
			continue // counted as lost
		}
		if bs != nil && ps == nil && hs == nil {
			q.writeBatch(bs, a)
			continue
		}
		var err error
		if hs != nil {
			err = hs.WriteHost(a.line.b, a.priority, a.hostname)
		} else if ps != nil {
			err = ps.WritePriority(a.line.b, a.priority)
		} else {
			err = q.sink.Write(a.line.b)
		}
		a.line.release()
		q.settle(1, err)
	}
}

// writeBatch writes first and the alerts queued behind it, up to
// maxBatchBytes, in one call.
func (q *queue) writeBatch(bs BatchSink, first queued) {
	q.batchLines = append(q.batchLines[:0], first.line)
	size := len(first.line.b)
more:
	for size < maxBatchBytes {
		select {
		case a, ok := <-q.ch:
			if !ok {
				break more
			}
			q.batchLines = append(q.batchLines, a.line)
			size += len(a.line.b)
		default:
			break more
		}
	}
	q.batch = q.batch[:0]
	for _, l := range q.batchLines {
		q.batch = append(q.batch, l.b)
	}
	err := bs.WriteBatch(q.batch)
	for _, l := range q.batchLines {
		l.release()
	}
	clear(q.batch)
	clear(q.batchLines)
	q.settle(len(q.batchLines), err)
}

// settle counts the result of writing n alerts and reports a failure or
// recovery.
func (q *queue) settle(n int, err error) {
	q.mu.Lock()
	if q.abandoned.Load() {
		q.mu.Unlock()
		return
	}
	if err != nil {
		q.failed.Add(uint64(n))
	} else {
		q.sent.Add(uint64(n))
	}
	q.mu.Unlock()
	q.report(n, err)
}

// report writes a line when the sink starts failing and when it recovers,
// and while it keeps failing, at most one line per reportEvery.
func (q *queue) report(n int, err error) {
	now := q.out.now()
	due := q.lastReport.IsZero() || now.Sub(q.lastReport) >= q.out.reportEvery
	switch {
	case err != nil && !q.failing:
		q.failing, q.failingSince, q.outageFailed, q.reported = true, now, uint64(n), false
		if due {
			q.log(slog.LevelWarn, "sink failing", slog.String("sink", q.name), slog.String("err", q.errText(err)),
				slog.Duration("report_every", q.out.reportEvery))
			q.reported, q.lastReport = true, now
		}
	case err != nil:
		q.outageFailed += uint64(n)
		if due {
			q.log(slog.LevelWarn, "sink still failing", slog.String("sink", q.name), slog.Uint64("failed", q.outageFailed),
				slog.String("since", q.failingSince.UTC().Format(time.RFC3339)), slog.String("err", q.errText(err)))
			q.reported, q.lastReport = true, now
		}
	case q.failing:
		q.failing = false
		if q.reported {
			q.log(slog.LevelInfo, "sink recovered", slog.String("sink", q.name), slog.Uint64("failed", q.outageFailed),
				slog.String("since", q.failingSince.UTC().Format(time.RFC3339)))
			q.lastReport = now
		}
	}
}

// errText is err's message without the sink's name it may start with
// (the log's handler escapes what it must).
func (q *queue) errText(err error) string {
	return strings.TrimPrefix(err.Error(), q.sink.Name()+": ")
}

func (q *queue) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if l := q.out.log.Load(); l != nil {
		l.LogAttrs(context.Background(), level, msg, attrs...)
	}
}

// abandon gives up on the alerts of a queue whose sink has not finished
// by Close's deadline: those still queued or being written are counted as
// lost, and later results are not counted.
func (q *queue) abandon() {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-q.done:
		return
	default:
	}
	q.abandoned.Store(true)
	q.lost.Store(q.given.Load() - q.sent.Load() - q.failed.Load())
}

// Send formats a once per format the sinks need and queues it, with its
// priority, for every sink without blocking; a sink whose queue is full
// drops it (counted). It does not keep a: the lines are formatted into
// buffers of their own (recycled once every sink has written them), so the
// caller may change a, and the event it refers to, as soon as Send
// returns. Safe for concurrent use.
func (o *Output) Send(a *Alert) {
	if o.closed.Load() {
		return
	}
	var text, json *line
	for _, q := range o.queues {
		var l *line
		if q.format == JSON {
			if json == nil {
				json = newLine()
				json.b = a.AppendJSONStyle(json.b, o.style)
			}
			l = json
		} else {
			if text == nil {
				text = newLine()
				text.b = a.AppendTextStyle(text.b, o.style)
			}
			l = text
		}
		// The queue's reference is taken before the line is handed
		// over: its sink may write it and let go at once.
		l.refs.Add(1)
		select {
		case q.ch <- queued{l, a.Priority, a.Hostname}:
			q.given.Add(1)
		default:
			l.release()
			q.dropped.Add(1)
		}
	}
	// Send's own references.
	if text != nil {
		text.release()
	}
	if json != nil {
		json.release()
	}
}

// Close delivers what is queued, waiting at most timeout in all however
// many sinks hang, and closes the sinks. The alerts of a sink that had not
// delivered all of them by then are counted as lost.
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
		if expired {
			q.abandon()
		}
		q.sink.Close()
	}
}

// Stats returns every sink's counters.
func (o *Output) Stats() []SinkStats {
	out := make([]SinkStats, len(o.queues))
	for i, q := range o.queues {
		out[i] = SinkStats{Name: q.name, Sent: q.sent.Load(), Failed: q.failed.Load(), Dropped: q.dropped.Load(), Lost: q.lost.Load()}
	}
	return out
}
