package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/lannersec/lanner/event"
)

type fieldsCmd struct {
	JSON bool `help:"Print a JSON array."`
}

// fieldInfo is one entry of `fields --json`.
type fieldInfo struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Arg        string `json:"arg,omitempty"`
	FilterOnly bool   `json:"filter_only,omitempty"`
	Desc       string `json:"desc"`
}

func argText(f *event.Field) string {
	var s string
	switch f.Arg {
	case event.ArgIndex:
		s = "index"
	case event.ArgKey:
		s = "key"
	case event.ArgIndexOrKey:
		s = "index or key"
	default:
		return ""
	}
	if f.ArgRequired {
		return s + " (required)"
	}
	return s + " (optional)"
}

func (c *fieldsCmd) Run() error {
	var infos []fieldInfo
	for _, f := range event.Fields() {
		infos = append(infos, fieldInfo{Name: f.Name, Type: f.Type, Arg: argText(f), FilterOnly: f.FilterOnly, Desc: f.Desc})
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	for _, i := range infos {
		name := i.Name
		if i.Arg != "" {
			name += "[" + i.Arg + "]"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", name, i.Type, i.Desc)
	}
	return w.Flush()
}
