package output

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lannersec/lanner/ruleset"
)

var syslogRE = regexp.MustCompile(`^<(\d+)>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d (\S+) ([^\s\[]+)\[(\d+)\]: (.*)$`)

// checkSyslog checks msg is a well-formed message with priority pri, tag
// and the alert text.
func checkSyslog(t *testing.T, msg string, pri int, tag, text string) {
	t.Helper()
	m := syslogRE.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("malformed syslog message %q", msg)
	}
	if m[1] != strconv.Itoa(pri) {
		t.Errorf("PRI %s, want %d", m[1], pri)
	}
	if m[3] != tag {
		t.Errorf("tag %q, want %q", m[3], tag)
	}
	if m[5] != text {
		t.Errorf("message %q, want %q", m[5], text)
	}
}

func readPacket(t *testing.T, c net.PacketConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func listenUnixgram(t *testing.T) (string, net.PacketConn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return path, c
}

func TestSyslogUnixgram(t *testing.T) {
	path, c := listenUnixgram(t)
	s, err := NewSyslogSink("unix://"+path, "lanner-test")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := sampleAlert(t)
	line := a.AppendText(nil)
	text := strings.TrimSuffix(string(line), "\n")

	if err := s.WritePriority(line, a.Priority); err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, readPacket(t, c), 1*8+4, "lanner-test", text)

	if err := s.Write(line); err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, readPacket(t, c), 1*8+5, "lanner-test", text)

	for p, sev := range map[ruleset.Priority]int{ruleset.Emergency: 0, ruleset.Critical: 2, ruleset.Debug: 7, 200: 7} {
		if err := s.WritePriority([]byte("x\n"), p); err != nil {
			t.Fatal(err)
		}
		checkSyslog(t, readPacket(t, c), 8+sev, "lanner-test", "x")
	}
}

func TestSyslogLocalFallback(t *testing.T) {
	path, c := listenUnixgram(t)
	old := localSyslogPaths
	localSyslogPaths = []string{filepath.Join(t.TempDir(), "missing"), path}
	defer func() { localSyslogPaths = old }()
	s, err := NewSyslogSink("", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Name() != "syslog" {
		t.Errorf("name %q", s.Name())
	}
	if err := s.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, readPacket(t, c), 13, "lanner", "hello")

	localSyslogPaths = []string{filepath.Join(t.TempDir(), "missing")}
	if _, err := NewSyslogSink("", ""); err == nil {
		t.Error("no error without a local socket")
	}
}

func TestSyslogUDP(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := NewSyslogSink("udp://"+c.LocalAddr().String(), "lanner")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	line := sampleAlert(t).AppendJSON(nil)
	if err := s.WritePriority(line, ruleset.Error); err != nil {
		t.Fatal(err)
	}
	msg := readPacket(t, c)
	checkSyslog(t, msg, 8+3, "lanner", string(bytes.TrimSuffix(line, []byte("\n"))))
	if !strings.Contains(msg, "Sensitive file opened for reading") {
		t.Errorf("alert text missing: %q", msg)
	}
}

func TestSyslogTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(conns)
				return
			}
			conns <- c
		}
	}()
	s, err := NewSyslogSink("tcp://"+l.Addr().String(), "lanner")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c1 := <-conns
	r := bufio.NewReader(c1)
	c1.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i, text := range []string{"first alert", "second alert"} {
		if err := s.WritePriority([]byte(text+"\n"), ruleset.Warning); err != nil {
			t.Fatal(err)
		}
		msg, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(i, err)
		}
		checkSyslog(t, strings.TrimSuffix(msg, "\n"), 12, "lanner", text)
	}

	// The daemon drops the connection: a later write reconnects.
	c1.Close()
	var c2 net.Conn
	deadline := time.Now().Add(5 * time.Second)
	for c2 == nil && time.Now().Before(deadline) {
		s.Write([]byte("after reconnect\n"))
		select {
		case c2 = <-conns:
		case <-time.After(20 * time.Millisecond):
		}
	}
	if c2 == nil {
		t.Fatal("no reconnection")
	}
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	msg, err := bufio.NewReader(c2).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, strings.TrimSuffix(msg, "\n"), 13, "lanner", "after reconnect")
}

func TestSyslogBadAddr(t *testing.T) {
	for _, a := range []string{"localhost:514", "http://host:1", "udp://nohost", "unix://"} {
		if _, err := NewSyslogSink(a, ""); err == nil || !strings.Contains(err.Error(), a) {
			t.Errorf("%q: err = %v", a, err)
		}
	}
	if _, err := NewSyslogSink("tcp://"+deadAddr(t), ""); err == nil {
		t.Error("no error from a refused TCP connection")
	}
}

