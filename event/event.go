package event

import (
	"net/netip"
	"strings"
)

// Event is one observed syscall exit (or synthetic event), enriched with the
// process and container it belongs to. Collectors fill the syscall part;
// the state tables fill Proc. Events are reused: nothing may keep a pointer
// to an Event after the pipeline is done with it.
type Event struct {
	Type Type
	Num  uint64 // sequence number, from 1
	Time int64  // wall clock, ns since the Unix epoch
	TID  int64  // thread id in the host PID namespace
	Res  int64  // raw return value; negative is -errno

	// Proc is the process (thread group) that made the syscall; nil when
	// unknown, which makes every proc.*, user.*, group.* field absent.
	Proc *Process

	// FD is the file descriptor the event opened, used or created.
	FD FD

	// Args holds the syscall arguments; Args.Set says which are present.
	Args Args

	// Buffer is the I/O data of read/write-like events, when captured:
	// for sendto, sendmsg, recvfrom and recvmsg the first bytes sent or
	// received (Falco's data parameter, at most DataMax of them).
	Buffer []byte

	// Hostname is the name of the machine the event was seen on.
	Hostname string
}

// Process describes a process as the state table knows it. Every string is
// computed once when the process execs, never per event.
type Process struct {
	PID   int64 // host PID (thread group id)
	VPID  int64 // PID in its own PID namespace
	PPID  int64
	SID   int64
	VPGID int64

	Name    string // comm, at most 15 bytes
	Exe     string // argv[0]
	ExePath string // resolved executable path
	Args    []string
	Cwd     string
	Env     []string // KEY=VALUE
	TTY     uint32   // encoded controlling tty, 0 for none

	// Derived text, set by SetArgs and SetEnv.
	ArgsText string // Args joined by spaces
	Cmdline  string // Name + " " + ArgsText (just Name if no args)
	EnvText  string // Env joined by spaces

	UID, GID  uint32 // effective ids
	LoginUID  uint32 // audit loginuid, 0xffffffff when unset
	UserName  string // name of UID ("" when unknown)
	GroupName string
	LoginName string

	CapPermitted, CapEffective, CapInheritable uint64

	StartTime int64 // ns since the Unix epoch

	ExeUpperLayer bool // executable lives in an overlayfs upper layer
	ExeFromMemfd  bool
	ExeWritable   bool
	// ExeFlagsUnknown: whether the executable is writable or lives in an
	// upper layer is not known (the collector did not say); the fields
	// proc.is_exe_writable and proc.is_exe_upper_layer are then absent.
	ExeFlagsUnknown bool
	ExeInoCtime     int64 // ns; 0 when unknown
	ExeInoMtime     int64

	Parent        *Process // nil when unknown or at the top
	SessionLeader *Process
	GroupLeader   *Process // leader of the (virtual) process group

	Container *Container // nil for the host
}

// SetArgs sets Args, ArgsText and Cmdline.
func (p *Process) SetArgs(args []string) {
	p.Args = args
	p.ArgsText = strings.Join(args, " ")
	if p.ArgsText == "" && len(args) == 0 {
		p.Cmdline = p.Name
	} else {
		p.Cmdline = p.Name + " " + p.ArgsText
	}
}

// DirPath returns dir as proc.cwd shows it: ending with "/", as Falco's.
func DirPath(dir string) string {
	if dir == "" || dir[len(dir)-1] == '/' {
		return dir
	}
	return dir + "/"
}

// SetEnv sets Env and EnvText.
func (p *Process) SetEnv(env []string) {
	p.Env = env
	p.EnvText = strings.Join(env, " ")
}

// Container describes the container a process runs in.
type Container struct {
	ID         string // first 12 hex characters of FullID
	FullID     string
	Runtime    string // docker, containerd, cri-o, podman, runc
	Name       string
	Image      string // repository:tag as the runtime names it
	ImageRepo  string
	ImageTag   string
	ImageID    string
	Privileged bool
	// MetadataKnown is false while the runtime has not (yet) described the
	// container; the fields above other than ID are then absent.
	MetadataKnown bool
	Mounts        []Mount
	MountsText    string // src:dst:mode:rdwr:propagation, space separated
	StartTS       int64
	Labels        map[string]string
	K8sNamespace  string
	K8sPodName    string
	K8sPodUID     string
	K8sPodLabels  map[string]string
	// Lookup is the pipeline's bookkeeping of the runtime lookup and of
	// the container start event; it is not a field rules can read.
	Lookup ContainerLookup
}

// ContainerLookup records how far the pipeline got with a container.
type ContainerLookup uint8

// ContainerLookup bits.
const (
	LookupRequested ContainerLookup = 1 << iota // the runtimes were asked
	LookupSettled                               // answered, failed or waited for long enough
	LookupStartSent                             // the container start event was emitted
)

// Mount is one mount of a container.
type Mount struct {
	Source      string
	Dest        string
	Mode        string
	RW          bool
	Propagation string
}

// FDKind is the kind of a file descriptor, as fd.typechar shows it.
type FDKind byte

// File descriptor kinds.
const (
	FDNone      FDKind = 0
	FDFile      FDKind = 'f'
	FDDirectory FDKind = 'd'
	FDIPv4      FDKind = '4'
	FDIPv6      FDKind = '6'
	FDUnix      FDKind = 'u'
	FDPipe      FDKind = 'p'
	FDEvent     FDKind = 'e'
	FDSignal    FDKind = 's'
	FDEventPoll FDKind = 'l'
	FDInotify   FDKind = 'i'
	FDTimer     FDKind = 't'
	FDNetlink   FDKind = 'n'
	FDBPF       FDKind = 'b'
	FDIOUring   FDKind = 'r'
	FDMemfd     FDKind = 'm'
	FDPidfd     FDKind = 'P'
	FDUserfault FDKind = 'U'
	FDUnknown   FDKind = 'o'
)

