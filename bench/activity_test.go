package bench

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/ruleset"
)

// activityFile is a recorded stream of ordinary activity on a Debian host
// (bench/activity/record.sh): a package install, a Go build with a cold
// cache, an interactive shell session and a web server under load.
const activityFile = "testdata/activity.jsonl.gz"

var (
	activityOnce sync.Once
	activityEvs  []*event.Event
	activityErr  error
)

// Activity returns the events of testdata/activity.jsonl.gz, read once.
func Activity(tb testing.TB) []*event.Event {
	tb.Helper()
	activityOnce.Do(func() { activityEvs, activityErr = readEvents(activityFile) })
	if activityErr != nil {
		tb.Fatal(activityErr)
	}
	return activityEvs
}

func readEvents(path string) ([]*event.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	rd := eventlog.NewReader(zr)
	var evs []*event.Event
	for {
		ev, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
}

// TestActivityRaisesNoWarnings replays the recorded ordinary activity
// through the default rules, every matching rule firing: nothing of
// priority Warning or above may fire (rules/README.md, "Expected noise").
func TestActivityRaisesNoWarnings(t *testing.T) {
	evs := Activity(t)

	// Each activity of the recording is there.
	seen := map[string]bool{}
	for _, ev := range evs {
		p := ev.Proc
		switch {
		case p.Name == "dpkg" || p.Name == "apt-get":
			seen["package install"] = true
		case p.Name == "compile":
			seen["go build"] = true
		case p.Name == "bash" && p.TTY != 0:
			seen["interactive shell"] = true
		case ev.Type == event.TypeAccept4 && strings.HasPrefix(p.Name, "python"):
			seen["web server"] = true
		}
	}
	for _, a := range []string{"package install", "go build", "interactive shell", "web server"} {
		if !seen[a] {
			t.Errorf("the recording lacks the %s", a)
		}
	}

	set := ruleset.New(compiled.Rules, ruleset.Selection{}, ruleset.MatchAll)
	counts := map[*ruleset.Rule]int{}
	reported := 0
	fire := func(r *ruleset.Rule, ev *event.Event) {
		counts[r]++
		if r.Priority <= ruleset.Warning && reported < 20 {
			reported++
			t.Errorf("%s (%s): %s", r.Name, r.Priority, r.Format(nil, ev))
		}
	}
	for _, ev := range evs {
		set.Eval(ev, fire)
	}
	var lines []string
	for r, n := range counts {
		lines = append(lines, r.Priority.String()+" "+r.Name+": "+strconv.Itoa(n))
	}
	sort.Strings(lines)
	t.Logf("%d events, alerts by rule: %v", len(evs), lines)
}

// TestActivityRecordSize writes the recorded activity as `lanner record`
// writes it (the compact format, no environment) and checks it takes at
// most 500 bytes per event, and that it reads back to the same events.
func TestActivityRecordSize(t *testing.T) {
	evs := Activity(t)
	var buf bytes.Buffer
	w := eventlog.NewWriter(&buf)
	for _, ev := range evs {
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	perEvent := float64(buf.Len()) / float64(len(evs))
	t.Logf("%d events in %d bytes: %.0f bytes per event", len(evs), buf.Len(), perEvent)
	if perEvent > 500 {
		t.Errorf("%.0f bytes per event, want at most 500", perEvent)
	}
	rd := eventlog.NewReader(&buf)
	for i := 0; ; i++ {
		ev, err := rd.Read()
		if errors.Is(err, io.EOF) {
			if i != len(evs) {
				t.Errorf("read back %d events of %d", i, len(evs))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want := evs[i]
		if ev.Type != want.Type || ev.Time != want.Time || ev.Proc.Name != want.Proc.Name ||
			strings.Join(ev.Proc.Args, " ") != strings.Join(want.Proc.Args, " ") || ev.FD.Name != want.FD.Name ||
			(want.Proc.Parent != nil) != (ev.Proc.Parent != nil) {
			t.Fatalf("event %d read back differs", i)
		}
	}
}
