package event

import (
	"strconv"
	"strings"
)

type flagName struct {
	bit  uint32
	name string
}

// OpenCreated is set in an open event's flags when the call created the
// file (Falco's O_F_CREATED). Linux never uses this bit for open flags.
const OpenCreated uint32 = 1 << 31

// falcoOpenFlags are Falco's open flags (PPM_O_*), in the order Falco
// names them, each with the Linux bits it stands for. Falco has no name
// for O_NOCTTY, FASYNC, O_NOFOLLOW, O_NOATIME or O_PATH.
var falcoOpenFlags = []struct {
	ppm   uint32
	linux uint32
	name  string
}{
	{1 << 11, 0x8000, "O_LARGEFILE"},
	{1 << 10, 0x10000, "O_DIRECTORY"},
	{1 << 9, 0x4000, "O_DIRECT"},
	{1 << 8, 0x200, "O_TRUNC"},
	{1 << 7, 0x101000, "O_SYNC"},
	{1 << 6, 0x800, "O_NONBLOCK"},
	{1 << 5, 0x80, "O_EXCL"},
	{1 << 4, 0x1000, "O_DSYNC"},
	{1 << 3, 0x400, "O_APPEND"},
	{1 << 2, 0x40, "O_CREAT"},
	{3, 0, "O_RDWR"},
	{1 << 1, 0, "O_WRONLY"},
	{1 << 0, 0, "O_RDONLY"},
	{1 << 12, 0x80000, "O_CLOEXEC"},
	{1 << 13, 0x410000, "O_TMPFILE"},
	{1 << 14, OpenCreated, "O_F_CREATED"},
}

// FalcoOpenFlags returns Linux open flags in Falco's encoding (PPM_O_*),
// the number Falco prints before their names. O_TMPFILE is set only for a
// real O_TMPFILE open (Falco also sets it for every O_DIRECTORY open).
func FalcoOpenFlags(flags uint32) uint32 {
	var v uint32
	switch flags & 3 {
	case 0:
		v = 1 << 0
	case 1:
		v = 1 << 1
	default:
		v = 3
	}
	for _, f := range falcoOpenFlags {
		if f.linux != 0 && flags&f.linux == f.linux {
			v |= f.ppm
		}
	}
	return v
}

// OpenFlagsText renders Linux open flags as Falco does: by Falco's names,
// in Falco's order, joined by |.
func OpenFlagsText(flags uint32) string { return FalcoOpenFlagsText(FalcoOpenFlags(flags)) }

// SocketFlags returns the flags of a socket type or of accept4's flags
// argument (SOCK_NONBLOCK, SOCK_CLOEXEC) as Falco's open flags, the value
// of Falco's flags parameter of socket and accept4.
func SocketFlags(flags uint32) uint32 {
	var v uint32
	if flags&sockNonblock != 0 {
		v |= 1 << 6 // O_NONBLOCK
	}
	if flags&sockCloexec != 0 {
		v |= 1 << 12 // O_CLOEXEC
	}
	return v
}

// SOCK_NONBLOCK and SOCK_CLOEXEC (those of O_NONBLOCK and O_CLOEXEC on the
// architectures Lanner runs on).
const (
	sockNonblock = 0x800
	sockCloexec  = 0x80000
)

// FalcoOpenFlagsText renders open flags in Falco's encoding (PPM_O_*) by
// Falco's names, in Falco's order, joined by |; no flag is O_NONE.
func FalcoOpenFlagsText(v uint32) string {
	if v == 0 {
		return "O_NONE"
	}
	var b strings.Builder
	for _, f := range falcoOpenFlags {
		if v&f.ppm == f.ppm {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(f.name)
			v &^= f.ppm
		}
	}
	return b.String()
}

var exeFlagNames = []flagName{
	{ExeWritable, "EXE_WRITABLE"}, {ExeUpperLayer, "EXE_UPPER_LAYER"},
	{ExeFromMemfd, "EXE_FROM_MEMFD"}, {ExeLowerLayer, "EXE_LOWER_LAYER"},
}

