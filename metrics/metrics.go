// Package metrics serves Lanner's counters to Prometheus (/metrics), a
// liveness check (/healthz) and a readiness check (/readyz).
//
// /metrics is served by github.com/prometheus/client_golang: the Go
// runtime and process collectors, build information, Lanner's own
// counters (lanner_*) and, for the counters that mean the same, Falco's
// names (falcosecurity_falco_*, falcosecurity_scap_*), so that dashboards
// made for Falco work. Lanner's counters are atomics the engine keeps; they
// are read when Prometheus scrapes (a prometheus.Collector over
// engine.Stats), so counting costs the event path nothing more.
//
// /healthz answers 200 "ok", or 503 with the reason while the self-check
// finds the collector blind. /readyz answers 200 "ready" while the engine
// reads the collector (every probe is attached by then), else 503: while
// Lanner starts, after the collector failed, and while it stops.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/ruleset"
)

// BuildInfo names the running build in lanner_build_info and
// falcosecurity_falco_version_info.
type BuildInfo struct {
	Version, Commit, Date string
}

var (
	buildMu sync.Mutex
	build   = BuildInfo{Version: "dev"}
)

// SetBuildInfo sets the version, commit and build date the servers
// started afterwards report; an empty version stays "dev".
func SetBuildInfo(version, commit, date string) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if version == "" {
		version = "dev"
	}
	build = BuildInfo{Version: version, Commit: commit, Date: date}
}

func currentBuild() BuildInfo {
	buildMu.Lock()
	defer buildMu.Unlock()
	return build
}

// Server is a running metrics endpoint.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Serve listens on addr (host:port; a bare :port listens on 127.0.0.1
// only) and serves the counters stats returns. stats is called once per
// scrape and per /healthz or /readyz request.
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
	s := &Server{srv: &http.Server{Handler: Handler(stats), ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	go s.srv.Serve(ln)
	return s, nil
}

// Handler serves /metrics, /healthz and /readyz over stats.
func Handler(stats func() engine.Stats) http.Handler {
	reg := NewRegistry(stats)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A metric that cannot be rendered is left out, the rest served.
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes are cheap, but a flood of them must not pile up.
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if sc := stats().Own.SelfCheck; sc.Enabled && !sc.Healthy {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write(plainLine("unhealthy: " + sc.Reason))
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ready, reason := Readiness(stats()); !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write(plainLine("not ready: " + reason))
			return
		}
		w.Write([]byte("ready\n"))
	})
	return mux
}

// Readiness tells whether s is of an engine reading its collector, and
// when not, why.
func Readiness(s engine.Stats) (ready bool, reason string) {
	switch {
	case s.Failure != "":
		return false, s.Failure
	case s.Running:
		return true, ""
	case s.Collector == "":
		return false, "starting: no collector attached yet"
	default:
		return false, "the engine is not reading the " + s.Collector + " collector"
	}
}

// plainLine is msg as one line of text, control characters made visible.
func plainLine(msg string) []byte {
	return append(ruleset.AppendControlsEscaped(nil, []byte(msg)), '\n')
}

// NewRegistry returns a registry with the Go runtime, process and build
// information collectors and the counters stats returns.
func NewRegistry(stats func() engine.Stats) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		newStatsCollector(stats, currentBuild()),
	)
	return reg
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
