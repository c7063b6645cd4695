package lang

import (
	"github.com/lannersec/lanner/internal/yamlguard"
)

// File is a rules file's name and content.
type File struct {
	Name string
	Data []byte
}

// Load reads, collects, resolves and compiles rules files, in load order,
// into a Program.
// Problems are returned as Diagnostics (one file:line:col line each);
// warnings are in the Program even when it is returned with errors.
func Load(files ...File) (*Program, error) {
	c := NewCollection()
	var diags Diagnostics
	for _, f := range files {
		items, ds := Read(f.Name, f.Data)
		diags = append(diags, ds...)
		diags = append(diags, c.Add(items)...)
	}
	if len(diags) > 0 {
		return &Program{Warnings: c.Warnings()}, diags
	}
	defs, ds := c.Resolve()
	if len(ds) > 0 {
		return &Program{Warnings: c.Warnings()}, ds
	}
	prog, ds := Compile(defs)
	prog.Warnings = append(c.Warnings(), prog.Warnings...)
	return prog, ds.Err()
}

// LoadPaths is Load for files on disk.
func LoadPaths(paths ...string) (*Program, error) {
	var files []File
	for _, p := range paths {
		f, err := ReadFile(p)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return Load(files...)
}

// ReadFile reads a rules file from disk, refusing one larger than a rules
// file may be.
func ReadFile(path string) (File, error) {
	data, err := yamlguard.ReadFile(path, yamlguard.Rules.Bytes)
	if err != nil {
		return File{}, err
	}
	return File{Name: path, Data: data}, nil
}