var cloneFlagNames = []flagName{
	{0x80, "CLONE_NEWTIME"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"},
	{0x20000, "CLONE_NEWNS"}, {0x40000, "CLONE_SYSVSEM"}, {0x02000000, "CLONE_NEWCGROUP"},
	{0x04000000, "CLONE_NEWUTS"}, {0x08000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"},
	{0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"},
}

var atFlagNames = []flagName{
	{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"}, {0x400, "AT_SYMLINK_FOLLOW"},
	{0x1000, "AT_EMPTY_PATH"},
}

var renameFlagNames = []flagName{
	{0x1, "RENAME_NOREPLACE"}, {0x2, "RENAME_EXCHANGE"}, {0x4, "RENAME_WHITEOUT"},
}

var modeFlagNames = []flagName{
	{0o1, "S_IXOTH"}, {0o2, "S_IWOTH"}, {0o4, "S_IROTH"}, {0o10, "S_IXGRP"},
	{0o20, "S_IWGRP"}, {0o40, "S_IRGRP"}, {0o100, "S_IXUSR"}, {0o200, "S_IWUSR"},
	{0o400, "S_IRUSR"}, {0o1000, "S_ISVTX"}, {0o2000, "S_ISGID"}, {0o4000, "S_ISUID"},
}

// flagsText renders the set bits of v by name, joined by |; bits without a
// name are appended as a hex number. zero is the text for no bits set.
func flagsText(v uint32, names []flagName, zero string) string {
	if v == 0 {
		return zero
	}
	var b strings.Builder
	rest := v
	for _, f := range names {
		if v&f.bit == f.bit {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(f.name)
			rest &^= f.bit
		}
	}
	if rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x")
		b.WriteString(strconv.FormatUint(uint64(rest), 16))
	}
	return b.String()
}

var ptraceNames = map[uint64]string{
	0: "PTRACE_TRACEME", 1: "PTRACE_PEEKTEXT", 2: "PTRACE_PEEKDATA", 3: "PTRACE_PEEKUSR",
	4: "PTRACE_POKETEXT", 5: "PTRACE_POKEDATA", 6: "PTRACE_POKEUSR", 7: "PTRACE_CONT",
	8: "PTRACE_KILL", 9: "PTRACE_SINGLESTEP", 12: "PTRACE_GETREGS", 13: "PTRACE_SETREGS",
	14: "PTRACE_GETFPREGS", 15: "PTRACE_SETFPREGS", 16: "PTRACE_ATTACH", 17: "PTRACE_DETACH",
	24: "PTRACE_SYSCALL", 0x4200: "PTRACE_SETOPTIONS", 0x4201: "PTRACE_GETEVENTMSG",
	0x4202: "PTRACE_GETSIGINFO", 0x4203: "PTRACE_SETSIGINFO", 0x4204: "PTRACE_GETREGSET",
	0x4205: "PTRACE_SETREGSET", 0x4206: "PTRACE_SEIZE", 0x4207: "PTRACE_INTERRUPT",
	0x4208: "PTRACE_LISTEN",
}

var bpfCmdNames = []string{
	"BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_MAP_UPDATE_ELEM", "BPF_MAP_DELETE_ELEM",
	"BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD", "BPF_OBJ_PIN", "BPF_OBJ_GET", "BPF_PROG_ATTACH",
	"BPF_PROG_DETACH", "BPF_PROG_TEST_RUN", "BPF_PROG_GET_NEXT_ID", "BPF_MAP_GET_NEXT_ID",
	"BPF_PROG_GET_FD_BY_ID", "BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD", "BPF_PROG_QUERY",
	"BPF_RAW_TRACEPOINT_OPEN", "BPF_BTF_LOAD", "BPF_BTF_GET_FD_BY_ID", "BPF_TASK_FD_QUERY",
	"BPF_MAP_LOOKUP_AND_DELETE_ELEM", "BPF_MAP_FREEZE", "BPF_BTF_GET_NEXT_ID",
	"BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH", "BPF_MAP_UPDATE_BATCH",
	"BPF_MAP_DELETE_BATCH", "BPF_LINK_CREATE", "BPF_LINK_UPDATE", "BPF_LINK_GET_FD_BY_ID",
	"BPF_LINK_GET_NEXT_ID", "BPF_ENABLE_STATS", "BPF_ITER_CREATE", "BPF_LINK_DETACH",
	"BPF_PROG_BIND_MAP",
}

// domainNames are the address families as Falco names them: an alias
// too (AF_LOCAL|AF_UNIX, AF_ROUTE|AF_NETLINK).
var domainNames = map[uint64]string{
	0: "AF_UNSPEC", 1: "AF_LOCAL|AF_UNIX", 2: "AF_INET", 3: "AF_AX25", 4: "AF_IPX", 5: "AF_APPLETALK",
	6: "AF_NETROM", 7: "AF_BRIDGE", 8: "AF_ATMPVC", 9: "AF_X25", 10: "AF_INET6", 11: "AF_ROSE",
	12: "AF_DECnet", 13: "AF_NETBEUI", 14: "AF_SECURITY", 15: "AF_KEY", 16: "AF_ROUTE|AF_NETLINK",
	17: "AF_PACKET", 18: "AF_ASH", 19: "AF_ECONET", 20: "AF_ATMSVC", 21: "AF_RDS", 22: "AF_SNA",
	23: "AF_IRDA", 24: "AF_PPPOX", 25: "AF_WANPIPE", 26: "AF_LLC", 29: "AF_CAN", 30: "AF_TIPC",
	31: "AF_BLUETOOTH", 32: "AF_IUCV", 33: "AF_RXRPC", 34: "AF_ISDN", 35: "AF_PHONET",
	36: "AF_IEEE802154", 37: "AF_CAIF", 38: "AF_ALG", 39: "AF_NFC",
}

// DataText renders the data of a send or receive call as Falco does in
// evt.args: printable ASCII as it is, every other byte as a dot. It
// allocates (the data changes with every event).
func DataText(data []byte) string {
	for i, c := range data {
		if c < 0x20 || c > 0x7e {
			b := []byte(string(data))
			for j := i; j < len(b); j++ {
				if b[j] < 0x20 || b[j] > 0x7e {
					b[j] = '.'
				}
			}
			return string(b)
		}
	}
	return string(data)
}

var errnoNames = [...]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG",
	8: "ENOEXEC", 9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES",
	14: "EFAULT", 15: "ENOTBLK", 16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV",
	20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 25: "ENOTTY",
	26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS", 31: "EMLINK",
	32: "EPIPE", 33: "EDOM", 34: "ERANGE", 35: "EDEADLK", 36: "ENAMETOOLONG", 37: "ENOLCK",
	38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 42: "ENOMSG", 43: "EIDRM", 61: "ENODATA",
	62: "ETIME", 71: "EPROTO", 75: "EOVERFLOW", 84: "EILSEQ", 88: "ENOTSOCK",
	89: "EDESTADDRREQ", 90: "EMSGSIZE", 91: "EPROTOTYPE", 92: "ENOPROTOOPT",
	93: "EPROTONOSUPPORT", 94: "ESOCKTNOSUPPORT", 95: "EOPNOTSUPP", 96: "EPFNOSUPPORT",
	97: "EAFNOSUPPORT", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 100: "ENETDOWN",
	101: "ENETUNREACH", 102: "ENETRESET", 103: "ECONNABORTED", 104: "ECONNRESET",
	105: "ENOBUFS", 106: "EISCONN", 107: "ENOTCONN", 108: "ESHUTDOWN", 110: "ETIMEDOUT",
	111: "ECONNREFUSED", 112: "EHOSTDOWN", 113: "EHOSTUNREACH", 114: "EALREADY",
	115: "EINPROGRESS", 116: "ESTALE", 122: "EDQUOT", 125: "ECANCELED",
}

// ErrnoName returns the symbolic name of errno e ("ENOENT"), or its number
// as text when it has none.
func ErrnoName(e int64) string {
	if e > 0 && e < int64(len(errnoNames)) && errnoNames[e] != "" {
		return errnoNames[e]
	}
	return strconv.FormatInt(-e, 10)
}
