package audit

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/elastic/go-libaudit/v2/rule"

	"github.com/lannersec/lanner/event"
)

// Layout of struct audit_rule_data (linux/audit.h): flags, action,
// field_count, mask[64], fields[64], values[64], fieldflags[64], buflen,
// then the string values of the string fields, back to back.
const (
	ruleMaxFields = 64
	ruleOffFields = 3*4 + 64*4
	ruleOffValues = ruleOffFields + ruleMaxFields*4
	ruleOffBuflen = ruleOffValues + 2*ruleMaxFields*4
	ruleHdrSize   = ruleOffBuflen + 4

	fieldFilterKey = 210 // AUDIT_FILTERKEY
	keySeparator   = "\x01"
)

// stringField reports whether an audit rule field carries a string.
func stringField(f uint32) bool {
	switch f {
	case 13, 14, 15, 16, 17, // AUDIT_SUBJ_USER .. AUDIT_SUBJ_CLR
		19, 20, 21, 22, 23, // AUDIT_OBJ_USER .. AUDIT_OBJ_LEV_HIGH
		105, 107, 112, // AUDIT_WATCH, AUDIT_DIR, AUDIT_EXE
		fieldFilterKey:
		return true
	}
	return false
}

// ruleKeys returns the keys of a rule in the kernel's binary format
// (several keys are joined by \x01 in one key field). It returns nil for a
// rule it cannot read.
func ruleKeys(wf []byte) []string {
	if len(wf) < ruleHdrSize {
		return nil
	}
	le := binary.LittleEndian
	n := le.Uint32(wf[8:])
	if n > ruleMaxFields {
		return nil
	}
	buflen := le.Uint32(wf[ruleOffBuflen:])
	buf := wf[ruleHdrSize:]
	if uint64(buflen) > uint64(len(buf)) {
		return nil
	}
	buf = buf[:buflen]
	var keys []string
	off := uint64(0)
	for i := range n {
		f := le.Uint32(wf[ruleOffFields+4*i:])
		if !stringField(f) {
			continue
		}
		l := uint64(le.Uint32(wf[ruleOffValues+4*i:]))
		if off+l > uint64(len(buf)) {
			return nil
		}
		if f == fieldFilterKey {
			keys = append(keys, strings.Split(string(buf[off:off+l]), keySeparator)...)
		}
		off += l
	}
	return keys
}

// ruleHasKey reports whether a rule in binary format carries key.
func ruleHasKey(wf []byte, key string) bool {
	return slices.Contains(ruleKeys(wf), key)
}

// buildRule builds "-a always,exit -F arch=b64 [-F pid!=N] -S ... -k KEY".
func buildRule(opts *Options, key string) ([]byte, error) {
	r := &rule.SyscallRule{
		Type:     rule.AppendSyscallRuleType,
		List:     "exit",
		Action:   "always",
		Filters:  []rule.FilterSpec{{Type: rule.ValueFilterType, LHS: "arch", Comparator: "=", RHS: "b64"}},
		Syscalls: ruleSyscalls(&opts.Types),
		Keys:     []string{key},
	}
	if opts.ExcludePID > 0 {
		r.Filters = append(r.Filters, rule.FilterSpec{
			Type: rule.ValueFilterType, LHS: "pid", Comparator: "!=", RHS: strconv.Itoa(opts.ExcludePID),
		})
	}
	return rule.Build(r)
}

// buildExclusion builds "-a never,exit -F arch=b64 -S ... -F path=P -k
// KEY" (or -F aN=V) for x: never rules that come first in the exit list
// keep the calls they match from being audited.
func buildExclusion(x Exclusion, key string) ([]byte, error) {
	types := event.TypeSetOf(x.Types...)
	var names []string
	for _, s := range syscalls {
		if s.t != event.TypeUnknown && types.Has(s.t) {
			names = append(names, s.name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("exclusion %s names no syscall", x)
	}
	r := &rule.SyscallRule{
		Type:     rule.AppendSyscallRuleType,
		List:     "exit",
		Action:   "never",
		Filters:  []rule.FilterSpec{{Type: rule.ValueFilterType, LHS: "arch", Comparator: "=", RHS: "b64"}},
		Syscalls: names,
		Keys:     []string{key},
	}
	switch {
	case x.Path != "":
		r.Filters = append(r.Filters, rule.FilterSpec{Type: rule.ValueFilterType, LHS: "path", Comparator: "=", RHS: x.Path})
	case x.Arg >= 0 && x.Arg <= 3:
		r.Filters = append(r.Filters, rule.FilterSpec{
			Type: rule.ValueFilterType, LHS: "a" + strconv.Itoa(x.Arg), Comparator: "=", RHS: strconv.FormatUint(uint64(x.Value), 10),
		})
	default:
		return nil, fmt.Errorf("exclusion: argument %d cannot be filtered", x.Arg)
	}
	return rule.Build(r)
}

// buildPrependedExclusion is buildExclusion for a rule put at the head of
// the exit list (-A), ahead of the collector's rule, which is there
// already.
func buildPrependedExclusion(x Exclusion, key string) ([]byte, error) {
	wf, err := buildExclusion(x, key)
	if err != nil {
		return nil, err
	}
	// go-libaudit does not set the kernel's prepend flag: the first field
	// of struct audit_rule_data is the list, with AUDIT_FILTER_PREPEND.
	if len(wf) < 4 {
		return nil, fmt.Errorf("exclusion %s: short rule", x)
	}
	binary.NativeEndian.PutUint32(wf, binary.NativeEndian.Uint32(wf)|auditFilterPrepend)
	return wf, nil
}

// auditFilterPrepend is AUDIT_FILTER_PREPEND.
const auditFilterPrepend = 0x10

// typeExclusion builds "-a never,exclude -F msgtype=TYP": the kernel then
// neither formats nor queues records of that type. The collector does
// without PROCTITLE records (argv comes from EXECVE records) and, while it
// completes events by their shape, EOE records. The exclude list ignores
// rules with a key field, so this rule carries none.
func typeExclusion(typ int) ([]byte, error) {
	return rule.Build(&rule.SyscallRule{
		Type:    rule.AppendSyscallRuleType,
		List:    "exclude",
		Action:  "never",
		Filters: []rule.FilterSpec{{Type: rule.ValueFilterType, LHS: "msgtype", Comparator: "=", RHS: strconv.Itoa(typ)}},
	})
}
