package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lannersec/lanner/collectors"
)

// configRecords reads testdata/config_change.txt: CONFIG_CHANGE records of
// auditctl, each followed by the SYSCALL record of its serial.
func configRecords(t *testing.T) (changes []configChange, actors []collectors.Actor) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "config_change.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(b) {
		typ, rest, ok := bytes.Cut(bytes.TrimPrefix(bytes.TrimRight(line, "\n"), []byte("type=")), []byte(" "))
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		_, body, err := parseHeader(rest)
		if err != nil {
			t.Fatal(err)
		}
		switch n, _ := strconv.Atoi(string(typ)); n {
		case typeConfigChange:
			cc, ok := parseConfigChange(body)
			if !ok {
				t.Fatalf("not parsed: %q", line)
			}
			changes = append(changes, cc)
		case typeSyscall:
			actors = append(actors, parseActor(body))
		}
	}
	return changes, actors
}

func TestParseConfigChange(t *testing.T) {
	changes, actors := configRecords(t)
	want := []configChange{
		{Op: "add_rule", Key: "tampercap", List: 4, New: -1, Old: -1, Res: 1, AUID: -1},
		{Op: "add_rule", Key: "tampercap", List: 4, New: -1, Old: -1, Res: 1, AUID: -1},
		{Op: "add_rule", List: 5, New: -1, Old: -1, Res: 1, AUID: -1},
		{Op: "remove_rule", List: 5, New: -1, Old: -1, Res: 1, AUID: -1},
		{Op: "remove_rule", Key: "tampercap", List: 4, New: -1, Old: -1, Res: 1, AUID: -1},
		{Op: "remove_rule", Key: "tampercap", List: 4, New: -1, Old: -1, Res: 1, AUID: -1},
		{Op: "set", List: -1, Setting: "audit_backlog_limit", New: 100, Old: 64, Res: 1, AUID: -1},
		{Op: "set", List: -1, Setting: "audit_backlog_limit", New: 64, Old: 100, Res: 1, AUID: -1},
		{Op: "set", List: -1, Setting: "audit_backlog_wait_time", New: 0, Old: 15000, Res: 1, AUID: -1},
		{Op: "set", List: -1, Setting: "audit_backlog_wait_time", New: 15000, Old: 0, Res: 1, AUID: -1},
		{Op: "set", List: -1, Setting: "audit_rate_limit", New: 5, Old: 0, Res: 1, AUID: -1},
		{Op: "set", List: -1, Setting: "audit_rate_limit", New: 0, Old: 5, Res: 1, AUID: -1},
		{Op: "set", List: -1, Setting: "audit_enabled", New: 0, Old: 1, Res: 1, AUID: -1},
	}
	if len(changes) != len(want) || len(actors) != len(want) {
		t.Fatalf("%d changes and %d actors, want %d", len(changes), len(actors), len(want))
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Errorf("record %d: %+v, want %+v", i, changes[i], want[i])
		}
		a := actors[i]
		if a.PID <= 0 || a.UID != 0 || a.AUID != -1 || a.Comm != "auditctl" || a.Exe != "/usr/sbin/auditctl" {
			t.Errorf("actor %d: %+v", i, a)
		}
	}
}

func TestParseConfigChangeEdges(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
		want configChange
	}{
		{"", false, configChange{List: -1, New: -1, Old: -1, Res: -1, AUID: -1}},
		{"auid=1000 ses=3 subj=unconfined op=remove_rule key=6C616E6E6572 list=4 res=0", true,
			configChange{Op: "remove_rule", Key: "lanner", List: 4, New: -1, Old: -1, Res: 0, AUID: 1000}},
		{"op=set audit_enabled=2 old=1 auid=0 ses=1 res=1", true,
			configChange{Op: "set", Setting: "audit_enabled", New: 2, Old: 1, List: -1, Res: 1, AUID: 0}},
		{"op=set audit_pid=0 old=123 auid=x res=7", true,
			configChange{Op: "set", Setting: "audit_pid", New: 0, Old: 123, List: -1, Res: -1, AUID: -1}},
		{`op="` + string(bytes.Repeat([]byte("a"), 1000)) + `"`, true,
			configChange{Op: string(bytes.Repeat([]byte("a"), maxConfigString)), List: -1, New: -1, Old: -1, Res: -1, AUID: -1}},
	} {
		got, ok := parseConfigChange([]byte(tc.body))
		if ok != tc.ok || got != tc.want {
			t.Errorf("%.60q: %+v %v, want %+v %v", tc.body, got, ok, tc.want, tc.ok)
		}
	}
	// comm and exe hex-encoded, as the kernel writes names with spaces.
	a := parseActor([]byte(`pid=7 uid=1000 auid=4294967295 comm=6120622063 exe=2F746D702F6120622063`))
	if a != (collectors.Actor{PID: 7, UID: 1000, AUID: -1, Comm: "a b c", Exe: "/tmp/a b c"}) {
		t.Errorf("actor %+v", a)
	}
}

func TestRuleDiff(t *testing.T) {
	a, b, c := []byte("a"), []byte("b"), []byte("c")
	for _, tc := range []struct {
		want, have     [][]byte
		missing, extra int
	}{
		{[][]byte{a, b}, [][]byte{a, b}, 0, 0},
		{[][]byte{a, b}, [][]byte{b, a}, 0, 0},
		{[][]byte{a, b}, nil, 2, 0},
		{[][]byte{a, b}, [][]byte{a}, 1, 0},
		{[][]byte{a, b}, [][]byte{a, b, c}, 0, 1},
		{[][]byte{a, a}, [][]byte{a}, 1, 0},
		{[][]byte{a}, [][]byte{a, a}, 0, 1},
	} {
		m, e := ruleDiff(tc.want, tc.have)
		if m != tc.missing || e != tc.extra {
			t.Errorf("ruleDiff(%q, %q) = %d, %d; want %d, %d", tc.want, tc.have, m, e, tc.missing, tc.extra)
		}
	}
}

func TestIsTypeExclusion(t *testing.T) {
	wf, err := typeExclusion(typeProctitle)
	if err != nil {
		t.Fatal(err)
	}
	if !isTypeExclusion(wf, typeProctitle) || isTypeExclusion(wf, typeEOE) || isTypeExclusion(wf[:10], typeProctitle) {
		t.Error("isTypeExclusion")
	}
	x, err := buildExclusion(Exclusion{Path: "/dev/null", Types: nil}, "k")
	if err == nil && isTypeExclusion(x, typeProctitle) {
		t.Error("a path exclusion taken for a type exclusion")
	}
}
