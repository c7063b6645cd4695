// Command activity turns a capture of `lanner record`, taken while
// bench/activity/session.sh ran, into bench/testdata/activity.jsonl.gz
// (see bench/activity/record.sh and bench/README.md):
//
//   - only the events of the session and its descendants are kept, and each
//     event's parent chain ends at the session's shell (what ran above it
//     is the recording harness, not the activity);
//   - environment variables whose names suggest a secret are dropped;
//   - opens for reading only are kept up to -reads per program, directory
//     and outcome (a build or a package manager reads thousands of files
//     alike); every other event is kept;
//   - the result is gzipped JSON lines in eventlog's version 1 format,
//     each event with its process chain.
package main

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/lannersec/lanner/eventlog"
	"github.com/lannersec/lanner/internal/safefile"
)

// secretName matches environment variable names that may hold secrets.
var secretName = regexp.MustCompile(`(?i)TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|KEY|COOKIE|SESSION`)

// Open flags (Linux x86_64).
const (
	oAccMode = 0x3
	oCreat   = 0x40
	oTrunc   = 0x200
)

func main() {
	session := flag.Int64("session", 0, "pid of the session shell (bench/activity/session.sh)")
	name := flag.String("name", "session.sh", "script the session shell runs")
	reads := flag.Int("reads", 200, "read-only opens kept per program, directory and outcome")
	out := flag.String("out", "bench/testdata/activity.jsonl.gz", "output file")
	flag.Parse()
	if *session == 0 || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: activity -session PID [-reads N] [-out FILE] RAW.jsonl")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out, *session, *name, *reads); err != nil {
		fmt.Fprintln(os.Stderr, "activity:", err)
		os.Exit(1)
	}
}

type readKey struct {
	exe, dir string
	ok       bool
}

func run(in, out string, sessionPID int64, name string, reads int) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := safefile.Create(out, 0o600)
	if err != nil {
		return err
	}
	defer o.Close()
	zw, err := gzip.NewWriterLevel(o, gzip.BestCompression)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(zw)
	rd := eventlog.NewReader(f)
	seen := map[readKey]int{}
	types := map[string]int{}
	total, session, kept := 0, 0, 0
	for {
		ev, err := rd.ReadJSON()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
		total++
		if !cutAtSession(ev.Proc, sessionPID, name) {
			continue
		}
		session++
		for p := ev.Proc; p != nil; p = p.Parent {
			p.Env = scrub(p.Env)
		}
		if readOnlyOpen(ev) {
			k := readKey{exe: ev.Proc.ExePath, ok: ev.Res >= 0}
			if ev.FD != nil && ev.FD.Name != "" {
				k.dir = path.Dir(ev.FD.Name)
			} else if ev.Args != nil {
				k.dir = path.Dir(ev.Args.Path)
			}
			seen[k]++
			if seen[k] > reads {
				continue
			}
		}
		if err := enc.Encode(ev); err != nil {
			return err
		}
		kept++
		types[ev.Type]++
	}
	if err := zw.Close(); err != nil {
		return err
	}
	var ts []string
	for t, n := range types {
		ts = append(ts, fmt.Sprintf("%s=%d", t, n))
	}
	sort.Strings(ts)
	fmt.Fprintf(os.Stderr, "activity: %d events, %d of the session, %d kept: %v\n", total, session, kept, ts)
	return nil
}

// cutAtSession reports whether p is the session shell or runs below it,
// and removes the session's ancestors from the chain.
func cutAtSession(p *eventlog.Process, session int64, name string) bool {
	for ; p != nil; p = p.Parent {
		if p.PID == session && runs(p, name) {
			p.Parent = nil
			return true
		}
	}
	return false
}

// runs reports whether p runs the script name (as the program, or as the
// first argument of its interpreter).
func runs(p *eventlog.Process, name string) bool {
	if p.Name == name {
		return true
	}
	return len(p.Args) > 0 && (p.Args[0] == name || strings.HasSuffix(p.Args[0], "/"+name))
}

func scrub(env []string) []string {
	var out []string
	for _, kv := range env {
		k := kv
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				k = kv[:i]
				break
			}
		}
		if !secretName.MatchString(k) {
			out = append(out, kv)
		}
	}
	return out
}

func readOnlyOpen(ev *eventlog.Event) bool {
	switch ev.Type {
	case "open", "openat", "openat2":
	default:
		return false
	}
	if ev.Args == nil {
		return false
	}
	return ev.Args.Flags&oAccMode == 0 && ev.Args.Flags&(oCreat|oTrunc) == 0
}
