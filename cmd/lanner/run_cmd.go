package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/safefile"
	"github.com/lannersec/lanner/metrics"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/selfcheck"
	"github.com/lannersec/lanner/state"
)

// selectFlags choose which compiled rules run.
type selectFlags struct {
	MinPriority  string   `name:"min-priority" help:"Run only rules at least this severe (emergency ... debug)." default:"debug"`
	DisableRule  []string `name:"disable-rule" help:"Disable rules whose name matches this glob (repeatable)."`
	EnableRule   []string `name:"enable-rule" help:"Enable rules whose name matches this glob, even if disabled in their file (repeatable)."`
	EnableTag    []string `name:"enable-tag" help:"Run only rules with one of these tags (repeatable)."`
	DisableTag   []string `name:"disable-tag" help:"Disable rules with this tag (repeatable)."`
	RuleMatching string   `name:"rule-matching" help:"Fire only the first matching rule per event, or all of them." enum:"first,all" default:"first"`
	Rate         float64  `help:"Limit each rule to this many alerts per second on average (0: no limit); the rest are counted as suppressed."`
	MaxBurst     float64  `name:"max-burst" help:"With --rate, the number of alerts a rule may raise at once." default:"10"`
}

func (f *selectFlags) set(rules []*ruleset.Rule) (*ruleset.Set, error) {
	p, err := ruleset.ParsePriority(f.MinPriority)
	if err != nil {
		return nil, fmt.Errorf("--min-priority: %w", err)
	}
	mode, _ := ruleset.ParseMatching(f.RuleMatching)
	sel := ruleset.Selection{MinPriority: p, HasMinPrio: true, DisableRules: f.DisableRule, EnableRules: f.EnableRule,
		EnableTags: f.EnableTag, DisableTags: f.DisableTag}
	return ruleset.New(rules, sel, mode), nil
}

// outputFlags choose where alerts go.
type outputFlags struct {
	Output       string        `help:"Alert format: text (Falco's line) or json (Falco's schema)." enum:"text,json" default:"text"`
	OutFile      string        `name:"out-file" help:"Append alerts to this file (reopened on SIGHUP) instead of stdout." type:"path"`
	HTTPURL      []string      `name:"http-url" help:"POST each alert as JSON (Falco's schema) to this URL (repeatable)."`
	HTTPHeader   []string      `name:"http-header" placeholder:"'NAME: VALUE'" sep:"none" help:"Add this header to every HTTP request, e.g. 'Authorization: Bearer TOKEN' (repeatable; may override Content-Type)."`
	HTTPTimeout  time.Duration `name:"http-timeout" help:"Give up an HTTP request after this long; a failed one is tried 3 more times, with backoff." default:"5s"`
	HTTPCAFile   string        `name:"http-ca-file" placeholder:"FILE" help:"Trust the CA certificates in this PEM file for https URLs instead of the system's (default: the system's)." type:"path"`
	HTTPCertFile string        `name:"http-cert-file" placeholder:"FILE" help:"Present this PEM client certificate to https URLs; needs --http-key-file (default: none)." type:"path"`
	HTTPKeyFile  string        `name:"http-key-file" placeholder:"FILE" help:"The PEM private key of --http-cert-file (default: none)." type:"path"`
	HTTPInsecure bool          `name:"http-insecure" help:"Do not verify the certificates of https URLs (default: verify)."`
	Syslog       []string      `help:"Send alerts to syslog: local (the local socket), udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH (repeatable); each alert's severity is its rule's priority."`
	Program      []string      `help:"Pipe alerts, one per line, to this shell command (repeatable)."`
	Stdout       bool          `help:"Also write alerts to standard output when other sinks are named (standard output is the sink when none is)."`
	TimeISO8601  bool          `name:"time-iso8601" help:"Start each alert's text with the date and time in ISO 8601 (UTC) instead of the time of day."`
	JSONOutput   bool          `name:"json-output-property" negatable:"" default:"true" help:"Include the output property (the text line) in JSON alerts."`
	JSONTags     bool          `name:"json-tags-property" negatable:"" default:"true" help:"Include the tags property in JSON alerts."`
}

