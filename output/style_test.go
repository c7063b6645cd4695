package output

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStyle: falco.yaml's time_format_iso_8601, json_include_output_property
// and json_include_tags_property.
func TestStyle(t *testing.T) {
	a := stringAlert("x", 1)
	a.Output = "22:13:20.123456790: Warning hello"
	if got := string(a.AppendTextStyle(nil, Style{})); got != a.Output+"\n" {
		t.Errorf("default text %q", got)
	}
	iso := "2023-11-14T22:13:20.123456790+0000: Warning hello"
	if got := string(a.AppendTextStyle(nil, Style{ISOTime: true})); got != iso+"\n" {
		t.Errorf("ISO text %q, want %q", got, iso)
	}
	cases := []struct {
		style      Style
		wantOutput string // "" when absent
		wantTags   bool
	}{
		{Style{}, a.Output, true},
		{Style{ISOTime: true}, iso, true},
		{Style{OmitJSONOutput: true}, "", true},
		{Style{OmitJSONTags: true}, a.Output, false},
		{Style{OmitJSONOutput: true, OmitJSONTags: true}, "", false},
	}
	for _, c := range cases {
		line := a.AppendJSONStyle(nil, c.style)
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil || !strings.HasSuffix(string(line), "}\n") {
			t.Fatalf("%+v: %q: %v", c.style, line, err)
		}
		out, hasOut := m["output"]
		if hasOut != (c.wantOutput != "") || (hasOut && out != c.wantOutput) {
			t.Errorf("%+v: output %v, want %q", c.style, out, c.wantOutput)
		}
		if _, hasTags := m["tags"]; hasTags != c.wantTags {
			t.Errorf("%+v: tags present %v", c.style, hasTags)
		}
		if m["time"] != "2023-11-14T22:13:20.123456790Z" || m["rule"] != "rule x" || m["output_fields"] == nil {
			t.Errorf("%+v: %q", c.style, line)
		}
	}
}
