/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Record layout shared by lanner.bpf.c and the Go decoder (layout.go).
 * Every record starts with struct rec_hdr; a kind-specific fixed part
 * follows, then the strings of the record, back to back, in slot order,
 * without terminating NULs. rec_hdr.slen[i] is the byte length of slot i
 * (0 when absent). All integers are little endian.
 */
#ifndef LANNER_H
#define LANNER_H

/* Record kinds (collectors.Kind). */
#define REC_SYSCALL 1
#define REC_FORK 2
#define REC_EXEC 3
#define REC_EXIT 4
#define REC_CRED 5 /* a credential syscall, with the identity it left */

/* Event types; the values are those of event.Type. */
enum lanner_type {
	T_UNKNOWN = 0,
	T_OPEN,
	T_OPENAT,
	T_OPENAT2,
	T_CREAT,
	T_EXECVE,
	T_EXECVEAT,
	T_CONNECT,
	T_ACCEPT,
	T_ACCEPT4,
	T_LISTEN,
	T_SOCKET,
	T_BIND,
	T_SENDTO,
	T_SENDMSG,
	T_RECVFROM,
	T_RECVMSG,
	T_RENAME,
	T_RENAMEAT,
	T_RENAMEAT2,
	T_UNLINK,
	T_UNLINKAT,
	T_RMDIR,
	T_MKDIR,
	T_MKDIRAT,
	T_CHMOD,
	T_FCHMOD,
	T_FCHMODAT,
	T_LINK,
	T_LINKAT,
	T_SYMLINK,
	T_SYMLINKAT,
	T_DUP,
	T_DUP2,
	T_DUP3,
	T_PTRACE,
	T_SETUID,
	T_SETGID,
	T_SETNS,
	T_UNSHARE,
	T_BPF,
	T_INIT_MODULE,
	T_FINIT_MODULE,
	T_USERFAULTFD,
	T_MOUNT,
	T_SETRESUID,
	T_SETRESGID,
	T_SETREUID,
	T_SETREGID,
	T_SETFSUID,
	T_SETFSGID,
	T_CAPSET,
	T_MAX_SYSCALL, /* first value that is no syscall type */
};

/*
 * lanner_drops slots: an event type for syscall records and exec records
 * of an exec type asked for, these for the other process records.
 */
#define DROP_FORK T_MAX_SYSCALL
#define DROP_EXEC (T_MAX_SYSCALL + 1)
#define DROP_EXIT (T_MAX_SYSCALL + 2)
#define DROP_SLOTS 64

/*
 * lanner_syscalls values: the event type of the syscall, with SC_RAW set
 * when the raw_syscalls programs capture it instead of its syscalls:*
 * tracepoints.
 */
#define SC_TYPE 0xff
#define SC_RAW 0x100

/* Number of string slots of a record. */
#define NSTR 8

/* String slots of REC_SYSCALL records. */
#define S_P1 0     /* first path argument, as passed */
#define S_P1ABS 1  /* its absolute form: as passed, or dir + "/" + path */
#define S_P2 2     /* second path argument, as passed */
#define S_P2ABS 3  /* its absolute form */
#define S_SADDR 4  /* raw struct sockaddr passed to or returned by the call */
#define S_FDPATH 5 /* path of the fd's file; unix socket: local address */
#define S_PEER 6   /* unix socket: the peer's address */
#define S_TEXT 7   /* TEXT_LEN bytes of room for the decoder (socket tuple) */
/*
 * sendto, sendmsg, recvfrom, recvmsg (which have no path): the first
 * DATA_LEN bytes of the data sent or received.
 */
#define S_DATA 0

/*
 * String slots of REC_EXEC records. argv goes first: a long filename, exe
 * or cwd must not push it out of the record.
 */
#define S_ARGV 0      /* argv, NUL separated: its first ARGV_LEN bytes */
#define S_ARGV_TAIL 1 /* its last ARGV_LEN bytes after those; cut flag: bytes between were left out */
#define S_FILENAME 2  /* the filename passed to execve */
#define S_EXE 3       /* absolute path of mm->exe_file */
#define S_CWD 4       /* absolute path of the working directory */
#define S_CGROUP 5    /* cgroup path (memory controller, else unified) */
#define S_ENV 6       /* environment, NUL separated */

