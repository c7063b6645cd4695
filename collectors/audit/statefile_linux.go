//go:build linux

package audit

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lannersec/lanner/internal/safefile"
)

// The audit settings a collector changes outlive it when it is killed. It
// writes what it found to a state file (in Options.StateDir, by default
// DefaultStateDir) before changing anything, so that the next run can
// restore them.

// saved is the content of a state file: who wrote it, the original value
// of each setting it changed (or was going to change), and whether it added
// (or was going to add) the PROCTITLE and EOE exclusion rules.
type saved struct {
	pid, start   int64
	enabled      setting
	backlog      setting
	waitTime     setting
	exclusion    bool // PROCTITLE
	eoeExclusion bool
}

type setting struct {
	val uint32
	set bool // the collector changed it: restore val
}

// statePath is the state file of the collector with key in dir.
func statePath(dir, key string) string {
	name := key
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			name = "x" + hex.EncodeToString([]byte(key))
			break
		}
	}
	return filepath.Join(dir, "audit-"+name+".state")
}

func (s *saved) marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "pid=%d start=%d", s.pid, s.start)
	for _, f := range []struct {
		name string
		s    setting
	}{{"enabled", s.enabled}, {"backlog_limit", s.backlog}, {"backlog_wait_time", s.waitTime}} {
		if f.s.set {
			fmt.Fprintf(&b, " %s=%d", f.name, f.s.val)
		}
	}
	if s.exclusion {
		b.WriteString(" exclude_proctitle=1")
	}
	if s.eoeExclusion {
		b.WriteString(" exclude_eoe=1")
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func parseSaved(b []byte) (saved, bool) {
	var s saved
	for _, f := range strings.Fields(string(b)) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return s, false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return s, false
		}
		switch k {
		case "pid":
			s.pid = n
		case "start":
			s.start = n
		case "enabled":
			s.enabled = setting{uint32(n), true}
		case "backlog_limit":
			s.backlog = setting{uint32(n), true}
		case "backlog_wait_time":
			s.waitTime = setting{uint32(n), true}
		case "exclude_proctitle":
			s.exclusion = n != 0
		case "exclude_eoe":
			s.eoeExclusion = n != 0
		}
	}
	return s, s.pid > 0
}

// readState returns the state left in the file at path, if any.
func readState(path string) (saved, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return saved{}, false
	}
	return parseSaved(b)
}

func writeState(p string, s *saved) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := safefile.WriteFile(tmp, s.marshal(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func removeState(path string) {
	os.Remove(path)
}

// startTime returns the start time of process pid (clock ticks after
// boot), 0 when it does not exist.
func startTime(pid int64) int64 {
	b, err := os.ReadFile(procPath(pid, "/stat"))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) <= 19 {
		return 0
	}
	v, _ := strconv.ParseInt(f[19], 10, 64)
	return v
}

// alive reports whether process pid still runs, and is the one that
// started at start (when start is known).
func alive(pid, start int64) bool {
	st := startTime(pid)
	if st == 0 {
		return false
	}
	return start == 0 || st == start
}
