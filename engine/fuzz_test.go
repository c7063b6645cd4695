package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/ruleset"
)

// FuzzOwnAlert feeds hostile notice messages, collector names, process
// names and executable paths to own alerts: the text is always one line
// of valid UTF-8 without control characters, and the JSON always parses,
// with the message as lanner.notice.
func FuzzOwnAlert(f *testing.F) {
	f.Add("rules deleted", "audit", "auditctl", "/usr/sbin/auditctl")
	f.Add("x\n01:02:03.000000000: Critical FORGED", "a\x1b[2J", "\xff\xfe", "/tmp/\u0085\u2028")
	f.Fuzz(func(t *testing.T, msg, collector, comm, exe string) {
		n := collectors.Notice{Time: 1, Collector: collector, Kind: collectors.NoticeTampered, Message: msg,
			Actor: collectors.Actor{PID: 7, AUID: -1, Comm: comm, Exe: exe}}
		a := NewOwnAlert(RuleTampered, ruleset.Critical, n, "h")
		text := string(a.AppendText(nil))
		if strings.Count(text, "\n") != 1 || !strings.HasSuffix(text, "\n") || !utf8.ValidString(text) {
			t.Fatalf("not one line of UTF-8: %q", text)
		}
		for _, r := range strings.TrimSuffix(text, "\n") {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
				t.Fatalf("control character %U in %q", r, text)
			}
		}
		var got struct {
			OutputFields map[string]any `json:"output_fields"`
		}
		if err := json.Unmarshal(a.AppendJSON(nil), &got); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		if utf8.ValidString(msg) && got.OutputFields["lanner.notice"] != msg {
			t.Fatalf("lanner.notice %q, want %q", got.OutputFields["lanner.notice"], msg)
		}
	})
}
