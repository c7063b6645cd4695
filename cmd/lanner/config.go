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

	"github.com/lannersec/lanner/internal/yamlguard"
)

// A configuration file is YAML mapping run's flag names (out-file or
// out_file) to values; lists for repeatable flags. Flags given on the
// command line override it.

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

// loadConfig reads a configuration file, checks every key names a flag of
// run, and returns it as a kong resolver.
func loadConfig(path string) (kong.Resolver, error) {
	data, err := yamlguard.ReadFile(path, yamlguard.Config.Bytes)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	raw, err := decodeConfig(data)
	if le, ok := err.(*yamlguard.Error); ok && le.Line > 0 {
		return nil, fmt.Errorf("config %s:%d:%d: %s", path, le.Line, le.Col, le.Msg)
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %s", path, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	known, err := configFlags()
	if err != nil {
		return nil, err
	}
	values := map[string]any{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.ReplaceAll(k, "_", "-")
		if !known[name] {
			return nil, fmt.Errorf("config %s: unknown key %q", path, k)
		}
		values[strings.ReplaceAll(name, "-", "_")] = raw[k]
	}
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return kong.JSON(bytes.NewReader(b))
}

// decodeConfig decodes a configuration file's YAML within the limits of
// a configuration file: an alias bomb or deep nesting is an error before
// it is expanded.
func decodeConfig(data []byte) (map[string]any, error) {
	f, err := yamlguard.Parse(data, yamlguard.Config)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if err := yaml.NodeToValue(doc.Body, &raw); err != nil {
			return nil, err
		}
		break
	}
	return raw, nil
}

// configPath finds --config FILE (or --config=FILE) in args.
func configPath(args []string) string {
	for i, a := range args {
		if a == "--config" && i+1 < len(args) {
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
	File string `arg:"" help:"Configuration file (YAML: run's flags by name)." type:"path"`
}

func (c *configCheckCmd) Run() error {
	r, err := loadConfig(c.File)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitCode(1)
	}
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