/* Bounds. */
#define PATH_LEN 4096      /* longest path or user string copied */
#define NAME_LEN 255       /* longest path component */
#define WALK_STEPS 8192    /* dentry/mount steps of one path walk */
#define KN_STEPS 32        /* kernfs levels of the cgroup path */
#define ARGV_LEN 4096      /* bytes of argv copied from its start, and from its end */
#define ENV_LEN 4096       /* bytes of the environment copied */
#define SADDR_LEN 128      /* bytes of a sockaddr copied */
#define TEXT_LEN 128       /* room reserved in S_TEXT */
#define DATA_LEN 80        /* bytes of data copied to S_DATA (Falco's snaplen) */
#define IOV_MAX 1024       /* iovecs of a sendmsg or recvmsg looked at (UIO_MAXIOV) */
#define REC_HALF 16384     /* a string must start below this offset */
#define REC_BUF (2 * REC_HALF)
#define SCRATCH_LEN (2 * PATH_LEN)
#define STASH_SLOTS 32768  /* saved exec calls, indexed by thread id */

/*
 * rec_hdr.flags: bit i (i < NSTR) says slot i was cut at its bound (a path:
 * its head was kept; an empty path slot: its head is unknown).
 */
#define RF_OVERFLOW (1 << 8) /* a string was left out: the record was full */
#define RF_FAULT (1 << 9)    /* a user or kernel read failed */

struct rec_hdr {
	__u8 kind;
	__u8 type;
	__u16 flags;
	__u32 len; /* bytes of the whole record */
	__u64 ts;  /* wall clock, ns since the epoch */
	__u32 tgid;
	__u32 tid;
	__u16 slen[NSTR];
};

/* fdinfo.flags */
#define FDI_FILE 1      /* the fd named a file: the rest is filled */
#define FDI_CREATED 2   /* the open created the file (FMODE_CREATED) */
#define FDI_SOCK 4      /* a socket: family..raddr are filled */
#define FDI_CONNECTED 8 /* the socket has a peer */

/* What a file descriptor refers to. */
struct fdinfo {
	__u32 flags;
	__u32 mode;  /* inode i_mode */
	__u64 magic; /* superblock s_magic */
	__u64 ino;
	__u32 fmode; /* file f_mode */
	__u16 family;
	__u16 sotype;
	__u16 proto;
	__u16 lport; /* host order */
	__u16 rport; /* host order */
	__u16 state;
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
	char dname[32]; /* the file's dentry name, cut */
	__u32 dev;      /* the superblock's s_dev (kernel encoding) */
	__u32 pad;
};

struct rec_sys {
	struct rec_hdr h;
	__s64 res;
	__u64 arg[6];
	/*
	 * openat2: open_how.flags and .mode; accept, accept4: the listening
	 * socket's queue length and limit; sendmsg: the bytes its iovecs
	 * hold (aux[0]).
	 */
	__u64 aux[2];
	__s64 fd;        /* the fd fdi describes, -1 when none */
	struct fdinfo fdi;
};

/* rec_exec.exe_flags: event.Exe* */
#define EXE_WRITABLE 1
#define EXE_UPPER_LAYER 2
#define EXE_FROM_MEMFD 4
#define EXE_LOWER_LAYER 8

struct rec_exec {
	struct rec_hdr h;
	__s64 res;
	__u64 arg[6]; /* the execve/execveat arguments, when h.type is set */
	__u32 exe_flags;
	__u32 ppid;
	__u32 vpid;
	__u32 sid;
	__u32 vpgid;
	__u32 tty;
	__u32 uid; /* effective */
	__u32 gid; /* effective */
	__u32 loginuid;
	__u32 sessionid; /* audit session id */
	__u32 ruid;      /* real */
	__u32 rgid;      /* real */
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 cap_inheritable;
	__u64 start_time; /* wall clock, ns */
	__s64 ino_ctime;  /* ns */
	__s64 ino_mtime;  /* ns */
	char comm[16];
};

struct rec_fork {
	struct rec_hdr h;
	__u32 parent_tgid;
	__u32 child_tgid;
	__u32 child_tid;
	__u32 thread;
};

struct rec_exit {
	struct rec_hdr h;
	__s64 code;
	__u32 group_dead;
	__u32 pad;
};

/*
 * The record of a credential syscall (setuid, setgid, set{res,re,fs}{u,g}id,
 * capset): its result and arguments, and the calling thread's credentials
 * once it returned. It has no strings.
 */
struct rec_cred {
	struct rec_hdr h;
	__s64 res;
	__u64 arg[6];
	__u32 uid, euid, suid, fsuid;
	__u32 gid, egid, sgid, fsgid;
	__u64 cap_inheritable;
	__u64 cap_permitted;
	__u64 cap_effective;
};

