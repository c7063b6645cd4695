package lang

import (
	"strings"
	"testing"
)

func TestDropContainerInfo(t *testing.T) {
	cases := []struct{ in, want string }{
		{"shell (user=%user.name) %container.info", "shell (user=%user.name)"},
		{"shell (user=%user.name %container.info)", "shell (user=%user.name)"},
		{"%container.info image=%container.image", " image=%container.image"},
		{"a %container.info b %container.info", "a b"},
		{"a=%container.infox", "a=x"},
		{"no placeholder", "no placeholder"},
	}
	for _, c := range cases {
		got, had := dropContainerInfo(c.in)
		if got != c.want || had != strings.Contains(c.in, containerInfo) {
			t.Errorf("dropContainerInfo(%q) = %q, %v; want %q", c.in, got, had, c.want)
		}
	}
}

// TestSkippedSources: rules of other sources are counted by source, once,
// and are no warning each.
func TestSkippedSources(t *testing.T) {
	src := `
- rule: a
  desc: d
  condition: ka.verb=create
  output: x
  priority: WARNING
  source: k8s_audit
- rule: b
  desc: d
  condition: ka.verb=delete
  output: x
  priority: WARNING
  source: k8s_audit
- rule: c
  desc: d
  condition: ct.name=x
  output: x
  priority: WARNING
  source: aws_cloudtrail
- rule: d
  desc: d
  condition: evt.type=open
  output: x %container.info
  priority: WARNING
`
	prog, err := Load(File{Name: "r.yaml", Data: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	if len(prog.Rules) != 1 || prog.Rules[0].OutputText != "x" {
		t.Fatalf("rules %+v", prog.Rules)
	}
	want := []string{"1 rule of source aws_cloudtrail skipped: not supported", "2 rules of source k8s_audit skipped: not supported"}
	if got := prog.SkippedNotes(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("notes %q, want %q", got, want)
	}
	for _, w := range prog.Warnings {
		if strings.Contains(w.Msg, "source") {
			t.Errorf("warning %s", w.Msg)
		}
	}
}
