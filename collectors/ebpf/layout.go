package ebpf

import (
	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Record layout; c/lanner.h is the reference and asserts these offsets.
const (
	kindSyscall = 1
	kindFork    = 2
	kindExec    = 3
	kindExit    = 4
	kindCred    = 5

	nstr = 8

	// struct rec_hdr
	hdrKind  = 0
	hdrType  = 1
	hdrFlags = 2
	hdrLen   = 4
	hdrTS    = 8
	hdrTgid  = 16
	hdrTid   = 20
	hdrSlen  = 24
	hdrSize  = 40

	// struct rec_sys
	sysRes  = 40
	sysArg  = 48
	sysAux  = 96 // aux[0]; aux[1] follows
	sysFD   = 112
	sysFdi  = 120
	sysSize = 232

	// struct fdinfo, relative to sysFdi
	fdiFlags  = 0
	fdiMode   = 4
	fdiMagic  = 8
	fdiIno    = 16
	fdiFmode  = 24
	fdiFamily = 28
	fdiSotype = 30
	fdiProto  = 32
	fdiLport  = 34
	fdiRport  = 36
	fdiState  = 38
	fdiLaddr  = 40
	fdiRaddr  = 56
	fdiDname  = 72
	fdiDev    = 104
	fdiSize   = 112

	// struct rec_exec
	execRes       = 40
	execArg       = 48
	execExeFlags  = 96
	execPPID      = 100
	execVPID      = 104
	execSID       = 108
	execVPGID     = 112
	execTTY       = 116
	execUID       = 120
	execGID       = 124
	execLoginUID  = 128
	execSessionID = 132 // not in collectors.Exec yet
	execRUID      = 136 // not in collectors.Exec yet
	execRGID      = 140 // not in collectors.Exec yet
	execCapPerm   = 144
	execCapEff    = 152
	execCapInh    = 160
	execStart     = 168
	execCtime     = 176
	execMtime     = 184
	execComm      = 192
	execSize      = 208

	// struct rec_fork
	forkParent   = 40
	forkChild    = 44
	forkChildTID = 48
	forkThread   = 52
	forkSize     = 56

	// struct rec_exit
	exitCode      = 40
	exitGroupDead = 48
	exitSize      = 56

	// struct rec_cred
	credRes     = 40
	credArg     = 48
	credUID     = 96 // uid, euid, suid, fsuid
	credGID     = 112
	credCapInh  = 128
	credCapPerm = 136
	credCapEff  = 144
	credSize    = 152
)

// String slots of syscall records.
const (
	sP1 = iota
	sP1Abs
	sP2
	sP2Abs
	sSaddr
	sFDPath
	sPeer
	sText
)

// sData holds, in the records of sendto, sendmsg, recvfrom and recvmsg
// (which have no path), the first event.DataMax bytes of the data sent or
// received.
const sData = sP1

// String slots of exec records.
const (
	sArgv     = iota // the first argvLen bytes of argv
	sArgvTail        // its last argvLen bytes after those; cut: bytes between were left out
	sFilename
	sExe
	sCwd
	sCgroup
	sEnv
)

// argvLen is ARGV_LEN: bytes of argv the kernel copies from its start, and
// from its end.
const argvLen = 4096

// rec_hdr.flags beyond the per-slot truncation bits.
const (
	flagOverflow = 1 << 8
	flagFault    = 1 << 9
)

// lanner_syscalls values: the event type, and whether the raw_syscalls
// programs capture the syscall.
const (
	scType = 0xff
	scRaw  = 0x100
)

// fdinfo.flags
const (
	fdiFile      = 1
	fdiCreated   = 2
	fdiSock      = 4
	fdiConnected = 8
)

// textLen is the room the kernel reserves in slot sText of socket records,
// into which the decoder writes FD.Name.
const textLen = 128

// Kernel constants the decoder interprets.
const (
	anonInodeMagic = 0x09041934
	pipefsMagic    = 0x50495045
	pidfsMagic     = 0x50494446
)

// syscallTypes are the syscalls the kernel program can report
// (collectors.Syscalls), by their tracepoints syscalls:sys_{enter,exit}_<name>.
var syscallTypes = func() []syscallType {
	out := make([]syscallType, len(collectors.Syscalls))
	for i, s := range collectors.Syscalls {
		out[i] = syscallType{s.Nr, s.Name, s.Type}
	}
	return out
}()

type syscallType struct {
	nr   uint32
	name string
	t    event.Type
}

// maxSyscallType is the last event type the kernel program emits for a
// syscall (T_MAX_SYSCALL - 1 in lanner.h).
const maxSyscallType = event.TypeCapset

// Drop slots of the process records of no syscall type (c/lanner.h).
const (
	dropFork  = int(maxSyscallType) + 1
	dropExec  = dropFork + 1
	dropExit  = dropFork + 2
	dropSlots = 64
)

// dropSlotName names a lanner_drops slot: its event type, or the process
// record it counts.
func dropSlotName(slot int) string {
	switch slot {
	case dropFork:
		return "fork"
	case dropExec:
		return "exec"
	case dropExit:
		return "procexit"
	}
	if slot <= 0 || slot >= dropFork {
		return "unknown"
	}
	return event.Type(slot).String()
}