// httpFlagNames are the flags setting HTTPOptions' TLS files.
var httpFlagNames = map[string]string{"CACert": "http-ca-file", "ClientCert": "http-cert-file", "ClientKey": "http-key-file"}

// httpOptions returns the options of the HTTP sinks, URL unset, checked:
// an error names the flag at fault.
func (f *outputFlags) httpOptions() (output.HTTPOptions, error) {
	opts := output.HTTPOptions{Timeout: f.HTTPTimeout, CACert: f.HTTPCAFile, ClientCert: f.HTTPCertFile,
		ClientKey: f.HTTPKeyFile, InsecureSkipVerify: f.HTTPInsecure}
	if f.HTTPTimeout < time.Millisecond {
		return opts, fmt.Errorf("http-timeout: %v is too short, want at least 1ms (a number without a unit is nanoseconds)", f.HTTPTimeout)
	}
	for _, h := range f.HTTPHeader {
		k, v, err := output.ParseHTTPHeader(h)
		if err != nil {
			return opts, fmt.Errorf("http-header: %w", err)
		}
		if opts.Headers == nil {
			opts.Headers = map[string]string{}
		}
		opts.Headers[k] = v
	}
	switch {
	case f.HTTPCertFile != "" && f.HTTPKeyFile == "":
		return opts, errors.New("http-cert-file: needs http-key-file")
	case f.HTTPKeyFile != "" && f.HTTPCertFile == "":
		return opts, errors.New("http-key-file: needs http-cert-file")
	}
	if err := output.CheckHTTPOptions(opts); err != nil {
		var fe *output.HTTPFileError
		if errors.As(err, &fe) {
			return opts, fmt.Errorf("%s: %w", httpFlagNames[fe.Option], fe.Err)
		}
		return opts, err
	}
	return opts, nil
}

// open starts the sinks the flags name; stdout when none is named.
func (f *outputFlags) open() (*output.Output, error) {
	format, _ := output.ParseFormat(f.Output)
	var sinks []output.Sink
	fail := func(err error) (*output.Output, error) {
		for _, s := range sinks {
			s.Close()
		}
		return nil, err
	}
	if f.OutFile != "" {
		fs, err := output.NewFileSink(f.OutFile)
		if err != nil {
			return fail(fmt.Errorf("--out-file: %w", err))
		}
		sinks = append(sinks, fs)
		go reopenOnHUP(fs)
	}
	httpOpts, err := f.httpOptions()
	if err != nil {
		return nil, err
	}
	for _, u := range f.HTTPURL {
		httpOpts.URL = u
		hs, err := output.NewHTTPSink(httpOpts)
		if err != nil {
			return fail(fmt.Errorf("--http-url: %w", err))
		}
		sinks = append(sinks, hs) // always JSON, whatever --output says
	}
	for _, a := range f.Syslog {
		if a == "local" {
			a = ""
		}
		ss, err := output.NewSyslogSink(a, "lanner")
		if err != nil {
			return fail(fmt.Errorf("--syslog: %w", err))
		}
		sinks = append(sinks, ss)
	}
	for _, c := range f.Program {
		ps, err := output.NewProgramSink(c)
		if err != nil {
			return fail(fmt.Errorf("--program: %w", err))
		}
		sinks = append(sinks, ps)
	}
	if len(sinks) == 0 || f.Stdout {
		sinks = append(sinks, output.NewWriterSink("stdout", os.Stdout))
	}
	out := output.New(format, sinks...)
	out.SetStyle(output.Style{ISOTime: f.TimeISO8601, OmitJSONOutput: !f.JSONOutput, OmitJSONTags: !f.JSONTags})
	return out, nil
}

