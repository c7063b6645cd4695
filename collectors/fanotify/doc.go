// Package fanotify is the collector for kernels that offer neither BPF
// nor audit: it watches whole filesystems with fanotify and follows
// processes with the netlink process connector (or, where that is
// unavailable, by polling /proc).
//
// It sees far less than the other collectors. What it delivers:
//
//   - openat, for FAN_OPEN (an open of a file or directory: the access
//     mode and flags are unknown, so Args.Flags is absent), for
//     FAN_MODIFY/FAN_CLOSE_WRITE (the file was written: Args.Flags is
//     O_WRONLY, one event per process and file per dedupWindow), and for
//     FAN_CREATE of a non-directory (Args.Flags O_CREAT|OpenCreated). A
//     creation and a write of the file by its creator within dedupWindow
//     pair up: whichever comes second reports O_WRONLY|O_CREAT|OpenCreated,
//     the open that created the file for writing.
//     The file descriptor number is unknown: FD.Num and Res are 0.
//   - mkdirat (FAN_CREATE|FAN_ONDIR), unlinkat (FAN_DELETE, with
//     AT_REMOVEDIR for directories) and renameat2 (FAN_RENAME, or paired
//     FAN_MOVED_FROM/FAN_MOVED_TO on kernels without FAN_RENAME), with
//     absolute paths; the directory fd, modes and rename flags are
//     unknown and left absent.
//   - execve together with KindExec records. The executable comes from
//     fanotify (FAN_OPEN_EXEC) or /proc/PID/exe; comm, argv, the
//     environment (unless Options.SkipEnv), cwd and ids are read from
//     /proc/PID as soon as the exec is seen, and are missing when the
//     process is gone by then. The exec of a process gone before
//     fanotify's open for exec was handled waits for it (up to 100 ms,
//     with the process's later records behind it), since that names the
//     executable. The capabilities' history, the login uid of exited
//     processes and the exe flags are not known.
//   - KindFork and KindExit records from the process connector, or,
//     when polling /proc, for processes that lived at least one poll
//     interval.
//   - KindCred records from the process connector's uid and gid events:
//     the real and effective id a thread has after a setuid, setresuid,
//     setgid or similar call, so that user.uid and group.gid follow
//     them. The calls themselves are not events (no evt.type=setuid), the
//     connector says nothing of capset, and the change arrives on its own
//     socket: an event of the process that fanotify delivers just after
//     the change may still show the former identity. Without the
//     connector (polling /proc) identity changes are not seen.
//
// Network, privilege, module and namespace syscalls are not seen at all.
// Every path is the one the collector resolves, in its own mount
// namespace.
//
// A read through mmap raises no fanotify event of its own (page faults
// are not reads): it is reported, as an open for reading, when the file
// opened read-only is closed (FAN_CLOSE_NOWRITE). Directories more than
// PATH_MAX deep are named by their head, cut (event.CutPath, found by
// climbing from the directory); an open of a file more than PATH_MAX
// deep cannot be named at all and is counted lost. Every loss is counted
// in Stats.KernelDrops: each fanotify queue overflow and each process
// connector overrun (each of which stands for an unknown number of lost
// events, reported through Options.Notify as a NoticeLost), and each exec
// whose process was gone before its command line could be read from /proc
// (its record is still delivered, without the command line).
package fanotify
