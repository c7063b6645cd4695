package ebpf

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

func readHeader(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("c/lanner.h")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLayoutMatchesHeader checks the decoder's offsets against the ones
// c/lanner.h asserts at compile time.
func TestLayoutMatchesHeader(t *testing.T) {
	goOffsets := map[string]int{
		"rec_hdr.flags": hdrFlags, "rec_hdr.len": hdrLen, "rec_hdr.ts": hdrTS,
		"rec_hdr.tgid": hdrTgid, "rec_hdr.tid": hdrTid, "rec_hdr.slen": hdrSlen,
		"fdinfo.mode": fdiMode, "fdinfo.magic": fdiMagic, "fdinfo.ino": fdiIno,
		"fdinfo.fmode": fdiFmode, "fdinfo.family": fdiFamily, "fdinfo.sotype": fdiSotype,
		"fdinfo.proto": fdiProto, "fdinfo.lport": fdiLport, "fdinfo.rport": fdiRport,
		"fdinfo.state": fdiState, "fdinfo.laddr": fdiLaddr, "fdinfo.raddr": fdiRaddr,
		"fdinfo.dname": fdiDname, "fdinfo.dev": fdiDev,
		"rec_sys.res": sysRes, "rec_sys.arg": sysArg, "rec_sys.aux": sysAux,
		"rec_sys.fd": sysFD, "rec_sys.fdi": sysFdi,
		"rec_exec.res": execRes, "rec_exec.arg": execArg, "rec_exec.exe_flags": execExeFlags,
		"rec_exec.ppid": execPPID, "rec_exec.vpid": execVPID, "rec_exec.sid": execSID,
		"rec_exec.vpgid": execVPGID, "rec_exec.tty": execTTY, "rec_exec.uid": execUID,
		"rec_exec.gid": execGID, "rec_exec.loginuid": execLoginUID,
		"rec_exec.sessionid": execSessionID, "rec_exec.ruid": execRUID, "rec_exec.rgid": execRGID,
		"rec_exec.cap_permitted": execCapPerm,
		"rec_exec.cap_effective": execCapEff, "rec_exec.cap_inheritable": execCapInh,
		"rec_exec.start_time": execStart, "rec_exec.ino_ctime": execCtime,
		"rec_exec.ino_mtime": execMtime, "rec_exec.comm": execComm,
		"rec_fork.parent_tgid": forkParent, "rec_fork.child_tgid": forkChild,
		"rec_fork.child_tid": forkChildTID, "rec_fork.thread": forkThread,
		"rec_exit.code": exitCode, "rec_exit.group_dead": exitGroupDead,
		"rec_cred.res": credRes, "rec_cred.arg": credArg, "rec_cred.uid": credUID,
		"rec_cred.fsuid": credUID + 12, "rec_cred.gid": credGID, "rec_cred.fsgid": credGID + 12,
		"rec_cred.cap_inheritable": credCapInh, "rec_cred.cap_permitted": credCapPerm,
		"rec_cred.cap_effective": credCapEff,
	}
	goSizes := map[string]int{
		"rec_hdr": hdrSize, "fdinfo": fdiSize, "rec_sys": sysSize, "rec_exec": execSize,
		"rec_fork": forkSize, "rec_exit": exitSize, "rec_cred": credSize,
	}
	h := readHeader(t)
	seen := 0
	for _, m := range regexp.MustCompile(`LANNER_AT\((\w+), (\w+), (\d+)\)`).FindAllStringSubmatch(h, -1) {
		key := m[1] + "." + m[2]
		want, _ := strconv.Atoi(m[3])
		got, ok := goOffsets[key]
		if !ok {
			t.Errorf("%s: asserted in lanner.h, unknown to the decoder", key)
			continue
		}
		seen++
		if got != want {
			t.Errorf("%s: decoder uses %d, lanner.h asserts %d", key, got, want)
		}
	}
	if seen != len(goOffsets) {
		t.Errorf("lanner.h asserts %d of the decoder's %d offsets", seen, len(goOffsets))
	}
	for _, m := range regexp.MustCompile(`sizeof\(struct (\w+)\) == (\d+)`).FindAllStringSubmatch(h, -1) {
		want, _ := strconv.Atoi(m[2])
		if got := goSizes[m[1]]; got != want {
			t.Errorf("sizeof %s: decoder uses %d, lanner.h asserts %d", m[1], got, want)
		}
	}
	for name, want := range map[string]int{
		"REC_SYSCALL": kindSyscall, "REC_FORK": kindFork, "REC_EXEC": kindExec, "REC_EXIT": kindExit, "REC_CRED": kindCred,
		"NSTR": nstr, "TEXT_LEN": textLen, "S_P1": sP1, "S_P1ABS": sP1Abs, "S_P2": sP2,
		"S_P2ABS": sP2Abs, "S_SADDR": sSaddr, "S_FDPATH": sFDPath, "S_PEER": sPeer, "S_TEXT": sText,
		"S_DATA": sData, "DATA_LEN": event.DataMax,
		"S_FILENAME": sFilename, "S_EXE": sExe, "S_CWD": sCwd, "S_ARGV": sArgv, "S_CGROUP": sCgroup,
		"S_ENV": sEnv, "FDI_FILE": fdiFile, "FDI_CREATED": fdiCreated, "FDI_SOCK": fdiSock,
		"FDI_CONNECTED": fdiConnected, "EXE_WRITABLE": int(event.ExeWritable),
		"EXE_UPPER_LAYER": int(event.ExeUpperLayer), "EXE_FROM_MEMFD": int(event.ExeFromMemfd),
		"EXE_LOWER_LAYER": int(event.ExeLowerLayer), "SC_TYPE": scType, "SC_RAW": scRaw,
	} {
		m := regexp.MustCompile(`(?m)^#define ` + name + `\s+(\w+)`).FindStringSubmatch(h)
		if m == nil {
			t.Errorf("lanner.h does not define %s", name)
			continue
		}
		got, err := strconv.ParseInt(m[1], 0, 64)
		if err != nil || int(got) != want {
			t.Errorf("%s = %s in lanner.h, %d in the decoder", name, m[1], want)
		}
	}
}

// TestTypesMatchHeader checks that enum lanner_type lists event.Type's
// syscall types in order.
func TestTypesMatchHeader(t *testing.T) {
	h := readHeader(t)
	body := h[strings.Index(h, "enum lanner_type {"):]
	body = body[:strings.Index(body, "};")]
	var names []string
	for _, m := range regexp.MustCompile(`\bT_(\w+)`).FindAllStringSubmatch(body, -1) {
		names = append(names, strings.ToLower(m[1]))
	}
	if len(names) != int(maxSyscallType)+2 {
		t.Fatalf("enum lanner_type has %d members, want %d", len(names), maxSyscallType+2)
	}
	for i, n := range names[:len(names)-1] {
		if got := event.Type(i).String(); got != n {
			t.Errorf("T_%s = %d, but event.Type(%d) is %s", strings.ToUpper(n), i, i, got)
		}
	}
	if names[len(names)-1] != "max_syscall" {
		t.Errorf("last member is T_%s, want T_MAX_SYSCALL", strings.ToUpper(names[len(names)-1]))
	}
}

// TestSyscallTable checks that every syscall type the collector can
// deliver has a syscall number, and that numbers and names are unique.
func TestSyscallTable(t *testing.T) {
	nrs := map[uint32]bool{}
	names := map[string]bool{}
	types := map[event.Type]bool{}
	for _, s := range syscallTypes {
		if nrs[s.nr] {
			t.Errorf("syscall %d listed twice", s.nr)
		}
		if s.nr >= 512 {
			t.Errorf("syscall %d past the interesting map", s.nr)
		}
		if names[s.name] {
			t.Errorf("syscall %s listed twice", s.name)
		}
		// The name is the syscall's (its tracepoints'); only fchmodat2
		// reports as another type.
		if s.name != s.t.String() && !(s.name == "fchmodat2" && s.t == event.TypeFchmodat) {
			t.Errorf("syscall %d is %s, reported as %s", s.nr, s.name, s.t)
		}
		nrs[s.nr] = true
		names[s.name] = true
		types[s.t] = true
	}
	if maxSyscallType > scType {
		t.Errorf("event types up to %d do not fit in SC_TYPE %#x", maxSyscallType, scType)
	}
	for _, s := range collectors.AbsentSyscalls {
		types[s.Type] = true // a legacy call this architecture lacks
	}
	for ty := event.TypeUnknown + 1; ty <= maxSyscallType; ty++ {
		if !types[ty] {
			t.Errorf("no syscall for %s", ty)
		}
	}
}

// TestDropSlotsMatchHeader checks the lanner_drops slots against c/lanner.h.
func TestDropSlotsMatchHeader(t *testing.T) {
	h := readHeader(t)
	for _, want := range []string{
		"#define DROP_FORK T_MAX_SYSCALL\n", "#define DROP_EXEC (T_MAX_SYSCALL + 1)\n",
		"#define DROP_EXIT (T_MAX_SYSCALL + 2)\n", "#define DROP_SLOTS " + strconv.Itoa(dropSlots) + "\n",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("lanner.h lacks %q", want)
		}
	}
	if dropExit >= dropSlots {
		t.Errorf("drop slot %d of exit records past DROP_SLOTS %d", dropExit, dropSlots)
	}
	for slot, want := range map[int]string{
		int(event.TypeOpenat): "openat", int(maxSyscallType): maxSyscallType.String(), dropFork: "fork", dropExec: "exec",
		dropExit: "procexit", 0: "unknown", dropExit + 1: "unknown",
	} {
		if got := dropSlotName(slot); got != want {
			t.Errorf("dropSlotName(%d) = %q, want %q", slot, got, want)
		}
	}
}
