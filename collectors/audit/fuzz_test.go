package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("type=1300 audit(1.1:1): arch=c000003e syscall=59 success=yes exit=0 items=1 pid=1\ntype=1309 audit(1.1:1): argc=2 a0_len=4 a0[1]=41 a1=\"\nx"))
	f.Add([]byte("type=1306 audit(1.1:1): saddr=0A00\ntype=1300 audit(1.1:1): arch=c000003e syscall=42 exit=0 pid=1 a0=1\ntype=1320 audit(1.1:1):"))
	f.Add([]byte{})
}

// FuzzParse checks that the record parsers never panic, whatever the text.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for line := range bytes.Lines(data) {
			_, body, err := parseHeader(line)
			if err != nil {
				body = line
			}
			it := fields{body}
			n := 0
			for {
				k, v, _, ok := it.next()
				if !ok {
					break
				}
				if len(k) == 0 {
					t.Fatalf("empty key in %q", line)
				}
				n++
				if n > len(body) {
					t.Fatalf("more fields than bytes in %q", line)
				}
				_, _ = appendUntrusted(nil, v, false)
				_, _ = parseHex(v)
				_, _ = parseInt(v)
				_, _ = parseOctal(v)
				_ = ttyDev(v)
				_, _, _, _ = argKey(v)
			}
			_ = ruleKeys(line)
			_ = isTypeExclusion(line, typeProctitle)
			if cc, ok := parseConfigChange(body); ok && (cc.Op == "" || len(cc.Op) > maxConfigString || len(cc.Key) > maxConfigString) {
				t.Fatalf("config change %+v from %q", cc, line)
			}
			if a := parseActor(body); len(a.Comm) > maxConfigString || len(a.Exe) > maxConfigString || a.PID < 0 {
				t.Fatalf("actor %+v from %q", a, line)
			}
		}
	})
}

// FuzzReassemble feeds arbitrary "type=N text" lines to the reassembler:
// it must not panic, must count what it cannot decode, and must not keep
// anything pending after a final flush.
func FuzzReassemble(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a := newReassembler(allTypes(), 0)
		a.maxPending = 8
		a.early = len(data)%2 == 0
		a.shape = len(data)%3 != 0
		a.dec.hooks = hooks{
			dirPath:  func(int64, int64) (string, bool) { return "/d", true },
			isThread: func(int64, int64) (bool, bool) { return true, true },
			exec:     func(*collectors.Record, bool) {},
			statID:   func(p string, follow bool) (fileID, bool) { return fileID{dev: uint64(len(p)), ino: 2}, follow },
		}
		var r collectors.Record
		now := int64(0)
		lines := 0
		for line := range bytes.Lines(data) {
			lines++
			typ, body, ok := splitLine(bytes.TrimRight(line, "\n"))
			if !ok {
				typ, body = uint16(1300+len(line)%30), line
			}
			now += 100e6
			a.push(typ, body, now)
			for a.next(&r) {
				checkRecord(t, &r)
			}
			a.expire(now)
		}
		a.flushAll()
		for a.next(&r) {
			checkRecord(t, &r)
		}
		if a.pendingCount() != 0 || a.bytes != 0 {
			t.Fatalf("%d pending, %d bytes after the flush", a.pendingCount(), a.bytes)
		}
		if a.malformed > uint64(lines) {
			t.Fatalf("%d malformed out of %d lines", a.malformed, lines)
		}
	})
}

func checkRecord(t *testing.T, r *collectors.Record) {
	switch r.Kind {
	case collectors.KindSyscall:
		if r.Event.Type == event.TypeUnknown || r.Event.Type >= event.NumTypes {
			t.Fatalf("syscall record of type %d", r.Event.Type)
		}
	case collectors.KindExec, collectors.KindFork, collectors.KindExit:
	default:
		t.Fatalf("record of kind %d", r.Kind)
	}
	if r.PID <= 0 {
		t.Fatalf("record with pid %d", r.PID)
	}
	// Touch every string: views must be in bounds.
	n := len(r.Event.FD.Name) + len(r.Event.Args.Path) + len(r.Exec.Cwd)
	for _, s := range r.Exec.Args {
		n += len(s)
	}
	_ = n
}
