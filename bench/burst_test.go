package bench

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/ebpf"
	"github.com/lannersec/lanner/compiled"
	"github.com/lannersec/lanner/engine"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
	"github.com/lannersec/lanner/output"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/state"
)

// workloadFile is the file bench/workload opens N times in a row.
const workloadFile = "/tmp/lanner-workload-file"

// burstRecords splits the recorded workload (testdata/workload.raw.gz) at
// its first open of workloadFile: the records before it (the processes
// the burst needs in the process table), and the opens of the file that
// follow it back to back, the burst.
func burstRecords(tb testing.TB) (setup, burst [][]byte) {
	recs := loadRaw(tb, "testdata/workload.raw.gz")
	var r collectors.Record
	for i, raw := range recs {
		if ebpf.Decode(raw, &r) != nil || r.Kind != collectors.KindSyscall || r.Event.Type != event.TypeOpenat {
			continue
		}
		if r.Event.FD.Name != workloadFile {
			continue
		}
		if burst == nil {
			setup = recs[:i]
		}
		burst = append(burst, raw)
	}
	if len(burst) == 0 {
		tb.Fatal("no open of " + workloadFile + " in the recording")
	}
	return setup, burst
}

// BenchmarkBurst replays the open burst of the overhead benchmark (N opens
// of one file, each raising an alert) through the user-space pipeline as
// `bench/overhead.sh` runs it: the compiled default rules and the
// workload's rules (bench/workload_rules.yaml, interpreted), every
// matching rule firing, alerts formatted as JSON to a sink that discards.
// ring-B/record is what a record takes in the ring buffer: a burst
// drops records when it arrives faster than records/s and outgrows the
// ring buffer meanwhile. cpu-ns/record is the CPU time of the whole
// process (every thread: the engine's, the sink's, the garbage
// collector's) per record.
func BenchmarkBurst(b *testing.B) {
	setup, burst := burstRecords(b)
	prog, err := lang.LoadPaths(filepath.Join(testutil.Root(b), "bench", "workload_rules.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	rules := append(append([]*ruleset.Rule{}, compiled.Rules...), interp.Rules(prog)...)
	out := output.New(output.JSON, discard{})
	defer out.Close(time.Second)
	eng := engine.New(engine.Config{
		Tables:   state.New(state.Options{ProcRoot: b.TempDir()}),
		Rules:    ruleset.New(rules, ruleset.Selection{}, ruleset.MatchAll),
		Output:   out,
		Hostname: "bench",
	})
	var rec collectors.Record
	for _, raw := range setup {
		if ebpf.Decode(raw, &rec) == nil {
			eng.Handle(&rec)
		}
	}
	ringBytes := 0
	for _, raw := range burst {
		ringBytes += (len(raw) + 8 + 7) &^ 7 // record header, 8-byte aligned
	}
	a0 := eng.Stats().Alerts
	b.ReportAllocs()
	cpu0 := processCPU(b)
	n := 0
	for b.Loop() {
		if err := ebpf.Decode(burst[n%len(burst)], &rec); err != nil {
			b.Fatal(err)
		}
		eng.Handle(&rec)
		n++
	}
	// The sink's goroutine and the garbage collector work on other
	// threads: the CPU they took counts, once the sink has written
	// every alert.
	out.Close(time.Minute)
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(n), "cpu-ns/record")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(eng.Stats().Alerts-a0)/float64(n), "alerts/record")
	b.ReportMetric(float64(ringBytes)/float64(len(burst)), "ring-B/record")
}

// processCPU is the user and system CPU time the process has used, in
// nanoseconds.
func processCPU(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
