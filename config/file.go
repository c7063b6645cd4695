package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/lannersec/lanner/internal/yamlguard"
)

// A configuration file is YAML mapping run's flag names (out-file or
// out_file) to values; lists for repeatable flags. Falco's keys are
// accepted too (see falco.go). Flags given on the command line
// override it.
//
// `lanner config check FILE` and `lanner run --config FILE` check a file
// the same way: Check reads it and checks each value as kong parses
// it, then RunFlags.Check checks what the values mean. Every problem is
// reported, each with its line in the file.

// runCommand is `lanner run` alone, for kong to parse the file's values
// as run's flags.
type runCommand struct {
	Run RunFlags `cmd:""`
}

// configFlags returns the flags a configuration file may set: those of
// `lanner run`, by name with dashes.
func configFlags() (map[string]bool, error) {
	var c runCommand
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

// File is a configuration file that was read.
type File struct {
	path string
	// values and lines are by flag name (with dashes): the value the file
	// gives the flag, and the line it is on.
	values map[string]any
	lines  map[string]int
	// flags are the flag names in the order of the file.
	flags []string
	// OnCommandLine are the flags the command line sets: their values in
	// the file do not count.
	OnCommandLine map[string]bool
	// Warnings name, with their lines, the Falco keys Lanner ignores.
	Warnings []string
}

// Error is a problem in a configuration file, at a line (0: the
// file as a whole).
type Error struct {
	path string
	line int
	err  error
}

func (e *Error) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("config %s:%d: %v", e.path, e.line, e.err)
	}
	return fmt.Sprintf("config %s: %v", e.path, e.err)
}

func (e *Error) Unwrap() error { return e.err }

// Read reads a configuration file (none when path is empty) and the
// -o key=value overrides, translates Falco's keys into run's flags and
// checks that every other key names a flag of run. An override wins over
// the file, whichever spelling (Lanner's or Falco's key) either uses; in
// each, Lanner's own key wins over a Falco key for the same flag. The
// errors name the file, and the line of each bad key.
func Read(path string, overrides []string) (*File, []error) {
	name := path
	raw := map[string]any{}
	lines := map[string]int{}
	if path != "" {
		data, err := yamlguard.ReadFile(path, yamlguard.Config.Bytes)
		if err != nil {
			return nil, []error{&Error{path: path, err: err}}
		}
		decoded, body, err := decodeConfig(data)
		if le, ok := err.(*yamlguard.Error); ok && le.Line > 0 {
			return nil, []error{fmt.Errorf("config %s:%d:%d: %s", path, le.Line, le.Col, le.Msg)}
		}
		if err != nil {
			return nil, []error{&Error{path: path, err: fmt.Errorf("%s", strings.ReplaceAll(err.Error(), "\n", " "))}}
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
	cf := &File{path: name, values: map[string]any{}, lines: map[string]int{}}
	var errs []error
	// The overrides first: what they set, the file does not.
	for _, src := range []struct {
		raw   map[string]any
		lines map[string]int
		where string
	}{{over, map[string]int{}, "-o"}, {raw, lines, name}} {
		ft := &falcoTranslation{path: src.where, lines: src.lines, values: map[string]any{}}
		ft.translate(src.raw, known)
		cf.Warnings = append(cf.Warnings, ft.warnings...)
		for _, e := range ft.errs {
			errs = append(errs, &Error{path: src.where, err: fmt.Errorf("%s", e)})
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
					errs = append(errs, &Error{path: src.where, line: src.lines[k], err: fmt.Errorf("%s set twice", flag)})
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
				errs = append(errs, &Error{path: src.where, line: src.lines[k], err: fmt.Errorf("unknown key %q", k)})
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

// Resolver returns the file's values of flags as a kong resolver; all of
// them when flags is nil.
func (cf *File) Resolver(flags []string) (kong.Resolver, error) {
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
func (cf *File) parseRun(flags []string) (*RunFlags, error) {
	r, err := cf.Resolver(flags)
	if err != nil {
		return nil, err
	}
	var probe runCommand
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

// Run resolves `lanner run` with the file's values, as run does, and
// returns run's flags.
func (cf *File) Run() (*RunFlags, error) { return cf.parseRun(nil) }

// Value is the file's value of a flag (by name, with dashes); nil when
// the file does not set it.
func (cf *File) Value(flag string) any { return cf.values[flag] }

// Check reads a configuration file and checks each of its values as
// run's flag parser would, one at a time so that every bad value is
// reported. It returns the file with the values that passed.
func Check(path string, overrides []string) (*File, []error) {
	cf, errs := Read(path, overrides)
	if cf == nil {
		return nil, errs
	}
	var good []string
	for _, name := range cf.flags {
		if _, err := cf.parseRun([]string{name}); err != nil {
			errs = append(errs, &Error{path: cf.path, line: cf.lines[name], err: fmt.Errorf("%s: %v", name, err)})
			continue
		}
		good = append(good, name)
	}
	cf.flags = good
	return cf, errs
}

// CheckRun checks the file's values that kong accepted as run does
// (runCmd.check), each error with its line.
func (cf *File) CheckRun() []error {
	if cf == nil {
		return nil
	}
	run, err := cf.parseRun(nil)
	if err != nil {
		// Each value parsed alone: a combination failed.
		return []error{&Error{path: cf.path, err: err}}
	}
	return cf.Locate(run.Check())
}

// Locate gives each FlagError of errs about a flag the file sets (and the
// command line does not) the file's name and line.
func (cf *File) Locate(errs []error) []error {
	if cf == nil {
		return errs
	}
	out := make([]error, len(errs))
	for i, err := range errs {
		out[i] = err
		fe, ok := err.(*FlagError)
		if !ok || cf.OnCommandLine[fe.flag] {
			continue
		}
		if line, ok := cf.lines[fe.flag]; ok {
			out[i] = &Error{path: cf.path, line: line, err: err}
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

// Path finds --config FILE (or --config=FILE, or -c FILE) in args.
func Path(args []string) string {
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

// CommandLineFlags returns the names of the long flags args set.
func CommandLineFlags(args []string) map[string]bool {
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

// PrintErrors writes one line per error, in the order of the file's
// lines where they have one.
func PrintErrors(w io.Writer, errs []error) {
	sort.SliceStable(errs, func(i, j int) bool { return errorLine(errs[i]) < errorLine(errs[j]) })
	for _, err := range errs {
		fmt.Fprintln(w, "lanner:", strings.ReplaceAll(err.Error(), "\n", " "))
	}
}

func errorLine(err error) int {
	if ce, ok := err.(*Error); ok {
		return ce.line
	}
	return 1 << 30
}
