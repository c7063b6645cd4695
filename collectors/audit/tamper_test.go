//go:build linux && (amd64 || arm64)

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
	never, err := buildExclusion(Exclusion{Types: []event.Type{event.TypeOpenat}, Path: "/etc/shadow"}, "other")
	if err != nil {
		t.Fatal(err)
	}
	prepended, err := buildPrependedExclusion(Exclusion{Types: []event.Type{event.TypeOpenat}, Path: "/etc/shadow"}, "x")
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
		{"never rule added ahead", true, [][]byte{prepended, rule, excl}, nil,
			[]string{`+1 audit never rule(s) added ahead of the collector's rules (key "x"): the calls they match are not audited`}},
		{"never rule there at start", true, [][]byte{never, rule, excl}, nil, nil},
		{"never rule behind", true, [][]byte{rule, prepended, excl}, nil, nil},
		{"multicast: never rule ahead", false, [][]byte{prepended, rule, excl}, nil, nil},
		{"multicast: disabled", false, [][]byte{rule, excl}, func(s *libaudit.AuditStatus) { s.Enabled = 0; s.BacklogLimit = 1 },
			[]string{"audit disabled (enabled=0); the audit daemon owns the audit settings: left as it is"}},
		{"multicast: rules deleted", false, nil, nil,
			[]string{`+audit rules deleted: all 1 rules with key "k"`, "+audit exclusion rule of record type 1327 deleted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw := newTamperWatch(&Collector{key: "k"}, nil, 1)
			tw.rules, tw.typeExcl, tw.status, tw.settings = [][]byte{rule}, []int{typeProctitle}, base, tc.settings
			tw.foreign = [][]byte{never}
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

// TestUndone: a change to the collector's rules or settings that was
// undone before a comparison could see it is still reported; other
// processes' own rules are not the collector's business.
func TestUndone(t *testing.T) {
	for _, tc := range []struct {
		mode string
		seen []configChange
		want string
	}{
		{ModeUnicast, nil, ""},
		{ModeUnicast, []configChange{{Op: "remove_rule", Key: "lanner", Res: 1}, {Op: "add_rule", Key: "lanner", Res: 1}},
			"rules with key lanner changed (remove_rule); rules with key lanner changed (add_rule)"},
		{ModeUnicast, []configChange{{Op: "add_rule", Key: "other", Res: 1}}, ""},
		{ModeUnicast, []configChange{{Op: "remove_rule", Key: "lanner", Res: 0}}, ""},
		{ModeUnicast, []configChange{{Op: "set", Setting: "audit_backlog_limit", Res: 1}}, "audit_backlog_limit changed"},
		{ModeMulticast, []configChange{{Op: "set", Setting: "audit_backlog_limit", Res: 1}}, ""},
		{ModeMulticast, []configChange{{Op: "set", Setting: "audit_enabled", Res: 1}}, "audit_enabled changed"},
	} {
		tw := &tamperWatch{c: &Collector{key: "lanner", mode: tc.mode}}
		for _, cc := range tc.seen {
			tw.seen = append(tw.seen, changeSeen{cc: cc, known: true})
		}
		got := tw.undone()
		// A change no record names is never reported this way.
		unnamed := &tamperWatch{c: tw.c}
		for _, ch := range tw.seen {
			unnamed.seen = append(unnamed.seen, changeSeen{cc: ch.cc})
		}
		if u := unnamed.undone(); u != "" {
			t.Errorf("%s %+v unnamed: %q", tc.mode, tc.seen, u)
		}
		if tc.want == "" && got != "" || tc.want != "" && !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s %+v: %q, want %q...", tc.mode, tc.seen, got, tc.want)
		}
	}
}

// TestIsExitNever: never rules of the exit list are told from the rest.
func TestIsExitNever(t *testing.T) {
	never, err := buildExclusion(Exclusion{Types: []event.Type{event.TypeOpenat}, Path: "/dev/null"}, "other")
	if err != nil {
		t.Fatal(err)
	}
	always, err := buildRule(&Options{Types: event.TypeSetOf(event.TypeOpenat)}, "lanner")
	if err != nil {
		t.Fatal(err)
	}
	if !isExitNever(never) || isExitNever(always) || isExitNever(nil) {
		t.Errorf("never %v, always %v", isExitNever(never), isExitNever(always))
	}
}
