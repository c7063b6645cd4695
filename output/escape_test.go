package output

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
)

// hostileRules has a rule whose output names every field that event data
// (paths, command lines, environment values, process and container names)
// controls, one of them padded.
const hostileRules = `
- rule: Hostile values
  desc: output fields an attacker controls
  condition: evt.type = openat
  output: >
    file=%fd.name cmd=%proc.cmdline args=%proc.args name=%proc.name pname=%proc.pname
    exe=%proc.exepath env=%proc.env home=%proc.env[HOME] short=%12fd.name
  priority: CRITICAL
`

func hostileRule(t testing.TB) *ruleset.Rule {
	t.Helper()
	prog, err := lang.Load(lang.File{Name: "hostile.yaml", Data: []byte(hostileRules)})
	if err != nil {
		t.Fatal(err)
	}
	return interp.Rules(prog)[0]
}

// hostileEvent is an open of path by a process named name, run with
// command line cmd and env as the value of HOME, in a container named
// name.
func hostileEvent(path, cmd, env, name string) *event.Event {
	c := &event.Container{ID: "3f2a9c1b7d4e", FullID: "3f2a9c1b7d4e", Name: name, ImageRepo: name, ImageTag: env, MetadataKnown: true}
	p := &event.Process{Name: name, ExePath: "/usr/bin/" + name, Parent: &event.Process{Name: name}, Container: c}
	p.SetArgs([]string{"-c", cmd})
	p.SetEnv([]string{"HOME=" + env, "PATH=" + path})
	return &event.Event{Type: event.TypeOpenat, Time: 1795757437486526403, Proc: p,
		FD: event.FD{Kind: event.FDFile, Num: 3, Name: path}}
}

// lockedBuffer is a bytes.Buffer safe for a sink goroutine and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	b.b.Reset()
	return s
}

// realSinks are the sinks that write text, each writing where the test
// can read it back: a writer (as stdout), a file, a program (cat into a
// file) and syslog (a local datagram socket).
type realSinks struct {
	writer              *lockedBuffer
	writerSink          *WriterSink
	file                *FileSink
	filePath            string
	program             *ProgramSink
	programPath         string
	syslog              *SyslogSink
	syslogConn          net.PacketConn
	fileOff, programOff int
	packet              []byte
	closeOnce           sync.Once
}

func openRealSinks(t testing.TB) *realSinks {
	t.Helper()
	dir := t.TempDir()
	s := &realSinks{writer: &lockedBuffer{}, packet: make([]byte, 64<<10)}
	s.writerSink = NewWriterSink("stdout", s.writer)
	var err error
	s.filePath = filepath.Join(dir, "alerts.txt")
	if s.file, err = NewFileSink(s.filePath); err != nil {
		t.Fatal(err)
	}
	s.programPath = filepath.Join(dir, "program.txt")
	if err := os.WriteFile(s.programPath, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if s.program, err = NewProgramSink("exec cat >> '" + s.programPath + "'"); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "log")
	if s.syslogConn, err = net.ListenPacket("unixgram", sock); err != nil {
		t.Fatal(err)
	}
	if s.syslog, err = NewSyslogSink("unix://"+sock, "lanner"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

func (s *realSinks) close() {
	s.closeOnce.Do(func() {
		s.file.Close()
		s.program.Close()
		s.syslog.Close()
		s.syslogConn.Close()
	})
}

// delivered is what each format and sink wrote for one alert.
type delivered struct {
	text, json                   []byte
	writer, file, program, syslg string
}

// deliver writes a through every sink, synchronously, and reads back what
// each one wrote.
func (s *realSinks) deliver(t testing.TB, a *Alert) delivered {
	t.Helper()
	d := delivered{text: a.AppendText(nil), json: a.AppendJSON(nil)}
	if err := s.writerSink.Write(d.text); err != nil {
		t.Fatal(err)
	}
	d.writer = s.writer.take()
	if err := s.file.Write(d.text); err != nil {
		t.Fatal(err)
	}
	d.file, s.fileOff = readFrom(t, s.filePath, s.fileOff, false)
	if err := s.program.Write(d.text); err != nil {
		t.Fatal(err)
	}
	d.program, s.programOff = readFrom(t, s.programPath, s.programOff, true)
	if err := s.syslog.WritePriority(d.text, a.Priority); err != nil {
		t.Fatal(err)
	}
	s.syslogConn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := s.syslogConn.ReadFrom(s.packet)
	if err != nil {
		t.Fatal(err)
	}
	d.syslg = string(s.packet[:n])
	return d
}

// readFrom returns what path holds past off, and the new end; with wait,
// it waits (the program writes behind our back) until that ends in a
// newline.
func readFrom(t testing.TB, path string, off int, wait bool) (string, int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > off && b[len(b)-1] == '\n' || !wait {
			return string(b[off:]), len(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no complete line after %d bytes: %q", path, off, b[off:])
		}
		time.Sleep(time.Millisecond)
	}
}

// checkOneLine fails unless text is exactly one line of visible text: one
// newline, at its end, valid UTF-8, and no control character (C0, DEL or
// C1) nor line or paragraph separator before it.
func checkOneLine(t testing.TB, where, text string) {
	t.Helper()
	body, ok := strings.CutSuffix(text, "\n")
	if !ok {
		t.Fatalf("%s: %q does not end with a newline", where, text)
	}
	checkVisible(t, where, body)
}

func checkVisible(t testing.TB, where, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s: invalid UTF-8 in %q", where, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			t.Fatalf("%s: raw %U in %q", where, r, s)
		}
	}
}

