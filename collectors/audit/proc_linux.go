//go:build linux

package audit

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/state"
)

// What the audit records lack is looked up in /proc when the record is
// read. The process may have gone (or changed) in between: each lookup
// checks what it can and gives up rather than guess.

const clockTicks = 100 // USER_HZ on x86_64

func procPath(pid int64, rest string) string {
	return "/proc/" + strconv.FormatInt(pid, 10) + rest
}

// procDirPath returns the path of directory fd fd of process pid.
func procDirPath(pid, fd int64) (string, bool) {
	if pid <= 0 || fd < 0 {
		return "", false
	}
	p, err := os.Readlink(procPath(pid, "/fd/"+strconv.FormatInt(fd, 10)))
	if err != nil || p == "" || p[0] != '/' || strings.HasSuffix(p, " (deleted)") {
		return "", false
	}
	return p, true
}

// procIsThread reports whether task tid is a thread of process pid.
func procIsThread(pid, tid int64) (bool, bool) {
	if pid <= 0 || tid <= 0 {
		return false, false
	}
	if pid == tid {
		return false, true
	}
	if _, err := os.Stat(procPath(pid, "/task/"+strconv.FormatInt(tid, 10))); err == nil {
		return true, true
	}
	if _, err := os.Stat(procPath(tid, "/stat")); err == nil {
		return false, true // a process of its own
	}
	return false, false
}

var bootTime = sync.OnceValue(func() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			v, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
			if err == nil && v > 0 {
				return v * 1e9
			}
		}
	}
	return 0
})

// procExec completes an exec record from /proc/PID: the cgroup path, the
// session, the namespace pids, the start time, and the capability sets
// unless the record had them (BPRM_FCAPS). Nothing is filled unless the
// process still runs the program the record names (same comm).
func procExec(r *collectors.Record, haveCaps bool) {
	x := &r.Exec
	stat, err := os.ReadFile(procPath(r.PID, "/stat"))
	if err != nil {
		return
	}
	open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || close < open || string(stat[open+1:close]) != x.Comm {
		return
	}
	// After the comm: state (field 3), ..., session (6), ..., starttime (22).
	f := strings.Fields(string(stat[close+1:]))
	if len(f) > 19 {
		if v, err := strconv.ParseInt(f[3], 10, 64); err == nil {
			x.SID = v
		}
		if v, err := strconv.ParseInt(f[19], 10, 64); err == nil {
			if boot := bootTime(); boot != 0 {
				x.StartTime = boot + v*(1e9/clockTicks)
			}
		}
	}
	if st, err := os.ReadFile(procPath(r.PID, "/status")); err == nil {
		for line := range bytes.Lines(st) {
			k, v, ok := bytes.Cut(line, []byte(":"))
			if !ok {
				continue
			}
			v = bytes.TrimSpace(v)
			var capp *uint64
			switch string(k) {
			case "NSpid":
				x.VPID = lastField(v)
			case "NSpgid":
				x.VPGID = lastField(v)
			case "CapInh":
				capp = &x.CapInheritable
			case "CapPrm":
				capp = &x.CapPermitted
			case "CapEff":
				capp = &x.CapEffective
			}
			if capp != nil && !haveCaps {
				if n, err := strconv.ParseUint(string(v), 16, 64); err == nil {
					*capp = n
				}
			}
		}
	}
	if cg, err := os.ReadFile(procPath(r.PID, "/cgroup")); err == nil {
		x.CgroupPath = cgroupPath(string(cg))
	}
}

func lastField(v []byte) int64 {
	f := bytes.Fields(v)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(f[len(f)-1]), 10, 64)
	return n
}

// cgroupPath picks from /proc/PID/cgroup the path of the first hierarchy
// that names a container, else that of the memory controller, else that of
// the unified hierarchy (as the eBPF collector does).
func cgroupPath(cg string) string {
	var unified, memory string
	for line := range strings.Lines(cg) {
		parts := strings.SplitN(strings.TrimRight(line, "\n"), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if _, _, ok := state.ContainerIDFromCgroup(parts[2]); ok {
			return parts[2]
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			unified = parts[2]
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			memory = parts[2]
		}
	}
	if memory != "" {
		return memory
	}
	return unified
}