/* Type and arguments of an exec call, saved at its entry. */
struct stash {
	__u64 task; /* the calling task_struct */
	__u32 type; /* T_UNKNOWN once used */
	__u32 nr;
	__u64 arg[6];
};

/*
 * The decoder reads these offsets (layout.go); keep both in step.
 */
#define LANNER_AT(t, f, off) _Static_assert(__builtin_offsetof(struct t, f) == off, #t "." #f)
LANNER_AT(rec_hdr, flags, 2);
LANNER_AT(rec_hdr, len, 4);
LANNER_AT(rec_hdr, ts, 8);
LANNER_AT(rec_hdr, tgid, 16);
LANNER_AT(rec_hdr, tid, 20);
LANNER_AT(rec_hdr, slen, 24);
_Static_assert(sizeof(struct rec_hdr) == 40, "rec_hdr size");
LANNER_AT(fdinfo, mode, 4);
LANNER_AT(fdinfo, magic, 8);
LANNER_AT(fdinfo, ino, 16);
LANNER_AT(fdinfo, fmode, 24);
LANNER_AT(fdinfo, family, 28);
LANNER_AT(fdinfo, sotype, 30);
LANNER_AT(fdinfo, proto, 32);
LANNER_AT(fdinfo, lport, 34);
LANNER_AT(fdinfo, rport, 36);
LANNER_AT(fdinfo, state, 38);
LANNER_AT(fdinfo, laddr, 40);
LANNER_AT(fdinfo, raddr, 56);
LANNER_AT(fdinfo, dname, 72);
LANNER_AT(fdinfo, dev, 104);
_Static_assert(sizeof(struct fdinfo) == 112, "fdinfo size");
LANNER_AT(rec_sys, res, 40);
LANNER_AT(rec_sys, arg, 48);
LANNER_AT(rec_sys, aux, 96);
LANNER_AT(rec_sys, fd, 112);
LANNER_AT(rec_sys, fdi, 120);
_Static_assert(sizeof(struct rec_sys) == 232, "rec_sys size");
LANNER_AT(rec_exec, res, 40);
LANNER_AT(rec_exec, arg, 48);
LANNER_AT(rec_exec, exe_flags, 96);
LANNER_AT(rec_exec, ppid, 100);
LANNER_AT(rec_exec, vpid, 104);
LANNER_AT(rec_exec, sid, 108);
LANNER_AT(rec_exec, vpgid, 112);
LANNER_AT(rec_exec, tty, 116);
LANNER_AT(rec_exec, uid, 120);
LANNER_AT(rec_exec, gid, 124);
LANNER_AT(rec_exec, loginuid, 128);
LANNER_AT(rec_exec, sessionid, 132);
LANNER_AT(rec_exec, ruid, 136);
LANNER_AT(rec_exec, rgid, 140);
LANNER_AT(rec_exec, cap_permitted, 144);
LANNER_AT(rec_exec, cap_effective, 152);
LANNER_AT(rec_exec, cap_inheritable, 160);
LANNER_AT(rec_exec, start_time, 168);
LANNER_AT(rec_exec, ino_ctime, 176);
LANNER_AT(rec_exec, ino_mtime, 184);
LANNER_AT(rec_exec, comm, 192);
_Static_assert(sizeof(struct rec_exec) == 208, "rec_exec size");
LANNER_AT(rec_fork, parent_tgid, 40);
LANNER_AT(rec_fork, child_tgid, 44);
LANNER_AT(rec_fork, child_tid, 48);
LANNER_AT(rec_fork, thread, 52);
_Static_assert(sizeof(struct rec_fork) == 56, "rec_fork size");
LANNER_AT(rec_exit, code, 40);
LANNER_AT(rec_exit, group_dead, 48);
_Static_assert(sizeof(struct rec_exit) == 56, "rec_exit size");
LANNER_AT(rec_cred, res, 40);
LANNER_AT(rec_cred, arg, 48);
LANNER_AT(rec_cred, uid, 96);
LANNER_AT(rec_cred, fsuid, 108);
LANNER_AT(rec_cred, gid, 112);
LANNER_AT(rec_cred, fsgid, 124);
LANNER_AT(rec_cred, cap_inheritable, 128);
LANNER_AT(rec_cred, cap_permitted, 136);
LANNER_AT(rec_cred, cap_effective, 144);
_Static_assert(sizeof(struct rec_cred) == 152, "rec_cred size");

#endif
