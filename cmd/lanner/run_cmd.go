package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
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

	// files are the file sinks open opened, for reopen.
	files []*output.FileSink
}

// httpFlagNames are the flags setting HTTPOptions' TLS files.
var httpFlagNames = map[string]string{"CACert": "http-ca-file", "ClientCert": "http-cert-file", "ClientKey": "http-key-file"}

// httpOptions returns the options of the HTTP sinks, URL unset, checked:
// an error names the flag at fault.
func (f *outputFlags) httpOptions() (output.HTTPOptions, error) {
	opts := output.HTTPOptions{Timeout: f.HTTPTimeout, CACert: f.HTTPCAFile, ClientCert: f.HTTPCertFile,
		ClientKey: f.HTTPKeyFile, InsecureSkipVerify: f.HTTPInsecure}
	if f.HTTPTimeout < time.Millisecond {
		return opts, flagErr("http-timeout", "%v is too short, want at least 1ms (a number without a unit is nanoseconds)", f.HTTPTimeout)
	}
	for _, h := range f.HTTPHeader {
		k, v, err := output.ParseHTTPHeader(h)
		if err != nil {
			return opts, &flagError{"http-header", err}
		}
		if opts.Headers == nil {
			opts.Headers = map[string]string{}
		}
		opts.Headers[k] = v
	}
	switch {
	case f.HTTPCertFile != "" && f.HTTPKeyFile == "":
		return opts, flagErr("http-cert-file", "needs http-key-file")
	case f.HTTPKeyFile != "" && f.HTTPCertFile == "":
		return opts, flagErr("http-key-file", "needs http-cert-file")
	}
	if err := output.CheckHTTPOptions(opts); err != nil {
		var fe *output.HTTPFileError
		if errors.As(err, &fe) {
			return opts, &flagError{httpFlagNames[fe.Option], fe.Err}
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
		// A fresh host may not have the directory yet (systemd's
		// LogsDirectory= creates it for the unit).
		if err := os.MkdirAll(filepath.Dir(f.OutFile), 0o750); err != nil {
			return fail(fmt.Errorf("--out-file: %w", err))
		}
		fs, err := output.NewFileSink(f.OutFile)
		if err != nil {
			return fail(fmt.Errorf("--out-file: %w", err))
		}
		sinks = append(sinks, fs)
		f.files = append(f.files, fs)
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

// reopen reopens the alert files that open opened, after logrotate moved
// them. It reports how many it reopened.
func (f *outputFlags) reopen() int {
	n := 0
	for _, fs := range f.files {
		if err := fs.Reopen(); err != nil {
			fmt.Fprintf(os.Stderr, "lanner: reopen %s: %v\n", fs.Name(), err)
			continue
		}
		n++
	}
	return n
}

type runCmd struct {
	Collector     string        `help:"Collector: auto picks the first that works here (ebpf, then audit, then fanotify)." enum:"auto,ebpf,audit,fanotify" default:"auto"`
	Duration      time.Duration `help:"Stop after watching this long, counted from when the collector is attached (0: run until SIGINT or SIGTERM)."`
	ReadyFile     string        `name:"ready-file" help:"Create this file once every probe is attached." type:"path"`
	StatsInterval time.Duration `name:"stats-interval" help:"Write a stats line to stderr this often (0: only at exit)."`
	CPUProfile    string        `name:"cpu-profile" help:"Write a Go CPU profile of the run to this file." type:"path"`
	Config        string        `short:"c" help:"Read flags from this YAML file, Lanner's keys or Falco's falco.yaml (flags on the command line win)." type:"path"`
	MetricsAddr   string        `name:"metrics-addr" help:"Serve Prometheus /metrics and /healthz on this address (host:port; :port means 127.0.0.1:port). Off by default."`
	// AuditExclusions: see planAudit.
	SelfCheckInterval time.Duration `name:"self-check-interval" default:"5s" help:"Every this long, check that the collector still delivers events: a child process execs and opens a file, and both must come back (0: off)."`
	SelfCheckTimeout  time.Duration `name:"self-check-timeout" help:"Raise 'Lanner Collector Blind' and answer /healthz with 503 when a self-check's events do not come back within this long (0: 3 x --self-check-interval)."`
	BufferSize        string        `name:"buffer-size" placeholder:"SIZE" help:"Size of the eBPF collector's ring buffer: bytes, or with a unit (KiB, MiB, GiB), rounded up to a power of two, at most 1GiB (default: 8MiB per CPU, at least 16MiB, at most 256MiB or a 32nd of the memory)."`
	Strict            bool          `help:"Refuse to start when rules of a source Lanner does not support (k8s_audit, plugins) were left out of the rules."`
	StateDir          string        `name:"state-dir" default:"/run/lanner" type:"path" help:"With the audit collector, keep here the file from which the next run restores the kernel's audit settings if this one is killed; a directory emptied at boot (/run), kept across restarts."`
	AuditExclusions   bool          `name:"audit-exclusions" negatable:"" default:"true" help:"With the audit collector, do not audit opens of /dev/null and other busy device files, or socket calls of common address families, when no rule can match them (an open through a symbolic link to such a device is then not seen either)."`
	// Hostname names the node in alerts; in a pod, the downward API's
	// spec.nodeName through FALCO_HOSTNAME (as Falco reads it).
	Hostname   string `name:"hostname" env:"FALCO_HOSTNAME" help:"Hostname written in alerts (default: the system's host name; in a pod, set FALCO_HOSTNAME to the node's name)."`
	WatchRules bool   `name:"watch-rules" negatable:"" default:"true" help:"Reload the --rules-file files when they change (they are reloaded on SIGHUP too)."`
	rulesFileFlags
	selectFlags
	outputFlags
	containerFlags
}

// parseByteSize parses a size in bytes: a number, optionally followed by
// K, KiB, M, MiB, G or GiB (all powers of 1024). "" is 0 (the default).
func parseByteSize(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	num := strings.TrimRight(s, "KMGiBkmgb ")
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with KiB, MiB or GiB)", s)
	}
	shift := map[string]uint{"": 0, "b": 0, "k": 10, "kib": 10, "m": 20, "mib": 20, "g": 30, "gib": 30}
	sh, ok := shift[unit]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q (KiB, MiB or GiB)", s, unit)
	}
	const maxSize = 1 << 30
	if n == 0 || n > maxSize>>sh {
		return 0, fmt.Errorf("%q: want more than 0 and at most 1GiB", s)
	}
	return int(n << sh), nil
}