// checkDelivered checks every format and sink wrote a as one line.
func checkDelivered(t testing.TB, a *Alert, d delivered, path string) {
	t.Helper()
	checkOneLine(t, "text", string(d.text))
	if string(d.text) != a.Output+"\n" {
		t.Fatalf("text %q is not the alert's output %q", d.text, a.Output)
	}
	for _, w := range []struct{ name, got string }{{"stdout", d.writer}, {"file", d.file}, {"program", d.program}} {
		if w.got != string(d.text) {
			t.Fatalf("%s sink wrote %q, want %q", w.name, w.got, d.text)
		}
	}
	checkVisible(t, "syslog", d.syslg)
	if m := syslogRE.FindStringSubmatch(d.syslg); m == nil || m[5] != a.Output {
		t.Fatalf("syslog message %q does not carry the line %q", d.syslg, a.Output)
	}
	// JSON: one line, valid; its output is the text line; its fields are
	// the raw values (invalid UTF-8 aside, which JSON cannot carry).
	if bytes.IndexByte(d.json, '\n') != len(d.json)-1 {
		t.Fatalf("JSON is not one line: %q", d.json)
	}
	var j struct {
		Output string         `json:"output"`
		Fields map[string]any `json:"output_fields"`
	}
	if err := json.Unmarshal(d.json, &j); err != nil {
		t.Fatalf("JSON %q: %v", d.json, err)
	}
	if j.Output != a.Output {
		t.Fatalf("JSON output %q, want the text line %q", j.Output, a.Output)
	}
	if utf8.ValidString(path) && j.Fields["fd.name"] != path {
		t.Fatalf("JSON fd.name %q, want the raw path %q", j.Fields["fd.name"], path)
	}
}

