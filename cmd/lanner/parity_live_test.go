package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/pipeline"
)

// TestLiveParity compares Lanner's alerts with Falco's, field by field. It
// builds Lanner with ../shared/parity/parity_rules.yaml, runs
// ../shared/parity/actions.sh once under each collector, and matches each
// alert to the one Falco 0.44.1 raised for the same action (in
// ../shared/parity/falco-alerts.jsonl). Every field of a matched pair must
// have the same value, but for the intentional differences below.
//
// Beyond those, a field may differ only when the collector's capabilities
// (what its coverage report is made of) say it leaves the field absent, or
// state a limit on it (on every event, or on events of that type); and a
// Falco alert may go unmatched only when the capabilities say the
// collector does not see that event type. The capabilities must be exact:
// a field said to be absent must be absent, and where matching is stable
// (not under fanotify) every limit stated for an event type and a field
// the alerts of that type carry must show in a difference. The number of
// matched alerts must not fall below parityFloor.
//
// fanotify sees effects, not calls, so which alerts of a process it raises
// varies from run to run: there, alerts are paired only on their
// identifying fields, unmatched alerts are only printed, and the field
// differences of the pairs are judged.
func TestLiveParity(t *testing.T) {
	testutil.LockKernel(t)
	actions := testutil.Shared(t, "parity/actions.sh")
	falco := readAlerts(t, testutil.Shared(t, "parity/falco-alerts.jsonl"))
	checkLoopbackOnly(t, actions)
	for _, tool := range []string{"bash", "cp", "sleep", "readlink", "/usr/bin/python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			testutil.RequireKernel(t, "the parity actions need "+tool)
		}
	}
	overlay := testutil.CompileOverlay(t, "compiled", "compiled", testutil.Shared(t, "parity/parity_rules.yaml"))
	bin := testutil.BuildLanner(t, overlay)
	for _, collector := range []string{"ebpf", "audit", "fanotify"} {
		t.Run(collector, func(t *testing.T) {
			l := startLanner(t, bin, "--collector", collector, "--rule-matching", "all")
			if !strings.Contains(l.stderr.String(), `msg="collector started" collector=`+collector+" ") {
				t.Fatalf("lanner did not run the %s collector:\n%s", collector, l.stderr.String())
			}
			// fanotify counts as lost each exec of a process gone before
			// /proc could be read, which the short-lived actions cause;
			// the loss shows in the unmatched alerts below.
			l.dropsExpected = collector == "fanotify"
			runParityActions(t, actions)
			got := l.stop(t)
			policy := parityPolicy(collector)
			p := compareParity(falco, got, policy)
			t.Logf("%s: %d alerts matched, %d of Falco's unmatched, %d of Lanner's unmatched", collector,
				len(p.pairs), len(p.falcoOnly), len(p.lannerOnly))
			for _, line := range p.explained {
				t.Logf("  explained: %s", line)
			}
			for _, line := range p.limited {
				t.Logf("  limit: %s", line)
			}
			for _, line := range p.unmatched {
				t.Logf("  unmatched: %s", line)
			}
			for _, line := range p.unexplained {
				t.Errorf("  %s", line)
			}
			if !policy.identityOnly {
				for _, line := range p.unseenLimits() {
					t.Errorf("  inexact: %s", line)
				}
			}
			if floor := parityFloor[collector]; len(p.pairs) < floor {
				t.Errorf("%s: %d alerts matched, fewer than the %d matched before", collector, len(p.pairs), floor)
			}
		})
	}
}

// parityFloor is the least number of matched alerts per collector: all
// 513 of Falco's under eBPF and audit; under fanotify, whose matching
// varies from run to run (150 to 320 seen, fewer on a loaded machine), a
// generous floor.
var parityFloor = map[string]int{"ebpf": 513, "audit": 513, "fanotify": 100}

