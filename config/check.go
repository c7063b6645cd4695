package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
)

// FlagError is a problem with the value of one flag of run.
type FlagError struct {
	flag string
	err  error
}

func (e *FlagError) Error() string { return e.flag + ": " + e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

func flagErr(flag, format string, args ...any) error {
	return &FlagError{flag: flag, err: fmt.Errorf(format, args...)}
}

// Check returns every problem with run's flags that kong cannot see,
// each naming its flag: `lanner run` refuses to start on any, and `lanner
// config check` reports them. It starts nothing and sends nothing.
func (c *RunFlags) Check() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// The selection is checked against the rules that will run: those
	// of the --rules-file files too, when there are any.
	rules := compiled.Rules
	if len(c.RulesFile) > 0 || c.NoBuiltinRules {
		loaded, _, _, err := c.LoadRules(io.Discard)
		if err != nil {
			add(&FlagError{flag: "rules-file", err: err})
			loaded = nil
		}
		rules = loaded
	}
	if rules != nil {
		errs = append(errs, c.Select.check(rules)...)
	}
	for _, d := range []struct {
		flag string
		v    float64
	}{{"duration", c.Duration.Seconds()}, {"stats-interval", c.StatsInterval.Seconds()}, {"metadata-wait", c.MetadataWait.Seconds()},
		{"self-check-interval", c.SelfCheckInterval.Seconds()}, {"self-check-timeout", c.SelfCheckTimeout.Seconds()}} {
		if d.v < 0 {
			add(flagErr(d.flag, "negative"))
		}
		// A number with no unit is nanoseconds: "5" is 5ns, not 5s.
		if d.v > 0 && d.v < 1e-3 {
			add(flagErr(d.flag, "%gs is under a millisecond: give a unit (5s, 250ms)", d.v))
		}
	}
	if c.MetricsAddr != "" {
		add(checkHostPort("metrics-addr", c.MetricsAddr))
	}
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		add(&FlagError{flag: "log-level", err: err})
	}
	if _, err := ParseByteSize(c.BufferSize); err != nil {
		add(&FlagError{flag: "buffer-size", err: err})
	}
	add(checkFileDir("out-file", c.OutFile, true))
	add(checkFileDir("ready-file", c.ReadyFile, false))
	add(checkFileDir("cpu-profile", c.CPUProfile, false))
	errs = append(errs, c.Outputs.check()...)
	return errs
}

