package state

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/event"
)

const (
	// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on
	// every Linux architecture).
	clockTicks = 100
	// pfKthread is the PF_KTHREAD task flag.
	pfKthread = 0x00200000
)

// Seed reads every process of ProcRoot into the table and links parents,
// session and group leaders. Processes that vanish or cannot be read while
// Seed runs are skipped; only an unreadable ProcRoot is an error.
// Processes the table already knows (from records) are kept as they are.
func (t *Tables) Seed() error {
	dir, err := os.ReadDir(t.opts.ProcRoot)
	if err != nil {
		return fmt.Errorf("state: seed: %w", err)
	}
	seeded := make([]*entry, 0, len(dir))
	for _, de := range dir {
		pid, err := strconv.ParseInt(de.Name(), 10, 64)
		if err != nil || pid <= 0 {
			continue
		}
		if cur := t.byPID[pid]; cur != nil && !cur.exited {
			continue
		}
		if e := t.read(pid); e != nil {
			t.insert(e)
			seeded = append(seeded, e)
		}
	}
	for _, e := range seeded {
		if t.byPID[e.proc.PID] == e {
			t.link(e, 0)
		}
	}
	return nil
}

// read describes process pid from ProcRoot; nil if it cannot be read (it
// is gone, or pid is not a thread group leader). Parent and leader links
// are left to the caller.
func (t *Tables) read(pid int64) *entry {
	t.procReads.Add(1)
	dir := filepath.Join(t.opts.ProcRoot, strconv.FormatInt(pid, 10))
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return nil
	}
	st, ok := parseStat(b)
	if !ok || st.pid != pid {
		return nil
	}
	b, err = os.ReadFile(dir + "/status")
	if err != nil {
		return nil
	}
	ss, ok := parseStatus(b)
	if !ok || ss.tgid != 0 && ss.tgid != pid {
		return nil
	}

	e := &entry{fromProc: true, hostSID: st.session, hostPGID: st.pgrp}
	p := &e.proc
	p.PID = pid
	p.PPID = st.ppid
	p.Name = st.comm
	p.VPID = orDefault(ss.vpid, pid)
	p.SID = orDefault(ss.vsid, st.session)
	p.VPGID = orDefault(ss.vpgid, st.pgrp)
	p.TTY = st.ttyNr
	p.UID, p.GID = ss.uid, ss.gid
	p.CapPermitted, p.CapEffective, p.CapInheritable = ss.capPrm, ss.capEff, ss.capInh
	if boot := t.boot(); boot != 0 {
		p.StartTime = boot + int64(st.startTicks)*(1e9/clockTicks)
	}

	args := splitNul(readSmall(dir + "/cmdline"))
	if len(args) > 0 {
		p.Exe = args[0]
		args = args[1:]
	} else {
		p.Exe = p.Name
	}
	p.SetArgs(args)
	if st.flags&pfKthread == 0 {
		if exe, err := os.Readlink(dir + "/exe"); err == nil {
			p.ExePath = exe
			p.ExeFromMemfd = strings.HasPrefix(exe, "/memfd:")
			// /proc does not say whether the executable is writable by
			// the process's user or on an upper layer.
			p.ExeFlagsUnknown = true
			var sb unix.Stat_t
			if unix.Stat(dir+"/exe", &sb) == nil {
				p.ExeInoCtime = sb.Ctim.Nano()
				p.ExeInoMtime = sb.Mtim.Nano()
			}
		}
		if cwd, err := os.Readlink(dir + "/cwd"); err == nil {
			p.Cwd = event.DirPath(cwd)
		}
		if env := readSmall(dir + "/environ"); env != nil {
			p.SetEnv(splitNul(env))
		}
	}
	p.LoginUID = unsetLoginUID
	if b := bytes.TrimSpace(readSmall(dir + "/loginuid")); len(b) > 0 {
		if v, err := strconv.ParseUint(string(b), 10, 32); err == nil {
			p.LoginUID = uint32(v)
		}
	}
	if cg := readSmall(dir + "/cgroup"); cg != nil {
		p.Container = t.containerFromCgroup(string(cg))
	}
	t.setNames(p, pid)
	return e
}

// readVPID returns the pid of process pid in its own namespace, 0 when it
// cannot be read.
func (t *Tables) readVPID(pid int64) int64 {
	b, err := os.ReadFile(filepath.Join(t.opts.ProcRoot, strconv.FormatInt(pid, 10), "status"))
	if err != nil {
		return 0
	}
	ss, _ := parseStatus(b)
	return ss.vpid
}

