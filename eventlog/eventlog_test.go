package eventlog_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/internal/difftest"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
)

// TestRoundTrip writes random events and reads them back: every upstream
// rule must give the same verdict and output on both.
func TestRoundTrip(t *testing.T) {
	rs, err := lang.LoadPaths(testutil.UpstreamRules(t)...)
	if err != nil {
		t.Fatal(err)
	}
	rules := interp.Rules(rs)
	g := &difftest.Generator{L: difftest.Gather(rs), R: rand.New(rand.NewPCG(3, 4))}
	var buf bytes.Buffer
	w := eventlog.NewWriter(&buf)
	const n = 3000
	orig := make([]*struct{ verdicts, outputs string }, 0, n)
	for i := 0; i < n; i++ {
		ev := g.Event()
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
		var v, o strings.Builder
		for _, r := range rules {
			if r.Match(ev) {
				v.WriteString(r.Name + ";")
			}
			o.Write(r.Format(nil, ev))
		}
		orig = append(orig, &struct{ verdicts, outputs string }{v.String(), o.String()})
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rd := eventlog.NewReader(&buf)
	for i := 0; ; i++ {
		ev, err := rd.Read()
		if err == io.EOF {
			if i != n {
				t.Fatalf("read %d events, wrote %d", i, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var v, o strings.Builder
		for _, r := range rules {
			if r.Match(ev) {
				v.WriteString(r.Name + ";")
			}
			o.Write(r.Format(nil, ev))
		}
		if v.String() != orig[i].verdicts || o.String() != orig[i].outputs {
			a, b := o.String(), orig[i].outputs
			k := 0
			for k < len(a) && k < len(b) && a[k] == b[k] {
				k++
			}
			t.Fatalf("event %d differs after a round trip:\nverdicts %q\nwant     %q\noutput from %q\nwant        %q", i, v.String(), orig[i].verdicts, a[max(k-120, 0):min(k+80, len(a))], b[max(k-120, 0):min(k+80, len(b))])
		}
	}
}

func TestMalformed(t *testing.T) {
	rd := eventlog.NewReader(strings.NewReader("{\"type\":\"openat\"}\nnot json\n{\"type\":\"nosuch\"}\n{\"type\":\"openat\",\"fd\":{\"kind\":\"ff\"}}\n"))
	if _, err := rd.Read(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := rd.Read(); err == nil || !strings.HasPrefix(err.Error(), "line ") {
			t.Errorf("malformed line %d: err %v", i+2, err)
		}
	}
	if _, err := rd.Read(); err != io.EOF {
		t.Errorf("want EOF, got %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"type":"openat","proc":{"pid":1,"name":"x","parent":{"pid":0,"name":"y"}},"fd":{"kind":"4","num":3,"local":"1.2.3.4:5"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd := eventlog.NewReader(bytes.NewReader(b))
		for i := 0; i < 100; i++ {
			if _, err := rd.Read(); err == io.EOF {
				return
			}
		}
	})
}