// check reports a bad priority, rate or burst, and a selection that enables
// no rule of rules.
func (f *Select) check(rules []*ruleset.Rule) []error {
	var errs []error
	_, prioErr := ruleset.ParsePriority(f.MinPriority)
	if prioErr != nil {
		errs = append(errs, &FlagError{"min-priority", prioErr})
	}
	if f.Rate < 0 || math.IsNaN(f.Rate) || math.IsInf(f.Rate, 0) {
		errs = append(errs, flagErr("rate", "%v: want 0 (no limit) or a positive number of alerts per second", f.Rate))
	}
	if f.MaxBurst < 0 || math.IsNaN(f.MaxBurst) || math.IsInf(f.MaxBurst, 0) {
		errs = append(errs, flagErr("max-burst", "%v: want a positive number of alerts", f.MaxBurst))
	}
	if prioErr == nil {
		if err := f.checkSelection(rules); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// checkSelection fails when the selection flags leave no rule of rules
// enabled (and there are rules), naming the flag that turned the last
// ones off.
func (f *Select) checkSelection(rules []*ruleset.Rule) error {
	set, err := f.Set(rules)
	if err != nil || len(rules) == 0 || len(set.Rules()) > 0 {
		return err
	}
	if len(f.EnableTag) > 0 {
		any := false
		for _, r := range rules {
			for _, t := range f.EnableTag {
				any = any || r.HasTag(t)
			}
		}
		if !any {
			return flagErr("enable-tag", "no rule has the tag %s: no rule would run", strings.Join(f.EnableTag, " or "))
		}
	}
	// Undo one flag at a time: the first whose absence enables a rule is
	// the one to name.
	for _, try := range []struct {
		flag string
		set  func(g *Select)
	}{
		{"enable-tag", func(g *Select) { g.EnableTag = nil }},
		{"disable-tag", func(g *Select) { g.DisableTag = nil }},
		{"disable-rule", func(g *Select) { g.DisableRule = nil }},
		{"min-priority", func(g *Select) { g.MinPriority = "debug" }},
	} {
		g := *f
		try.set(&g)
		if s, err := g.Set(rules); err == nil && len(s.Rules()) > 0 {
			return flagErr(try.flag, "the selection enables no rule: no rule would run")
		}
	}
	return errors.New("the rule selection (enable-tag, disable-tag, disable-rule, enable-rule, min-priority) enables no rule")
}

// check reports every bad output setting, without opening any sink.
func (f *Outputs) check() []error {
	var errs []error
	httpOpts, err := f.HTTPOptions()
	if err != nil {
		errs = append(errs, err)
		// Check the URLs alone: the error above is about the options.
		httpOpts = output.HTTPOptions{}
	}
	for _, u := range f.HTTPURL {
		httpOpts.URL = u
		hs, err := output.NewHTTPSink(httpOpts)
		if err != nil {
			errs = append(errs, &FlagError{"http-url", err})
			continue
		}
		hs.Close()
		if pu, err := url.Parse(u); err == nil && pu.Port() != "" {
			if err := checkPort(pu.Port()); err != nil {
				errs = append(errs, flagErr("http-url", "%q: %v", u, err))
			}
		}
	}
	for _, a := range f.Syslog {
		if err := checkSyslogAddr(a); err != nil {
			errs = append(errs, &FlagError{"syslog", err})
		}
	}
	for _, p := range f.Program {
		if strings.TrimSpace(p) == "" {
			errs = append(errs, flagErr("program", "empty command"))
		}
	}
	return errs
}

// checkSyslogAddr checks the syntax of a --syslog address.
func checkSyslogAddr(a string) error {
	if a == "local" {
		return nil
	}
	network, rest, ok := strings.Cut(a, "://")
	switch {
	case !ok:
		return fmt.Errorf("%q: want local, udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH", a)
	case network == "udp" || network == "tcp":
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return fmt.Errorf("%q: %v", a, err)
		}
		if host == "" {
			return fmt.Errorf("%q: no host", a)
		}
		if err := checkPort(port); err != nil {
			return fmt.Errorf("%q: %v", a, err)
		}
	case network == "unix":
		if !strings.HasPrefix(rest, "/") {
			return fmt.Errorf("%q: want an absolute socket path, unix:///PATH", a)
		}
	default:
		return fmt.Errorf("%q: unknown network %q (want udp, tcp or unix)", a, network)
	}
	return nil
}

// checkHostPort checks a host:port address.
func checkHostPort(flag, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return &FlagError{flag, err}
	}
	if err := checkPort(port); err != nil {
		return flagErr(flag, "%q: %v", addr, err)
	}
	return nil
}

// checkPort checks a port number (0 to 65535).
func checkPort(port string) error {
	n, err := strconv.ParseUint(port, 10, 64)
	if err != nil || n > 65535 {
		return fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	return nil
}

// checkFileDir checks that the file a flag names could be created: it is
// not a directory, and its directory exists, or with mkdir could be
// created (its nearest existing ancestor is a directory: run creates a
// missing directory of --out-file, mode 0750).
func checkFileDir(flag, path string, mkdir bool) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return flagErr(flag, "%s is a directory", path)
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return flagErr(flag, "%s: %s is not a directory", path, dir)
			}
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return flagErr(flag, "%s: %v", path, err)
		}
		if !mkdir {
			return flagErr(flag, "%s: directory %s does not exist", path, dir)
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil
		}
	}
}
