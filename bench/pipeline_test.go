package bench

import (
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/ebpf"
	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/state"
)

// loadRaw reads raw eBPF records written by `lanner record --raw`.
// testdata/workload.raw.gz was captured while bench/workload ran with
// -n 1000 (13,402 records: fork, exec, open, connect and exit records).
func loadRaw(tb testing.TB, path string) [][]byte {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	var recs [][]byte
	for len(data) >= 4 {
		n := int(binary.LittleEndian.Uint32(data))
		if n > len(data)-4 {
			tb.Fatal("truncated record file")
		}
		recs = append(recs, data[4:4+n])
		data = data[4+n:]
	}
	return recs
}

// replayCollector delivers recorded raw records in a loop, decoding each
// as the eBPF collector does.
type replayCollector struct {
	recs [][]byte
	i    int
}

func (c *replayCollector) Name() string { return "replay" }
func (c *replayCollector) Read(r *collectors.Record) error {
	raw := c.recs[c.i%len(c.recs)]
	c.i++
	return ebpf.Decode(raw, r)
}
func (c *replayCollector) Close() error            { return nil }
func (c *replayCollector) Stats() collectors.Stats { return collectors.Stats{} }
func (c *replayCollector) Capabilities() collectors.Capabilities {
	return collectors.Capabilities{Types: collectors.SyscallTypes()}
}

type discard struct{}

func (discard) Name() string            { return "discard" }
func (discard) Write(line []byte) error { return nil }
func (discard) Close() error            { return nil }

// BenchmarkPipeline runs recorded raw records through the whole user-space
// pipeline: decode, process table, enrichment, the compiled default rules,
// alert formatting (JSON) to a sink that discards.
func BenchmarkPipeline(b *testing.B) {
	col := &replayCollector{recs: loadRaw(b, "testdata/workload.raw.gz")}
	out := output.New(output.JSON, discard{})
	defer out.Close(time.Second)
	eng := engine.New(engine.Config{
		Collector: col,
		Tables:    state.New(state.Options{ProcRoot: b.TempDir()}),
		Rules:     ruleset.New(compiled.Rules, ruleset.Selection{}, ruleset.MatchFirst),
		Output:    out,
		Hostname:  "bench",
	})
	var rec collectors.Record
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := col.Read(&rec); err != nil {
			b.Fatal(err)
		}
		eng.Handle(&rec)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(eng.Stats().Alerts)/float64(n), "alerts/record")
}
