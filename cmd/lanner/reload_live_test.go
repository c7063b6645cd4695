package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lannersec/lanner/internal/testutil"
)

// markerStreamEnv makes the test binary a marker stream (see init): it
// opens DIR/seq-N, N = 1, 2, ..., every few milliseconds; on SIGUSR1 it
// prints the last N opened, on SIGUSR2 prints "end N" and exits.
const markerStreamEnv = "LANNER_MARKER_STREAM"

func init() {
	dir := os.Getenv(markerStreamEnv)
	if dir == "" {
		return
	}
	usr := make(chan os.Signal, 4)
	signal.Notify(usr, syscall.SIGUSR1, syscall.SIGUSR2)
	out := bufio.NewWriter(os.Stdout)
	for n := 1; ; n++ {
		p := filepath.Join(dir, "seq-"+strconv.Itoa(n))
		if f, err := os.Create(p); err == nil {
			f.Close()
			os.Remove(p)
		}
		select {
		case s := <-usr:
			if s == syscall.SIGUSR2 {
				fmt.Fprintf(out, "end %d\n", n)
				out.Flush()
				os.Exit(0)
			}
			fmt.Fprintf(out, "%d\n", n)
			out.Flush()
		default:
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// TestLiveRulesReload: rules added, changed and broken in a --rules-file
// while a steady stream of events flows. Every marker opened after the
// first reload is confirmed raises exactly one alert, of the rule in force
// then: none is lost across the reloads, the broken file leaves the rules
// in force, and the reloads are counted in /metrics. The run starts with a
// rule of another event type only, so the collector must start watching
// opens on the first reload.
func TestLiveRulesReload(t *testing.T) {
	testutil.LockKernel(t)
	for _, col := range []string{"ebpf", "audit"} {
		t.Run(col, func(t *testing.T) { testLiveRulesReload(t, col) })
	}
}

const placeholderRule = `- rule: Reload Placeholder
  desc: matches nothing
  condition: evt.type = fchmodat and proc.name = no-such-process-lanner
  output: placeholder %proc.name
  priority: NOTICE
`

func markerRule(dir, version string) string {
	return placeholderRule + `
- rule: Reload Marker
  desc: a marker file opened
  condition: evt.type in (open, openat, openat2) and fd.name startswith ` + dir + `/seq-
  output: ` + version + ` %fd.name
  priority: WARNING
`
}

func testLiveRulesReload(t *testing.T, collector string) {
	rulesDir, markers, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	rulesFile := filepath.Join(rulesDir, "local.yaml")
	// replace writes the rules file as editors do: a new file renamed
	// over the old one.
	replace := func(text string) {
		t.Helper()
		next := filepath.Join(rulesDir, ".local.yaml.new")
		if err := os.WriteFile(next, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(next, rulesFile); err != nil {
			t.Fatal(err)
		}
	}
	replace(placeholderRule)

	port, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := port.Addr().String()
	port.Close()
	alerts, ready, stderrPath := filepath.Join(tmp, "alerts.json"), filepath.Join(tmp, "ready"), filepath.Join(tmp, "stderr")
	stderr, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd := exec.Command(lanner(t), "run", "--collector", collector, "--output", "json", "--out-file", alerts,
		"--ready-file", ready, "--metrics-addr", maddr, "--no-builtin-rules", "-r", rulesFile)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	logText := func() string {
		b, _ := os.ReadFile(stderrPath)
		return string(b)
	}
	// waitLog waits until the log has n lines containing s.
	waitLog := func(s string, n int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for strings.Count(logText(), s) < n {
			select {
			case err := <-exited:
				exited <- err
				if strings.Contains(logText(), "no collector works here") {
					testutil.RequireKernel(t, collector+" collector unavailable: "+logText())
				}
				t.Fatalf("lanner exited (%v):\n%s", err, logText())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q (%d times) in the log:\n%s", s, n, logText())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			if strings.Contains(logText(), "no collector works here") {
				testutil.RequireKernel(t, collector+" collector unavailable: "+logText())
			}
			t.Fatalf("lanner exited (%v):\n%s", err, logText())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("lanner did not become ready:\n%s", logText())
		}
		time.Sleep(50 * time.Millisecond)
	}

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	stream := exec.Command(self)
	stream.Env = append(os.Environ(), markerStreamEnv+"="+markers)
	streamOut, err := stream.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stream.Process.Kill()
		stream.Wait()
	}()
	lines := bufio.NewScanner(streamOut)
	// position asks the stream for the last marker it opened.
	position := func(sig syscall.Signal) int {
		t.Helper()
		stream.Process.Signal(sig)
		if !lines.Scan() {
			t.Fatalf("the marker stream ended: %v", lines.Err())
		}
		n, err := strconv.Atoi(strings.TrimPrefix(lines.Text(), "end "))
		if err != nil {
			t.Fatalf("marker stream: %q", lines.Text())
		}
		return n
	}
	time.Sleep(200 * time.Millisecond)

	const reloaded = `msg="rules reloaded" reason="a rules file changed"`
	replace(markerRule(markers, "v1"))
	waitLog(reloaded, 1)
	s1 := position(syscall.SIGUSR1) // markers after s1 must alert
	time.Sleep(time.Second)
	p2 := position(syscall.SIGUSR1) // markers up to p2 alert as v1
	replace(markerRule(markers, "v2"))
	waitLog(reloaded, 2)
	s2 := position(syscall.SIGUSR1) // markers after s2 alert as v2
	time.Sleep(time.Second)
	broken := strings.Replace(markerRule(markers, "v3"), "fd.name startswith", "fd.nosuchfield startswith", 1)
	replace(broken)
	waitLog(`msg="rules reload failed, the rules in force stay" reason="a rules file changed"`, 1)
	if !regexp.MustCompile(regexp.QuoteMeta(rulesFile) + `:\d+:\d+: `).MatchString(logText()) {
		t.Errorf("the failed reload does not name %s:line:col:\n%s", rulesFile, logText())
	}
	time.Sleep(time.Second)
	end := position(syscall.SIGUSR2)
	time.Sleep(time.Second) // the collector delivers within 50 ms

	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"lanner_rules_reloads_total 2\n", "lanner_rules_reload_failures_total 1\n"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("lanner: %v\n%s", err, logText())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("lanner did not stop:\n%s", logText())
	}
	data, err := os.ReadFile(alerts)
	if err != nil {
		t.Fatal(err)
	}
	version := map[int][]string{}
	re := regexp.MustCompile(`(v\d) ` + regexp.QuoteMeta(markers) + `/seq-(\d+)`)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var a alert
		if line == "" || json.Unmarshal([]byte(line), &a) != nil {
			continue
		}
		if a.Rule == "Lanner Collector Tampered" || a.Rule == "Lanner Collector Blind" {
			t.Errorf("a reload raised %q: %s", a.Rule, a.Output)
		}
		if a.Rule != "Reload Marker" {
			continue
		}
		m := re.FindStringSubmatch(a.Output)
		if m == nil {
			t.Errorf("alert output %q", a.Output)
			continue
		}
		n, _ := strconv.Atoi(m[2])
		version[n] = append(version[n], m[1])
	}
	var lost, wrong, twice []int
	for n := s1 + 1; n <= end; n++ {
		v := version[n]
		switch {
		case len(v) == 0:
			lost = append(lost, n)
		case len(v) > 1:
			twice = append(twice, n)
		case n <= p2 && v[0] != "v1", n > s2 && v[0] != "v2":
			wrong = append(wrong, n)
		}
	}
	t.Logf("%s: markers %d..%d after the first reload (v1 to %d, v2 from %d), %d alerts; %d lost, %d with the wrong rule, %d twice",
		collector, s1+1, end, p2, s2+1, len(version), len(lost), len(wrong), len(twice))
	if len(lost)+len(wrong)+len(twice) > 0 || end-s1 < 100 {
		t.Errorf("lost %v\nwrong rule %v\ntwice %v\nlog:\n%s", head(lost), head(wrong), head(twice), logText())
	}
}

func head(ns []int) []int {
	if len(ns) > 20 {
		return ns[:20]
	}
	return ns
}
