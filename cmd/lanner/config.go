package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/lannersec/lanner/internal/yamlguard"
)

// A configuration file is YAML mapping run's flag names (out-file or
// out_file) to values; lists for repeatable flags. Falco's keys are
// accepted too (see falco_config.go). Flags given on the command line
// override it.
//
// `lanner config check FILE` and `lanner run --config FILE` check a file
// the same way: checkConfig reads it and checks each value as kong parses
// it, then runCmd.check checks what the values mean. Every problem is
// reported, each with its line in the file.

// configFlags returns the flags a configuration file may set: those of
// `lanner run`, by name with dashes.
func configFlags() (map[string]bool, error) {
	var c cli
	k, err := kong.New(&c, kong.Name("lanner"))
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, n := range k.Model.Children {
		if n.Name != "run" {
			continue
		}
		for _, f := range n.Flags {
			if f.Name != "help" && f.Name != "config" {
				names[f.Name] = true
			}
		}
	}
	return names, nil
}

// configFile is a configuration file that was read.
type configFile struct {
	path string
	// values and lines are by flag name (with dashes): the value the file
	// gives the flag, and the line it is on.
	values map[string]any
	lines  map[string]int
	// flags are the flag names in the order of the file.
	flags []string
	// onCommandLine are the flags the command line sets: their values in
	// the file do not count.
	onCommandLine map[string]bool
	// warnings name, with their lines, the Falco keys Lanner ignores.
	warnings []string
}

// configError is a problem in a configuration file, at a line (0: the
// file as a whole).
type configError struct {
	path string
	line int
	err  error
}

func (e *configError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("config %s:%d: %v", e.path, e.line, e.err)
	}
	return fmt.Sprintf("config %s: %v", e.path, e.err)
}

func (e *configError) Unwrap() error { return e.err }

// readConfig reads a configuration file (none when path is empty) and the
// -o key=value overrides, translates Falco's keys into run's flags and
// checks that every other key names a flag of run. An override wins over
// the file, whichever spelling (Lanner's or Falco's key) either uses; in
// each, Lanner's own key wins over a Falco key for the same flag. The
// errors name the file, and the line of each bad key.
func readConfig(path string, overrides []string) (*configFile, []error) {
	name := path
	raw := map[string]any{}
	lines := map[string]int{}
	if path != "" {
		data, err := yamlguard.ReadFile(path, yamlguard.Config.Bytes)
		if err != nil {
			return nil, []error{&configError{path: path, err: err}}
		}
		decoded, body, err := decodeConfig(data)
		if le, ok := err.(*yamlguard.Error); ok && le.Line > 0 {
			return nil, []error{fmt.Errorf("config %s:%d:%d: %s", path, le.Line, le.Col, le.Msg)}
		}
		if err != nil {
			return nil, []error{&configError{path: path, err: fmt.Errorf("%s", strings.ReplaceAll(err.Error(), "\n", " "))}}
		}
		if decoded != nil {
			raw = decoded
		}
		if body != nil {
			lines = keyLines(body)
		}
	} else {
		name = "-o"
	}
	over := map[string]any{}
	for _, o := range overrides {
		// key[]=value appends to the file's list.
		if k, _, _ := strings.Cut(o, "="); strings.HasSuffix(k, "[]") {
			if err := applyOverride(raw, o); err != nil {
				return nil, []error{err}
			}
			continue
		}
		if err := applyOverride(over, o); err != nil {
			return nil, []error{err}
		}
	}
	known, err := configFlags()
	if err != nil {
		return nil, []error{err}
	}
	cf := &configFile{path: name, values: map[string]any{}, lines: map[string]int{}}
	var errs []error
	// The overrides first: what they set, the file does not.
	for _, src := range []struct {
		raw   map[string]any
		lines map[string]int
		where string
	}{{over, map[string]int{}, "-o"}, {raw, lines, name}} {
		ft := &falcoTranslation{path: src.where, lines: src.lines, values: map[string]any{}}
		ft.translate(src.raw, known)
		cf.warnings = append(cf.warnings, ft.warnings...)
		for _, e := range ft.errs {
			errs = append(errs, &configError{path: src.where, err: fmt.Errorf("%s", e)})
		}
		set := map[string]bool{}
		keys := make([]string, 0, len(src.raw))
		for k := range src.raw {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sort.SliceStable(keys, func(i, j int) bool { return src.lines[keys[i]] < src.lines[keys[j]] })
		for _, k := range keys {
			flag := strings.ReplaceAll(k, "_", "-")
			switch {
			case known[flag]:
				if set[flag] {
					errs = append(errs, &configError{path: src.where, line: src.lines[k], err: fmt.Errorf("%s set twice", flag)})
					continue
				}
				set[flag] = true
				if _, done := cf.values[flag]; done {
					continue // an override wins
				}
				cf.values[flag] = src.raw[k]
				if src.lines[k] > 0 {
					cf.lines[flag] = src.lines[k]
				}
				cf.flags = append(cf.flags, flag)
			case isFalcoKey(k):
				// Translated above.
			default:
				errs = append(errs, &configError{path: src.where, line: src.lines[k], err: fmt.Errorf("unknown key %q", k)})
			}
		}
		translated := make([]string, 0, len(ft.values))
		for k := range ft.values {
			translated = append(translated, k)
		}
		sort.Strings(translated)
		for _, k := range translated {
			flag := strings.ReplaceAll(k, "_", "-")
			if set[flag] {
				continue // Lanner's own key wins over a Falco key
			}
			set[flag] = true
			if _, done := cf.values[flag]; done {
				continue // an override wins
			}
			cf.values[flag] = ft.values[k]
			if l := ft.origin[k]; src.lines[l] > 0 {
				cf.lines[flag] = src.lines[l]
			}
			cf.flags = append(cf.flags, flag)
		}
	}
	return cf, errs
}

// resolver returns the file's values of flags as a kong resolver; all of
// them when flags is nil.
func (cf *configFile) resolver(flags []string) (kong.Resolver, error) {
	if flags == nil {
		flags = cf.flags
	}
	values := map[string]any{}
	for _, name := range flags {
		values[strings.ReplaceAll(name, "-", "_")] = cf.values[name]
	}
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", cf.path, err)
	}
	return kong.JSON(bytes.NewReader(b))
}

