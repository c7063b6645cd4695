// Package rulefiles loads Falco rules files at run time, over the rules
// compiled into the binary or instead of them.
//
// The compiled rules' own rules files are embedded in the binary
// (compiled.Sources). The files given at run time are loaded after them, as
// Falco loads its rules_files, and every rule is then resolved twice: from
// the embedded files alone and from the embedded files with the run-time
// ones. A rule whose condition, output and source resolve the same both ways
// keeps its compiled code (its enabled flag, priority, tags and
// description are taken from the run-time files); a rule the files add or
// change, through an append, an override, an exception or a list or macro
// it uses, is evaluated by package interp.
package rulefiles

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/lannersec/lanner/internal/yamlguard"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/ruleset"
)

// MaxFiles bounds the rules files one load reads (directories expanded):
// a directory of thousands of files is refused rather than read.
const MaxFiles = 1000

// Expand turns rules files and directories into the files to load, in load
// order: a file as named; a directory's regular files (links to regular
// files included) whose names end in .yaml or .yml, sorted by name, not
// descending into subdirectories, as Falco reads a rules_files directory.
// dirs are the directories named.
func Expand(paths []string) (files, dirs []string, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		dirs = append(dirs, p)
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, nil, err
		}
		var names []string
		for _, e := range entries {
			n := e.Name()
			if !strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".yml") {
				continue
			}
			full := filepath.Join(p, n)
			if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
				continue // a dangling link or a directory named x.yaml
			}
			names = append(names, full)
		}
		sort.Strings(names)
		files = append(files, names...)
	}
	if len(files) > MaxFiles {
		return nil, nil, fmt.Errorf("%d rules files, at most %d are read", len(files), MaxFiles)
	}
	return files, dirs, nil
}

// Loader loads rules files over a binary's compiled rules. Make one with
// NewLoader; it is safe for use by one goroutine at a time.
type Loader struct {
	builtin  []lang.File
	compiled map[string]*ruleset.Rule
	// base are the fingerprints of the rules the builtin files alone
	// resolve to, by name.
	base map[string]string
}

// NewLoader returns a loader over compiled rules and the files they were
// compiled from. With no sources, the loaded files' rules are all
// interpreted.
func NewLoader(sources []ruleset.Source, compiled []*ruleset.Rule) (*Loader, error) {
	l := &Loader{compiled: map[string]*ruleset.Rule{}, base: map[string]string{}}
	if len(sources) == 0 {
		return l, nil
	}
	for _, s := range sources {
		l.builtin = append(l.builtin, lang.File{Name: s.Name, Data: []byte(s.Text)})
	}
	prog, err := lang.Load(l.builtin...)
	if err != nil {
		return nil, fmt.Errorf("the rules compiled into this binary do not load: %w", err)
	}
	for _, r := range prog.Rules {
		l.base[r.Name] = Fingerprint(r)
	}
	for _, r := range compiled {
		l.compiled[r.Name] = r
	}
	return l, nil
}

// Result is what a load produced.
type Result struct {
	// Rules are every rule, in load order.
	Rules []*ruleset.Rule
	// Files are the rules files read, in load order; Dirs the
	// directories named.
	Files, Dirs []string
	// Warnings are the loaded files' warnings (not the builtin files').
	Warnings lang.Diagnostics
	// Interpreted counts the rules package interp evaluates.
	Interpreted int
	// Skipped counts, by source, the rules left out because their source
	// is not supported (the builtin files' included).
	Skipped map[string]int
}

// Load reads the rules files and directories paths over the builtin rules
// (none with a loader made without sources). An error names the file, line
// and column of every problem (a lang.Diagnostics), or the file that could
// not be read.
func (l *Loader) Load(paths []string) (*Result, error) {
	files, dirs, err := Expand(paths)
	if err != nil {
		return nil, err
	}
	res := &Result{Files: files, Dirs: dirs}
	all := append([]lang.File(nil), l.builtin...)
	for _, p := range files {
		data, err := readRegular(p, yamlguard.Rules.Bytes)
		if err != nil {
			return nil, err
		}
		all = append(all, lang.File{Name: p, Data: data})
	}
	prog, err := lang.Load(all...)
	if prog != nil {
		runtime := map[string]bool{}
		for _, f := range files {
			runtime[f] = true
		}
		for _, w := range prog.Warnings {
			if runtime[w.Pos.File] {
				res.Warnings = append(res.Warnings, w)
			}
		}
	}
	if err != nil {
		return res, err
	}
	res.Skipped = prog.Skipped
	interpreted := interp.Rules(prog)
	res.Rules = make([]*ruleset.Rule, len(prog.Rules))
	for i, r := range prog.Rules {
		c := l.compiled[r.Name]
		if c == nil || l.base[r.Name] != Fingerprint(r) {
			res.Rules[i] = interpreted[i]
			res.Interpreted++
			continue
		}
		kept := *c
		kept.Enabled, kept.Priority, kept.Desc = r.Enabled, r.Priority, r.Desc
		kept.Tags = r.Tags
		res.Rules[i] = &kept
	}
	return res, nil
}

// readRegular reads the regular file at path, at most max bytes. Anything
// else (a FIFO, a device) is refused without blocking on it: whoever can
// put a file in a rules directory must not be able to hang a reload.
func readRegular(path string, max int) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return yamlguard.ReadLimited(f, path, max)
}

// Fingerprint is a text that two resolved rules share when they match the
// same events with the same output: their source, condition (macros, lists
// and exceptions expanded, with where each check was written) and output.
func Fingerprint(r *lang.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "source %q\ncond ", r.Source)
	writeExpr(&b, r.Cond)
	b.WriteString("\noutput ")
	if r.Output != nil {
		for _, t := range r.Output.Tokens {
			if t.Value != nil {
				fmt.Fprintf(&b, "{%q %d}", t.Value.Key, t.Width)
			} else {
				fmt.Fprintf(&b, "%q", t.Literal)
			}
		}
	}
	return b.String()
}

func writeExpr(b *strings.Builder, e lang.Expr) {
	switch e := e.(type) {
	case *lang.And:
		b.WriteString("(and")
		for _, c := range e.Children {
			b.WriteByte(' ')
			writeExpr(b, c)
		}
		b.WriteByte(')')
	case *lang.Or:
		b.WriteString("(or")
		for _, c := range e.Children {
			b.WriteByte(' ')
			writeExpr(b, c)
		}
		b.WriteByte(')')
	case *lang.Not:
		b.WriteString("(not ")
		writeExpr(b, e.Child)
		b.WriteByte(')')
	case *lang.Const:
		fmt.Fprintf(b, "%v", e.Value)
	case *lang.Check:
		fmt.Fprintf(b, "[%s %q %d %d %q %v %v %v %v %v %q %v", e.Pos, operandKey(&e.Left), e.Op, e.Mod, e.Strings, e.Ints,
			e.Bools, e.IPs, e.Nets, e.Bytes, e.Text, e.EvtTypes)
		if e.Right != nil {
			fmt.Fprintf(b, " right %q", operandKey(e.Right))
		}
		b.WriteByte(']')
	case nil:
		b.WriteString("nil")
	default:
		fmt.Fprintf(b, "%T", e)
	}
}

func operandKey(o *lang.Operand) string {
	return fmt.Sprintf("%s|%s|%v|%d", o.Text, o.Key, o.Transformers, o.Kind)
}
