package ruleset

import (
	"strings"
	"testing"
)

func TestParsePriority(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    Priority
		wantErr bool
	}{
		{"EMERGENCY", Emergency, false},
		{"alert", Alert, false},
		{"Critical", Critical, false},
		{"error", Error, false},
		{"WARNING", Warning, false},
		{"notice", Notice, false},
		{"INFORMATIONAL", Informational, false},
		{"Info", Informational, false},
		{"INFO", Informational, false},
		{"debug", Debug, false},
		{"warn", 0, true},
		{"", 0, true},
	} {
		got, err := ParsePriority(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParsePriority(%q) = %v, %v", tt.in, got, err)
		}
	}
	var names []string
	for p := Emergency; p <= Debug; p++ {
		names = append(names, p.String())
	}
	if strings.Join(names, ",") != "Emergency,Alert,Critical,Error,Warning,Notice,Informational,Debug" {
		t.Errorf("names %v", names)
	}
}
