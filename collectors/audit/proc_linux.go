//go:build linux

package audit

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/event"
)

// What the audit records lack is looked up in /proc when the record is
// read. The process may have gone (or changed) in between: each lookup
// checks what it can and gives up rather than guess.

const clockTicks = 100 // USER_HZ on x86_64

func procPath(pid int64, rest string) string {
	return "/proc/" + strconv.FormatInt(pid, 10) + rest
}

// procDirPath returns the path of directory fd fd of process pid.
func procDirPath(pid, fd int64) (string, bool) {
	if pid <= 0 || fd < 0 {
		return "", false
	}
	p, err := os.Readlink(procPath(pid, "/fd/"+strconv.FormatInt(fd, 10)))
	if errors.Is(err, unix.ENAMETOOLONG) {
		return procLongPath(procPath(pid, "/fd/"+strconv.FormatInt(fd, 10)))
	}
	if err != nil || p == "" || p[0] != '/' || strings.HasSuffix(p, " (deleted)") {
		return "", false
	}
	return p, true
}

// statPath is statID's buffer for the NUL-terminated path; only the
// goroutine that runs Read decodes.
var statPath []byte

// statID returns the device and inode of the file at p (of a symbolic link
// itself when follow is false). It allocates nothing.
func statID(p string, follow bool) (fileID, bool) {
	statPath = append(append(statPath[:0], p...), 0)
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	var st unix.Stat_t
	for {
		_, _, errno := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(procFDCWD), uintptr(unsafe.Pointer(&statPath[0])),
			uintptr(unsafe.Pointer(&st)), uintptr(flags), 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return fileID{}, false
		}
		break
	}
	return fileID{dev: uint64(unix.Major(st.Dev))<<32 | uint64(unix.Minor(st.Dev)), ino: st.Ino}, true
}

// procCwd returns the working directory of process pid, for a CWD record
// that says "<too_long>" (more than PATH_MAX): its head, cut.
func procCwd(pid int64) (string, bool) {
	if pid <= 0 {
		return "", false
	}
	return procLongPath(procPath(pid, "/cwd"))
}

