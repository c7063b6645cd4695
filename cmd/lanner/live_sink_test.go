package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/output"
)

// hangingListener accepts TCP connections and holds them open without ever
// answering; with drain it reads and discards what arrives, otherwise it
// never reads, and its receive buffer is small so a writer soon blocks.
type hangingListener struct {
	ln       net.Listener
	accepted atomic.Int32
	mu       sync.Mutex
	conns    []net.Conn
}

func newHangingListener(t *testing.T, drain bool) *hangingListener {
	t.Helper()
	lc := net.ListenConfig{}
	if !drain {
		lc.Control = func(network, address string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangingListener{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.accepted.Add(1)
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
			if drain {
				go io.Copy(io.Discard, c)
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, c := range h.conns {
			c.Close()
		}
	})
	return h
}

// scrapeMetrics reads /metrics at addr with Prometheus' parser and returns
// the value of name{label="value"} (0 when absent).
func scrapeMetrics(t *testing.T, addr string) func(name, label, value string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	return func(name, label, value string) float64 {
		f := fams[name]
		if f == nil {
			return 0
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}
}

// TestLiveHangingSinks runs Lanner with two sinks that hang, an HTTP
// endpoint that accepts connections and never answers and a syslog TCP
// listener that never reads, next to the alert file, and raises more alerts
// at once than a sink's queue holds: the file still receives every alert
// (also ones raised while the HTTP sink is stuck), the HTTP sink's failures
// and drops show in /metrics, and Lanner stops promptly on SIGINT.
func TestLiveHangingSinks(t *testing.T) {
	testutil.LockKernel(t)
	httpHang := newHangingListener(t, true)
	syslogHang := newHangingListener(t, false)
	port, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := port.Addr().String()
	port.Close()
	hangURL := "http://" + httpHang.ln.Addr().String() + "/alerts"
	// Sinks are named without their path (see output.HTTPSink.Name).
	hangSink := "http:http://" + httpHang.ln.Addr().String()
	syslogAddr := "tcp://" + syslogHang.ln.Addr().String()
	// The sinks come from a configuration file, as on a real host; a
	// request gives up after 300ms, so an alert fails after 4 tries and
	// their backoff, about 2.6s.
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	yaml := "http-url: [" + hangURL + "]\nhttp-timeout: 300ms\nhttp-header: ['X-Lanner-Test: hang']\nsyslog: [" + syslogAddr + "]\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	l := startLanner(t, lanner(t), "--config", cfg, "--metrics-addr", maddr)
	fileSink := "file:" + l.alerts

	// More reads of /etc/shadow by this process than a queue holds, in
	// bursts.
	n := output.QueueLen + 500
	for i := range n {
		f, err := os.Open("/etc/shadow")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if i%250 == 249 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	rule := defaultRuleNames.shadow
	var metric func(name, label, value string) float64
	deadline := time.Now().Add(30 * time.Second)
	for {
		metric = scrapeMetrics(t, maddr)
		if metric("lanner_alerts_total", "rule", rule) >= float64(n) && metric("lanner_sink_failed_total", "sink", hangSink) >= 1 &&
			metric("lanner_sink_sent_total", "sink", fileSink) >= float64(n) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d reads of /etc/shadow: %v alerts, file sink sent %v, HTTP sink failed %v\n%s", n,
				metric("lanner_alerts_total", "rule", rule), metric("lanner_sink_sent_total", "sink", fileSink),
				metric("lanner_sink_failed_total", "sink", hangSink), l.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if httpHang.accepted.Load() == 0 || syslogHang.accepted.Load() == 0 {
		t.Errorf("connections accepted: HTTP %d, syslog %d", httpHang.accepted.Load(), syslogHang.accepted.Load())
	}
	for _, c := range []struct {
		name, sink string
		min, max   float64
	}{
		{"lanner_sink_sent_total", hangSink, 0, 0},
		{"lanner_sink_failed_total", hangSink, 1, float64(n)},
		{"lanner_sink_dropped_total", hangSink, float64(n - output.QueueLen - 10), float64(n)},
		{"lanner_sink_failed_total", fileSink, 0, 0},
		{"lanner_sink_dropped_total", fileSink, 0, 0},
	} {
		if v := metric(c.name, "sink", c.sink); v < c.min || v > c.max {
			t.Errorf("%s{sink=%q} = %v, want %v to %v", c.name, c.sink, v, c.min, c.max)
		}
	}
	var syslogCounted float64
	for _, name := range []string{"lanner_sink_sent_total", "lanner_sink_failed_total", "lanner_sink_dropped_total"} {
		syslogCounted += metric(name, "sink", "syslog:"+syslogAddr)
	}
	t.Logf("syslog sink that never reads: sent %v, failed %v, dropped %v", metric("lanner_sink_sent_total", "sink", "syslog:"+syslogAddr),
		metric("lanner_sink_failed_total", "sink", "syslog:"+syslogAddr), metric("lanner_sink_dropped_total", "sink", "syslog:"+syslogAddr))
	if syslogCounted == 0 {
		t.Errorf("the syslog sink's counters do not show")
	}

	// With the HTTP sink still stuck, a new alert reaches the file at once.
	run(t, "cat", "/etc/shadow")
	deadline = time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(l.alerts)
		if strings.Contains(string(data), `"proc.cmdline":"cat /etc/shadow"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an alert raised while the HTTP sink hangs did not reach the file")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Stopping waits for the sinks at most sinkDrainTimeout, then abandons
	// what they could not deliver: stop's deadline (30 s) is far beyond
	// it, and the HTTP sink would hang forever.
	start := time.Now()
	alerts := l.stopExit(t, exitAlertsUndelivered)
	t.Logf("stopped %v after SIGINT (sleep before it included)", time.Since(start).Round(time.Millisecond))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mine, cat := 0, 0
	for _, a := range alerts {
		switch {
		case a.Rule != rule || a.OutputFields["fd.name"] != "/etc/shadow":
		case a.OutputFields["proc.cmdline"] == "cat /etc/shadow":
			cat++
		case a.OutputFields["proc.exepath"] == self:
			mine++
		}
	}
	if mine != n || cat != 1 {
		t.Errorf("alert file: %d alerts for this process's %d reads, %d for cat", mine, n, cat)
	}
	// The exit summary counts every alert once per sink, those the HTTP
	// sink still held at the deadline as lost, and says alerts were lost.
	given, sinks := exitSummary(t, l.stderr.String())
	hs := sinks[hangSink]
	if hs.lost == 0 || hs.failed == 0 {
		t.Errorf("HTTP sink at exit: %+v, want failed and lost alerts", hs)
	}
	for name, k := range sinks {
		if k.sent+k.failed+k.dropped+k.lost != given {
			t.Errorf("sink %s: %+v, want sent+failed+dropped+lost = %d alerts", name, k, given)
		}
	}
	if !regexp.MustCompile(`msg="alerts not delivered" .*sinks=".*\b` + regexp.QuoteMeta(hangSink) + " ").MatchString(l.stderr.String()) {
		t.Errorf("no summary of the alerts not delivered:\n%s", l.stderr.String())
	}
}

// sinkCounts are one sink's counters on the exit stats lines.
type sinkCounts struct{ sent, failed, dropped, lost uint64 }

// exitSummary reads the last stats lines of stderr: the alerts raised and
// each sink's counters.
func exitSummary(t *testing.T, stderr string) (uint64, map[string]sinkCounts) {
	t.Helper()
	var alerts uint64
	sinks := map[string]sinkCounts{}
	found := false
	for _, line := range strings.Split(stderr, "\n") {
		switch {
		case strings.Contains(line, " msg=exit collector="):
			found = true
			clear(sinks)
			if _, err := fmt.Sscanf(line[strings.Index(line, " alerts="):], " alerts=%d", &alerts); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
		case strings.Contains(line, ` msg="sink stats" sink=`):
			var name string
			var k sinkCounts
			rest := line[strings.Index(line, " sink="):]
			if _, err := fmt.Sscanf(rest, " sink=%s sent=%d failed=%d dropped=%d lost=%d", &name, &k.sent, &k.failed, &k.dropped, &k.lost); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			sinks[name] = k
		}
	}
	if !found {
		t.Fatalf("no stats line:\n%s", stderr)
	}
	return alerts, sinks
}

// TestLiveFailingSinks runs Lanner with sinks that fail, a file sink on
// /dev/full and an HTTP endpoint that refuses connections, next to a
// program that works: each failing sink is reported once on stderr (not
// once per alert), without the URL's credentials; the exit summary counts
// every alert; the run exits with status 3; /metrics names the sinks
// without credentials, query or command arguments.
func TestLiveFailingSinks(t *testing.T) {
	testutil.LockKernel(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	port, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := port.Addr().String()
	port.Close()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	l := &lannerRun{}
	l.cmd = exec.Command(lanner(t), "run", "--output", "json", "--out-file", "/dev/full",
		"--http-url", "http://user:pw0@"+refused+"/alerts?token=hunter2", "--http-timeout", "1s",
		"--program", "exec cat > /dev/null # token=hunter3", "--ready-file", ready, "--metrics-addr", maddr)
	l.cmd.Stderr = &l.stderr
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.cmd.Process.Kill(); l.cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) || l.cmd.ProcessState != nil {
			t.Fatalf("lanner did not become ready:\n%s", l.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	fileSink, httpSink, programSink := "file:/dev/full", "http:http://"+refused, "program:cat"
	const n = 5
	for range n {
		run(t, "cat", "/etc/shadow")
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		metric := scrapeMetrics(t, maddr)
		if metric("lanner_sink_failed_total", "sink", fileSink) >= n && metric("lanner_sink_failed_total", "sink", httpSink) >= n &&
			metric("lanner_sink_sent_total", "sink", programSink) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sinks not failing as expected:\n%s", l.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, secret := range []string{"hunter", "pw0", "token", "/dev/null"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
	l.stopExit(t, exitAlertsUndelivered)
	stderr := l.stderr.String()
	for _, secret := range []string{"hunter", "pw0", "token"} {
		if strings.Contains(stderr, secret) {
			t.Errorf("stderr shows %q:\n%s", secret, stderr)
		}
	}
	for _, sink := range []string{fileSink, httpSink} {
		if c := strings.Count(stderr, `msg="sink failing" sink=`+sink+" "); c != 1 {
			t.Errorf("sink %s reported failing %d times, want once:\n%s", sink, c, stderr)
		}
	}
	if regexp.MustCompile(`msg="sink (failing|still failing|recovered)" sink=` + regexp.QuoteMeta(programSink) + " ").MatchString(stderr) {
		t.Errorf("the working program sink was reported:\n%s", stderr)
	}
	given, sinks := exitSummary(t, stderr)
	for _, name := range []string{fileSink, httpSink, programSink} {
		k, ok := sinks[name]
		if !ok || k.sent+k.failed+k.dropped+k.lost != given || given < n {
			t.Errorf("sink %s at exit: %+v, want sent+failed+dropped+lost = %d alerts (at least %d)", name, k, given, n)
		}
	}
	if sinks[fileSink].sent != 0 || sinks[httpSink].sent != 0 || sinks[programSink].sent != given {
		t.Errorf("sinks at exit: %+v", sinks)
	}
	if !regexp.MustCompile(`msg="alerts not delivered" .*sinks=".*\b`+regexp.QuoteMeta(fileSink)+" ").MatchString(stderr) || !strings.Contains(stderr, httpSink+" ") {
		t.Errorf("no summary of the alerts not delivered:\n%s", stderr)
	}
}
