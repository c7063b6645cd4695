package pipeline

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/lannersec/lanner/output"
)

// TestReportUndelivered: a run whose sinks delivered everything says
// nothing more; otherwise one line names each sink that did not, and why.
func TestReportUndelivered(t *testing.T) {
	var b strings.Builder
	// Records without their time, for comparison.
	log := slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	if reportUndelivered(log, []output.SinkStats{{Name: "stdout", Sent: 5}}) || b.Len() != 0 {
		t.Errorf("all delivered: reported %q", b.String())
	}
	sinks := []output.SinkStats{{Name: "stdout", Sent: 5}, {Name: "http:http://h/x", Failed: 1, Dropped: 2, Lost: 3}, {Name: "file:/f", Lost: 1}}
	if !reportUndelivered(log, sinks) {
		t.Fatal("alerts lost, not reported")
	}
	want := `level=ERROR msg="alerts not delivered" undelivered=7 sinks="http:http://h/x 6 (failed 1, dropped 2, lost at shutdown 3), file:/f 1 (failed 0, dropped 0, lost at shutdown 1)"` + "\n"
	if b.String() != want {
		t.Errorf("%q, want %q", b.String(), want)
	}
}
