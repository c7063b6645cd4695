package audit

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// allTypes has every syscall event type.
func allTypes() event.TypeSet {
	var s event.TypeSet
	for _, sc := range syscalls {
		if sc.t != event.TypeUnknown {
			s.Add(sc.t)
		}
	}
	return s
}

// splitLine splits a "type=N audit(...): ..." line, as auditd's raw log
// and this package's testdata write records.
func splitLine(line []byte) (uint16, []byte, bool) {
	rest, ok := bytes.CutPrefix(line, []byte("type="))
	if !ok {
		return 0, nil, false
	}
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return 0, nil, false
	}
	n, err := strconv.ParseUint(string(rest[:sp]), 10, 16)
	if err != nil {
		return 0, nil, false
	}
	return uint16(n), rest[sp+1:], true
}

// feed pushes every record of text into a.
func feed(t testing.TB, a *reassembler, text []byte) {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		typ, data, ok := splitLine(line)
		if !ok {
			t.Fatalf("bad test line %q", line)
		}
		a.push(typ, data, 0)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// drain returns copies of every record a has ready.
func drain(a *reassembler) []collectors.Record {
	var out []collectors.Record
	var r collectors.Record
	for a.next(&r) {
		out = append(out, cloneRecord(&r))
	}
	return out
}

// decodeFile decodes a testdata file with a new reassembler.
func decodeFile(t testing.TB, name string, types event.TypeSet, h hooks) ([]collectors.Record, *reassembler) {
	a := newReassembler(types, 0)
	a.dec.hooks = h
	feed(t, a, readTestdata(t, name))
	recs := drain(a)
	if a.pendingCount() != 0 {
		t.Errorf("%s: %d groups still pending", name, a.pendingCount())
	}
	return recs, a
}

// cloneRecord deep-copies r, whose strings are valid only until the next
// read.
func cloneRecord(r *collectors.Record) collectors.Record {
	c := *r
	cl := strings.Clone
	e := &c.Event
	e.FD.Name, e.FD.NameRaw = cl(e.FD.Name), cl(e.FD.NameRaw)
	a := &e.Args
	a.Path, a.Name, a.OldPath, a.NewPath = cl(a.Path), cl(a.Name), cl(a.OldPath), cl(a.NewPath)
	a.Target, a.LinkPath, a.Filename = cl(a.Target), cl(a.LinkPath), cl(a.Filename)
	x := &c.Exec
	x.Filename, x.ExePath, x.Comm, x.Cwd, x.CgroupPath = cl(x.Filename), cl(x.ExePath), cl(x.Comm), cl(x.Cwd), cl(x.CgroupPath)
	x.Args = nil
	for _, s := range r.Exec.Args {
		x.Args = append(x.Args, cl(s))
	}
	x.Env = nil
	return c
}

// x86Records skips a test whose audit records were taken on x86_64 (arch=
// c000003e, x86_64 syscall numbers): a build for another architecture
// decodes only its own architecture's records.
func x86Records(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("x86_64 audit records; this build decodes %s's", runtime.GOARCH)
	}
}
