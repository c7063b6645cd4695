package main

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// loadedConfig is a configuration file resolved against run's flags.
type loadedConfig struct {
	resolver kong.Resolver
	// warnings name, with their lines, the Falco keys Lanner ignores.
	warnings []string
}

// loadConfig reads a configuration file (none when path is empty), applies
// the -o key=value overrides over it, checks every key is one of run's
// flags or one of Falco's, and returns it as a kong resolver.
func loadConfig(path string, overrides []string) (*loadedConfig, error) {
	name := path
	raw := map[string]any{}
	lines := map[string]int{}
	if path != "" {
		data, err := yamlguard.ReadFile(path, yamlguard.Config.Bytes)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		decoded, body, err := decodeConfig(data)
		if le, ok := err.(*yamlguard.Error); ok && le.Line > 0 {
			return nil, fmt.Errorf("config %s:%d:%d: %s", path, le.Line, le.Col, le.Msg)
		}
		if err != nil {
			return nil, fmt.Errorf("config %s: %s", path, strings.ReplaceAll(err.Error(), "\n", " "))
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
	for _, o := range overrides {
		if err := applyOverride(raw, o); err != nil {
			return nil, err
		}
		// A key set by -o has no line.
		k, _, _ := strings.Cut(o, "=")
		k = strings.TrimSuffix(k, "[]")
		for {
			delete(lines, k)
			i := strings.LastIndexByte(k, '.')
			if i < 0 {
				break
			}
			k = k[:i]
		}
	}
	known, err := configFlags()
	if err != nil {
		return nil, err
	}
	ft := &falcoTranslation{path: name, lines: lines, values: map[string]any{}}
	ft.translate(raw)
	if len(ft.errs) > 0 {
		return nil, fmt.Errorf("config %s: %s", name, ft.errs[0])
	}
	values := ft.values
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		flag := strings.ReplaceAll(k, "_", "-")
		switch {
		case known[flag]:
			// Lanner's own key: it wins over a Falco key for the same flag.
			values[strings.ReplaceAll(flag, "-", "_")] = raw[k]
		case isFalcoKey(k):
		default:
			return nil, fmt.Errorf("config %s: unknown key %q", name, k)
		}
	}
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	r, err := kong.JSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return &loadedConfig{resolver: r, warnings: ft.warnings}, nil
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
		if (a == "--config" || a == "-c") && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			return v
		}
	}
	return ""
}

type configCmd struct {
	Check configCheckCmd `cmd:"" help:"Check a configuration file."`
}

type configCheckCmd struct {
	File string `arg:"" help:"Configuration file (YAML: run's flags by name, or Falco's falco.yaml keys)." type:"path"`
}

func (c *configCheckCmd) Run() error {
	lc, err := loadConfig(c.File, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitCode(1)
	}
	for _, w := range lc.warnings {
		fmt.Fprintln(os.Stderr, w)
	}
	r := lc.resolver
	// Resolve the file's values against run's flags, as run would.
	var probe cli
	k, err := kong.New(&probe, kong.Name("lanner"), kong.Resolvers(r), kong.Exit(func(int) {}))
	if err == nil {
		_, err = k.Parse([]string{"run"})
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "config %s: %v\n", c.File, err)
		return exitCode(1)
	}
	if err := probe.Run.validate(); err != nil {
		fmt.Fprintf(os.Stderr, "config %s: %v\n", c.File, err)
		return exitCode(1)
	}
	fmt.Printf("%s: OK\n", c.File)
	return nil
}