// Run checks the flags (every problem is reported, each with its line in
// the configuration file when it comes from there), then watches until
// SIGINT, SIGTERM or the duration.
func (c *runCmd) Run(cf *configFile) error {
	// Until the signal handlers are in place, a SIGHUP must not stop the
	// run either.
	holdHUP()
	if errs := c.check(); len(errs) > 0 {
		printErrors(os.Stderr, cf.locate(errs))
		return exitCode(1)
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
	rules, loader, loaded, err := c.loadRules(os.Stderr)
	if err != nil {
		return err
	}
	skipped := compiled.Skipped
	if loaded != nil {
		skipped = loaded.Skipped
	}
	if err := reportSkipped(skipped, c.Strict); err != nil {
		return err
	}
	set, err := c.set(rules)
	if err != nil {
		return err
	}
	var reloader *ruleReloader
	if loader != nil {
		reloader = &ruleReloader{loader: loader, paths: c.RulesFile, sel: &c.selectFlags, log: os.Stderr,
			narrow: true, auditExclusions: c.AuditExclusions, files: loaded.Files, dirs: loaded.Dirs}
		fmt.Fprintf(os.Stderr, "lanner: %d rules files loaded, %d rules interpreted\n", len(loaded.Files), loaded.Interpreted)
	}
	out, err := c.open()
	if err != nil {
		return err
	}
	bufferSize, _ := parseByteSize(c.BufferSize)
	return runPipeline(pipelineConfig{
		rulesReloader: reloader, watchRules: c.WatchRules,
		collector: c.Collector, ringBufferBytes: bufferSize, rules: set, types: set.Types(), output: out, reload: c.reload,
		narrow: true, auditExclusions: c.AuditExclusions, stateDir: c.StateDir,
		duration: c.Duration, readyFile: c.ReadyFile, statsEvery: c.StatsInterval,
		metricsAddr: c.MetricsAddr, rate: c.Rate, maxBurst: c.MaxBurst,
		containers: c.resolver(), metadataWait: c.wait(), hostRoot: c.HostRoot, hostname: c.Hostname,
		selfCheckInterval: c.SelfCheckInterval, selfCheckTimeout: c.SelfCheckTimeout,
	})
}

// reload is what SIGHUP does to the outputs: reopen the alert files. The
// rules files given with --rules-file are reloaded on the same signal by
// the rules reloader (rules_reload.go).
func (c *runCmd) reload() {
	sdNotify(reloadingState())
	n := c.reopen()
	fmt.Fprintf(os.Stderr, "lanner: SIGHUP: reopened %d alert file(s)\n", n)
	sdNotify("READY=1")
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
	// reload is called on SIGHUP (nil: SIGHUP does nothing).
	reload func()
	// stateDir is the audit collector's state directory ("": its default).
	stateDir string
	// rulesReloader, when set, reloads the rules files on SIGHUP and,
	// with watchRules, when they change.
	rulesReloader *ruleReloader
	watchRules    bool
	// ringBufferBytes is the eBPF ring buffer's size (0: the default).
	ringBufferBytes int
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
	ctx := watchSignals(pc.reload)
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
	req := collectorRequest{Types: pc.types, Tee: pc.tee, AuditExclusions: pc.auditExclusions, Log: os.Stderr, Notify: relay.Notify,
		StateDir: pc.stateDir, RingBufferBytes: pc.ringBufferBytes}
	if pc.narrow {
		req.Rules = pc.rules
	}
	col, err := openCollector(pc.collector, req)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		// Stopped while the collector started.
		return col.Close()
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
	if pc.duration > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, pc.duration)
		defer cancelTimeout()
	}
	mode := ""
	if m, ok := col.(interface{ Mode() string }); ok && m.Mode() != "" {
		mode = " (" + m.Mode() + ")"
	}
	if r, ok := col.(interface{ RingBufferBytes() int }); ok && r.RingBufferBytes() > 0 {
		if n := r.RingBufferBytes(); n >= 1<<20 {
			mode += fmt.Sprintf(", ring buffer %d MiB", n>>20)
		} else {
			mode += fmt.Sprintf(", ring buffer %d KiB", n>>10)
		}
	}
	fmt.Fprintf(os.Stderr, "lanner: collector %s started%s, %d rules enabled, watching %s\n",
		col.Name(), mode, len(pc.rules.Rules()), strings.Join(typeNames(watched(col, pc.types)), ","))
	if len(pc.rules.Rules()) > 0 {
		caps := runningCapabilities(col)
		printCoverage(os.Stderr, col.Name(), coverageReport(pc.rules, caps))
		printLimits(os.Stderr, limitsReport(pc.rules, caps))
	}
	if pc.rulesReloader != nil {
		if ts := watched(col, pc.types); checker != nil && ts.Has(event.TypeOpenat) {
			// The self-check expects its opens whatever the rules.
			pc.rulesReloader.keep.Add(event.TypeOpenat)
		}
		stopReloads := pc.rulesReloader.start(eng, col, pc.watchRules)
		defer stopReloads()
	}
	if pc.readyFile != "" {
		if err := safefile.WriteFile(pc.readyFile, []byte(col.Name()+"\n"), 0o644); err != nil {
			col.Close()
			return fmt.Errorf("--ready-file: %w", err)
		}
	}
	if err := sdNotify("READY=1"); err != nil {
		fmt.Fprintf(os.Stderr, "lanner: %v\n", err)
	}
	runErr := eng.Run(ctx)
	sdNotify("STOPPING=1")
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
		err = explainCollectorError(n, err)
		fmt.Fprintf(os.Stderr, "lanner: collector %s unavailable: %v\n", n, err)
		errs = append(errs, err)
	}
	return nil, noCollectorError(errs)
}
