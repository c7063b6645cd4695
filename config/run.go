package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/rulefiles"
	"github.com/lannersec/lanner/ruleset"
)

// RunFlags are the flags of `lanner run`, each also a key of the
// configuration file (by name, with dashes or underscores).
type RunFlags struct {
	Collector     string        `help:"Collector: auto picks the first that works here (ebpf, then audit, then fanotify)." enum:"auto,ebpf,audit,fanotify" default:"auto"`
	Duration      time.Duration `help:"Stop after watching this long, counted from when the collector is attached (0: run until SIGINT or SIGTERM)."`
	ReadyFile     string        `name:"ready-file" help:"Create this file once every probe is attached." type:"path"`
	StatsInterval time.Duration `name:"stats-interval" help:"Log a stats record this often (0: only at exit)."`
	CPUProfile    string        `name:"cpu-profile" help:"Write a Go CPU profile of the run to this file." type:"path"`
	Config        string        `short:"c" help:"Read flags from this YAML file, Lanner's keys or Falco's falco.yaml (flags on the command line win)." type:"path"`
	MetricsAddr   string        `name:"metrics-addr" help:"Serve Prometheus /metrics and /healthz on this address (host:port; :port means 127.0.0.1:port). Off by default."`
	// AuditExclusions: see pipeline's audit plan.
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
	LogLevel   string `name:"log-level" default:"info" help:"Log records of this level and above to standard error: debug, info, warn or error (or Falco's names: emergency, alert, critical, warning, notice)."`
	LogFormat  string `name:"log-format" enum:"text,json" default:"text" help:"Log records as text (key=value) or JSON lines."`
	RulesFiles
	Select
	Outputs
	Containers
}

// Logger returns the logger the flags ask for, writing to w.
func (r *RunFlags) Logger(w io.Writer) *slog.Logger {
	return NewLogger(w, r.LogLevel, r.LogFormat)
}

// logLevels are the names of --log-level: slog's, and Falco's log_level
// names (syslog's).
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn,
	"error": slog.LevelError, "emergency": slog.LevelError, "alert": slog.LevelError, "critical": slog.LevelError,
	"warning": slog.LevelWarn, "notice": slog.LevelInfo}

// ParseLogLevel returns the level a --log-level name (or Falco's
// log_level) stands for.
func ParseLogLevel(name string) (slog.Level, error) {
	l, ok := logLevels[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return slog.LevelInfo, fmt.Errorf("%q: want debug, info, warn or error (or emergency, alert, critical, warning, notice)", name)
	}
	return l, nil
}

// NewLogger returns a logger writing records of level (a --log-level
// name; info when it is none) and above to w, as text (key=value) or JSON
// lines (format json).
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	l, _ := ParseLogLevel(level)
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// BufferBytes is --buffer-size in bytes (0: the default); Check reports
// a bad one.
func (r *RunFlags) BufferBytes() int {
	n, _ := ParseByteSize(r.BufferSize)
	return n
}