// L4Proto is a socket's transport protocol.
type L4Proto uint8

// Transport protocols.
const (
	L4Unknown L4Proto = iota
	L4TCP
	L4UDP
	L4ICMP
	L4Raw
)

// FD is the file descriptor an event refers to. Kind FDNone means the event
// has none, and every fd.* field is absent.
type FD struct {
	Kind    FDKind
	Num     int64  // -1 when the syscall failed
	Name    string // absolute path, or for sockets "cip:cport->sip:sport"
	NameRaw string // the path as the process passed it
	// RealPath is the file's path with every symbolic link resolved; ""
	// when the collector cannot tell.
	RealPath string
	// Dev and Ino identify a file's inode (Dev in stat's encoding); zero
	// when unknown.
	Dev uint32
	Ino uint64

	// Sockets.
	L4Proto     L4Proto
	Connected   bool
	NameChanged bool
	// Local and Remote are this process's and the peer's endpoints.
	Local, Remote netip.AddrPort
	// Server is true when this process is the server side (accept,
	// listen, recvfrom on a bound socket); then the server endpoint is
	// Local, otherwise it is Remote.
	Server bool
	// Peer DNS names, when known.
	LocalName, RemoteName string
}

// ArgMask says which of Args' fields are present.
type ArgMask uint32

// The arguments an event can carry.
const (
	ArgFlags ArgMask = 1 << iota
	ArgMode
	ArgPath
	ArgName
	ArgOldPath
	ArgNewPath
	ArgTarget
	ArgLinkPath
	ArgFilename
	ArgUID
	ArgGID
	ArgRequest
	ArgCmd
	ArgFD
	ArgDomain
	ArgType
	ArgProto
	ArgPID
	ArgDirFD
	// ArgSockAddr says the address the call passed (bind, connect,
	// sendto, sendmsg) is known: it is FD.Local for bind, FD.Remote for
	// the others (FD.Name for a Unix socket).
	ArgSockAddr
	// ArgRID, ArgEID and ArgSID say IDs[0], IDs[1] and IDs[2] are present.
	ArgRID
	ArgEID
	ArgSID
	ArgCaps
	ArgNewDirFD
	ArgSize
	ArgBacklog
	// ArgQueue says QueueLen and QueueMax are present.
	ArgQueue
	// ArgData says Buffer holds the data of a send or receive call (it
	// may be empty).
	ArgData
)

// Args are a syscall's arguments, in raw form. Which are present depends
// on the event type; Set says.
type Args struct {
	Set      ArgMask
	Flags    uint32 // open flags, exec flags (ExeFlag*), unlinkat/linkat/renameat2 flags, clone flags for setns/unshare, accept4 flags (SOCK_*)
	Mode     uint32
	Path     string // path of the file the syscall acts on, as passed
	Name     string // absolute form of Path
	OldPath  string
	NewPath  string
	Target   string // symlink target
	LinkPath string
	Filename string // the executable path passed to execve
	UID      uint32
	GID      uint32
	Request  int64 // ptrace request
	Cmd      int64 // bpf command
	FD       int64
	Domain   int64 // socket domain
	SockType int64
	Proto    int64
	PID      int64 // ptrace target
	// DirFD is the directory descriptor of a path argument: of the first
	// path of rename, renameat2 and linkat, of the link of symlinkat.
	DirFD int64
	// NewDirFD is the directory descriptor of the second path of
	// renameat, renameat2 and linkat.
	NewDirFD int64
	// Size is the length argument of sendto, sendmsg, recvfrom and
	// recvmsg (the bytes asked for).
	Size int64
	// Backlog is listen's backlog argument.
	Backlog int64
	// QueueLen and QueueMax are, for accept and accept4, the connections
	// waiting on the listening socket and the most it may hold.
	QueueLen, QueueMax uint32
	// IDs are the real, effective and saved user ids of setresuid and
	// setreuid, or group ids of setresgid and setregid (-1: unchanged).
	IDs [3]uint32
	// Caps are the inheritable, permitted and effective capability sets
	// of capset.
	Caps [3]uint64
	// UserName is the name of UID, filled by enrichment when UID is present.
	UserName string
	// GroupName is the name of GID, filled by enrichment when GID is
	// present.
	GroupName string
	// IDNames are the names of IDs, filled by enrichment.
	IDNames [3]string
}

// DataMax is the most bytes of the data of a send or receive call that
// collectors capture into Buffer, as Falco's default snaplen.
const DataMax = 80

// Has reports whether every argument in m is present.
func (a *Args) Has(m ArgMask) bool { return a.Set&m == m }

// Exec flags of execve events, as Falco names them (EXE_*).
const (
	ExeWritable   uint32 = 1 << 0
	ExeUpperLayer uint32 = 1 << 1
	ExeFromMemfd  uint32 = 1 << 2
	ExeLowerLayer uint32 = 1 << 3
)

// Reset clears e for reuse without releasing its buffers.
func (e *Event) Reset() {
	buf := e.Buffer[:0]
	*e = Event{}
	e.Buffer = buf
}

// SetMounts sets Mounts and MountsText.
func (c *Container) SetMounts(ms []Mount) {
	c.Mounts = ms
	var b strings.Builder
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m.Source)
		b.WriteByte(':')
		b.WriteString(m.Dest)
		b.WriteByte(':')
		b.WriteString(m.Mode)
		b.WriteByte(':')
		if m.RW {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		b.WriteByte(':')
		b.WriteString(m.Propagation)
	}
	c.MountsText = b.String()
}
