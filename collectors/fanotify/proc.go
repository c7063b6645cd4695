package fanotify

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// procReader reads process details from a procfs mounted at Root.
type procReader struct {
	Root string
	// BootTime is the wall clock time of boot, ns since the Unix epoch,
	// and TicksPerSec the unit of /proc/PID/stat's start time.
	BootTime    int64
	TicksPerSec int64
	// SkipEnv leaves the environment unread (Options.SkipEnv).
	SkipEnv bool
}

func (p *procReader) path(pid int64, name string) string {
	return p.Root + "/" + strconv.FormatInt(pid, 10) + "/" + name
}

// readExec fills ex from /proc/PID. It reports whether the process still
// existed (its status could be read), and whether its argv could be read
// (a process that exits at once is gone before it is); fields it cannot
// read stay as they were. argv longer than event.ArgvHead+ArgvTail bytes
// keeps its head and tail (event.CutArgv).
func (p *procReader) readExec(pid int64, ex *collectors.Exec) (alive, argv bool) {
	ex.ExeFlagsUnknown = true // /proc does not say
	// The exe link and argv go first: they vanish as soon as the process
	// exits, while the rest stays readable until it is reaped.
	if s, err := os.Readlink(p.path(pid, "exe")); err == nil {
		ex.ExePath = strings.TrimSuffix(s, " (deleted)")
		ex.ExeFromMemfd = strings.HasPrefix(s, "/memfd:")
	}
	// An exiting process's cmdline reads empty: its memory is gone.
	// (A program run with no arguments at all has argv[0] = "".)
	if b, err := os.ReadFile(p.path(pid, "cmdline")); err == nil && len(b) > 0 {
		ex.Args = event.CutArgv(nil, b)
		argv = true
	}
	status, err := os.ReadFile(p.path(pid, "status"))
	if err != nil {
		return false, argv
	}
	parseStatus(status, ex)
	if !p.SkipEnv {
		if b, err := os.ReadFile(p.path(pid, "environ")); err == nil {
			ex.Env = splitNUL(b)
		}
	}
	if s, err := os.Readlink(p.path(pid, "cwd")); err == nil {
		ex.Cwd = strings.TrimSuffix(s, " (deleted)")
	}
	if b, err := os.ReadFile(p.path(pid, "loginuid")); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil {
			ex.LoginUID = uint32(v)
		}
	}
	if b, err := os.ReadFile(p.path(pid, "stat")); err == nil {
		if st, ok := parseStat(b); ok {
			ex.Comm = st.comm
			ex.TTY = st.tty
			if p.TicksPerSec > 0 {
				ex.StartTime = p.BootTime + st.start*(1e9/p.TicksPerSec)
			}
		}
	}
	if b, err := os.ReadFile(p.path(pid, "cgroup")); err == nil {
		ex.CgroupPath = pickCgroup(b)
	}
	return true, argv
}

// splitNUL splits NUL-terminated strings, as in /proc/PID/cmdline.
func splitNUL(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, s := range parts {
		out[i] = string(s)
	}
	return out
}

// parseStatus takes PPid, the effective ids, the innermost namespace pid,
// pgid and sid (and the host sid) and the capability sets from
// /proc/PID/status.
func parseStatus(b []byte, ex *collectors.Exec) {
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		f := strings.Fields(string(v))
		if len(f) == 0 {
			continue
		}
		last := f[len(f)-1]
		switch string(k) {
		case "PPid":
			ex.PPID = atoi(f[0])
		case "Uid":
			if len(f) >= 2 {
				ex.UID = uint32(atoi(f[1]))
			}
		case "Gid":
			if len(f) >= 2 {
				ex.GID = uint32(atoi(f[1]))
			}
		case "NSpid":
			ex.VPID = atoi(last)
		case "NSpgid":
			ex.VPGID = atoi(last)
		case "NSsid":
			ex.SID = atoi(f[0])
		case "CapInh":
			ex.CapInheritable = hex64(f[0])
		case "CapPrm":
			ex.CapPermitted = hex64(f[0])
		case "CapEff":
			ex.CapEffective = hex64(f[0])
		}
	}
}

func atoi(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return v
}

func hex64(s string) uint64 {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0
	}
	return v
}

type statInfo struct {
	comm  string
	ppid  int64
	tty   uint32
	start int64 // clock ticks after boot
}

// parseStat parses /proc/PID/stat, whose second field (comm, in
// parentheses) may hold spaces and parentheses itself.
func parseStat(b []byte) (statInfo, bool) {
	open, i := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || i < open {
		return statInfo{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 20 {
		return statInfo{}, false
	}
	return statInfo{
		comm:  string(b[open+1 : i]),
		ppid:  atoi(f[1]),
		tty:   uint32(atoi(f[4])),
		start: atoi(f[19]),
	}, true
}

// pickCgroup returns the cgroup path of the first hierarchy that names a
// container runtime, or else that of the unified hierarchy (0::), or
// else the first.
func pickCgroup(b []byte) string {
	var first, unified string
	for line := range strings.SplitSeq(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		p := parts[2]
		for _, k := range []string{"docker", "containerd", "kubepods", "libpod", "crio", "lxc"} {
			if strings.Contains(p, k) {
				return p
			}
		}
		if first == "" {
			first = p
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = p
		}
	}
	if unified != "" {
		return unified
	}
	return first
}

// listPIDs returns the thread group ids under Root.
func (p *procReader) listPIDs() (map[int64]bool, error) {
	d, err := os.Open(p.Root)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(names))
	for _, n := range names {
		if n == "" || n[0] < '0' || n[0] > '9' {
			continue
		}
		if v, err := strconv.ParseInt(n, 10, 64); err == nil {
			out[v] = true
		}
	}
	return out, nil
}

// ppid returns the parent of pid from its stat, or 0.
func (p *procReader) ppid(pid int64) int64 {
	b, err := os.ReadFile(p.path(pid, "stat"))
	if err != nil {
		return 0
	}
	st, _ := parseStat(b)
	return st.ppid
}