// TestOutputSyslogSeverityPerAlert sends alerts of every priority through
// Output to syslog sinks on a unix datagram socket and on UDP: each
// message's PRI is facility user (1) * 8 + the alert's priority, Emergency
// (0) to Debug (7), for text and JSON lines alike.
func TestOutputSyslogSeverityPerAlert(t *testing.T) {
	path, unix := listenUnixgram(t)
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	order := []ruleset.Priority{ruleset.Warning, ruleset.Emergency, ruleset.Alert, ruleset.Critical, ruleset.Error,
		ruleset.Notice, ruleset.Informational, ruleset.Debug, ruleset.Emergency, ruleset.Debug}
	for _, format := range []Format{Text, JSON} {
		us, err := NewSyslogSink("unix://"+path, "lanner")
		if err != nil {
			t.Fatal(err)
		}
		ds, err := NewSyslogSink("udp://"+udp.LocalAddr().String(), "lanner")
		if err != nil {
			t.Fatal(err)
		}
		o := New(format, us, ds)
		base := sampleAlert(t)
		var texts []string
		for i, p := range order {
			a := *base
			a.Priority = p
			a.Output = "alert " + strconv.Itoa(i) + " " + p.String()
			o.Send(&a)
			line := a.AppendText(nil)
			if format == JSON {
				line = a.AppendJSON(nil)
			}
			texts = append(texts, strings.TrimSuffix(string(line), "\n"))
		}
		for _, c := range []net.PacketConn{unix, udp} {
			for i, p := range order {
				checkSyslog(t, readPacket(t, c), 8+int(p), "lanner", texts[i])
			}
		}
		o.Close(5 * time.Second)
		for _, st := range o.Stats() {
			if st.Sent != uint64(len(order)) || st.Failed != 0 || st.Dropped != 0 {
				t.Errorf("%+v", st)
			}
		}
	}
}

// TestSyslogCloseAbortsBlockedWrite fills a TCP connection whose peer never
// reads until a write blocks: Close returns at once and the write fails
// soon after, instead of both waiting for the write timeout.
func TestSyslogCloseAbortsBlockedWrite(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never read
		}
	}()
	s, err := NewSyslogSink("tcp://"+l.Addr().String(), "lanner")
	if err != nil {
		t.Fatal(err)
	}
	line := append(bytes.Repeat([]byte("x"), 64<<10), '\n')
	var written atomic.Int64
	done := make(chan error, 1)
	go func() {
		for {
			if err := s.Write(line); err != nil {
				done <- err
				return
			}
			written.Add(1)
		}
	}()
	// Wait until the writes stall: the buffers are full.
	for last := int64(-1); ; {
		time.Sleep(200 * time.Millisecond)
		n := written.Load()
		if n == last {
			break
		}
		last = n
		if n > 10000 {
			t.Fatal("writes never blocked")
		}
	}
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close waits for the blocked write")
	}
	// The write was aborted by Close ("closed"), not by its I/O timeout.
	select {
	case err := <-done:
		if !strings.Contains(err.Error(), "closed") || strings.Contains(err.Error(), "timeout") {
			t.Errorf("blocked write: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the blocked write still waits after Close")
	}
}

// TestSyslogHostnameIsAlertHostname: the HOSTNAME of each message is the
// alert's hostname (the node name Lanner writes in alerts, not the
// system's host name), made one field of printable ASCII whatever it
// holds; an alert without one gets the system's host name.
func TestSyslogHostnameIsAlertHostname(t *testing.T) {
	path, conn := listenUnixgram(t)
	s, err := NewSyslogSink("unix://"+path, "lanner")
	if err != nil {
		t.Fatal(err)
	}
	o := New(Text, s)
	system, _ := os.Hostname()
	if system == "" {
		system = "localhost"
	}
	long := strings.Repeat("n", 300)
	cases := []struct{ hostname, want string }{
		{"worker-node-7.example.com", "worker-node-7.example.com"},
		{"", system},
		{"evil host\nFORGED 1 2", "evil_host_FORGED_1_2"},
		{"n\x00\x1b[2J\x7fé", "n__[2J___"},
		{long, long[:255]},
	}
	for i, c := range cases {
		a := *sampleAlert(t)
		a.Hostname = c.hostname
		a.Output = "alert " + strconv.Itoa(i)
		o.Send(&a)
	}
	for i, c := range cases {
		msg := readPacket(t, conn)
		m := syslogRE.FindStringSubmatch(msg)
		if m == nil {
			t.Fatalf("%d: malformed message %q", i, msg)
		}
		if m[2] != c.want || !strings.Contains(m[5], "alert "+strconv.Itoa(i)) {
			t.Errorf("%d: hostname %q in %q, want %q", i, m[2], msg, c.want)
		}
	}
	o.Close(5 * time.Second)
}