// reopenOnHUP reopens the alert file on SIGHUP, after logrotate moved it.
func reopenOnHUP(fs *output.FileSink) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	for range ch {
		if err := fs.Reopen(); err != nil {
			fmt.Fprintf(os.Stderr, "lanner: reopen %s: %v\n", fs.Name(), err)
		}
	}
}

type runCmd struct {
	Collector     string        `help:"Collector: auto picks the first that works here (ebpf, then audit, then fanotify)." enum:"auto,ebpf,audit,fanotify" default:"auto"`
	Duration      time.Duration `help:"Stop after this long (0: run until SIGINT or SIGTERM)."`
	ReadyFile     string        `name:"ready-file" help:"Create this file once every probe is attached." type:"path"`
	StatsInterval time.Duration `name:"stats-interval" help:"Write a stats line to stderr this often (0: only at exit)."`
	CPUProfile    string        `name:"cpu-profile" help:"Write a Go CPU profile of the run to this file." type:"path"`
	Config        string        `short:"c" help:"Read flags from this YAML file, Lanner's keys or Falco's falco.yaml (flags on the command line win)." type:"path"`
	// RulesFiles are rules files (or directories of them, read in lexical
	// order) loaded at run time, as Falco's rules_files.
	RulesFiles  []string `name:"rules-file" short:"r" placeholder:"FILE|DIR" help:"Load rules from this file, or the *.yaml files of this directory in lexical order, at run time (repeatable)." type:"path"`
	MetricsAddr string   `name:"metrics-addr" help:"Serve Prometheus /metrics and /healthz on this address (host:port; :port means 127.0.0.1:port). Off by default."`
	// AuditExclusions: see planAudit.
	SelfCheckInterval time.Duration `name:"self-check-interval" default:"5s" help:"Every this long, check that the collector still delivers events: a child process execs and opens a file, and both must come back (0: off)."`
	SelfCheckTimeout  time.Duration `name:"self-check-timeout" help:"Raise 'Lanner Collector Blind' and answer /healthz with 503 when a self-check's events do not come back within this long (0: 3 x --self-check-interval)."`
	Strict            bool          `help:"Refuse to start when rules of a source Lanner does not support (k8s_audit, plugins) were left out of the rules."`
	AuditExclusions   bool          `name:"audit-exclusions" negatable:"" default:"true" help:"With the audit collector, do not audit opens of /dev/null and other busy device files, or socket calls of common address families, when no rule can match them (an open through a symbolic link to such a device is then not seen either)."`
	// Hostname names the node in alerts; in a pod, the downward API's
	// spec.nodeName through FALCO_HOSTNAME (as Falco reads it).
	Hostname string `name:"hostname" env:"FALCO_HOSTNAME" help:"Hostname written in alerts (default: the system's host name; in a pod, set FALCO_HOSTNAME to the node's name)."`
	selectFlags
	outputFlags
	containerFlags
}

// validate checks the flags that kong cannot: values that must parse.
func (c *runCmd) validate() error {
	if _, err := ruleset.ParsePriority(c.MinPriority); err != nil {
		return fmt.Errorf("min-priority: %w", err)
	}
	if c.SelfCheckInterval < 0 || c.SelfCheckTimeout < 0 {
		return errors.New("self-check-interval and self-check-timeout must not be negative")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("metrics-addr: %w", err)
		}
	}
	httpOpts, err := c.httpOptions()
	if err != nil {
		return err
	}
	for _, u := range c.HTTPURL {
		httpOpts.URL = u
		hs, err := output.NewHTTPSink(httpOpts)
		if err != nil {
			return fmt.Errorf("http-url: %w", err)
		}
		hs.Close()
	}
	return nil
}