// checkLoopbackOnly fails when the actions script names an IPv4 address
// outside 127.0.0.0/8: the actions must not talk to other machines.
func checkLoopbackOnly(t *testing.T, script string) {
	t.Helper()
	data, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	for _, s := range regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b`).FindAllString(string(data), -1) {
		a, err := netip.ParseAddr(s)
		if err != nil || !loopback.Contains(a) {
			t.Fatalf("%s names %s, which is not a loopback address", script, s)
		}
	}
	for _, word := range []string{"curl", "wget", "getaddrinfo", "AF_INET6", "nc "} {
		if strings.Contains(string(data), word) {
			t.Fatalf("%s uses %q: review it for network access beyond 127.0.0.0/8", script, word)
		}
	}
}

// runParityActions runs the actions as the reference corpus was made: from
// their folder, by `bash ./actions.sh` started by a script named
// runboth.sh, with only descriptors 0, 1 and 2 open and no controlling
// terminal.
func runParityActions(t *testing.T, actions string) {
	t.Helper()
	starter := filepath.Join(t.TempDir(), "runboth.sh")
	script := "#!/bin/bash\ncd " + strconv.Quote(filepath.Dir(actions)) + " && bash ./actions.sh\n"
	if err := os.WriteFile(starter, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(starter)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "actions done") {
		t.Fatalf("actions: %v\n%s", err, out)
	}
}

func readAlerts(t *testing.T, path string) []alert {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []alert
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var a alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, a)
	}
	return out
}

// paritySame are the differences that are intentional, with the reason:
// same reports whether Lanner's value lv stands for Falco's fv in alert f
// (Falco's).
var paritySame = []struct {
	field  string
	reason string
	same   func(f alert, fv, lv string) bool
}{
	{"evt.time", "times differ from run to run", func(alert, string, string) bool { return true }},
	{"proc.sname", "Lanner knows the session leader Falco had lost",
		func(_ alert, fv, lv string) bool { return fv == "" }},
	{"user.loginuid", "the login session is the one of whoever runs the test",
		func(_ alert, fv, lv string) bool { return lv == selfLoginUID() }},
	{"user.loginname", "the login session is the one of whoever runs the test",
		func(_ alert, fv, lv string) bool { return lv == selfLoginName() }},
	{"evt.args", "inode numbers differ for files made anew since the corpus was recorded (the actions' own files, rewritten caches)",
		func(_ alert, fv, lv string) bool {
			return fv != lv && inodeNumber.ReplaceAllString(fv, "ino=N") == inodeNumber.ReplaceAllString(lv, "ino=N")
		}},
	{"evt.args", "Falco also names O_TMPFILE for every O_DIRECTORY open, in the names and in its number",
		func(_ alert, fv, lv string) bool {
			m := tmpfileFlags.FindStringSubmatch(fv)
			if m == nil {
				return false
			}
			n, _ := strconv.Atoi(m[1])
			fixed := strings.Replace(fv, m[0], fmt.Sprintf("flags=%d(%s)", n&^(1<<13), m[2]), 1)
			return inodeNumber.ReplaceAllString(fixed, "ino=N") == inodeNumber.ReplaceAllString(lv, "ino=N")
		}},
	{"fd.l4proto", "Lanner knows a new socket's protocol from the socket call; Falco only after bind or connect",
		func(f alert, fv, lv string) bool { return fv == "<NA>" && f.OutputFields["evt.type"] == "socket" }},
	{"evt.arg.flags", "Falco also names O_TMPFILE for every O_DIRECTORY open (O_TMPFILE includes the O_DIRECTORY bit); Lanner only for O_TMPFILE opens",
		func(_ alert, fv, lv string) bool {
			return strings.Contains(fv, "O_DIRECTORY") && strings.Replace(fv, "|O_TMPFILE", "", 1) == lv
		}},
	{"fd.lport", "on the server side of an accepted connection Falco gives the client's port as the local one; Lanner the socket's own",
		func(f alert, fv, lv string) bool {
			return strings.HasPrefix(fmt.Sprint(f.OutputFields["evt.type"]), "accept") && lv == normalize(f.OutputFields["fd.sport"], true)
		}},
	{"fd.rport", "on the server side of an accepted connection Falco gives the server's port as the remote one; Lanner the peer's",
		func(f alert, fv, lv string) bool {
			return strings.HasPrefix(fmt.Sprint(f.OutputFields["evt.type"]), "accept") && lv == normalize(f.OutputFields["fd.cport"], true)
		}},
}

// unboundDatagram reports whether Falco's and Lanner's values differ only
// by the local address of a datagram socket that was not bound: Falco puts
// the destination's address there, Lanner the address the socket is bound
// to (0.0.0.0).
func unboundDatagram(f alert, field, fv, lv string) bool {
	if f.OutputFields["fd.l4proto"] != "udp" {
		return false
	}
	rip := normalize(f.OutputFields["fd.rip"], true)
	switch field {
	case "fd.lip", "fd.cip":
		return fv == rip && lv == "0.0.0.0"
	case "fd.name":
		return strings.HasPrefix(fv, rip+":") && lv == "0.0.0.0:"+strings.TrimPrefix(fv, rip+":")
	case "evt.args":
		// The descriptor's name in it: fd=3(<4u>cip:cport->...).
		return fv != lv && strings.Replace(lv, ">0.0.0.0:", ">"+rip+":", 1) == fv
	}
	return false
}

// tmpfileFlags matches the open flags of an O_DIRECTORY open in Falco's
// evt.args, which also name O_TMPFILE.
var tmpfileFlags = regexp.MustCompile(`flags=(\d+)\((O_DIRECTORY[A-Z_|]*)\|O_TMPFILE\)`)

// inodeNumber matches the inode number Falco prints in an open's evt.args.
var inodeNumber = regexp.MustCompile(`\bino=\d+`)

// ephemeralPort matches a port in the kernel's ephemeral range, chosen
// anew by each run (client ports), in a field's value.
var ephemeralPort = regexp.MustCompile(`\b(3[2-9]\d\d\d|[45]\d\d\d\d|60\d\d\d)\b`)

// normalize renders an output field's JSON value as text, absent as <NA>,
// and ephemeral client ports as <port>.
func normalize(v any, present bool) string {
	var s string
	switch v := v.(type) {
	case nil:
		s = "<NA>"
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(v)
	default:
		s = fmt.Sprint(v)
	}
	if !present {
		s = "<NA>"
	}
	return ephemeralPort.ReplaceAllStringFunc(s, func(p string) string {
		if p == "47011" || p == "47012" {
			return p
		}
		return "<port>"
	})
}

func selfLoginUID() string {
	data, err := os.ReadFile("/proc/self/loginuid")
	if err != nil {
		return "-1"
	}
	s := strings.TrimSpace(string(data))
	if s == "4294967295" {
		return "-1"
	}
	return s
}

func selfLoginName() string {
	uid := selfLoginUID()
	if uid == "-1" {
		return "<NA>"
	}
	if name, ok := userName(uid); ok {
		return name
	}
	return "<NA>"
}

func userName(uid string) (string, bool) {
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return "", false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 2 && f[2] == uid {
			return f[0], true
		}
	}
	return "", false
}

// paritySetup is how one collector's alerts are judged.
type paritySetup struct {
	collector string
	caps      collectors.Capabilities
	// canonical maps a Falco event type to the one the collector reports
	// it as (fanotify reports every open as openat, ...).
	canonical map[string]string
	// identityOnly pairs alerts only on their identifying fields, and
	// leaves unmatched alerts unjudged (fanotify).
	identityOnly bool
}

func parityPolicy(collector string) paritySetup {
	p := paritySetup{collector: collector, caps: pipeline.Capabilities(collector), canonical: map[string]string{}}
	if collector == "fanotify" {
		p.identityOnly = true
		for from, to := range map[string]string{"open": "openat", "openat2": "openat", "creat": "openat",
			"execveat": "execve", "mkdir": "mkdirat", "unlink": "unlinkat", "rmdir": "unlinkat",
			"rename": "renameat2", "renameat": "renameat2"} {
			p.canonical[from] = to
		}
	}
	return p
}

// parityResult is the outcome of matching Falco's alerts to Lanner's.
type parityResult struct {
	pairs                 [][2]alert
	falcoOnly, lannerOnly []alert
	// explained (on purpose or absent by the capabilities), limited (by
	// a limit of the capabilities), unmatched (not judged) and unexplained
	// describe each difference.
	explained, limited, unmatched, unexplained []string
	// limitsOn are the limits the capabilities state for event types of
	// the pairs and fields their alerts carry; limitSeen those that
	// explained a difference.
	limitsOn, limitSeen map[limitUse]bool
}

// limitUse is a limit of caps.LimitsOn: an event type and the key of the
// limit (its fields).
type limitUse struct {
	evtType event.Type
	key     string
}

// unseenLimits describes the limits stated for the pairs that explained no
// difference.
func (r parityResult) unseenLimits() []string {
	var out []string
	for u := range r.limitsOn {
		if !r.limitSeen[u] {
			out = append(out, fmt.Sprintf("the capabilities state a limit on %s on %s events, but none differs", u.key, u.evtType))
		}
	}
	sort.Strings(out)
	return out
}

// limitOn returns the limit of p.caps.LimitsOn that names field on events
// of type t.
func (p paritySetup) limitOn(t event.Type, field string) (limitUse, bool) {
	for key := range p.caps.LimitsOn[t] {
		if collectors.LimitNames(key, field) {
			return limitUse{t, key}, true
		}
	}
	return limitUse{}, false
}

func (p paritySetup) evtType(a alert) string {
	s, _ := a.OutputFields["evt.type"].(string)
	if c, ok := p.canonical[s]; ok {
		return c
	}
	return s
}

func (p paritySetup) group(a alert) string {
	cmdline, _ := a.OutputFields["proc.cmdline"].(string)
	name, _ := a.OutputFields["proc.name"].(string)
	return a.Rule + "\x00" + p.evtType(a) + "\x00" + name + "\x00" + cmdline
}

// identity is what tells two alerts of one group apart.
func identity(a alert) string {
	var b strings.Builder
	for _, f := range []string{"fd.name", "evt.arg.path", "evt.arg.oldpath", "evt.arg.name", "evt.arg.linkpath"} {
		b.WriteString(normalize(a.OutputFields[f], true))
		b.WriteByte(0)
	}
	return b.String()
}

func describeAlert(a alert) string {
	return fmt.Sprintf("%s %v %v %v", a.Rule, a.OutputFields["evt.type"], a.OutputFields["proc.cmdline"], identityText(a))
}

func identityText(a alert) string {
	for _, f := range []string{"fd.name", "evt.arg.path", "evt.arg.oldpath", "evt.arg.name", "evt.arg.linkpath"} {
		if v, ok := a.OutputFields[f]; ok && v != nil && v != "" && v != "<NA>" {
			return fmt.Sprintf("%s=%v", f, v)
		}
	}
	return ""
}

// compareParity matches falco's alerts to lanner's: within a group (rule,
// event type, process name and command line), first those with the same
// identifying fields, then the rest in order (of the same outcome); and
// judges every difference.
func compareParity(falco, lanner []alert, p paritySetup) parityResult {
	r := parityResult{limitsOn: map[limitUse]bool{}, limitSeen: map[limitUse]bool{}}
	groups := map[string]*[2][]alert{}
	var keys []string
	add := func(a alert, side int) {
		k := p.group(a)
		g := groups[k]
		if g == nil {
			g = &[2][]alert{}
			groups[k] = g
			keys = append(keys, k)
		}
		g[side] = append(g[side], a)
	}
	for _, a := range falco {
		add(a, 0)
	}
	for _, a := range lanner {
		if a.Source == "syscall" {
			add(a, 1)
		}
	}
	for _, k := range keys {
		fs, ls := groups[k][0], groups[k][1]
		used := make([]bool, len(ls))
		var restF []alert
		for _, f := range fs {
			id, found := identity(f), false
			for i, l := range ls {
				if !used[i] && identity(l) == id {
					used[i], found = true, true
					r.pairs = append(r.pairs, [2]alert{f, l})
					break
				}
			}
			if !found {
				restF = append(restF, f)
			}
		}
		var restL []alert
		for i, l := range ls {
			if !used[i] {
				restL = append(restL, l)
			}
		}
		// The rest in order, only alerts of calls with the same outcome.
		usedL := make([]bool, len(restL))
		for _, f := range restF {
			if p.identityOnly {
				r.falcoOnly = append(r.falcoOnly, f)
				continue
			}
			found := false
			for i, l := range restL {
				if !usedL[i] && l.OutputFields["evt.res"] == f.OutputFields["evt.res"] {
					usedL[i], found = true, true
					r.pairs = append(r.pairs, [2]alert{f, l})
					break
				}
			}
			if !found {
				r.falcoOnly = append(r.falcoOnly, f)
			}
		}
		for i, l := range restL {
			if !usedL[i] {
				r.lannerOnly = append(r.lannerOnly, l)
			}
		}
	}
	for _, a := range r.falcoOnly {
		line := "only Falco: " + describeAlert(a)
		t, ok := event.ParseType(p.evtType(a))
		switch {
		case ok && !p.caps.Types.Has(t):
			r.explained = append(r.explained, line+": "+p.collector+" does not see "+t.String())
		case p.identityOnly:
			r.unmatched = append(r.unmatched, line)
		default:
			r.unexplained = append(r.unexplained, line)
		}
	}
	for _, a := range r.lannerOnly {
		if p.identityOnly {
			r.unmatched = append(r.unmatched, "only Lanner: "+describeAlert(a))
		} else {
			r.unexplained = append(r.unexplained, "only Lanner: "+describeAlert(a))
		}
	}
	// Count each difference once per rule and field, with an example.
	type diffKey struct{ rule, field, kind string }
	diffs := map[diffKey][]string{}
	for _, pr := range r.pairs {
		f, l := pr[0], pr[1]
		fields := map[string]bool{}
		for k := range f.OutputFields {
			fields[k] = true
		}
		for k := range l.OutputFields {
			fields[k] = true
		}
		t, _ := event.ParseType(p.evtType(l))
		for k := range fields {
			if u, ok := p.limitOn(t, k); ok {
				r.limitsOn[u] = true
			}
			fraw, fok := f.OutputFields[k]
			lraw, lok := l.OutputFields[k]
			fv, lv := normalize(fraw, fok), normalize(lraw, lok)
			absentByCaps := p.caps.Missing[k] != "" || p.caps.AbsentOn(t, k)
			if absentByCaps && lv != "<NA>" {
				diffs[diffKey{f.Rule, k, "inexact"}] = append(diffs[diffKey{f.Rule, k, "inexact"}],
					fmt.Sprintf("%s says %s is absent but it is %q (%s)", p.collector, k, lv, identityText(f)))
				continue
			}
			if fv == lv {
				continue
			}
			kind, why := "unexplained", ""
			for _, s := range paritySame {
				if s.field == k && s.same(f, fv, lv) {
					kind, why = "explained", s.reason
				}
			}
			if unboundDatagram(f, k, fv, lv) {
				kind, why = "explained", "Falco gives an unbound datagram socket the destination's address as its own; Lanner the address it is bound to (0.0.0.0)"
			}
			switch {
			case kind == "explained":
			case absentByCaps:
				kind, why = "explained", p.collector+" leaves it absent"
			default:
				if u, ok := p.limitOn(t, k); ok {
					kind, why = "limited", p.collector+"'s limit on "+t.String()+": "+p.caps.LimitsOn[t][u.key]
					r.limitSeen[u] = true
				} else if limit, ok := p.caps.Limit(t, k); ok {
					kind, why = "limited", p.collector+"'s limit: "+limit
				}
			}
			example := fmt.Sprintf("Falco %q, Lanner %q (%s)", fv, lv, identityText(f))
			if why != "" {
				example += ": " + why
			}
			diffs[diffKey{f.Rule, k, kind}] = append(diffs[diffKey{f.Rule, k, kind}], example)
		}
	}
	var dk []diffKey
	for k := range diffs {
		dk = append(dk, k)
	}
	sort.Slice(dk, func(i, j int) bool {
		a, b := dk[i], dk[j]
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		return a.field < b.field
	})
	for _, k := range dk {
		ex := diffs[k]
		line := fmt.Sprintf("%s: %s differs in %d alerts, e.g. %s", k.rule, k.field, len(ex), ex[0])
		switch k.kind {
		case "explained":
			r.explained = append(r.explained, line)
		case "limited":
			r.limited = append(r.limited, line)
		default:
			r.unexplained = append(r.unexplained, line)
		}
	}
	return r
}
