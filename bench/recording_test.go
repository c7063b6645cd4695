package bench

import (
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/ebpf"
)

// TestWorkloadRecordingDecodes keeps the benchmarks' recording in step
// with the eBPF record layout: every record of testdata/workload.raw.gz
// decodes, and the burst BenchmarkBurst replays is in it. When the layout
// changes, record it again (`lanner record --raw` while bench/workload
// runs with -n 1000, as root).
func TestWorkloadRecordingDecodes(t *testing.T) {
	var r collectors.Record
	for i, raw := range loadRaw(t, "testdata/workload.raw.gz") {
		if err := ebpf.Decode(raw, &r); err != nil {
			t.Fatalf("record %d does not decode: %v", i, err)
		}
	}
	if _, burst := burstRecords(t); len(burst) < 1000 {
		t.Fatalf("burst of %d opens, want at least 1000", len(burst))
	}
}
