//go:build linux && amd64

package audit

import (
	"strings"
	"testing"

	libaudit "github.com/elastic/go-libaudit/v2"

	"github.com/lannersec/lanner/event"
)

// TestDifferences checks what the watch reports, and what it puts back,
// in each mode.
func TestDifferences(t *testing.T) {
	rule, err := buildRule(&Options{Types: event.TypeSetOf(event.TypeOpenat)}, "k")
	if err != nil {
		t.Fatal(err)
	}
	other, err := buildRule(&Options{Types: event.TypeSetOf(event.TypeOpenat)}, "other")
	if err != nil {
		t.Fatal(err)
	}
	excl, err := typeExclusion(typeProctitle)
	if err != nil {
		t.Fatal(err)
	}
	base := libaudit.AuditStatus{Enabled: 1, PID: 42, BacklogLimit: 8192}
	for _, tc := range []struct {
		name     string
		settings bool
		rules    [][]byte
		change   func(*libaudit.AuditStatus)
		want     []string // messages, and "+" first when put back
	}{
		{"nothing changed", true, [][]byte{other, rule, excl}, nil, nil},
		{"rules deleted", true, [][]byte{other}, nil,
			[]string{`+audit rules deleted: all 1 rules with key "k"`, "+audit exclusion rule of record type 1327 deleted"}},
		{"rule added", true, [][]byte{rule, rule, excl}, nil, []string{`+1 audit rules with key "k" added`}},
		{"disabled", true, [][]byte{rule, excl}, func(s *libaudit.AuditStatus) { s.Enabled = 0 },
			[]string{"+audit disabled (enabled=0)"}},
		{"locked", true, [][]byte{rule, excl}, func(s *libaudit.AuditStatus) { s.Enabled = 2 },
			[]string{"audit configuration locked (enabled=2): rules and settings can no longer be put back"}},
		{"backlog", true, [][]byte{rule, excl}, func(s *libaudit.AuditStatus) { s.BacklogLimit = 1; s.RateLimit = 3 },
			[]string{"+audit backlog_limit changed to 1 (was 8192)", "+audit rate_limit changed to 3 (was 0)"}},
		{"daemon", true, [][]byte{rule, excl}, func(s *libaudit.AuditStatus) { s.PID = 7 },
			[]string{"audit daemon changed: pid 7 registered (was 42)"}},
		{"multicast: disabled", false, [][]byte{rule, excl}, func(s *libaudit.AuditStatus) { s.Enabled = 0; s.BacklogLimit = 1 },
			[]string{"audit disabled (enabled=0); the audit daemon owns the audit settings: left as it is"}},
		{"multicast: rules deleted", false, nil, nil,
			[]string{`+audit rules deleted: all 1 rules with key "k"`, "+audit exclusion rule of record type 1327 deleted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw := newTamperWatch(&Collector{key: "k"}, nil, 1)
			tw.rules, tw.typeExcl, tw.status, tw.settings = [][]byte{rule}, []int{typeProctitle}, base, tc.settings
			st := base
			if tc.change != nil {
				tc.change(&st)
			}
			var got []string
			for _, d := range tw.differences(tc.rules, &st) {
				m := d.msg
				if d.repair != nil {
					m = "+" + m
				}
				got = append(got, m)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
