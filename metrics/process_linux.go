package metrics

import (
	"time"

	"github.com/prometheus/procfs"
)

// usage is this process's memory and CPU time.
type usage struct {
	rss, vsz, cpuSeconds float64
}

// selfUsage reads this process's usage from /proc/self/stat.
func selfUsage() (usage, bool) {
	p, err := procfs.Self()
	if err != nil {
		return usage{}, false
	}
	st, err := p.Stat()
	if err != nil {
		return usage{}, false
	}
	return usage{rss: float64(st.ResidentMemory()), vsz: float64(st.VirtualMemory()), cpuSeconds: st.CPUTime()}, true
}

// processStart is when this process started, as the kernel has it; the
// time of the first call when that cannot be read.
func processStart() time.Time {
	if p, err := procfs.Self(); err == nil {
		if st, err := p.Stat(); err == nil {
			if t, err := st.StartTime(); err == nil {
				sec := int64(t)
				return time.Unix(sec, int64((t-float64(sec))*1e9))
			}
		}
	}
	return time.Now()
}
