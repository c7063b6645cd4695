package pipeline

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Linux capability numbers (linux/capability.h) of the capabilities the
// collectors need.
const (
	capSysAdmin     = 21
	capAuditControl = 30
	capPerfmon      = 38
	capBPF          = 39
	capAuditRead    = 37
)

var capNames = map[int]string{
	capSysAdmin: "CAP_SYS_ADMIN", capAuditControl: "CAP_AUDIT_CONTROL", capAuditRead: "CAP_AUDIT_READ",
	capPerfmon: "CAP_PERFMON", capBPF: "CAP_BPF",
}

// collectorPrivileges are the capabilities each collector needs (root
// has them all).
var collectorPrivileges = map[string][]int{
	"ebpf":     {capBPF, capPerfmon},
	"audit":    {capAuditControl},
	"fanotify": {capSysAdmin},
}

// privilegeNotes complete collectorPrivileges in messages.
var privilegeNotes = map[string]string{
	"ebpf":  " (CAP_SYS_ADMIN before Linux 5.8)",
	"audit": " (and CAP_AUDIT_READ when auditd runs)",
}

// effectiveCaps returns the effective capability set of this process from
// /proc/self/status, and whether it could be read.
func effectiveCaps() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	return parseCapEff(string(b))
}

// parseCapEff finds the CapEff line of a /proc/PID/status text.
func parseCapEff(status string) (uint64, bool) {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// privilegeError says that a collector was refused for lack of privilege,
// and which privileges it needs.
type privilegeError struct {
	collector string
	missing   []string // capabilities this process lacks
	err       error
}

func (e *privilegeError) Error() string {
	var need []string
	for _, c := range collectorPrivileges[e.collector] {
		need = append(need, capNames[c])
	}
	msg := "not permitted: needs root, or " + strings.Join(need, " and ") + privilegeNotes[e.collector]
	if len(e.missing) > 0 {
		return msg + "; this process lacks " + strings.Join(e.missing, ", ")
	}
	return msg + "; this process has them, so something else forbids it (a container's or a security module's policy): " + e.err.Error()
}

func (e *privilegeError) Unwrap() error { return e.err }

// ExplainCollectorError turns a collector's refusal for lack of privilege
// (EPERM, EACCES) into an error naming the privileges it needs; other
// errors are returned as they are.
func ExplainCollectorError(name string, err error) error {
	caps, ok := effectiveCaps()
	return explainWithCaps(name, err, caps, ok)
}

func explainWithCaps(name string, err error, caps uint64, known bool) error {
	if !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EACCES) {
		return err
	}
	need, ok := collectorPrivileges[name]
	if !ok {
		return err
	}
	pe := &privilegeError{collector: name, err: err}
	for _, c := range need {
		if !known || caps&(1<<c) == 0 {
			pe.missing = append(pe.missing, capNames[c])
		}
	}
	return pe
}

// allPrivilegeErrors reports whether every error of errs is a
// privilegeError.
func allPrivilegeErrors(errs []error) bool {
	for _, err := range errs {
		var pe *privilegeError
		if !errors.As(err, &pe) {
			return false
		}
	}
	return len(errs) > 0
}

// noCollectorError is the error of a run no collector could start for.
func noCollectorError(errs []error) error {
	if allPrivilegeErrors(errs) {
		if os.Geteuid() == 0 {
			return errors.New("no collector works here: not permitted; this root process lacks the capabilities named above (removed by its container or its capability bounding set)")
		}
		return fmt.Errorf("no collector works here: not permitted; run lanner as root (uid %d here), or with the capabilities named above", os.Geteuid())
	}
	return errors.New("no collector works here (see above why)")
}
