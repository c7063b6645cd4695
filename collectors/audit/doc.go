// Package audit is Lanner's collector for machines without BPF: it reads
// syscall events from the kernel's audit subsystem over netlink and turns
// them into the same collectors.Records as the eBPF collector.
//
// # Rules and settings
//
// New installs one rule, "-a always,exit -F arch=b64 -S <syscalls>
// [-F pid!=ExcludePID] -k <Key>", for the syscalls of Options.Types plus
// execve, execveat, clone, clone3, fork, vfork, exit and exit_group (the
// process table's) and the credential calls (setuid, setgid, setresuid,
// setresgid, setreuid, setregid, setfsuid, setfsgid, capset), after deleting every rule that carries the key (a
// killed run's). It never touches rules with other keys. In unicast mode
// (below) each of Options.Exclusions comes first as "-a never,exit -F
// arch=b64 -S <syscalls> -F path=P -k <Key>" (or -F aN=V): the calls it
// names are not audited at all. Lanner passes as exclusions the opens of
// busy device files and the socket calls of common families when no rule
// can match them; with a never rule on a path, audit compares inodes, so
// an open through a link to the file is left out too.
//
// When no live process owns the audit socket, the collector becomes the
// audit daemon (Mode "unicast"): it raises backlog_limit to 32768 if lower,
// sets backlog_wait_time to 25 jiffies (a process whose record finds the
// queue full waits that long for room, then the record is dropped and
// counted in the kernel's lost counter),
// registers its socket and enables auditing if it was off. As the only
// reader of the records it also adds "-a never,exclude -F msgtype=PROCTITLE"
// (unless that rule exists already): argv comes from EXECVE records, and
// the kernel would otherwise format and queue a PROCTITLE record for every
// event. The exclude list ignores rules that carry a key, so this one has
// none; while the collector runs, listeners of the multicast group
// (journald, for one) get no PROCTITLE records either. When another
// daemon owns the socket (auditd), it reads the read-only multicast copy
// of the records (Mode "multicast") and changes nothing but, if auditing
// was off, the enabled flag. Close removes the rules it added, restores
// what New changed and unregisters. The settings found, and whether the
// exclusion rule is the collector's, are also written to
// /run/lanner/audit-<key>.state before anything changes, so that the next
// run restores them after a run that was killed.
//
// # Tamper detection
//
// Once New is done, the collector keeps what it installed: its keyed rules
// as the kernel lists them, the record type exclusions it added, and in
// unicast mode the settings (enabled, backlog_limit, backlog_wait_time,
// rate_limit, failure, the registered daemon). It compares the kernel's
// state with it 100 ms after a CONFIG_CHANGE record (auditctl -D, -d, -e,
// -b, ...), and every 2 s in any case: with auditing off the kernel writes
// no record of a rule deleted. The author of a change is read from the
// SYSCALL record of the CONFIG_CHANGE record's serial (pid, uid, auid,
// comm, exe); a change that lost that record (audit disabled, a full
// backlog) is reported without it. A difference is reported to
// Options.Notify (NoticeTampered), put back (the keyed rules are deleted
// and added again in their order, never rules first) and the repair
// reported (NoticeRepaired). Repairs are rate limited (a burst of 5, then
// one a second), so a loop of auditctl -D keeps the collector busy at a
// bounded rate; what cannot be put back (audit locked with -e 2, another
// daemon registered) is reported once. In multicast mode the settings are
// the other daemon's: only the collector's rules are put back, and audit
// being disabled is reported, not undone. In unicast mode a never rule of
// the exit list that another process puts ahead of the collector's rules
// (auditctl -A exit,never ...) would hide the calls it matches from the
// only reader of the records: it is reported and removed (never rules
// there when the collector started are left alone). A change undone
// before the comparison (rules deleted and added back, audit disabled
// and enabled again) is reported from its CONFIG_CHANGE records when a
// SYSCALL record names another process. The collector's own changes are
// not reported: their SYSCALL record carries its pid, or (the kernel
// writes none for the registered daemon's calls) they fall in the time
// the collector was changing the configuration itself.
//
// Records are not filtered by key: with auditd present an event can match
// one of its rules first and carry its key, and it is still reported when
// it is a syscall the collector asked for. Records of 32-bit tasks and of
// ExcludePID are dropped.
//
// # Reassembly
//
// The records of one event share a serial number: SYSCALL, then some of
// EXECVE, BPRM_FCAPS, SOCKADDR, CWD, PATH (one per item), PROCTITLE, and
// EOE last. They are grouped by serial and decoded when EOE arrives. A
// group whose EOE never comes is flushed once nothing is left to read on
// the socket and it has waited 500 ms, or when more than 4096 groups (or
// 32 MiB of record text) are pending: it is decoded if it is complete (its
// SYSCALL record, all the PATH items it announces, all of argv), and
// counted in Stats().Malformed otherwise, as are groups that cannot be
// parsed. EXECVE text past 256 KiB per event is dropped and the exec is
// reported with the arguments that fit.
//
// In unicast mode the collector also excludes EOE records ("-a
// never,exclude -F msgtype=EOE", kept and restored like the PROCTITLE
// one) and completes a group by its shape instead: the kernel writes the
// records of an event in a fixed order, so a group is complete at the
// PATH record of its last item (items= of the SYSCALL record), and at its
// SYSCALL record when it announces no item. A call that may have a
// SOCKADDR record and announces no item (connect, bind, sendto, sendmsg,
// accept, recvfrom, recvmsg: the kernel writes none for a NULL or empty
// address) is complete at that record, or once 1024 later events have
// begun, or at the 500 ms timeout. A record that still comes for a group
// taken as complete is counted in Malformed.
//
// # What is mapped
//
//   - Event.Type from syscall= (fchmodat2 reports as fchmodat), Res from
//     exit=, PID and TID from pid= (audit reports the thread group id
//     only, so TID is the PID), Time from the record header (ms).
//   - Paths come from PATH items by name type: for open the CREATE item,
//     else the NORMAL one; for rename the DELETE (old) and CREATE (new)
//     items; for link the NORMAL (old) and CREATE (new) items; for unlink
//     and rmdir the DELETE item; for mkdir the CREATE item; for chmod the
//     NORMAL item; for symlink the target is the UNKNOWN item (it is never
//     looked up) and the link path the CREATE item; for mount the target.
//     A relative name is joined to the CWD record when the syscall used
//     the working directory. When it used a directory fd (the PARENT
//     item then shows the working directory, which would be wrong), the
//     directory is the one the process opened under that number (the fd
//     table, below), else the one /proc/PID/fd names; either is taken only
//     when the joined path names the file the PATH item names (the same
//     device and inode, or the same parent directory's when the file is
//     gone), so a replaced or reused descriptor never yields another
//     file's path. Paths are cleaned lexically; symbolic links are not
//     resolved. FD.Name, OldPath, NewPath and LinkPath stay as passed,
//     and Args.Name is left unset, when the directory is unknown; those
//     names are counted in Stats().Unresolved.
//     A path longer than event.PathMax is
//     cut to its head (event.CutPath). A working directory longer than
//     audit can name (the CWD record says "<too_long>") is read from
//     /proc/PID/cwd, climbing from it for its head (collectors.DirPath);
//     when the process is gone by then, its parent's working directory
//     is taken if the relative name leads from it to the directory the
//     PATH records' PARENT item names (same device and inode), and the
//     name stays as passed (unresolved, counted) otherwise.
//   - open: flags and mode from a1/a2 (openat: a2/a3; creat: implied;
//     openat2: the OPENAT2 record, Linux 5.16 and later), OpenCreated
//     when O_CREAT was given and a CREATE item exists, FD.Num from exit,
//     FD.Kind from the PATH mode.
//   - sockets: endpoints from the SOCKADDR record (family, port, address,
//     or the unix path; "@name" when abstract): the remote side for
//     connect, sendto, sendmsg, accept and recv*, the local side for bind.
//     FD.Num is a0 (the new fd for accept). socket fills Domain, Type and
//     Proto, FD.Kind from the domain and the protocol from the type. The
//     protocol of the socket of a connect, bind, send or receive call
//     is asked of the socket itself while the process has it (a copy of
//     the descriptor through pidfd_getfd, Linux 5.6 and later: the
//     number may have been closed and reused, or replaced by dup2, fcntl
//     or a descriptor received, none of which audit reports), and comes
//     from the fd table only when it cannot be; the local endpoint of a connected (or
//     connecting) or accepted socket, which audit does not log, is left
//     invalid (fd.lip and fd.lport absent; fd.name shows it unspecified).
//   - credential calls: the ids they ask for (uid, gid, ruid/euid/suid,
//     rgid/egid/sgid), and in Record.Cred the identity the thread had when
//     the call returned, from the uid= euid= suid= fsuid= gid= egid= sgid=
//     fsgid= fields of the SYSCALL record (failed calls included). Audit
//     logs no capability sets with them: capset events have no
//     evt.arg.cap_* and leave the process's capabilities as they were.
//   - ptrace request and pid, unshare flags,
//     setns fd and nstype, bpf cmd, dup oldfd, dup3 flags, accept4 flags,
//     unlinkat flags, chmod/mkdir modes, mount flags, finit_module fd and
//     flags, userfaultfd flags, dirfds.
//   - execve: a KindExec record with argv from EXECVE (quoted, hex, and
//     the aN_len / aN[i] split form of long arguments; past 256 KiB of
//     EXECVE text only the last three records are kept, and argv is cut
//     to its head and tail as event.CutArgv does), Filename from the
//     first PATH item, ExePath and Comm from exe= and comm=, Cwd from CWD,
//     UID/GID from euid=/egid=, LoginUID from auid=, PPID from ppid=, TTY
//     from tty= (encoded like the kernel's new_encode_dev: pts0 is 34816,
//     "(none)" 0), the capability sets from BPRM_FCAPS. From /proc/PID,
//     when the process still runs a program of that comm: the cgroup
//     path, SID, VPID, VPGID, the start time, and the capability sets
//     when there was no BPRM_FCAPS record. The execve event is filled too
//     when execve (or execveat) is in Options.Types; a failed execve is an
//     ordinary syscall record.
//   - clone, clone3, fork, vfork: a KindFork record with the child from
//     exit=; a clone child is a thread when a0 has CLONE_THREAD. clone3's
//     flags are in user memory: whether the child is a thread is read from
//     /proc/PID/task. A child whose syscalls come before its parent's
//     clone record (a vfork child) gets a KindFork record of its own first,
//     when the collector saw its parent start and the child still runs the
//     parent's program (same comm and exe); the clone record follows later.
//   - exit_group: a KindExit record, Code the wait status of exit code a0.
//     The kernel logs this syscall, which never returns, when the task is
//     freed; exit (one thread) gives a KindExit record with Thread set.
//
// # The fd table
//
// Audit does not say what a descriptor refers to. The collector remembers,
// per process and descriptor number, the directories the process opened
// (absolute path, device and inode) and the IP sockets it created with
// socket or accept (kind and transport protocol), from the records of
// those calls: at most 8192 descriptors, the oldest forgotten first. Any
// other new descriptor under a known number replaces the entry, a dup
// call (when audited) copies it to the new number; a fork
// copies the parent's entries to the child, an exec drops the
// close-on-exec ones, an exit all of the process's. A descriptor made
// before the collector started, or by a call it does not audit (dup2,
// fcntl, a descriptor received over a Unix socket), is unknown, or its
// entry stale: directory paths are checked against the file (above); the
// protocol of a socket replaced that way is not. The socket calls of IP
// sockets must be audited for the protocol to be known (Lanner's audit
// plan audits them when a rule's condition reads fd.l4proto).
//
// # What audit does not tell
//
// Arguments audit does not log are left out of Args.Set rather than
// guessed: a4 and a5 (renameat2 and linkat flags), the contents of
// structures in user memory (openat2's flags and mode before Linux 5.16),
// the exe flags of an exec (writable, overlay layer, memfd), the
// environment, the thread id, the local endpoint of a connected socket
// (and the transport protocol of one the fd table does not know), the
// kind and name of the file a dup, fchmod or finit_module fd refers to (a
// fchmod FD has a kind, from its PATH mode, but no name), and a mount's
// source. The audit session id (ses=) has no field in collectors.Exec. A
// process killed by a signal gets no exit record. /proc lookups race with
// the process: when it has exited (or its fd was closed) the value is
// left out.
//
// # Lifetime of strings
//
// Strings and slices in a Record point into the collector's buffers: they
// are valid only until the next Read.
package audit