// parseRun resolves `lanner run` with the file's values of flags, as run
// does, and returns run's flags.
func (cf *configFile) parseRun(flags []string) (*runCmd, error) {
	r, err := cf.resolver(flags)
	if err != nil {
		return nil, err
	}
	var probe cli
	k, err := kong.New(&probe, kong.Name("lanner"), kong.Resolvers(r), kong.Exit(func(int) {}),
		kong.Writers(io.Discard, io.Discard))
	if err != nil {
		return nil, err
	}
	if _, err := k.Parse([]string{"run"}); err != nil {
		return nil, err
	}
	return &probe.Run, nil
}

// checkConfig reads a configuration file and checks each of its values as
// run's flag parser would, one at a time so that every bad value is
// reported. It returns the file with the values that passed.
func checkConfig(path string, overrides []string) (*configFile, []error) {
	cf, errs := readConfig(path, overrides)
	if cf == nil {
		return nil, errs
	}
	var good []string
	for _, name := range cf.flags {
		if _, err := cf.parseRun([]string{name}); err != nil {
			errs = append(errs, &configError{path: cf.path, line: cf.lines[name], err: fmt.Errorf("%s: %v", name, err)})
			continue
		}
		good = append(good, name)
	}
	cf.flags = good
	return cf, errs
}

// checkRun checks the file's values that kong accepted as run does
// (runCmd.check), each error with its line.
func (cf *configFile) checkRun() []error {
	if cf == nil {
		return nil
	}
	run, err := cf.parseRun(nil)
	if err != nil {
		// Each value parsed alone: a combination failed.
		return []error{&configError{path: cf.path, err: err}}
	}
	return cf.locate(run.check())
}

// locate gives each flagError of errs about a flag the file sets (and the
// command line does not) the file's name and line.
func (cf *configFile) locate(errs []error) []error {
	if cf == nil {
		return errs
	}
	out := make([]error, len(errs))
	for i, err := range errs {
		out[i] = err
		fe, ok := err.(*flagError)
		if !ok || cf.onCommandLine[fe.flag] {
			continue
		}
		if line, ok := cf.lines[fe.flag]; ok {
			out[i] = &configError{path: cf.path, line: line, err: err}
		}
	}
	return out
}

// decodeConfig decodes a configuration file's YAML within the limits of
// a configuration file: an alias bomb or deep nesting is an error before
// it is expanded. It also returns the document's body, for key lines.
func decodeConfig(data []byte) (map[string]any, ast.Node, error) {
	f, err := yamlguard.Parse(data, yamlguard.Config)
	if err != nil {
		return nil, nil, err
	}
	var raw map[string]any
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if err := yaml.NodeToValue(doc.Body, &raw); err != nil {
			return nil, nil, err
		}
		return raw, doc.Body, nil
	}
	return raw, nil, nil
}

// configPath finds --config FILE (or --config=FILE, or -c FILE) in args.
func configPath(args []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		if (a == "--config" || a == "-c") && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			return v
		}
	}
	return ""
}

// commandLineFlags returns the names of the long flags args set.
func commandLineFlags(args []string) map[string]bool {
	set := map[string]bool{}
	for _, a := range args {
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, "=")
		set[name] = true
		if n, ok := strings.CutPrefix(name, "no-"); ok {
			set[n] = true
		}
	}
	return set
}

type configCmd struct {
	Check configCheckCmd `cmd:"" help:"Check a configuration file: every value run would refuse, each with its line."`
}

type configCheckCmd struct {
	File string `arg:"" help:"Configuration file (YAML: run's flags by name)." type:"path"`
}

func (c *configCheckCmd) Run() error {
	cf, errs := checkConfig(c.File, nil)
	if cf != nil {
		for _, w := range cf.warnings {
			fmt.Fprintln(os.Stderr, w)
		}
	}
	errs = append(errs, cf.checkRun()...)
	if len(errs) > 0 {
		printErrors(os.Stderr, errs)
		return exitCode(1)
	}
	fmt.Printf("%s: OK\n", c.File)
	return nil
}

// printErrors writes one line per error, in the order of the file's
// lines where they have one.
func printErrors(w io.Writer, errs []error) {
	sort.SliceStable(errs, func(i, j int) bool { return errorLine(errs[i]) < errorLine(errs[j]) })
	for _, err := range errs {
		fmt.Fprintln(w, "lanner:", strings.ReplaceAll(err.Error(), "\n", " "))
	}
}

func errorLine(err error) int {
	if ce, ok := err.(*configError); ok {
		return ce.line
	}
	return 1 << 30
}