// ParseByteSize parses a size in bytes: a number, optionally followed by
// K, KiB, M, MiB, G or GiB (all powers of 1024). "" is 0 (the default).
func ParseByteSize(s string) (int, error) {
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

// Select choose which rules run.
type Select struct {
	MinPriority  string   `name:"min-priority" help:"Run only rules at least this severe (emergency ... debug)." default:"debug"`
	DisableRule  []string `name:"disable-rule" help:"Disable rules whose name matches this glob (repeatable)."`
	EnableRule   []string `name:"enable-rule" help:"Enable rules whose name matches this glob, even if disabled in their file (repeatable)."`
	EnableTag    []string `name:"enable-tag" help:"Run only rules with one of these tags (repeatable)."`
	DisableTag   []string `name:"disable-tag" help:"Disable rules with this tag (repeatable)."`
	RuleMatching string   `name:"rule-matching" help:"Fire only the first matching rule per event, or all of them." enum:"first,all" default:"first"`
	Rate         float64  `help:"Limit each rule to this many alerts per second on average (0: no limit); the rest are counted as suppressed."`
	MaxBurst     float64  `name:"max-burst" help:"With --rate, the number of alerts a rule may raise at once." default:"10"`
}

// Set returns the rules of rules the flags select.
func (f *Select) Set(rules []*ruleset.Rule) (*ruleset.Set, error) {
	p, err := ruleset.ParsePriority(f.MinPriority)
	if err != nil {
		return nil, fmt.Errorf("--min-priority: %w", err)
	}
	mode, _ := ruleset.ParseMatching(f.RuleMatching)
	sel := ruleset.Selection{MinPriority: p, HasMinPrio: true, DisableRules: f.DisableRule, EnableRules: f.EnableRule,
		EnableTags: f.EnableTag, DisableTags: f.DisableTag}
	return ruleset.New(rules, sel, mode), nil
}

// Outputs choose where alerts go.
type Outputs struct {
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

	// files are the file sinks Open opened, for Reopen.
	files []*output.FileSink
}

// httpFlagNames are the flags setting HTTPOptions' TLS files.
var httpFlagNames = map[string]string{"CACert": "http-ca-file", "ClientCert": "http-cert-file", "ClientKey": "http-key-file"}

// HTTPOptions returns the options of the HTTP sinks, URL unset, checked:
// an error names the flag at fault.
func (f *Outputs) HTTPOptions() (output.HTTPOptions, error) {
	opts := output.HTTPOptions{Timeout: f.HTTPTimeout, CACert: f.HTTPCAFile, ClientCert: f.HTTPCertFile,
		ClientKey: f.HTTPKeyFile, InsecureSkipVerify: f.HTTPInsecure}
	if f.HTTPTimeout < time.Millisecond {
		return opts, flagErr("http-timeout", "%v is too short, want at least 1ms (a number without a unit is nanoseconds)", f.HTTPTimeout)
	}
	for _, h := range f.HTTPHeader {
		k, v, err := output.ParseHTTPHeader(h)
		if err != nil {
			return opts, &FlagError{"http-header", err}
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
			return opts, &FlagError{httpFlagNames[fe.Option], fe.Err}
		}
		return opts, err
	}
	return opts, nil
}

// Open starts the sinks the flags name; stdout when none is named. The
// sinks' failures and recoveries go to log (nil: nowhere).
func (f *Outputs) Open(log *slog.Logger) (*output.Output, error) {
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
	httpOpts, err := f.HTTPOptions()
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
	out.SetLog(log)
	out.SetStyle(output.Style{ISOTime: f.TimeISO8601, OmitJSONOutput: !f.JSONOutput, OmitJSONTags: !f.JSONTags})
	return out, nil
}

// Reopen reopens the alert files that Open opened, after logrotate moved
// them; a file that cannot be reopened is said on log. It reports how many
// it reopened.
func (f *Outputs) Reopen(log *slog.Logger) int {
	n := 0
	for _, fs := range f.files {
		if err := fs.Reopen(); err != nil {
			log.Error("alert file not reopened", "sink", fs.Name(), "err", err)
			continue
		}
		n++
	}
	return n
}

// Containers set up the container metadata lookups of run and record.
type Containers struct {
	ContainerMetadata bool          `name:"container-metadata" negatable:"" default:"true" help:"Look up container names, images, mounts and Kubernetes pods in the runtimes' files and sockets (Docker, containerd, CRI-O, podman, runc)."`
	MetadataWait      time.Duration `name:"metadata-wait" default:"250ms" help:"How long the first events of a new container wait for its runtime metadata before going on without it."`
	HostRoot          string        `name:"host-root" default:"/" help:"Where the host's file system is mounted (e.g. /host in a container): runtime state, sockets and the host's etc/passwd and etc/group are looked for below it." type:"path"`
}

// Resolver starts the runtime lookups, or returns nil when they are off.
func (f *Containers) Resolver() *containers.Resolver {
	if !f.ContainerMetadata {
		return nil
	}
	return containers.NewResolver(containers.Config{Lookup: containers.Lookup{HostRoot: f.HostRoot}, Watch: true})
}

// Wait is the engine's metadata wait.
func (f *Containers) Wait() time.Duration {
	if f.MetadataWait <= 0 {
		return engine.DefaultMetadataWait
	}
	return f.MetadataWait
}

// RulesFiles name rules files loaded at run time.
type RulesFiles struct {
	RulesFile      []string `name:"rules-file" short:"r" placeholder:"FILE|DIR" help:"Load this Falco rules file, or the .yaml and .yml files of this directory in name order, over the rules compiled into the binary (repeatable, in load order). A rule the files leave unchanged keeps its compiled code; one they add or change is interpreted." type:"path"`
	NoBuiltinRules bool     `name:"no-builtin-rules" help:"With --rules-file, load only those files, not the rules compiled into the binary."`
}

// Loader returns the loader of the files named, nil when none is.
func (f *RulesFiles) Loader() (*rulefiles.Loader, error) {
	if len(f.RulesFile) == 0 {
		if f.NoBuiltinRules {
			return nil, fmt.Errorf("--no-builtin-rules: needs --rules-file")
		}
		return nil, nil
	}
	if f.NoBuiltinRules {
		return rulefiles.NewLoader(nil, nil)
	}
	return rulefiles.NewLoader(compiled.Sources, compiled.Rules)
}

// LoadRules returns the rules the flags name: the compiled ones, or those
// of the rules files over them, with the loader and what it loaded (nil
// for the compiled rules). Warnings go to w.
func (f *RulesFiles) LoadRules(w io.Writer) ([]*ruleset.Rule, *rulefiles.Loader, *rulefiles.Result, error) {
	l, err := f.Loader()
	if err != nil || l == nil {
		return compiled.Rules, nil, nil, err
	}
	res, err := l.Load(f.RulesFile)
	if res != nil {
		for _, d := range res.Warnings {
			fmt.Fprintf(w, "%s: warning: %s\n", d.Pos, d.Msg)
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return res.Rules, l, res, nil
}
