package event

import (
	"reflect"
	"runtime"
	"strings"
)

// field constructors keep the table below readable.
func str(name, typ string, get StringFunc, desc string) Field {
	return Field{Name: name, Kind: KindString, Type: typ, Get: get, Desc: desc}
}
func num(name, typ string, get IntFunc, desc string) Field {
	return Field{Name: name, Kind: KindInt, Type: typ, Get: get, Desc: desc}
}
func boolean(name string, get BoolFunc, desc string) Field {
	return Field{Name: name, Kind: KindBool, Type: "bool", Get: get, Desc: desc}
}
func ip(name string, get IPFunc, desc string) Field {
	return Field{Name: name, Kind: KindIP, Type: "ipaddr", Get: get, Desc: desc}
}
func ipnet(name string, get IPFunc, desc string) Field {
	return Field{Name: name, Kind: KindIPNet, Type: "ipnet", Get: get, Desc: desc, FilterOnly: true}
}

func (f Field) withArg(rule ArgRule, required, dot bool) Field {
	f.Arg, f.ArgRequired, f.DotArg = rule, required, dot
	return f
}
func (f Field) ancestors() Field { f.Ancestors = true; return f }
func (f Field) render(r Render) Field {
	f.Render = r
	return f
}

// fieldTable is every field Lanner supports.
var fieldTable = []Field{
	// evt.*
	str("evt.type", "charbuf", EvtType, "Name of the event or syscall, e.g. open, execve, connect."),
	num("evt.num", "uint64", EvtNum, "Sequence number of the event, from 1."),
	num("evt.time", "abstime", EvtTime, "Event time: ns since the epoch; printed as time of day in text outputs.").render(RenderTimeOfDay),
	num("evt.rawtime", "abstime", EvtTime, "Event time as ns since the epoch."),
	str("evt.time.iso8601", "charbuf", EvtTimeISO8601, "Event time in ISO 8601 form (UTC)."),
	str("evt.dir", "charbuf", EvtDir, "Event direction; always '<' (exit), since enter events are not produced."),
	str("evt.res", "charbuf", EvtRes, "SUCCESS, or the errno name (e.g. ENOENT) when the syscall failed."),
	num("evt.rawres", "int64", EvtRawres, "Raw return value of the syscall."),
	boolean("evt.failed", EvtFailed, "True if the syscall returned an error."),
	boolean("evt.is_open_read", EvtIsOpenRead, "For open events: the file was opened for reading."),
	boolean("evt.is_open_write", EvtIsOpenWrite, "For open events: the file was opened for writing."),
	boolean("evt.is_open_exec", EvtIsOpenExec, "For open events: the call created a file with an execute bit set."),
	str("evt.arg", "charbuf", EvtArg, "One event parameter rendered as text, by name (evt.arg.flags) or index (evt.arg[0]).").withArg(ArgIndexOrKey, true, true),
	num("evt.rawarg", "int64", EvtRawarg, "One numeric event parameter, raw, by name (evt.rawarg.res).").withArg(ArgKey, true, true),
	str("evt.args", "charbuf", EvtArgs, "All event parameters as name=value pairs."),
	{Name: "evt.buffer", Kind: KindBytes, Type: "bytebuf", Get: BytesFunc(EvtBuffer), Desc: "The I/O data buffer of the event, when captured."},
	str("evt.hostname", "charbuf", EvtHostname, "Name of the host the event was seen on."),
	str("evt.source", "charbuf", EvtSource, "Event source; always syscall."),

	// proc.*
	str("proc.name", "charbuf", ProcName, "Process name (comm), at most 15 characters."),
	str("proc.exe", "charbuf", ProcExe, "First command-line argument (argv[0]) as the process gave it."),
	str("proc.exepath", "fspath", ProcExepath, "Full path of the executable, symlinks resolved."),
	str("proc.args", "charbuf", ProcArgs, "Command-line arguments after argv[0], joined by spaces."),
	str("proc.cmdline", "charbuf", ProcCmdline, "Process name followed by its arguments."),
	str("proc.cwd", "fspath", ProcCwd, "Current working directory."),
	str("proc.env", "charbuf", ProcEnv, "Environment as KEY=VALUE pairs, or with an argument one variable's value.").withArg(ArgKey, false, false),
	num("proc.tty", "uint32", ProcTTY, "Controlling terminal, encoded as the kernel does; 0 for none."),
	num("proc.pid", "int64", ProcPID, "Process id."),
	num("proc.vpid", "int64", ProcVPID, "Process id in its own PID namespace."),
	num("proc.ppid", "int64", ProcPPID, "Parent process id."),
	num("proc.sid", "int64", ProcSID, "Session id."),
	str("proc.sname", "charbuf", ProcSname, "Name of the session leader."),
	num("proc.vpgid", "int64", ProcVPGID, "Process group id in the process's PID namespace."),
	str("proc.vpgid.name", "charbuf", ProcVPGIDName, "Name of the process group leader."),
	str("proc.vpgid.exe", "charbuf", ProcVPGIDExe, "argv[0] of the process group leader."),
	str("proc.vpgid.exepath", "fspath", ProcVPGIDExepath, "Executable path of the process group leader."),
	boolean("proc.is_vpgid_leader", ProcIsVPGIDLeader, "The process leads its process group."),
	boolean("proc.is_sid_leader", ProcIsSIDLeader, "The process leads its session."),
	str("proc.pname", "charbuf", ProcPname, "Name of the parent process."),
	str("proc.pexe", "charbuf", ProcPexe, "argv[0] of the parent process."),
	str("proc.pexepath", "fspath", ProcPexepath, "Executable path of the parent process."),
	str("proc.pcmdline", "charbuf", ProcPcmdline, "Command line of the parent process."),
	num("proc.ppid.duration", "reltime", ProcPPIDDuration, "Time since the parent process started, in ns."),
	str("proc.aname", "charbuf", ProcAname, "Name of the Nth ancestor (0 is the process itself); without an index a check holds if any ancestor matches.").withArg(ArgIndex, false, false).ancestors(),
	str("proc.aexe", "charbuf", ProcAexe, "argv[0] of the Nth ancestor; without an index, any ancestor.").withArg(ArgIndex, false, false).ancestors(),
	str("proc.aexepath", "fspath", ProcAexepath, "Executable path of the Nth ancestor; without an index, any ancestor.").withArg(ArgIndex, false, false).ancestors(),
	str("proc.acmdline", "charbuf", ProcAcmdline, "Command line of the Nth ancestor; without an index, any ancestor.").withArg(ArgIndex, false, false).ancestors(),
	num("proc.apid", "int64", ProcApid, "Process id of the Nth ancestor.").withArg(ArgIndex, true, false),
	num("proc.duration", "reltime", ProcDuration, "Time since the process started, in ns."),
	num("proc.start_ts", "abstime", ProcStartTS, "Process start time, ns since the epoch."),
	boolean("proc.is_exe_upper_layer", ProcIsExeUpperLayer, "The executable lives in an overlayfs upper layer (written in the container)."),
	boolean("proc.is_exe_from_memfd", ProcIsExeFromMemfd, "The executable was run from a memfd."),
	boolean("proc.is_exe_writable", ProcIsExeWritable, "The executable is writable by the process's user."),
	num("proc.exe_ino.ctime", "abstime", ProcExeInoCtime, "Change time of the executable's inode."),
	num("proc.exe_ino.mtime", "abstime", ProcExeInoMtime, "Modification time of the executable's inode."),
	num("proc.exe_ino.ctime_duration_proc_start", "reltime", ProcExeInoCtimeDurationProcStart, "Time from the executable's last change to the process start, in ns."),

	// thread.*
	num("thread.tid", "int64", ThreadTID, "Thread id."),
	str("thread.cap_permitted", "charbuf", ThreadCapPermitted, "Permitted capabilities, space-separated names."),
	str("thread.cap_effective", "charbuf", ThreadCapEffective, "Effective capabilities, space-separated names."),
	str("thread.cap_inheritable", "charbuf", ThreadCapInheritable, "Inheritable capabilities, space-separated names."),

	// user.*, group.*
	num("user.uid", "uint32", UserUID, "Effective user id."),
	str("user.name", "charbuf", UserName, "Name of the effective user."),
	num("user.loginuid", "int64", UserLoginUID, "Audit login uid; -1 when unset."),
	str("user.loginname", "charbuf", UserLoginName, "Name of the login user."),
	num("group.gid", "uint32", GroupGID, "Effective group id."),
	str("group.name", "charbuf", GroupName, "Name of the effective group."),

	// fd.*
	num("fd.num", "int64", FDNum, "File descriptor number; -1 when the call failed."),
	str("fd.name", "fspath", FDName, "Path of a file as the process gave it, made absolute and cleaned (symbolic links not resolved, as Falco); cip:cport->sip:sport for sockets."),
	str("lanner.fd.realpath", "fspath", FDRealPath, "Lanner's own: path of a file fd with every symbolic link resolved (what the fd really is), where fd.name keeps the path as given; absent when the collector cannot tell (audit)."),
	str("fd.nameraw", "fspath", FDNameRaw, "The path as the process passed it."),
	str("fd.directory", "fspath", FDDirectoryName, "Directory of a file fd's path."),
	str("fd.filename", "charbuf", FDFilename, "Last component of a file fd's path."),
	str("fd.typechar", "charbuf", FDTypechar, "Kind of fd as one character: f file, d directory, 4 IPv4, 6 IPv6, u unix, p pipe, ..."),
	str("fd.type", "charbuf", FDType, "Kind of fd as a word: file, directory, ipv4, ipv6, unix, pipe, ..."),
	str("fd.l4proto", "charbuf", FDL4Proto, "Transport protocol of an IP socket: tcp, udp, icmp or raw."),
	str("fd.sockfamily", "charbuf", FDSockfamily, "Socket family: ip or unix."),
	boolean("fd.connected", FDConnected, "The socket is connected."),
	boolean("fd.name_changed", FDNameChanged, "This event changed the fd's name (e.g. a new UDP peer)."),
	boolean("fd.is_server", FDIsServer, "The process is the server side of the socket."),
	ip("fd.sip", FDSip, "Server IP address."),
	ip("fd.cip", FDCip, "Client IP address."),
	ip("fd.lip", FDLip, "Local IP address."),
	ip("fd.rip", FDRip, "Remote IP address."),
	num("fd.sport", "port", FDSport, "Server port."),
	num("fd.cport", "port", FDCport, "Client port."),
	num("fd.lport", "port", FDLport, "Local port."),
	num("fd.rport", "port", FDRport, "Remote port."),
	{Name: "fd.ip", Kind: KindIP, Type: "ipaddr", Get: BothIPFunc(FDIP), Both: true, FilterOnly: true, Desc: "Either endpoint's IP address (filter only)."},
	{Name: "fd.port", Kind: KindInt, Type: "port", Get: BothIntFunc(FDPort), Both: true, FilterOnly: true, Desc: "Either endpoint's port (filter only)."},
	{Name: "fd.net", Kind: KindIPNet, Type: "ipnet", Get: BothIPFunc(FDIP), Both: true, FilterOnly: true, Desc: "Either endpoint's IP address, matched against a CIDR (filter only)."},
	ipnet("fd.snet", FDSip, "Server IP address matched against a CIDR (filter only)."),
	ipnet("fd.cnet", FDCip, "Client IP address matched against a CIDR (filter only)."),
	ipnet("fd.lnet", FDLip, "Local IP address matched against a CIDR (filter only)."),
	ipnet("fd.rnet", FDRip, "Remote IP address matched against a CIDR (filter only)."),
	str("fd.sip.name", "charbuf", FDSipName, "DNS name of the server IP address."),
	str("fd.cip.name", "charbuf", FDCipName, "DNS name of the client IP address."),
	str("fd.lip.name", "charbuf", FDLipName, "DNS name of the local IP address."),
	str("fd.rip.name", "charbuf", FDRipName, "DNS name of the remote IP address."),

	// container.*, k8s.*
	str("container.id", "charbuf", ContainerID, "First 12 hex characters of the container id; host outside containers."),
	str("container.full_id", "charbuf", ContainerFullID, "Full container id; host outside containers."),
	str("container.name", "charbuf", ContainerName, "Container name; host outside containers."),
	str("container.type", "charbuf", ContainerType, "Container runtime: docker, containerd, cri-o, podman."),
	str("container.image", "charbuf", ContainerImage, "Container image, repository:tag."),
	str("container.image.repository", "charbuf", ContainerImageRepository, "Container image repository."),
	str("container.image.tag", "charbuf", ContainerImageTag, "Container image tag."),
	str("container.image.id", "charbuf", ContainerImageID, "Container image id."),
	boolean("container.privileged", ContainerPrivileged, "The container runs privileged."),
	str("container.mounts", "charbuf", ContainerMounts, "All mounts as source:dest:mode:rdwr:propagation, space-separated."),
	str("container.mount.source", "charbuf", ContainerMountSource, "Source of a mount, by index or by source glob; N/A when none matches.").withArg(ArgIndexOrKey, true, false),
	str("container.mount.dest", "charbuf", ContainerMountDest, "Destination of a mount, by index or by source glob; N/A when none matches.").withArg(ArgIndexOrKey, true, false),
	str("container.mount.mode", "charbuf", ContainerMountMode, "Mode of a mount, by index or by source glob; N/A when none matches.").withArg(ArgIndexOrKey, true, false),
	str("container.mount.rdwr", "charbuf", ContainerMountRdwr, "Whether a mount is read-write, by index or by source glob; N/A when none matches.").withArg(ArgIndexOrKey, true, false),
	num("container.start_ts", "abstime", ContainerStartTS, "Container start time, ns since the epoch."),
	num("container.duration", "reltime", ContainerDuration, "Time since the container started, in ns."),
	str("container.label", "charbuf", ContainerLabel, "One container label, by key.").withArg(ArgKey, true, true),
	str("k8s.ns.name", "charbuf", K8sNsName, "Kubernetes namespace of the pod."),
	str("k8s.pod.name", "charbuf", K8sPodName, "Kubernetes pod name."),
	str("k8s.pod.uid", "charbuf", K8sPodUID, "Kubernetes pod uid."),
	str("k8s.pod.id", "charbuf", K8sPodUID, "Kubernetes pod uid (alias of k8s.pod.uid)."),
	str("k8s.pod.label", "charbuf", K8sPodLabel, "One Kubernetes pod label, by key.").withArg(ArgKey, true, true),
}

func init() {
	for i := range fieldTable {
		f := &fieldTable[i]
		name := runtime.FuncForPC(reflect.ValueOf(f.Get).Pointer()).Name()
		f.Func = name[strings.LastIndexByte(name, '.')+1:]
	}
}