func (c *runCmd) Run() error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.CPUProfile != "" {
		f, err := safefile.Create(c.CPUProfile, 0o600)
		if err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := reportSkipped(compiled.Skipped, c.Strict); err != nil {
		return err
	}
	set, err := c.set(compiled.Rules)
	if err != nil {
		return err
	}
	out, err := c.open()
	if err != nil {
		return err
	}
	return runPipeline(pipelineConfig{
		collector: c.Collector, rules: set, types: set.Types(), output: out,
		narrow: true, auditExclusions: c.AuditExclusions,
		duration: c.Duration, readyFile: c.ReadyFile, statsEvery: c.StatsInterval,
		metricsAddr: c.MetricsAddr, rate: c.Rate, maxBurst: c.MaxBurst,
		containers: c.resolver(), metadataWait: c.wait(), hostRoot: c.HostRoot, hostname: c.Hostname,
		selfCheckInterval: c.SelfCheckInterval, selfCheckTimeout: c.SelfCheckTimeout,
	})
}

// sinkDrainTimeout bounds how long a stopping run waits for the sinks to
// deliver the alerts they have queued; a sink that hangs holds the exit up
// no longer.
const sinkDrainTimeout = 5 * time.Second

type pipelineConfig struct {
	collector  string
	rules      *ruleset.Set
	types      event.TypeSet
	output     *output.Output
	record     func(*event.Event)
	tee        func([]byte) // raw collector records, when the collector has them
	duration   time.Duration
	readyFile  string
	statsEvery time.Duration
	// metricsAddr, when set, serves /metrics there.
	metricsAddr string
	onEngine    func(*engine.Engine)
	rate        float64
	maxBurst    float64
	// containers, when set, looks up container metadata; it is closed
	// when the pipeline stops.
	containers   *containers.Resolver
	metadataWait time.Duration
	// narrow lets the audit collector leave out calls no rule can match;
	// with auditExclusions, also calls of the types it audits.
	narrow, auditExclusions bool
	// selfCheckInterval, when positive, runs the self-check that often,
	// with selfCheckTimeout as its bound (see selfcheck.Options).
	selfCheckInterval, selfCheckTimeout time.Duration
	// hostRoot is where the host's file system is mounted (user and
	// group names of host processes are read below it); "" means "/".
	hostRoot string
	// hostname is written in alerts; "" means os.Hostname().
	hostname string
}

