// Package state keeps the process and container tables that enrich events
// with the process (and container) that made them.
//
// A [Tables] value is fed by the collectors' process records (fork, exec,
// exit) through [Tables.Apply], seeded from /proc at start with
// [Tables.Seed], and queried once per event with [Tables.Process]. Both
// tables are bounded least-recently-used caches.
//
// # Identity and pid reuse
//
// A process entry is identified by its thread group id and its start
// time. Only one entry per pid is current: a fork for a pid, or an exec
// for a pid whose current entry has exited or started at another time,
// creates a new entry and drops the old one from the table. The old
// *event.Process keeps its description, so children that still point at
// it through Parent keep describing the process they were forked from. An
// exec of a live process updates its entry in place, so that its
// children's Parent shows what their parent runs now.
//
// Start times from /proc are only precise to about a second (boot time is
// given in whole seconds), so two start times within [StartSlack] of each
// other name the same process.
//
// # Exited processes
//
// An exit marks the entry as exited but keeps it: events of a process that
// arrive just after its exit record still resolve. An exited entry is
// dropped when [KeepExited] more processes have exited after it, when a new
// process takes its pid, or when the LRU evicts it, whichever comes first.
// Children keep their Parent pointer to an exited parent: the kernel
// reparents them, but no record says so, and the original parent is the
// more useful description. When an exited entry leaves the table it drops
// its own links to processes that already left it, so that processes
// which fork and exit in turn do not build an ever longer chain of exited
// ancestors behind a live one.
//
// # Processes read from /proc
//
// Seed, and Process on a miss, describe a process from ProcRoot/PID: stat
// (comm, ppid, process group, session, tty, start time), status (effective
// ids, capabilities, the NSpid/NSpgid/NSsid ids of its own namespace),
// cmdline, exe, cwd, environ, loginuid and cgroup. What /proc does not
// tell (whether the executable lives in an overlayfs upper layer or is
// writable) stays false until the process execs. A child forked by a
// process in a container has its VPID read from its status, as fork
// records do not carry it.
//
// # Session and process group leaders
//
// SessionLeader and GroupLeader point at the entries of the process's
// session id and process group id. For processes in the host PID namespace
// (VPID equal to PID) these ids are host pids and are looked up directly.
// Inside a container the ids are numbers of the container's namespace: the
// leader is the process itself, the leader inherited at fork when it still
// matches, an ancestor in the same container with that VPID, or any
// process of the same container with that VPID; otherwise it stays nil.
//
// # User and group names
//
// Names come from etc/passwd and etc/group under HostRoot for host
// processes, and under ProcRoot/PID/root (the container's root
// filesystem) for processes in a container, for the uid, gid and loginuid
// alike. Each file set is parsed once and cached, per container for
// containers; it is checked for changes (inode, size, mtime) at most every
// [UserDBRecheck], and only when a process execs or is read from /proc.
//
// # Credentials
//
// A process's user and group ids and capabilities are those of its exec
// (or of /proc), then follow every credential call it makes
// ([Tables.SetCred]): the collectors report the identity the calling
// thread has once setuid, setgid, setresuid, setresgid, setreuid,
// setregid, setfsuid, setfsgid or capset returned, failed calls included
// (they leave it as it was). The kernel keeps credentials per thread, but
// the table keeps one identity per process: the C library and the Go
// runtime make every thread of the process take the same call (glibc
// signals each thread to make it, Go uses AllThreadsSyscall), so the
// threads agree once the call has gone round. A program that makes the raw
// system call in one thread only gives its identity to the whole process
// here. The effective ids are user.uid and group.gid; the file system ids
// (setfsuid, setfsgid) change no field.
//
// # Concurrency
//
// Apply, Process, Seed, Container and SetContainerMetadata must be called
// from one goroutine (the pipeline's). Stats may be called from any
// goroutine at any time. The *event.Process and *event.Container values
// the tables return belong to the tables: they change when the process
// execs or when container metadata arrives, on that same goroutine.
package state
