package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
		if metric("lanner_alerts_total", "rule", rule) >= float64(n) && metric("lanner_sink_failed_total", "sink", "http:"+hangURL) >= 1 &&
			metric("lanner_sink_sent_total", "sink", fileSink) >= float64(n) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d reads of /etc/shadow: %v alerts, file sink sent %v, HTTP sink failed %v\n%s", n,
				metric("lanner_alerts_total", "rule", rule), metric("lanner_sink_sent_total", "sink", fileSink),
				metric("lanner_sink_failed_total", "sink", "http:"+hangURL), l.stderr.String())
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
		{"lanner_sink_sent_total", "http:" + hangURL, 0, 0},
		{"lanner_sink_failed_total", "http:" + hangURL, 1, float64(n)},
		{"lanner_sink_dropped_total", "http:" + hangURL, float64(n - output.QueueLen - 10), float64(n)},
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
	alerts := l.stop(t)
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
}
