// Package metrics serves Lanner's counters to Prometheus (/metrics, in the
// text exposition format) and a health check (/healthz): 200 "ok", or 503
// with the reason while the self-check finds the collector blind.
package metrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/ruleset"
)

// Server is a running metrics endpoint.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Serve listens on addr (host:port; a bare :port listens on 127.0.0.1
// only) and serves the counters stats returns.
func Serve(addr string, stats func() engine.Stats) (*Server, error) {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("metrics address %q: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics address %q: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		bw := bufio.NewWriter(w)
		Write(bw, stats())
		bw.Flush()
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if sc := stats().Own.SelfCheck; sc.Enabled && !sc.Healthy {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("unhealthy: " + sc.Reason + "\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	go s.srv.Serve(ln)
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

type writer struct {
	w interface {
		WriteString(string) (int, error)
	}
}

func (w writer) family(name, typ, help string) {
	w.w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

func (w writer) sample(name string, labels []string, v uint64) {
	w.w.WriteString(name)
	if len(labels) > 0 {
		w.w.WriteString("{")
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.w.WriteString(",")
			}
			w.w.WriteString(labels[i] + "=\"" + escapeLabelValue(labels[i+1]) + "\"")
		}
		w.w.WriteString("}")
	}
	w.w.WriteString(" " + strconv.FormatUint(v, 10) + "\n")
}

// escapeLabelValue makes v a label value of the Prometheus text format:
// control characters and invalid UTF-8 are first made visible as in alert
// lines (\x1b, \u0085; see ruleset.AppendControlsEscaped), then
// backslashes and double quotes are escaped, so that no value can break
// the scrape.
func escapeLabelValue(v string) string {
	safe := ruleset.AppendControlsEscaped(nil, []byte(v))
	var b strings.Builder
	b.Grow(len(safe))
	for _, c := range safe {
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Write renders s in the Prometheus text format. Sinks are named by
// output.SinkStats.Name, which never holds a credential, a URL's query or
// a program's arguments.
func Write(out *bufio.Writer, s engine.Stats) {
	w := writer{out}
	w.family("lanner_records_total", "counter", "Records read from the collector.")
	w.sample("lanner_records_total", []string{"collector", s.Collector}, s.Records)
	w.family("lanner_events_total", "counter", "Syscall events run through the rules, by event type.")
	types := make([]string, 0, len(s.ByType))
	for t := range s.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		w.sample("lanner_events_total", []string{"collector", s.Collector, "type", t}, s.ByType[t])
	}
	w.family("lanner_kernel_drops_total", "counter", "Records the kernel could not deliver.")
	w.sample("lanner_kernel_drops_total", []string{"collector", s.Collector}, s.KernelDrops)
	w.family("lanner_malformed_records_total", "counter", "Records that could not be decoded.")
	w.sample("lanner_malformed_records_total", []string{"collector", s.Collector}, s.Malformed)
	w.family("lanner_unresolved_paths_total", "counter", "Relative paths reported as passed: the directory they were relative to could not be established.")
	w.sample("lanner_unresolved_paths_total", []string{"collector", s.Collector}, s.Unresolved)
	w.family("lanner_unknown_process_events_total", "counter", "Events whose process was not known.")
	w.sample("lanner_unknown_process_events_total", nil, s.NoProcess)
	w.family("lanner_alerts_total", "counter", "Alerts raised, by rule and priority.")
	rules := make([]engine.RuleCount, len(s.ByRule))
	copy(rules, s.ByRule)
	sort.Slice(rules, func(i, j int) bool { return rules[i].Rule < rules[j].Rule })
	for _, r := range rules {
		w.sample("lanner_alerts_total", []string{"rule", r.Rule, "priority", r.Priority}, r.Count)
	}
	w.family("lanner_own_alerts_dropped_total", "counter", "Notices and self-check verdicts not turned into alerts (over their burst, or after the stop).")
	w.sample("lanner_own_alerts_dropped_total", nil, s.Own.Dropped)
	if sc := s.Own.SelfCheck; sc.Enabled {
		w.family("lanner_self_check_probes_total", "counter", "Self-check probes started.")
		w.sample("lanner_self_check_probes_total", []string{"collector", sc.Collector}, sc.Probes)
		w.family("lanner_self_check_failures_total", "counter", "Self-check probes whose events the collector did not deliver in time.")
		w.sample("lanner_self_check_failures_total", []string{"collector", sc.Collector}, sc.Failures)
		w.family("lanner_self_check_errors_total", "counter", "Self-check probes that could not be run.")
		w.sample("lanner_self_check_errors_total", []string{"collector", sc.Collector}, sc.Errors)
		var healthy uint64
		if sc.Healthy {
			healthy = 1
		}
		w.family("lanner_collector_healthy", "gauge", "1 while the self-check finds the collector delivering events, else 0.")
		w.sample("lanner_collector_healthy", []string{"collector", sc.Collector}, healthy)
	}
	w.family("lanner_alerts_suppressed_total", "counter", "Alerts over a rule's rate limit, not sent.")
	w.sample("lanner_alerts_suppressed_total", nil, s.Suppressed)
	w.family("lanner_sink_sent_total", "counter", "Alerts delivered, by sink.")
	for _, k := range s.Sinks {
		w.sample("lanner_sink_sent_total", []string{"sink", k.Name}, k.Sent)
	}
	w.family("lanner_sink_failed_total", "counter", "Alerts a sink failed to deliver.")
	for _, k := range s.Sinks {
		w.sample("lanner_sink_failed_total", []string{"sink", k.Name}, k.Failed)
	}
	w.family("lanner_sink_dropped_total", "counter", "Alerts dropped because a sink's queue was full.")
	for _, k := range s.Sinks {
		w.sample("lanner_sink_dropped_total", []string{"sink", k.Name}, k.Dropped)
	}
	w.family("lanner_sink_lost_total", "counter", "Alerts a sink still held when the shutdown deadline ran out.")
	for _, k := range s.Sinks {
		w.sample("lanner_sink_lost_total", []string{"sink", k.Name}, k.Lost)
	}
	t := s.Tables
	w.family("lanner_processes", "gauge", "Processes in the process table.")
	w.sample("lanner_processes", nil, uint64(t.Processes))
	w.family("lanner_containers", "gauge", "Containers in the container table.")
	w.sample("lanner_containers", nil, uint64(t.Containers))
	w.family("lanner_process_table_lookups_total", "counter", "Process table lookups, by result.")
	w.sample("lanner_process_table_lookups_total", []string{"result", "hit"}, t.Hits)
	w.sample("lanner_process_table_lookups_total", []string{"result", "miss"}, t.Misses)
	w.family("lanner_table_evictions_total", "counter", "Entries evicted from a bounded table.")
	w.sample("lanner_table_evictions_total", []string{"table", "process"}, t.ProcessEvictions)
	w.sample("lanner_table_evictions_total", []string{"table", "container"}, t.ContainerEvictions)
	m := s.Metadata
	w.family("lanner_container_metadata_lookups_total", "counter", "Container runtime lookups, by result (timeout is also counted as failed).")
	w.sample("lanner_container_metadata_lookups_total", []string{"result", "found"}, m.Found)
	w.sample("lanner_container_metadata_lookups_total", []string{"result", "not_found"}, m.NotFound)
	w.sample("lanner_container_metadata_lookups_total", []string{"result", "failed"}, m.Failed)
	w.sample("lanner_container_metadata_lookups_total", []string{"result", "timeout"}, m.Timeouts)
	w.sample("lanner_container_metadata_lookups_total", []string{"result", "queue_full"}, m.QueueFull)
	w.family("lanner_container_metadata_wait_timeouts_total", "counter", "Containers whose events stopped waiting for their metadata.")
	w.sample("lanner_container_metadata_wait_timeouts_total", nil, s.MetadataTimeouts)
	w.family("lanner_container_starts_total", "counter", "Container start events.")
	w.sample("lanner_container_starts_total", nil, s.ContainerStarts)
	w.family("lanner_rule_eval_seconds_total", "counter", "Time spent evaluating rules.")
	out.WriteString("lanner_rule_eval_seconds_total " + strconv.FormatFloat(s.EvalTime.Seconds(), 'g', -1, 64) + "\n")
}