// procParentCwd returns the working directory of process ppid when dir,
// relative to it, is the directory want (see decoder.inheritedCwd).
func procParentCwd(ppid int64, dir string, want fileID) (string, bool) {
	if ppid <= 0 {
		return "", false
	}
	fd, err := unix.Open(procPath(ppid, "/cwd"), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstatat(fd, dir, &st, unix.AT_EMPTY_PATH) != nil {
		return "", false
	}
	if (fileID{dev: uint64(unix.Major(st.Dev))<<32 | uint64(unix.Minor(st.Dev)), ino: st.Ino}) != want {
		return "", false
	}
	p, err := collectors.DirPath(fd)
	if err != nil || p == "" || p[0] != '/' {
		return "", false
	}
	return p, true
}

// procSockProto returns the transport protocol of the socket descriptor
// fd of process pid is now, by taking a copy of the descriptor
// (pidfd_getfd, Linux 5.6 and later) and asking the socket. known is false
// when the process or the descriptor is gone, or the copy is refused; a
// descriptor that is not an IP socket is known, L4Unknown.
func procSockProto(pid, fd int64) (event.L4Proto, bool) {
	if pid <= 0 || fd < 0 || fd > 1<<31-1 || pid > 1<<31-1 {
		return event.L4Unknown, false
	}
	pfd, err := unix.PidfdOpen(int(pid), 0)
	if err != nil {
		return event.L4Unknown, false
	}
	defer unix.Close(pfd)
	sfd, err := unix.PidfdGetfd(pfd, int(fd), 0)
	if err != nil {
		return event.L4Unknown, false
	}
	defer unix.Close(sfd)
	domain, err := unix.GetsockoptInt(sfd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil || domain != unix.AF_INET && domain != unix.AF_INET6 {
		return event.L4Unknown, true // not a socket, or not an IP one
	}
	typ, err1 := unix.GetsockoptInt(sfd, unix.SOL_SOCKET, unix.SO_TYPE)
	proto, err2 := unix.GetsockoptInt(sfd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	if err1 != nil || err2 != nil {
		return event.L4Unknown, false
	}
	return collectors.L4Proto(uint16(typ), uint16(proto)), true
}

// procLongPath returns the head of the path of the directory the /proc
// link names, when the path is too long for readlink (see
// collectors.DirPath).
func procLongPath(link string) (string, bool) {
	fd, err := unix.Open(link, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	p, err := collectors.DirPath(fd)
	if err != nil || p == "" || p[0] != '/' {
		return "", false
	}
	return p, true
}

// procIsThread reports whether task tid is a thread of process pid.
func procIsThread(pid, tid int64) (bool, bool) {
	if pid <= 0 || tid <= 0 {
		return false, false
	}
	if pid == tid {
		return false, true
	}
	if _, err := os.Stat(procPath(pid, "/task/"+strconv.FormatInt(tid, 10))); err == nil {
		return true, true
	}
	if _, err := os.Stat(procPath(tid, "/stat")); err == nil {
		return false, true // a process of its own
	}
	return false, false
}

var bootTime = sync.OnceValue(func() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			v, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
			if err == nil && v > 0 {
				return v * 1e9
			}
		}
	}
	return 0
})

// procExec completes an exec record from /proc/PID: the cgroup path, the
// session, the namespace pids, the start time, and the capability sets
// unless the record had them (BPRM_FCAPS). The capability sets are taken
// only while the process still runs the program the record names (same
// comm); the rest stays with a process across a further exec (a shell
// that execs its last command), so it is taken in any case.
func procExec(r *collectors.Record, haveCaps bool) {
	x := &r.Exec
	pb := procBufs.Get().(*procBuf)
	defer procBufs.Put(pb)
	pb.path = strconv.AppendInt(append(pb.path[:0], "/proc/"...), r.PID, 10)
	dir := pb.path
	stat, err := readProc(pb, dir, "/stat", 0)
	if err != nil {
		return
	}
	open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || close < open {
		return
	}
	sameProgram := string(stat[open+1:close]) == x.Comm
	// After the comm: state (field 3), ..., session (6), ..., starttime (22).
	var f [20][]byte
	if statFields(stat[close+1:], &f) {
		if v, err := strconv.ParseInt(string(f[3]), 10, 64); err == nil {
			x.SID = v
		}
		if v, err := strconv.ParseInt(string(f[19]), 10, 64); err == nil {
			if boot := bootTime(); boot != 0 {
				x.StartTime = boot + v*(1e9/clockTicks)
			}
		}
	}
	if st, err := readProc(pb, dir, "/status", len(stat)); err == nil {
		for line := range bytes.Lines(st) {
			k, v, ok := bytes.Cut(line, []byte(":"))
			if !ok {
				continue
			}
			v = bytes.TrimSpace(v)
			var capp *uint64
			switch string(k) {
			case "NSpid":
				x.VPID = lastField(v)
			case "NSpgid":
				x.VPGID = lastField(v)
			case "CapInh":
				capp = &x.CapInheritable
			case "CapPrm":
				capp = &x.CapPermitted
			case "CapEff":
				capp = &x.CapEffective
			}
			if capp != nil && !haveCaps && sameProgram {
				if n, err := strconv.ParseUint(string(v), 16, 64); err == nil {
					*capp = n
				}
			}
		}
	}
	if cg, err := readProc(pb, dir, "/cgroup", 0); err == nil {
		x.CgroupPath = cgroupPath(string(cg))
	}
}

// procBuf holds the buffers of a procExec: the path, and the contents of
// the files it reads.
type procBuf struct {
	path []byte
	data []byte
}

var procBufs = sync.Pool{New: func() any { return &procBuf{data: make([]byte, 0, 8<<10)} }}

// readProc reads file dir+name into pb.data after its first keep bytes
// (which it leaves alone) and returns what it read. It uses plain system
// calls: a /proc file needs no poller, and one read is usually enough.
func readProc(pb *procBuf, dir []byte, name string, keep int) ([]byte, error) {
	pb.path = append(append(pb.path[:0], dir...), name...)
	pb.path = append(pb.path, 0)
	fd, err := openProc(pb.path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := pb.data[:keep]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			pb.data = buf
			return nil, err
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	pb.data = buf
	return buf[keep:], nil
}

var procFDCWD = unix.AT_FDCWD

// openProc opens the NUL-terminated path p read-only.
func openProc(p []byte) (int, error) {
	for {
		fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, uintptr(procFDCWD), uintptr(unsafe.Pointer(&p[0])),
			uintptr(unix.O_RDONLY|unix.O_CLOEXEC), 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(fd), nil
	}
}

// statFields puts the first len(f) space-separated fields of b in f, and
// reports whether there were that many.
func statFields(b []byte, f *[20][]byte) bool {
	n := 0
	for i := 0; i < len(b) && n < len(f); {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		j := i
		for j < len(b) && !isSpace(b[j]) {
			j++
		}
		if j > i {
			f[n] = b[i:j]
			n++
		}
		i = j
	}
	if n < len(f) {
		return false
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func lastField(v []byte) int64 {
	f := bytes.Fields(v)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(f[len(f)-1]), 10, 64)
	return n
}

// cgroupPath picks from /proc/PID/cgroup the path of the first hierarchy
// that names a container, else that of the memory controller, else that of
// the unified hierarchy (as the eBPF collector does).
func cgroupPath(cg string) string {
	var unified, memory string
	for line := range strings.Lines(cg) {
		parts := strings.SplitN(strings.TrimRight(line, "\n"), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if _, _, ok := containers.ContainerIDFromCgroup(parts[2]); ok {
			return parts[2]
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			unified = parts[2]
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			memory = parts[2]
		}
	}
	if memory != "" {
		return memory
	}
	return unified
}
