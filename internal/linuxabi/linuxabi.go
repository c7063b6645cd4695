// Package linuxabi holds the numbers of the Linux kernel ABI that the
// collectors' decoders read out of kernel records (audit records, eBPF
// ring-buffer records), and the helpers that decode its structures. They
// are the kernel's values, not the build target's: the decoders are pure
// and run (and are tested) anywhere.
//
// The open flags and inode mode bits below are the same on x86_64 and
// arm64 (arm64 differs from x86_64 only in O_DIRECTORY, O_NOFOLLOW,
// O_DIRECT and O_LARGEFILE, which no decoder reads).
package linuxabi

import (
	"encoding/binary"
	"net/netip"
)

// AtFDCWD is AT_FDCWD, the dirfd that means the working directory.
const AtFDCWD = -100

// Open flags (O_*) the decoders interpret.
const (
	OpenWriteOnly = 0o1        // O_WRONLY
	OpenCreate    = 0o100      // O_CREAT
	OpenTruncate  = 0o1000     // O_TRUNC
	OpenCloexec   = 0o2000000  // O_CLOEXEC (SOCK_CLOEXEC has the same value)
	OpenTmpfile   = 0o20000000 // __O_TMPFILE, the bit O_TMPFILE adds to O_DIRECTORY
)

// SockCloexec is SOCK_CLOEXEC, a flag of socket(2)'s type.
const SockCloexec = OpenCloexec

// CloneThread is CLONE_THREAD, a flag of clone(2).
const CloneThread = 0x10000

// CreatFlags are the open flags creat(2) stands for.
const CreatFlags = OpenCreate | OpenWriteOnly | OpenTruncate

// Inode mode file types (S_IF*).
const (
	ModeTypeMask = 0o170000 // S_IFMT
	ModeSocket   = 0o140000 // S_IFSOCK
	ModeSymlink  = 0o120000 // S_IFLNK
	ModeRegular  = 0o100000 // S_IFREG
	ModeBlock    = 0o060000 // S_IFBLK
	ModeDir      = 0o040000 // S_IFDIR
	ModeChar     = 0o020000 // S_IFCHR
	ModeFIFO     = 0o010000 // S_IFIFO
)

// Address families (AF_*).
const (
	AFUnix    = 1
	AFInet    = 2
	AFInet6   = 10
	AFNetlink = 16
)

// ParseInetSockaddr parses a struct sockaddr_in or sockaddr_in6 (family in
// host order, which is little-endian on every architecture Lanner runs on;
// port and address in network order). Other families, and buffers too
// short for their family, are not ok.
func ParseInetSockaddr(b []byte) (netip.AddrPort, bool) {
	if len(b) < 4 {
		return netip.AddrPort{}, false
	}
	port := binary.BigEndian.Uint16(b[2:])
	switch binary.LittleEndian.Uint16(b) {
	case AFInet:
		if len(b) < 8 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), true
	case AFInet6:
		if len(b) < 24 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), port), true
	}
	return netip.AddrPort{}, false
}
