package config

import (
	"fmt"
	"strconv"
	"strings"
)

// CommandLine is Falco's command line turned into Lanner's.
type CommandLine struct {
	Args      []string // Lanner's arguments, for kong
	Overrides []string // -o key=value, in order
	Notes     []string // flags accepted that change nothing here
	// Config is the file of -c when an action (-L, -l, -V, --list,
	// --version) takes the place of run: its rules files still apply.
	Config string
}

// FalcoArgs rewrites a command line in Falco's conventions into Lanner's.
// -o key=value may appear anywhere. Other Falco flags apply when no
// subcommand comes first:
//
//	--version        version
//	-L               rules list --desc (--json with -o json_output=true)
//	-l RULE          rules describe RULE
//	-V FILE          rules check FILE (repeatable)
//	--list[=SOURCE]  fields
//	-M SECONDS       run --duration SECONDS
//	-c FILE          run --config FILE
//	-U, -A           accepted, no effect
//
// and anything else is given to run, so that `lanner -c falco.yaml -M 60`
// monitors as `falco -c falco.yaml -M 60` does. A command line with no
// argument at all is left as it is (kong prints the usage).
func FalcoArgs(args []string) (CommandLine, error) {
	var fc CommandLine
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i:]...)
			i = len(args)
		case a == "-o" || a == "--option":
			if i+1 >= len(args) {
				return fc, fmt.Errorf("%s: want key=value", a)
			}
			fc.Overrides = append(fc.Overrides, args[i+1])
			i++
		case strings.HasPrefix(a, "--option="):
			fc.Overrides = append(fc.Overrides, strings.TrimPrefix(a, "--option="))
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) == 0 || !strings.HasPrefix(rest[0], "-") {
		if len(rest) == 0 && len(fc.Overrides) > 0 {
			rest = []string{"run"}
		}
		fc.Args = rest
		return fc, nil
	}
	var action, run, checks []string
	setAction := func(a ...string) error {
		if action != nil {
			return fmt.Errorf("%s and %s cannot be given together", action[len(action)-1], a[len(a)-1])
		}
		action = a
		return nil
	}
	value := func(i int, flag string) (string, error) {
		if i+1 >= len(rest) {
			return "", fmt.Errorf("%s needs a value", flag)
		}
		return rest[i+1], nil
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		var err error
		switch {
		case a == "-h" || a == "--help":
			fc.Args = []string{"--help"}
			return fc, nil
		case a == "--version":
			err = setAction("version")
		case a == "-L":
			l := []string{"rules", "list", "--desc"}
			if jsonOverride(fc.Overrides) {
				l = []string{"rules", "list", "--json"}
			}
			err = setAction(l...)
		case a == "-l":
			var rule string
			if rule, err = value(i, a); err == nil {
				err = setAction("rules", "describe", rule)
				i++
			}
		case a == "-V" || a == "--validate":
			var f string
			if f, err = value(i, a); err == nil {
				checks = append(checks, f)
				i++
			}
		case a == "--list" || strings.HasPrefix(a, "--list="):
			if src, ok := strings.CutPrefix(a, "--list="); ok && src != "syscall" {
				return fc, fmt.Errorf("--list=%s: Lanner has only the fields of source syscall", src)
			}
			err = setAction("fields")
		case a == "-M":
			var s string
			if s, err = value(i, a); err == nil {
				n, perr := strconv.ParseUint(s, 10, 32)
				if perr != nil {
					return fc, fmt.Errorf("-M %q: want a number of seconds", s)
				}
				run = append(run, "--duration", strconv.FormatUint(n, 10)+"s")
				i++
			}
		case a == "-c":
			var f string
			if f, err = value(i, a); err == nil {
				run = append(run, "--config", f)
				fc.Config = f
				i++
			}
		case a == "-U" || a == "--unbuffered":
			fc.Notes = append(fc.Notes, a+": Lanner writes every alert as it is raised; nothing to unbuffer")
		case a == "-A":
			fc.Notes = append(fc.Notes, "-A: Lanner watches every event type its rules need; there is no set left out by default")
		default:
			run = append(run, a)
		}
		if err != nil {
			return fc, err
		}
	}
	if len(checks) > 0 {
		if err := setAction(append([]string{"rules", "check"}, checks...)...); err != nil {
			return fc, err
		}
	}
	if action != nil {
		// Only -c and -o go with an action; anything else would be
		// dropped without a word.
		for i := 0; i < len(run); i++ {
			if run[i] == "--config" && i+1 < len(run) {
				i++
				continue
			}
			return fc, fmt.Errorf("%s cannot be given with %s", run[i], strings.Join(action, " "))
		}
		fc.Args = action
		return fc, nil
	}
	fc.Config = ""
	fc.Args = append([]string{"run"}, run...)
	return fc, nil
}

// jsonOverride reports whether -o json_output=true was given.
func jsonOverride(overrides []string) bool {
	for _, o := range overrides {
		if k, v, ok := strings.Cut(o, "="); ok && strings.TrimSpace(k) == "json_output" {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			return err == nil && b
		}
	}
	return false
}
