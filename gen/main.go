// Command gen compiles Falco rules files into Go: it writes package
// compiled, whose Rules table holds one native matcher and one output
// formatter per rule. It runs from go:generate in compiled/ and from
// `make build RULES=...`.
//
// Usage:
//
//	gen [-out DIR] [-pkg NAME] [-base DIR] [-q] [-strict] FILE...
//
// Files are loaded in the order given. Nothing is written unless every
// file compiles; files named *_gen.go in DIR that this run did not produce
// are removed.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lannersec/lanner/gen/internal/emit"
	"github.com/lannersec/lanner/internal/safefile"
	"github.com/lannersec/lanner/lang"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// outputName is the file gen writes in the output directory.
const outputName = "rules_gen.go"

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", ".", "output directory")
	pkg := fs.String("pkg", "compiled", "package name of the generated code")
	base := fs.String("base", "", "directory rules file names are shown relative to in generated code (default: as given)")
	quiet := fs.Bool("q", false, "do not print warnings")
	strict := fs.Bool("strict", false, "fail when rules of a source Lanner does not support (k8s_audit, plugins) are left out")
	if err := fs.Parse(args); err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return errors.New("gen: no rules files given")
	}
	var files []lang.File
	var names []string
	for _, p := range paths {
		f, err := lang.ReadFile(p)
		if err != nil {
			return fmt.Errorf("gen: %w", err)
		}
		data := f.Data
		name := p
		if *base != "" {
			absBase, errB := filepath.Abs(*base)
			if abs, err := filepath.Abs(p); err == nil && errB == nil {
				if rel, err := filepath.Rel(absBase, abs); err == nil && !strings.HasPrefix(rel, "..") {
					name = filepath.ToSlash(rel)
				}
			}
		}
		files = append(files, lang.File{Name: name, Data: data})
		names = append(names, name)
	}
	prog, err := lang.Load(files...)
	if prog != nil && !*quiet {
		for _, w := range prog.Warnings {
			fmt.Fprintf(stderr, "%s: warning: %s\n", w.Pos, w.Msg)
		}
	}
	if err != nil {
		return err
	}
	// Rules left out for their source are said even with -q: a binary
	// built from a file whose rules all have another source would
	// otherwise watch nothing, silently.
	if notes := prog.SkippedNotes(); len(notes) > 0 {
		if *strict {
			return fmt.Errorf("gen: %s (-strict)", strings.Join(notes, "; "))
		}
		for _, n := range notes {
			fmt.Fprintf(stderr, "gen: %s\n", n)
		}
	}
	var buf bytes.Buffer
	if err := emit.File(prog, emit.Options{Package: *pkg, Sources: names, Files: files}).Render(&buf); err != nil {
		return fmt.Errorf("gen: render: %w", err)
	}
	return writeAll(*out, map[string][]byte{outputName: buf.Bytes()})
}

// writeAll writes every file through a temporary name and a rename, then
// removes *_gen.go files in dir that are not among them.
func writeAll(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := safefile.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*_gen.go"))
	for _, p := range old {
		if _, keep := files[filepath.Base(p)]; !keep {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}