// runPipeline starts a collector and the engine and runs until a signal,
// the duration, or a collector failure.
func runPipeline(pc pipelineConfig) error {
	if pc.metricsAddr != "" {
		// Listen before any collector starts, so a bad address fails
		// early; until the engine exists the counters are zero.
		var ready atomic.Pointer[engine.Engine]
		ms, err := metrics.Serve(pc.metricsAddr, func() engine.Stats {
			if e := ready.Load(); e != nil {
				return e.Stats()
			}
			return engine.Stats{}
		})
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		defer ms.Close()
		pc.onEngine = func(e *engine.Engine) { ready.Store(e) }
	}
	tables := state.New(state.Options{HostRoot: pc.hostRoot})
	if err := tables.Seed(); err != nil {
		fmt.Fprintf(os.Stderr, "lanner: process table seed incomplete: %v\n", err)
	}
	// The collector reports about itself from its start; the engine,
	// which turns that into alerts, exists only after it.
	relay := &engine.NoticeRelay{}
	req := collectorRequest{Types: pc.types, Tee: pc.tee, AuditExclusions: pc.auditExclusions, Log: os.Stderr, Notify: relay.Notify}
	if pc.narrow {
		req.Rules = pc.rules
	}
	col, err := openCollector(pc.collector, req)
	if err != nil {
		return err
	}
	hostname := pc.hostname
	if hostname == "" {
		hostname, _ = os.Hostname()
	}
	var checker *selfcheck.Checker
	if pc.selfCheckInterval > 0 {
		ts := watched(col, pc.types)
		checker, err = selfcheck.New(selfcheck.Options{Collector: col.Name(), Interval: pc.selfCheckInterval,
			Timeout: pc.selfCheckTimeout, ExpectOpen: ts.Has(event.TypeOpenat), Log: os.Stderr})
		if err != nil {
			col.Close()
			return err
		}
	}
	eng := engine.New(engine.Config{
		Collector: col, Tables: tables, Rules: pc.rules, Output: pc.output, Hostname: hostname,
		Record: pc.record, StatsEvery: pc.statsEvery, Rate: pc.rate, MaxBurst: pc.maxBurst,
		Containers: pc.containers, MetadataWait: pc.metadataWait, SelfCheck: checker,
	})
	relay.Attach(eng)
	if pc.containers != nil {
		defer pc.containers.Close()
	}
	if pc.onEngine != nil {
		pc.onEngine(eng)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	if pc.duration > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, pc.duration)
		defer cancelTimeout()
	}
	mode := ""
	if m, ok := col.(interface{ Mode() string }); ok && m.Mode() != "" {
		mode = " (" + m.Mode() + ")"
	}
	fmt.Fprintf(os.Stderr, "lanner: collector %s started%s, %d rules enabled, watching %s\n",
		col.Name(), mode, len(pc.rules.Rules()), strings.Join(typeNames(watched(col, pc.types)), ","))
	if len(pc.rules.Rules()) > 0 {
		caps := runningCapabilities(col)
		printCoverage(os.Stderr, col.Name(), coverageReport(pc.rules, caps))
		printLimits(os.Stderr, limitsReport(pc.rules, caps))
	}
	if pc.readyFile != "" {
		if err := safefile.WriteFile(pc.readyFile, []byte(col.Name()+"\n"), 0o644); err != nil {
			col.Close()
			return fmt.Errorf("--ready-file: %w", err)
		}
	}
	runErr := eng.Run(ctx)
	// No alert is sent any more: the sinks deliver what they have queued
	// while the collector detaches, which takes a while.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		if pc.output != nil {
			pc.output.Close(sinkDrainTimeout)
		}
	}()
	col.Close()
	<-drained
	st := eng.Stats()
	fmt.Fprintln(os.Stderr, st.Line())
	if runErr == nil && reportUndelivered(os.Stderr, st.Sinks) {
		return exitCode(exitAlertsUndelivered)
	}
	return runErr
}

// exitAlertsUndelivered is the exit status of a run that ended normally
// but whose sinks did not deliver every alert.
const exitAlertsUndelivered = 3

// reportUndelivered says, when some sink did not deliver every alert it
// was given, how many and why, and reports whether it did.
func reportUndelivered(w io.Writer, sinks []output.SinkStats) bool {
	var parts []string
	var total uint64
	for _, k := range sinks {
		if n := k.Undelivered(); n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%s %d (failed %d, dropped %d, lost at shutdown %d)", k.Name, n, k.Failed, k.Dropped, k.Lost))
		}
	}
	if total == 0 {
		return false
	}
	fmt.Fprintf(w, "lanner: alerts not delivered: %s\n", strings.Join(parts, ", "))
	return true
}

// watched are the event types col delivers: those it says, else those it
// was asked for.
func watched(col collectors.Collector, asked event.TypeSet) event.TypeSet {
	if w, ok := col.(interface{ Watched() event.TypeSet }); ok {
		return w.Watched()
	}
	return asked
}

func typeNames(ts event.TypeSet) []string {
	var out []string
	for _, t := range ts.Types() {
		out = append(out, t.String())
	}
	return out
}

// openCollector starts the named collector, or for auto the first that
// works, saying why each one skipped failed.
func openCollector(name string, req collectorRequest) (collectors.Collector, error) {
	order := collectorNames
	if name != "auto" {
		order = []string{name}
	}
	var errs []error
	for _, n := range order {
		col, err := newCollector(n, req)
		if err == nil {
			return col, nil
		}
		fmt.Fprintf(os.Stderr, "lanner: collector %s unavailable: %v\n", n, err)
		errs = append(errs, fmt.Errorf("%s: %w", n, err))
	}
	return nil, fmt.Errorf("no collector works here: %w", errors.Join(errs...))
}
