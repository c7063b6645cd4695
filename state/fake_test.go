package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBtime is the boot time of every fake /proc tree.
const fakeBtime = 1700000000

// fakeProc describes one process of a fake /proc tree.
type fakeProc struct {
	pid, ppid, pgrp, sid int64
	comm                 string
	flags                uint64
	tty                  uint32
	startTicks           uint64
	uid, gid             uint32
	tgid                 int64   // Tgid in status; pid when 0
	nspid                []int64 // NSpid; [pid] when empty
	nspgid, nssid        []int64 // omitted when empty
	capPrm, capEff       uint64
	cmdline              []string
	exe, cwd             string
	env                  []string
	loginuid             string // "" writes 4294967295
	cgroup               string // "" writes "0::/\n"
	passwd, group        string // the container root's etc files, when set
	threads              []int64
}

func joinInts(v []int64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, "\t")
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newFakeRoot creates an empty fake /proc with a /proc/stat.
func newFakeRoot(t testing.TB) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "stat"), fmt.Sprintf("cpu  1 2 3 4\nintr 5\nctxt 6\nbtime %d\nprocesses 7\n", fakeBtime))
	return root
}

func (fp fakeProc) write(t testing.TB, root string) {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprint(fp.pid))
	state := "S"
	writeFile(t, filepath.Join(dir, "stat"), fmt.Sprintf(
		"%d (%s) %s %d %d %d %d -1 %d 0 0 0 0 1 2 0 0 20 0 1 0 %d 1000 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		fp.pid, fp.comm, state, fp.ppid, fp.pgrp, fp.sid, fp.tty, fp.flags, fp.startTicks))
	tgid := fp.tgid
	if tgid == 0 {
		tgid = fp.pid
	}
	nspid := fp.nspid
	if len(nspid) == 0 {
		nspid = []int64{fp.pid}
	}
	var st strings.Builder
	fmt.Fprintf(&st, "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n", fp.comm, tgid, fp.pid, fp.ppid)
	fmt.Fprintf(&st, "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n", fp.uid+7, fp.uid, fp.uid, fp.uid, fp.gid+7, fp.gid, fp.gid, fp.gid)
	fmt.Fprintf(&st, "NStgid:\t%s\nNSpid:\t%s\n", joinInts(nspid), joinInts(nspid))
	if len(fp.nspgid) > 0 {
		fmt.Fprintf(&st, "NSpgid:\t%s\n", joinInts(fp.nspgid))
	}
	if len(fp.nssid) > 0 {
		fmt.Fprintf(&st, "NSsid:\t%s\n", joinInts(fp.nssid))
	}
	fmt.Fprintf(&st, "CapInh:\t0000000000000000\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t000001ffffffffff\n", fp.capPrm, fp.capEff)
	writeFile(t, filepath.Join(dir, "status"), st.String())
	var cmd string
	for _, a := range fp.cmdline {
		cmd += a + "\x00"
	}
	writeFile(t, filepath.Join(dir, "cmdline"), cmd)
	var env string
	for _, a := range fp.env {
		env += a + "\x00"
	}
	writeFile(t, filepath.Join(dir, "environ"), env)
	if fp.exe != "" {
		if err := os.Symlink(fp.exe, filepath.Join(dir, "exe")); err != nil {
			t.Fatal(err)
		}
	}
	if fp.cwd != "" {
		if err := os.Symlink(fp.cwd, filepath.Join(dir, "cwd")); err != nil {
			t.Fatal(err)
		}
	}
	lu := fp.loginuid
	if lu == "" {
		lu = "4294967295"
	}
	writeFile(t, filepath.Join(dir, "loginuid"), lu)
	cg := fp.cgroup
	if cg == "" {
		cg = "0::/\n"
	}
	writeFile(t, filepath.Join(dir, "cgroup"), cg)
	if fp.passwd != "" {
		writeFile(t, filepath.Join(dir, "root", "etc", "passwd"), fp.passwd)
	}
	if fp.group != "" {
		writeFile(t, filepath.Join(dir, "root", "etc", "group"), fp.group)
	}
	for _, tid := range fp.threads {
		writeFile(t, filepath.Join(dir, "task", fmt.Sprint(tid), "stat"), "garbage")
	}
}

// newFakeHost creates a host root with etc/passwd and etc/group.
func newFakeHost(t testing.TB) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc", "passwd"), strings.Join([]string{
		"root:x:0:0:root:/root:/bin/bash",
		"# comment",
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
		"systemd-resolve:x:101:101::/run/systemd:/usr/sbin/nologin",
		"alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash",
		"alice2:x:1000:1000:duplicate uid:/home/alice2:/bin/bash",
		"broken line",
		"",
	}, "\n"))
	writeFile(t, filepath.Join(root, "etc", "group"), strings.Join([]string{
		"root:x:0:",
		"daemon:x:1:",
		"systemd-resolve:x:101:",
		"alice:x:1000:",
		"tty:x:5:alice",
		"",
	}, "\n"))
	return root
}
