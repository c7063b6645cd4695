// Package rulestest runs rule test cases: YAML files listing, for each
// case, a sequence of events and the rules that must fire on them or must
// stay silent. `lanner rules test` runs them against the compiled rules and
// the interpreter, so a rule can be tested before it is deployed.
package rulestest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/internal/yamlguard"
	"github.com/lannersec/lanner/ruleset"
)

// Case is one test case.
type Case struct {
	Name   string
	File   string
	Line   int
	Events []*event.Event
	// Fire lists rules that must fire on at least one of the events;
	// Silent lists rules that must fire on none.
	Fire   []string
	Silent []string
}

// caseYAML is a case as written. Events use the eventlog JSON schema,
// except that args is a map of argument names (flags, mode, path, ...) and
// its presence bits are derived from the keys given.
type caseYAML struct {
	Case   string           `yaml:"case"`
	Events []map[string]any `yaml:"events"`
	Fire   []string         `yaml:"fire"`
	Silent []string         `yaml:"silent"`
}

var argBits = map[string]event.ArgMask{
	"flags": event.ArgFlags, "mode": event.ArgMode, "path": event.ArgPath, "name": event.ArgName,
	"oldpath": event.ArgOldPath, "newpath": event.ArgNewPath, "target": event.ArgTarget,
	"linkpath": event.ArgLinkPath, "filename": event.ArgFilename, "uid": event.ArgUID, "gid": event.ArgGID,
	"ids": 0, "request": event.ArgRequest, "cmd": event.ArgCmd, "fd": event.ArgFD, "domain": event.ArgDomain,
	"socktype": event.ArgType, "proto": event.ArgProto, "pid": event.ArgPID, "dirfd": event.ArgDirFD,
	"username": 0, "groupname": 0, "idnames": 0, "caps": event.ArgCaps,
	"newdirfd": event.ArgNewDirFD, "size": event.ArgSize, "backlog": event.ArgBacklog,
	"queuelen": event.ArgQueue, "queuemax": event.ArgQueue,
}

// Load reads the cases of the files given; a directory stands for the
// *.yaml files in it.
func Load(paths ...string) ([]*Case, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			m, _ := filepath.Glob(filepath.Join(p, "*.yaml"))
			sort.Strings(m)
			files = append(files, m...)
		} else {
			files = append(files, p)
		}
	}
	var cases []*Case
	for _, f := range files {
		cs, err := loadFile(f)
		if err != nil {
			return nil, err
		}
		cases = append(cases, cs...)
	}
	return cases, nil
}

func loadFile(path string) ([]*Case, error) {
	data, err := yamlguard.ReadFile(path, yamlguard.Rules.Bytes)
	if err != nil {
		return nil, err
	}
	var raw []caseYAML
	f, err := yamlguard.Parse(data, yamlguard.Rules)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(f.Docs) > 0 && f.Docs[0] != nil && f.Docs[0].Body != nil {
		if err := yaml.NodeToValue(f.Docs[0].Body, &raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	var out []*Case
	for i, c := range raw {
		tc := &Case{Name: c.Case, File: path, Fire: c.Fire, Silent: c.Silent}
		if tc.Name == "" {
			tc.Name = fmt.Sprintf("case %d", i+1)
		}
		if len(c.Events) == 0 {
			return nil, fmt.Errorf("%s: %s: no events", path, tc.Name)
		}
		if len(c.Fire) == 0 && len(c.Silent) == 0 {
			return nil, fmt.Errorf("%s: %s: neither fire nor silent given", path, tc.Name)
		}
		for j, e := range c.Events {
			ev, err := toEvent(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: event %d: %w", path, tc.Name, j+1, err)
			}
			tc.Events = append(tc.Events, ev)
		}
		out = append(out, tc)
	}
	return out, nil
}

func toEvent(m map[string]any) (*event.Event, error) {
	if args, ok := m["args"].(map[string]any); ok {
		var set event.ArgMask
		for k := range args {
			bit, ok := argBits[k]
			if !ok {
				return nil, fmt.Errorf("unknown argument %q", k)
			}
			set |= bit
		}
		if _, ok := args["uid"]; ok {
			set |= event.ArgUID
		}
		// ids: the ruid, euid (and suid) of setre*id and setres*id.
		if ids, ok := args["ids"].([]any); ok {
			for i := range min(len(ids), 3) {
				set |= [3]event.ArgMask{event.ArgRID, event.ArgEID, event.ArgSID}[i]
			}
		}
		args["set"] = uint32(set)
	}
	if _, ok := m["time"]; !ok {
		m["time"] = 1_700_000_000_000_000_000
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var j eventlog.Event
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, err
	}
	return j.ToEvent()
}

// Result is the outcome of one case.
type Result struct {
	Case     *Case
	Fired    []string
	Failures []string
}

// Run evaluates a case against rules (every rule, rule_matching all).
func Run(c *Case, rules []*ruleset.Rule) Result {
	set := ruleset.New(rules, ruleset.Selection{}, ruleset.MatchAll)
	fired := map[string]bool{}
	for i, ev := range c.Events {
		ev.Num = uint64(i + 1)
		set.Eval(ev, func(r *ruleset.Rule, _ *event.Event) { fired[r.Name] = true })
	}
	res := Result{Case: c}
	for n := range fired {
		res.Fired = append(res.Fired, n)
	}
	sort.Strings(res.Fired)
	known := map[string]bool{}
	for _, r := range rules {
		known[r.Name] = true
	}
	for _, n := range c.Fire {
		switch {
		case !known[n]:
			res.Failures = append(res.Failures, fmt.Sprintf("no rule named %q", n))
		case !fired[n]:
			res.Failures = append(res.Failures, fmt.Sprintf("%q did not fire", n))
		}
	}
	for _, n := range c.Silent {
		switch {
		case !known[n]:
			res.Failures = append(res.Failures, fmt.Sprintf("no rule named %q", n))
		case fired[n]:
			res.Failures = append(res.Failures, fmt.Sprintf("%q fired", n))
		}
	}
	return res
}
