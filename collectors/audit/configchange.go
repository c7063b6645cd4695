package audit

import (
	"github.com/lannersec/lanner/collectors"
)

// typeConfigChange is AUDIT_CONFIG_CHANGE: the kernel's record of a change
// to the audit rules or settings. It carries no pid: the process that made
// the change is in the SYSCALL record of the same serial (the sendto on
// the audit socket), which follows it.
const typeConfigChange = 1305

// configChange is what a CONFIG_CHANGE record says.
type configChange struct {
	// Op is "add_rule", "remove_rule", "set" (a setting), or another
	// operation of the kernel's ("trim", "make_equiv", ...).
	Op string
	// Key is the key of the rule added or removed ("" for none), List
	// its filter list (4 exit, 5 exclude), -1 when not said.
	Key  string
	List int
	// Setting is the setting changed by op=set ("audit_enabled",
	// "audit_backlog_limit", "audit_backlog_wait_time",
	// "audit_rate_limit", "audit_failure", "audit_pid", ...), with its
	// new and old values (-1 when not said).
	Setting  string
	New, Old int64
	// Res is 1 when the change was made, 0 when it failed; -1 unknown.
	Res int
	// AUID is the login uid of the process that made the change, -1
	// when unset or not said.
	AUID int64
}

// configSettings are the settings a CONFIG_CHANGE record may report as
// "<name>=<new> old=<old>".
var configSettings = [...]string{
	"audit_enabled", "audit_backlog_limit", "audit_backlog_wait_time", "audit_rate_limit",
	"audit_failure", "audit_pid",
}

// maxConfigString bounds the strings a configChange keeps (op, key).
const maxConfigString = 256

// parseConfigChange parses the fields of a CONFIG_CHANGE record (after the
// header). It reports false when the record names no operation.
func parseConfigChange(body []byte) (configChange, bool) {
	cc := configChange{List: -1, New: -1, Old: -1, Res: -1, AUID: -1}
	it := fields{body}
	for {
		k, v, quoted, ok := it.next()
		if !ok {
			break
		}
		switch string(k) {
		case "op":
			cc.Op = boundedString(v, quoted)
		case "key":
			if !isNull(v, quoted) {
				cc.Key = boundedString(v, quoted)
			}
		case "list":
			if n, ok := parseDec(v); ok && n < 1<<16 {
				cc.List = int(n)
			}
		case "res":
			if n, ok := parseDec(v); ok && n <= 1 {
				cc.Res = int(n)
			}
		case "old":
			if n, ok := parseInt(v); ok {
				cc.Old = n
			}
		case "auid":
			cc.AUID = parseID(v)
		default:
			for _, s := range configSettings {
				if string(k) == s {
					cc.Setting = s
					if n, ok := parseInt(v); ok {
						cc.New = n
					}
				}
			}
		}
	}
	return cc, cc.Op != ""
}

// parseActor reads who made a call from the fields of its SYSCALL record:
// pid, uid, auid, comm and exe (which may be hex-encoded). The serial's
// record is trusted for the ids; comm and exe are whatever the process
// chose to be called, and are kept as text, bounded.
func parseActor(body []byte) collectors.Actor {
	a := collectors.Actor{AUID: -1, UID: -1}
	it := fields{body}
	for {
		k, v, quoted, ok := it.next()
		if !ok {
			break
		}
		switch string(k) {
		case "pid":
			if n, ok := parseDec(v); ok && n < 1<<31 {
				a.PID = int64(n)
			}
		case "uid":
			a.UID = parseID(v)
		case "auid":
			a.AUID = parseID(v)
		case "comm":
			a.Comm = boundedString(v, quoted)
		case "exe":
			a.Exe = boundedString(v, quoted)
		}
	}
	return a
}

// parseID parses a uid field: -1 for "unset" (4294967295) or anything
// that is not a number.
func parseID(v []byte) int64 {
	n, ok := parseDec(v)
	if !ok || n >= 1<<32-1 {
		return -1
	}
	return int64(n)
}

// boundedString decodes a field value (quoted, or hex-encoded when not)
// into a string of at most maxConfigString bytes.
func boundedString(v []byte, quoted bool) string {
	var buf [maxConfigString]byte
	b, ok := appendUntrusted(buf[:0], v, quoted)
	if !ok {
		b = append(buf[:0], v...)
	}
	if len(b) > maxConfigString {
		b = b[:maxConfigString]
	}
	return string(b)
}
