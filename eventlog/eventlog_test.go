package eventlog_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/internal/difftest"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
)

// TestRoundTrip writes random events and reads them back, in the compact
// format (with the environment) and in version 1: every upstream rule
// must give the same verdict and output on both.
func TestRoundTrip(t *testing.T) {
	t.Run("compact", func(t *testing.T) {
		roundTrip(t, func(w io.Writer) writer {
			ew := eventlog.NewWriter(w)
			ew.Env = true
			return ew
		})
	})
	t.Run("version 1", func(t *testing.T) { roundTrip(t, newV1Writer) })
}

// writer is what roundTrip writes with.
type writer interface {
	Write(*event.Event) error
	Flush() error
}

// v1Writer writes version 1, one Event per line as FromEvent makes it.
type v1Writer struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func newV1Writer(w io.Writer) writer {
	bw := bufio.NewWriter(w)
	return &v1Writer{w: bw, enc: json.NewEncoder(bw)}
}

func (w *v1Writer) Write(ev *event.Event) error { return w.enc.Encode(eventlog.FromEvent(ev)) }
func (w *v1Writer) Flush() error                { return w.w.Flush() }

func roundTrip(t *testing.T, newWriter func(io.Writer) writer) {
	prog, err := lang.LoadPaths(testutil.UpstreamRules(t)...)
	if err != nil {
		t.Fatal(err)
	}
	rules := interp.Rules(prog)
	g := &difftest.Generator{L: difftest.Gather(prog), R: rand.New(rand.NewPCG(3, 4))}
	var buf bytes.Buffer
	w := newWriter(&buf)
	const n = 3000
	orig := make([]*struct{ verdicts, outputs string }, 0, n)
	for i := 0; i < n; i++ {
		ev := g.Event()
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
		var v, o strings.Builder
		for _, r := range rules {
			if r.Match(ev) {
				v.WriteString(r.Name + ";")
			}
			o.Write(r.Format(nil, ev))
		}
		orig = append(orig, &struct{ verdicts, outputs string }{v.String(), o.String()})
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rd := eventlog.NewReader(&buf)
	for i := 0; ; i++ {
		ev, err := rd.Read()
		if err == io.EOF {
			if i != n {
				t.Fatalf("read %d events, wrote %d", i, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var v, o strings.Builder
		for _, r := range rules {
			if r.Match(ev) {
				v.WriteString(r.Name + ";")
			}
			o.Write(r.Format(nil, ev))
		}
		if v.String() != orig[i].verdicts || o.String() != orig[i].outputs {
			a, b := o.String(), orig[i].outputs
			k := 0
			for k < len(a) && k < len(b) && a[k] == b[k] {
				k++
			}
			t.Fatalf("event %d differs after a round trip:\nverdicts %q\nwant     %q\noutput from %q\nwant        %q", i, v.String(), orig[i].verdicts, a[max(k-120, 0):min(k+80, len(a))], b[max(k-120, 0):min(k+80, len(b))])
		}
	}
}

func TestMalformed(t *testing.T) {
	rd := eventlog.NewReader(strings.NewReader("{\"type\":\"openat\"}\nnot json\n{\"type\":\"nosuch\"}\n{\"type\":\"openat\",\"fd\":{\"kind\":\"ff\"}}\n"))
	if _, err := rd.Read(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := rd.Read(); err == nil || !strings.HasPrefix(err.Error(), "line ") {
			t.Errorf("malformed line %d: err %v", i+2, err)
		}
	}
	if _, err := rd.Read(); err != io.EOF {
		t.Errorf("want EOF, got %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"type":"openat","proc":{"pid":1,"name":"x","parent":{"pid":0,"name":"y"}},"fd":{"kind":"4","num":3,"local":"1.2.3.4:5"}}`))
	f.Add([]byte(compactSample))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Each Read uses up a line or ends the input: reading always ends.
		lines := bytes.Count(b, []byte("\n")) + 2
		if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			lines = 1 << 16 // what the gzip stream holds
		}
		rd := eventlog.NewReader(bytes.NewReader(b))
		for i := 0; i <= lines; i++ {
			if _, err := rd.Read(); err == io.EOF {
				return
			}
		}
		t.Fatal("Read did not reach the end")
	})
}

// compactSample is a small version 2 stream.
const compactSample = `{"lanner_events":2}
{"container":{"ref":1,"id":"3ad3f0c1b2a4","name":"web"}}
{"process":{"id":2,"pid":1,"name":"init","uid":0,"gid":0}}
{"process":{"id":3,"parent_id":2,"container_ref":1,"pid":80,"name":"sh","args":["-c","x"],"uid":0,"gid":0}}
{"type":"openat","time":5,"res":3,"proc_ref":3,"fd":{"kind":"f","num":3,"name":"/etc/shadow"}}
{"reset":true}
{"process":{"id":4,"pid":81,"name":"cat","uid":0,"gid":0}}
{"type":"execve","time":6,"res":0,"proc_ref":4}
`

func readAll(t *testing.T, r io.Reader, most ...int) (evs []*event.Event, errs []string) {
	t.Helper()
	limit := 1000
	if len(most) > 0 {
		limit = most[0]
	}
	rd := eventlog.NewReader(r)
	for i := 0; ; i++ {
		if i > limit {
			t.Fatal("Read does not end")
		}
		ev, err := rd.Read()
		if err == io.EOF {
			return evs, errs
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		evs = append(evs, ev)
	}
}

func TestReadCompact(t *testing.T) {
	evs, errs := readAll(t, strings.NewReader(compactSample))
	if len(errs) > 0 || len(evs) != 2 {
		t.Fatalf("%d events, errors %q", len(evs), errs)
	}
	p := evs[0].Proc
	if p.Name != "sh" || p.Container == nil || p.Container.Name != "web" || p.Parent == nil || p.Parent.Name != "init" || p.Parent.Parent != nil {
		t.Errorf("first event's process: %+v", p)
	}
	if evs[0].FD.Name != "/etc/shadow" || evs[1].Proc.Name != "cat" {
		t.Errorf("events: %+v %+v", evs[0], evs[1])
	}
}

// TestReadCompactHostile: references that do not resolve, ids defined
// twice and chains that would loop are errors of their line.
func TestReadCompactHostile(t *testing.T) {
	src := `{"lanner_events":2}
{"process":{"id":1,"parent_id":1,"pid":1,"name":"self"}}
{"process":{"id":2,"pid":2,"name":"a"}}
{"process":{"id":2,"pid":2,"name":"again"}}
{"process":{"id":3,"parent_id":4,"pid":3,"name":"b"}}
{"process":{"id":5,"container_ref":9,"pid":3,"name":"b"}}
{"process":{"id":6,"pid":3,"name":"b","parent":{"pid":1,"name":"inline"}}}
{"type":"openat","time":1,"proc_ref":7}
{"type":"openat","time":1,"proc":{"pid":1,"name":"inline"}}
{"lanner_events":2}
{"type":"openat","time":1,"proc_ref":2}
`
	evs, errs := readAll(t, strings.NewReader(src))
	want := []string{"line 2: process 1: unknown parent 1", "line 4: process 2 defined twice",
		"line 5: process 3: unknown parent 4", "line 6: process 5: unknown container 9",
		"line 7: process 6 with its parent", "line 8: unknown process 7", "line 9: an event of version 2 with its process inline",
		"line 10: unexpected format header"}
	if len(errs) != len(want) {
		t.Fatalf("errors %q", errs)
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i], w) {
			t.Errorf("error %d = %q, want %q", i, errs[i], w)
		}
	}
	if len(evs) != 1 || evs[0].Proc.Name != "a" {
		t.Errorf("events %v", evs)
	}
	// A chain deeper than 16 ancestors stops at the process that would
	// make it deeper.
	var b strings.Builder
	b.WriteString("{\"lanner_events\":2}\n{\"process\":{\"id\":1,\"pid\":1,\"name\":\"p\"}}\n")
	for i := 2; i <= 30; i++ {
		b.WriteString(`{"process":{"id":` + itoa(i) + `,"parent_id":` + itoa(i-1) + `,"pid":1,"name":"p"}}` + "\n")
	}
	_, errs = readAll(t, strings.NewReader(b.String()))
	if len(errs) != 13 || !strings.Contains(errs[0], "more than 16 ancestors") {
		t.Errorf("deep chain: %q", errs)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestLongLines: a line over MaxLine is one error and reading goes on;
// lines just under it are read.
func TestLongLines(t *testing.T) {
	pad := func(n int) string {
		ev := `{"type":"openat","time":1,"args":{"set":1,"path":"`
		return ev + strings.Repeat("x", n-len(ev)-4) + `"}}` + "\n"
	}
	src := pad(eventlog.MaxLine+1) + pad(eventlog.MaxLine+2) + pad(3*eventlog.MaxLine) + `{"type":"openat","time":2}` + "\n"
	evs, errs := readAll(t, strings.NewReader(src))
	if len(evs) != 2 || len(errs) != 2 || !strings.HasPrefix(errs[0], "line 2: longer than") || !strings.HasPrefix(errs[1], "line 3: longer than") {
		t.Errorf("%d events, errors %q", len(evs), errs)
	}
	if len(evs) == 2 && (len(evs[0].Args.Path) != eventlog.MaxLine+1-len(`{"type":"openat","time":1,"args":{"set":1,"path":"`)-4 || evs[1].Time != 2) {
		t.Errorf("events read wrong")
	}
}

func TestReadGzip(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(compactSample))
	zw.Close()
	evs, errs := readAll(t, bytes.NewReader(z.Bytes()))
	if len(evs) != 2 || len(errs) != 0 {
		t.Errorf("gzip: %d events, errors %q", len(evs), errs)
	}
	// A stream cut short: the events before the cut, then one error.
	evs, errs = readAll(t, bytes.NewReader(z.Bytes()[:z.Len()-10]))
	if len(errs) != 1 {
		t.Errorf("cut gzip: %d events, errors %q", len(evs), errs)
	}
}

// TestEnvOnlyWhenAsked: the environment is written with Env only.
func TestEnvOnlyWhenAsked(t *testing.T) {
	ev := &event.Event{Type: event.TypeOpenat, Proc: &event.Process{PID: 1, Name: "x"}}
	ev.Proc.SetEnv([]string{"TOKEN=secret"})
	for _, env := range []bool{false, true} {
		var buf bytes.Buffer
		w := eventlog.NewWriter(&buf)
		w.Env = env
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if got := strings.Contains(buf.String(), "TOKEN=secret"); got != env {
			t.Errorf("Env %v: environment written: %v\n%s", env, got, buf.String())
		}
	}
}

// TestWriterSharesProcesses: a process and its parent are written once
// for many events, and again when a detail changes.
func TestWriterSharesProcesses(t *testing.T) {
	parent := &event.Process{PID: 1, Name: "init"}
	p := &event.Process{PID: 2, Name: "sh", Parent: parent}
	p.SetArgs([]string{"-c", strings.Repeat("long ", 100)})
	var buf bytes.Buffer
	w := eventlog.NewWriter(&buf)
	for i := range 100 {
		if i == 50 {
			p.Cwd = "/tmp"
		}
		if err := w.Write(&event.Event{Type: event.TypeOpenat, Time: int64(i), Proc: p}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if n := strings.Count(buf.String(), `"process"`); n != 3 {
		t.Errorf("%d process lines, want 3 (init, sh, sh in /tmp)", n)
	}
	evs, errs := readAll(t, &buf)
	if len(evs) != 100 || len(errs) > 0 || evs[49].Proc.Cwd != "" || evs[50].Proc.Cwd != "/tmp" || evs[99].Proc.Parent.Name != "init" {
		t.Errorf("%d events, errors %q", len(evs), errs)
	}
}

// TestWriterResets: past 65,536 processes the writer starts afresh with a
// reset line, and what follows still reads back right.
func TestWriterResets(t *testing.T) {
	var buf bytes.Buffer
	w := eventlog.NewWriter(&buf)
	parent := &event.Process{PID: 1, Name: "init"}
	const n = 70000
	for i := range n {
		p := &event.Process{PID: int64(i + 2), Name: "p", Parent: parent}
		if err := w.Write(&event.Event{Type: event.TypeOpenat, Time: int64(i), Proc: p}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if r := strings.Count(buf.String(), `{"reset":true}`); r != 1 {
		t.Errorf("%d reset lines, want 1", r)
	}
	evs, errs := readAll(t, &buf, n+1)
	if len(evs) != n || len(errs) > 0 {
		t.Fatalf("%d events, errors %q", len(evs), errs)
	}
	for i, ev := range evs {
		if ev.Proc.PID != int64(i+2) || ev.Proc.Parent == nil || ev.Proc.Parent.Name != "init" {
			t.Fatalf("event %d: process %+v", i, ev.Proc)
		}
	}
}

// TestWriterResetsOnBytes: processes with long command lines make the
// writer start afresh after 64 MiB of them.
func TestWriterResetsOnBytes(t *testing.T) {
	var buf bytes.Buffer
	w := eventlog.NewWriter(&buf)
	arg := strings.Repeat("a", 1<<20)
	const n = 70
	for i := range n {
		p := &event.Process{PID: int64(i + 1), Name: "p"}
		p.SetArgs([]string{arg})
		if err := w.Write(&event.Event{Type: event.TypeOpenat, Time: int64(i), Proc: p}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if r := strings.Count(buf.String(), `{"reset":true}`); r != 1 {
		t.Errorf("%d reset lines, want 1", r)
	}
	evs, errs := readAll(t, &buf)
	if len(evs) != n || len(errs) > 0 || evs[n-1].Proc.PID != n {
		t.Errorf("%d events, errors %q", len(evs), errs)
	}
}
