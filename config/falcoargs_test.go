package config

import (
	"strings"
	"testing"
)

// TestFalcoArgs: Falco's command line maps onto Lanner's subcommands.
func TestFalcoArgs(t *testing.T) {
	cases := []struct {
		in, want, overrides string
		notes               int
		err                 string
	}{
		{"--version", "version", "", 0, ""},
		{"-L", "rules list --desc", "", 0, ""},
		{"-o json_output=true -L", "rules list --json", "json_output=true", 0, ""},
		{"-l Some_Rule", "rules describe Some_Rule", "", 0, ""},
		{"-V a.yaml -V b.yaml", "rules check a.yaml b.yaml", "", 0, ""},
		{"--validate a.yaml", "rules check a.yaml", "", 0, ""},
		{"--list", "fields", "", 0, ""},
		{"--list=syscall", "fields", "", 0, ""},
		{"-c /etc/falco/falco.yaml -M 60 -U -A", "run --config /etc/falco/falco.yaml --duration 60s", "", 2, ""},
		{"-c f.yaml -o a.b=1 --option c=2 --option=d[]=3 -r /rules", "run --config f.yaml -r /rules", "a.b=1|c=2|d[]=3", 0, ""},
		{"--collector audit", "run --collector audit", "", 0, ""},
		{"-o json_output=true", "run", "json_output=true", 0, ""},
		{"run --duration 1s", "run --duration 1s", "", 0, ""},
		{"rules list", "rules list", "", 0, ""},
		{"", "", "", 0, ""},
		{"-h", "--help", "", 0, ""},
		{"-L -l x", "", "", 0, "cannot be given together"},
		{"-M soon", "", "", 0, "-M"},
		{"-M", "", "", 0, "needs a value"},
		{"--list=k8s_audit", "", "", 0, "only the fields of source syscall"},
		{"-o", "", "", 0, "want key=value"},
	}
	for _, c := range cases {
		fc, err := FalcoArgs(strings.Fields(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(fc.Args, " ") != c.want || strings.Join(fc.Overrides, "|") != c.overrides || len(fc.Notes) != c.notes {
			t.Errorf("%q: %q %q %q %v; want %q %q", c.in, fc.Args, fc.Overrides, fc.Notes, err, c.want, c.overrides)
		}
	}
}