// TestForgedLines: values that would start a new line, clear the screen or
// carry invalid UTF-8 come out visibly escaped, one line per alert, in
// every text sink; JSON keeps the raw values, and its output is the line.
func TestForgedLines(t *testing.T) {
	r := hostileRule(t)
	sinks := openRealSinks(t)
	for _, c := range []struct {
		name, path, cmd, env, proc string
		want                       []string // in the text line
	}{
		{"forged line", "/tmp/x\n01:02:03.000000000: Critical FORGED", "touch -d 2000-01-01 x", "/root", "touch",
			[]string{`file=/tmp/x\n01:02:03.000000000: Critical FORGED cmd=`}},
		{"clear screen", "/tmp/\x1b[2J", "printf '\x1b[2J\x1b[H'", "\x1b]0;title\x07", "sh\x1b[2J",
			[]string{`file=/tmp/\x1b[2J `, `cmd=sh\x1b[2J -c printf '\x1b[2J\x1b[H' `, `home=\x1b]0;title\x07 `, `container_name=sh\x1b[2J`}},
		{"carriage return", "/tmp/a\rFAKE", "a\r\nb", "x\ty", "cat",
			[]string{`file=/tmp/a\rFAKE `, `args=-c a\r\nb `, `home=x\ty `}},
		{"forged escape", `/tmp/a\nb`, `echo \x1b`, `C:\`, "cat",
			[]string{`file=/tmp/a\\nb `, `args=-c echo \\x1b `, `home=C:\\ `}},
		{"C1 and separators", "/tmp/\u0085next\u2028line\u2029par\u009b2J", "x", "y", "cat",
			[]string{`file=/tmp/\u0085next\u2028line\u2029par\u009b2J `}},
		{"invalid UTF-8", "/tmp/\xff\xc2\xe2\x80 \xed\xa0\x80", "\x00\x7f", "\xc0\xaf", "cat",
			[]string{`file=/tmp/\xff\xc2\xe2\x80 \xed\xa0\x80 `, `args=-c \x00\x7f `, `home=\xc0\xaf `}},
		{"valid UTF-8 kept", "/tmp/é日本\U0001F600", "naïve", "ü", "cat",
			[]string{"file=/tmp/é日本\U0001F600 ", "home=ü "}},
		{"padding never splits", "/tmp/日本語", "x", "y", "cat",
			[]string{"short=/tmp/日本  container_id="}},
		{"padding keeps escapes whole", "/tmp/abcd\x1b", "x", "y", "cat",
			[]string{`short=/tmp/abcd    container_id=`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, _ := NewAlert(r, hostileEvent(c.path, c.cmd, c.env, c.proc), "vm", nil)
			d := sinks.deliver(t, a)
			checkDelivered(t, a, d, c.path)
			for _, w := range c.want {
				if !strings.Contains(string(d.text), w) {
					t.Errorf("line %q lacks %q", d.text, w)
				}
			}
		})
	}
}

// TestCompiledOutputsEscape: every compiled rule's output, and the
// suggested container fields, escape what an attacker controls.
func TestCompiledOutputsEscape(t *testing.T) {
	ev := hostileEvent("/tmp/x\n01:02:03.000000000: Critical FORGED\x1b[2J\xff", "a\nb\u0085", "v\r\x00", "n\x1b\n")
	ev.Proc.ExePath = ev.FD.Name
	ev.Proc.Cwd = ev.FD.Name
	ev.Proc.Parent.ExePath = ev.FD.Name
	ev.Proc.Parent.SetArgs(ev.Proc.Args)
	var buf []byte
	for _, r := range compiled.Rules {
		var a *Alert
		a, buf = NewAlert(r, ev, "vm", buf)
		if !ruleset.IsEscaped(buf) {
			t.Errorf("%s: the formatter let through %q", r.Name, buf)
		}
		checkOneLine(t, r.Name, string(a.AppendText(nil)))
	}
}

// TestUnescapedFormatterMadeSafe: a formatter that appends a value raw,
// or a rule output with a control character, still gives one line.
func TestUnescapedFormatterMadeSafe(t *testing.T) {
	r := &ruleset.Rule{Name: "raw", Priority: ruleset.Critical, Source: "internal",
		Format: func(dst []byte, ev *event.Event) []byte { return append(dst, "raw="+ev.FD.Name...) }}
	a, _ := NewAlert(r, hostileEvent("/tmp/x\n01:02:03.000000000: Critical FORGED\xff", "", "", "x"), "vm", nil)
	checkOneLine(t, "text", string(a.AppendText(nil)))
	if !strings.HasSuffix(a.Output, `raw=/tmp/x\n01:02:03.000000000: Critical FORGED\xff`) {
		t.Errorf("output %q", a.Output)
	}
}

// TestNewAlertAllocs: escaping costs nothing beyond the alert itself.
func TestNewAlertAllocs(t *testing.T) {
	r := hostileRule(t)
	ev := hostileEvent("/etc/shadow", "cat /etc/shadow", "/root", "cat")
	evHostile := hostileEvent("/tmp/x\n01:02:03.000000000: Critical FORGED\x1b[2J", "a\nb", "v\r", "n\x1b")
	buf := make([]byte, 0, 4096)
	plain := testing.AllocsPerRun(100, func() { _, buf = NewAlert(r, ev, "vm", buf) })
	hostile := testing.AllocsPerRun(100, func() { _, buf = NewAlert(r, evHostile, "vm", buf) })
	if hostile > plain {
		t.Errorf("allocations per alert: %v with hostile values, %v without", hostile, plain)
	}
	var dst []byte
	s := "/tmp/x\n01:02:03.000000000: Critical FORGED\x1b[2J\xff\u0085é"
	if n := testing.AllocsPerRun(100, func() { dst = ruleset.AppendEscaped(dst[:0], s) }); n != 0 {
		t.Errorf("AppendEscaped: %v allocations", n)
	}
}

// FuzzAlertLines feeds random bytes through paths, command lines,
// environment values and process names and checks that every format and
// text sink writes one line per alert, without a raw control character
// or invalid UTF-8 in the text forms, and that a Builder's alert built over
// the last one is the alert NewAlert builds.
func FuzzAlertLines(f *testing.F) {
	f.Add("/tmp/x\n01:02:03.000000000: Critical FORGED", "touch x", "/root", "touch")
	f.Add("/tmp/\x1b[2J", "printf '\x1b[2J'", "\x1b]0;t\x07", "sh\x1b")
	f.Add("/tmp/\xff\xc2\u0085\u2028", "\x00\x7f\r", `\n\x1b`, "é")
	r := hostileRule(f)
	sinks := openRealSinks(f)
	var builder Builder
	f.Fuzz(func(t *testing.T, path, cmd, env, name string) {
		if len(path)+len(cmd)+len(env)+len(name) > 8<<10 {
			return // the line must fit a syslog datagram
		}
		ev := hostileEvent(path, cmd, env, name)
		a, _ := NewAlert(r, ev, "vm", nil)
		checkDelivered(t, a, sinks.deliver(t, a), path)
		built := builder.Build(r, ev, "vm") // over the last input's alert
		if built.Output != a.Output || string(built.AppendJSON(nil)) != string(a.AppendJSON(nil)) {
			t.Errorf("Build and NewAlert differ:\n%s\n%s", built.AppendJSON(nil), a.AppendJSON(nil))
		}
	})
}

// BenchmarkNewAlert builds an alert whose output names every field event
// data controls, with ordinary and with hostile values.
func BenchmarkNewAlert(b *testing.B) {
	r := hostileRule(b)
	for _, c := range []struct {
		name string
		ev   *event.Event
	}{
		{"plain", hostileEvent("/etc/shadow", "cat /etc/shadow", "/root", "cat")},
		{"hostile", hostileEvent("/tmp/x\n01:02:03.000000000: Critical FORGED\x1b[2J\xff", "a\nb\u0085", "v\r", "n\x1b")},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				_, buf = NewAlert(r, c.ev, "vm", buf)
			}
		})
	}
}