// boot returns the boot time, ns since the epoch, 0 when unknown.
func (t *Tables) boot() int64 {
	if t.bootTime != 0 {
		return t.bootTime
	}
	b, err := os.ReadFile(filepath.Join(t.opts.ProcRoot, "stat"))
	if err != nil {
		return 0
	}
	t.bootTime = parseBootTime(b)
	return t.bootTime
}

// parseBootTime returns the btime of /proc/stat in ns, 0 if absent.
func parseBootTime(b []byte) int64 {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			v, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
			if err != nil || v <= 0 || v > 1<<33 {
				return 0
			}
			return v * 1e9
		}
	}
	return 0
}

// readSmall reads a /proc file; nil when it cannot be read.
func readSmall(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return b
}

// splitNul splits a NUL-separated list (cmdline, environ), ignoring the
// trailing NULs.
func splitNul(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

func orDefault(v, def int64) int64 {
	if v != 0 {
		return v
	}
	return def
}

// statInfo is what /proc/PID/stat tells.
type statInfo struct {
	pid        int64
	comm       string
	state      byte
	ppid       int64
	pgrp       int64
	session    int64
	ttyNr      uint32 // already encoded as new_encode_dev
	flags      uint64
	startTicks uint64 // since boot, in clock ticks
}

// parseStat parses /proc/PID/stat. The comm may hold spaces and
// parentheses: it runs from the first '(' to the last ')'.
func parseStat(b []byte) (statInfo, bool) {
	var st statInfo
	s := string(b)
	open := strings.IndexByte(s, '(')
	end := strings.LastIndexByte(s, ')')
	if open <= 0 || end < open {
		return st, false
	}
	pid, err := strconv.ParseInt(strings.TrimSpace(s[:open]), 10, 64)
	if err != nil || pid <= 0 {
		return st, false
	}
	st.pid = pid
	st.comm = s[open+1 : end]
	// Fields after the comm, from 0: state ppid pgrp session tty_nr tpgid
	// flags minflt cminflt majflt cmajflt utime stime cutime cstime
	// priority nice num_threads itrealvalue starttime.
	f := strings.Fields(s[end+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return st, false
	}
	st.state = f[0][0]
	var errs [6]error
	st.ppid, errs[0] = strconv.ParseInt(f[1], 10, 64)
	st.pgrp, errs[1] = strconv.ParseInt(f[2], 10, 64)
	st.session, errs[2] = strconv.ParseInt(f[3], 10, 64)
	var tty int64
	tty, errs[3] = strconv.ParseInt(f[4], 10, 64)
	st.ttyNr = uint32(tty)
	st.flags, errs[4] = strconv.ParseUint(f[6], 10, 64)
	st.startTicks, errs[5] = strconv.ParseUint(f[19], 10, 64)
	for _, err := range errs {
		if err != nil {
			return statInfo{}, false
		}
	}
	if st.startTicks > 1<<39 {
		return statInfo{}, false
	}
	return st, true
}

// statusInfo is what /proc/PID/status tells.
type statusInfo struct {
	tgid                   int64
	uid, gid               uint32 // effective
	capInh, capPrm, capEff uint64
	// Last element of NSpid, NSpgid, NSsid: ids in the process's own PID
	// namespace; 0 when absent.
	vpid, vpgid, vsid int64
}

// parseStatus parses /proc/PID/status; it needs at least Uid and Gid.
func parseStatus(b []byte) (statusInfo, bool) {
	var ss statusInfo
	var haveUID, haveGID bool
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		switch string(k) {
		case "Tgid":
			ss.tgid, _ = strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		case "Uid":
			ss.uid, haveUID = secondID(v)
		case "Gid":
			ss.gid, haveGID = secondID(v)
		case "CapInh":
			ss.capInh = parseHex(v)
		case "CapPrm":
			ss.capPrm = parseHex(v)
		case "CapEff":
			ss.capEff = parseHex(v)
		case "NSpid":
			ss.vpid = lastInt(v)
		case "NSpgid":
			ss.vpgid = lastInt(v)
		case "NSsid":
			ss.vsid = lastInt(v)
		}
	}
	return ss, haveUID && haveGID
}

// secondID returns the effective id of a Uid or Gid line (real, effective,
// saved, filesystem).
func secondID(v []byte) (uint32, bool) {
	f := bytes.Fields(v)
	if len(f) < 2 {
		return 0, false
	}
	id, err := strconv.ParseUint(string(f[1]), 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(id), true
}

func parseHex(v []byte) uint64 {
	x, _ := strconv.ParseUint(string(bytes.TrimSpace(v)), 16, 64)
	return x
}

func lastInt(v []byte) int64 {
	f := bytes.Fields(v)
	if len(f) == 0 {
		return 0
	}
	x, err := strconv.ParseInt(string(f[len(f)-1]), 10, 64)
	if err != nil || x < 0 {
		return 0
	}
	return x
}
