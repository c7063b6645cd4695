// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lanner's eBPF collector. Raw tracepoint programs on sys_enter/sys_exit
 * and the sched_process_{fork,exec,exit} tracepoints build one record per
 * event in a per-CPU buffer and copy it to the ring buffer lanner_events.
 * The record layout is in lanner.h.
 *
 * sys_enter saves the arguments of the syscalls user space asked for
 * (lanner_syscalls, indexed by x86_64 syscall number, holding the event
 * type) in lanner_stash, keyed by pid_tgid; sys_exit turns them into a record,
 * reading the strings then (the kernel has just used them, so they are
 * resident) and resolving paths, fds and sockets in the kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "lanner.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader. */
const volatile __u32 exclude_tgid = 0; /* a tgid whose events are dropped */
const volatile __s64 boot_offset = 0;  /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
const volatile __u64 wakeup_bytes = 65536; /* wake the reader when this much is pending */

#define NR_MAX 512

#define L_AT_FDCWD -100
#define L_O_CREAT 0100
#define L_S_IFMT 0170000
#define L_S_IFSOCK 0140000
#define L_S_IFREG 0100000
#define L_AF_UNIX 1
#define L_AF_INET 2
#define L_AF_INET6 10
#define L_TS_COMPAT 0x0002
#define L_FMODE_CREATED (1U << 20)
#define L_SB_RDONLY 1
#define L_CAP_DAC_OVERRIDE 1
#define L_SOCKFS_MAGIC 0x534F434B
#define L_PIPEFS_MAGIC 0x50495045
#define L_ANON_INODE_FS_MAGIC 0x09041934
#define L_OVERLAYFS_MAGIC 0x794c7630

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} lanner_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_MAX);
	__type(key, __u32);
	__type(value, __u32);
} lanner_syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct stash);
} lanner_stash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lanner_drops SEC(".maps");

struct recbuf {
	__u8 b[REC_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct recbuf);
} lanner_recbuf SEC(".maps");

struct scratch {
	char b[SCRATCH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} lanner_scratch SEC(".maps");

/* kernfs_node before Linux 6.15 named its parent "parent". */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline __u8 *get_recbuf(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&lanner_recbuf, &zero);
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&lanner_scratch, &zero);
}

static __always_inline int excluded(__u64 id)
{
	__u32 tgid = id >> 32;
	return exclude_tgid != 0 && tgid == exclude_tgid;
}

static __always_inline void fill_hdr(struct rec_hdr *h, __u8 kind, __u8 type, __u64 id)
{
	h->kind = kind;
	h->type = type;
	h->ts = bpf_ktime_get_boot_ns() + boot_offset;
	h->tgid = id >> 32;
	h->tid = (__u32)id;
}

/*
 * Copies the record to the ring buffer; never blocks. Waking the reader
 * costs an interrupt per record, so only the record that makes the pending
 * data cross wakeup_bytes wakes it; the reader polls for the rest with a
 * short timeout.
 */
static __always_inline void submit(__u8 *buf, __u32 len)
{
	struct rec_hdr *h = (void *)buf;
	__u64 avail, flags = BPF_RB_NO_WAKEUP;

	len &= REC_BUF - 1;
	h->len = len;
	avail = bpf_ringbuf_query(&lanner_events, BPF_RB_AVAIL_DATA);
	if (avail < wakeup_bytes && avail + len >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&lanner_events, buf, len, flags) != 0) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&lanner_drops, &zero);

		if (n)
			*n += 1;
	}
}

/* ---- appending strings to a record */

static __always_inline int room(__u8 *buf, __u32 pos)
{
	struct rec_hdr *h = (void *)buf;

	if (pos >= REC_HALF) {
		h->flags |= RF_OVERFLOW;
		return 0;
	}
	return 1;
}

static __always_inline __u32 app_byte(__u8 *buf, __u32 pos, char c)
{
	if (!room(buf, pos))
		return pos;
	buf[pos & (REC_HALF - 1)] = c;
	return pos + 1;
}

/* Appends the NUL-terminated user string at up, without its NUL. */
static __always_inline __u32 app_ustr(__u8 *buf, __u32 pos, const void *up, int slot)
{
	struct rec_hdr *h = (void *)buf;
	long n;

	if (!up || !room(buf, pos))
		return pos;
	n = bpf_probe_read_user_str(buf + (pos & (REC_HALF - 1)), PATH_LEN, up);
	if (n <= 0) {
		h->flags |= RF_FAULT;
		return pos;
	}
	if (n >= PATH_LEN)
		h->flags |= 1 << slot;
	return pos + (__u32)(n - 1);
}

/* Appends len bytes of user memory (len <= max <= 4096). */
static __always_inline __u32 app_ublock(__u8 *buf, __u32 pos, const void *up, __u64 len,
					__u32 max, int slot)
{
	struct rec_hdr *h = (void *)buf;

	if (!up || len == 0 || !room(buf, pos))
		return pos;
	if (len > max) {
		len = max;
		h->flags |= 1 << slot;
	}
	if (bpf_probe_read_user(buf + (pos & (REC_HALF - 1)), len & (2 * PATH_LEN - 1), up) != 0) {
		h->flags |= RF_FAULT;
		return pos;
	}
	return pos + (__u32)len;
}

/* Appends the walked path that ends at scratch offset PATH_LEN. */
static __always_inline __u32 app_walked(__u8 *buf, __u32 pos, __u32 start)
{
	struct scratch *s = get_scratch();
	__u32 n;

	if (!s || !room(buf, pos))
		return pos;
	if (start >= PATH_LEN)
		return app_byte(buf, pos, '/');
	n = PATH_LEN - start;
	bpf_probe_read_kernel(buf + (pos & (REC_HALF - 1)), n & (PATH_LEN - 1),
			      &s->b[start & (PATH_LEN - 1)]);
	return pos + (n & (PATH_LEN - 1));
}

static __always_inline void set_slen(__u8 *buf, int slot, __u32 p0, __u32 p1)
{
	struct rec_hdr *h = (void *)buf;

	h->slen[slot & (NSTR - 1)] = (__u16)(p1 - p0);
}

/* ---- path walks */

struct walk {
	struct dentry *d;
	struct mount *mnt;
	struct dentry *root_d;
	struct vfsmount *root_mnt;
	__u32 pos;
	__u32 done; /* 1: reached a root; 2: cut */
};

static long walk_step(__u32 i, void *vw)
{
	struct walk *w = vw;
	struct scratch *s = get_scratch();
	struct dentry *d = w->d, *parent;
	struct mount *m = w->mnt;
	const unsigned char *name;
	__u32 len, pos;

	if (!s || !d || !m) {
		w->done = 2;
		return 1;
	}
	if (d == w->root_d && &m->mnt == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	if (d == BPF_CORE_READ(m, mnt.mnt_root)) {
		struct mount *up = BPF_CORE_READ(m, mnt_parent);

		if (!up || up == m) {
			w->done = 1;
			return 1;
		}
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = up;
		return 0;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len > NAME_LEN)
		len = NAME_LEN;
	if (w->pos <= len + 1) {
		w->done = 2;
		return 1;
	}
	pos = w->pos - len;
	bpf_probe_read_kernel(&s->b[pos & (PATH_LEN - 1)], len & NAME_LEN, name);
	pos--;
	s->b[pos & (PATH_LEN - 1)] = '/';
	w->pos = pos;
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		/* A pseudo or disconnected dentry: its name is all there is. */
		w->done = 1;
		return 1;
	}
	w->d = parent;
	return 0;
}

#define WALK_CUT (1 << 16)

/*
 * Writes the absolute path of the dentry d on the vfsmount vm into the
 * scratch buffer, ending at offset PATH_LEN, and returns where it starts
 * (PATH_LEN for "/"), with WALK_CUT set when the walk did not reach a root.
 * The walk stops at the current task's root, so paths are those the task
 * sees. A global function: the verifier checks it once, not per caller.
 */
__noinline int lanner_walk(__u64 d, __u64 vm)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct walk w = {};

	if (!d || !vm)
		return WALK_CUT | PATH_LEN;
	w.d = (void *)d;
	w.mnt = (void *)vm - bpf_core_field_offset(struct mount, mnt);
	w.root_d = BPF_CORE_READ(t, fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(t, fs, root.mnt);
	w.pos = PATH_LEN;
	bpf_loop(WALK_STEPS, walk_step, &w, 0);
	return (w.pos & 0xffff) | (w.done == 1 ? 0 : WALK_CUT);
}

static __always_inline __u32 walk_path(struct dentry *d, struct vfsmount *vm, int *cut)
{
	int res = lanner_walk((__u64)d, (__u64)vm);

	if (res & WALK_CUT)
		*cut = 1;
	return res & 0xffff;
}

/* Appends the absolute path of (d, vm) as string slot. */
static __always_inline __u32 put_path(__u8 *buf, __u32 pos, int slot, struct dentry *d,
				      struct vfsmount *vm)
{
	struct rec_hdr *h = (void *)buf;
	__u32 p0 = pos, start;
	int cut = 0;

	if (!d || !vm)
		return pos;
	start = walk_path(d, vm, &cut);
	pos = app_walked(buf, pos, start);
	if (cut)
		h->flags |= 1 << slot;
	set_slen(buf, slot, p0, pos);
	return pos;
}

static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt;
	struct file **arr;
	struct file *f = 0;
	unsigned int max;

	if (fd < 0)
		return 0;
	fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt)
		return 0;
	max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max)
		return 0;
	arr = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

/*
 * Appends the absolute form of the user path up: the path itself when it
 * is absolute, else the path of dirfd (or of the working directory for
 * AT_FDCWD), "/" and the path.
 */
static __always_inline __u32 put_abs(__u8 *buf, __u32 pos, int slot, struct task_struct *t,
				     long dirfd, const char *up)
{
	struct rec_hdr *h = (void *)buf;
	__u32 p0 = pos;
	char c = 0;

	if (!up)
		return pos;
	if (bpf_probe_read_user(&c, 1, up) != 0)
		return pos;
	if (c != '/') {
		struct dentry *d;
		struct vfsmount *vm;
		__u32 start;
		int cut = 0;

		if ((int)dirfd == L_AT_FDCWD) {
			d = BPF_CORE_READ(t, fs, pwd.dentry);
			vm = BPF_CORE_READ(t, fs, pwd.mnt);
		} else {
			struct file *f = fd_file(t, (int)dirfd);

			if (!f)
				return pos;
			d = BPF_CORE_READ(f, f_path.dentry);
			vm = BPF_CORE_READ(f, f_path.mnt);
		}
		if (!d || !vm)
			return pos;
		start = walk_path(d, vm, &cut);
		pos = app_walked(buf, pos, start);
		pos = app_byte(buf, pos, '/');
		if (cut)
			h->flags |= 1 << slot;
	}
	pos = app_ustr(buf, pos, up, slot);
	set_slen(buf, slot, p0, pos);
	return pos;
}

/* ---- fds and sockets */

static __always_inline __u32 put_unix_addr(__u8 *buf, __u32 pos, int slot,
					   struct unix_address *a)
{
	__u32 p0 = pos;
	int len;
	void *src;

	if (!a || !room(buf, pos))
		return pos;
	len = BPF_CORE_READ(a, len) - 2; /* minus sun_family */
	if (len <= 0)
		return pos;
	if (len > 108)
		len = 108;
	src = (void *)a + bpf_core_field_offset(struct unix_address, name) + 2;
	if (bpf_probe_read_kernel(buf + (pos & (REC_HALF - 1)), len & 127, src) != 0)
		return pos;
	pos += len & 127;
	set_slen(buf, slot, p0, pos);
	return pos;
}

static __always_inline __u32 describe_sock(__u8 *buf, __u32 pos, struct sock *sk)
{
	struct rec_sys *r = (void *)buf;
	struct fdinfo *fi = &r->fdi;
	__u16 fam;

	if (!sk)
		return pos;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	fi->flags |= FDI_SOCK;
	fi->family = fam;
	fi->sotype = BPF_CORE_READ(sk, sk_type);
	fi->proto = BPF_CORE_READ(sk, sk_protocol);
	fi->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (fam == L_AF_INET || fam == L_AF_INET6) {
		if (fam == L_AF_INET) {
			__u32 la = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__u32 ra = BPF_CORE_READ(sk, __sk_common.skc_daddr);

			__builtin_memcpy(fi->laddr, &la, 4);
			__builtin_memcpy(fi->raddr, &ra, 4);
		} else {
			BPF_CORE_READ_INTO(&fi->laddr, sk, __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&fi->raddr, sk, __sk_common.skc_v6_daddr);
		}
		fi->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		fi->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (fi->rport != 0)
			fi->flags |= FDI_CONNECTED;
	} else if (fam == L_AF_UNIX) {
		struct unix_sock *u = (void *)sk;
		struct sock *peer = BPF_CORE_READ(u, peer);

		pos = put_unix_addr(buf, pos, S_FDPATH, BPF_CORE_READ(u, addr));
		if (peer) {
			fi->flags |= FDI_CONNECTED;
			pos = put_unix_addr(buf, pos, S_PEER,
					    BPF_CORE_READ((struct unix_sock *)peer, addr));
		}
	}
	return pos;
}

/* Fills r->fdi from fd's file and appends its path or socket strings. */
static __always_inline __u32 describe_fd(__u8 *buf, __u32 pos, struct task_struct *t, long fd)
{
	struct rec_sys *r = (void *)buf;
	struct fdinfo *fi = &r->fdi;
	struct file *f = fd_file(t, fd);
	struct inode *ino;
	struct dentry *d;

	if (!f)
		return pos;
	r->fd = fd;
	ino = BPF_CORE_READ(f, f_inode);
	d = BPF_CORE_READ(f, f_path.dentry);
	fi->flags = FDI_FILE;
	fi->mode = BPF_CORE_READ(ino, i_mode);
	fi->magic = BPF_CORE_READ(ino, i_sb, s_magic);
	fi->ino = BPF_CORE_READ(ino, i_ino);
	fi->fmode = BPF_CORE_READ(f, f_mode);
	bpf_probe_read_kernel_str(fi->dname, sizeof(fi->dname), BPF_CORE_READ(d, d_name.name));
	if ((fi->mode & L_S_IFMT) == L_S_IFSOCK) {
		struct socket *so = BPF_CORE_READ(f, private_data);

		return describe_sock(buf, pos, BPF_CORE_READ(so, sk));
	}
	if (fi->magic == L_PIPEFS_MAGIC || fi->magic == L_ANON_INODE_FS_MAGIC ||
	    fi->magic == L_SOCKFS_MAGIC)
		return pos;
	return put_path(buf, pos, S_FDPATH, d, BPF_CORE_READ(f, f_path.mnt));
}

/* ---- sys_enter / sys_exit */

SEC("raw_tp/sys_enter")
int lanner_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *t;
	struct pt_regs *regs;
	struct stash st = {};
	long nr = ctx->args[1];
	__u32 key, *type;

	if (excluded(id) || nr < 0 || nr >= NR_MAX)
		return 0;
	key = nr;
	type = bpf_map_lookup_elem(&lanner_syscalls, &key);
	if (!type || *type == T_UNKNOWN || *type >= T_MAX_SYSCALL)
		return 0;
	t = (void *)bpf_get_current_task();
	if (BPF_CORE_READ(t, thread_info.status) & L_TS_COMPAT)
		return 0;
	regs = (void *)ctx->args[0];
	st.type = *type;
	st.nr = key;
	st.arg[0] = BPF_CORE_READ(regs, di);
	st.arg[1] = BPF_CORE_READ(regs, si);
	st.arg[2] = BPF_CORE_READ(regs, dx);
	st.arg[3] = BPF_CORE_READ(regs, r10);
	st.arg[4] = BPF_CORE_READ(regs, r8);
	st.arg[5] = BPF_CORE_READ(regs, r9);
	bpf_map_update_elem(&lanner_stash, &id, &st, BPF_ANY);
	return 0;
}

#define NONE -1
#define FD_RET 6

/* Where a sockaddr comes from. */
#define SA_NONE 0
#define SA_A1 1     /* pointer in arg 1, length in arg 2 */
#define SA_A4 2     /* pointer in arg 4, length in arg 5 */
#define SA_A4LEN 3  /* pointer in arg 4, pointer to the length in arg 5 */
#define SA_MSG 4    /* struct user_msghdr pointer in arg 1 */

/* Which arguments of a syscall the record needs. */
struct tspec {
	__s8 p1, d1, p2, d2; /* path args and their dirfd args (NONE: cwd) */
	__u8 abs1, abs2;     /* resolve p1 / p2 */
	__s8 fd;             /* arg index of the fd to describe, FD_RET, NONE */
	__u8 sa;             /* SA_* */
};

static __always_inline void spec_of(__u32 type, struct tspec *s)
{
	s->p1 = s->d1 = s->p2 = s->d2 = s->fd = NONE;
	s->abs1 = s->abs2 = 0;
	s->sa = SA_NONE;
	switch (type) {
	case T_OPEN:
	case T_CREAT:
		s->p1 = 0, s->abs1 = 1, s->fd = FD_RET;
		break;
	case T_OPENAT:
	case T_OPENAT2:
		s->p1 = 1, s->d1 = 0, s->abs1 = 1, s->fd = FD_RET;
		break;
	case T_EXECVE:
		s->p1 = 0;
		break;
	case T_EXECVEAT:
		s->p1 = 1, s->d1 = 0;
		break;
	case T_CONNECT:
	case T_BIND:
		s->fd = 0, s->sa = SA_A1;
		break;
	case T_ACCEPT:
	case T_ACCEPT4:
	case T_SOCKET:
	case T_DUP:
	case T_DUP2:
	case T_DUP3:
	case T_USERFAULTFD:
		s->fd = FD_RET;
		break;
	case T_LISTEN:
	case T_FCHMOD:
	case T_SETNS:
	case T_FINIT_MODULE:
		s->fd = 0;
		break;
	case T_SENDTO:
		s->fd = 0, s->sa = SA_A4;
		break;
	case T_RECVFROM:
		s->fd = 0, s->sa = SA_A4LEN;
		break;
	case T_SENDMSG:
	case T_RECVMSG:
		s->fd = 0, s->sa = SA_MSG;
		break;
	case T_RENAME:
	case T_LINK:
		s->p1 = 0, s->abs1 = 1, s->p2 = 1, s->abs2 = 1;
		break;
	case T_RENAMEAT:
	case T_RENAMEAT2:
	case T_LINKAT:
		s->p1 = 1, s->d1 = 0, s->abs1 = 1, s->p2 = 3, s->d2 = 2, s->abs2 = 1;
		break;
	case T_UNLINK:
	case T_RMDIR:
	case T_MKDIR:
	case T_CHMOD:
		s->p1 = 0, s->abs1 = 1;
		break;
	case T_UNLINKAT:
	case T_MKDIRAT:
	case T_FCHMODAT:
		s->p1 = 1, s->d1 = 0, s->abs1 = 1;
		break;
	case T_SYMLINK:
		s->p1 = 0, s->p2 = 1, s->abs2 = 1;
		break;
	case T_SYMLINKAT:
		s->p1 = 0, s->p2 = 2, s->d2 = 1, s->abs2 = 1;
		break;
	case T_MOUNT:
		s->p1 = 0, s->p2 = 1;
		break;
	}
}

static __always_inline long dirfd_of(__u64 *a, __s8 idx)
{
	if (idx < 0)
		return L_AT_FDCWD;
	return (int)a[idx & 7];
}

SEC("raw_tp/sys_exit")
int lanner_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *t;
	struct stash *sp;
	struct rec_sys *r;
	struct tspec s;
	__u64 a[8] = {};
	__u32 type, pos, p0;
	long ret = ctx->args[1];
	long fd = -1;
	__u8 *buf;

	sp = bpf_map_lookup_elem(&lanner_stash, &id);
	if (!sp)
		return 0;
	type = sp->type;
	a[0] = sp->arg[0];
	a[1] = sp->arg[1];
	a[2] = sp->arg[2];
	a[3] = sp->arg[3];
	a[4] = sp->arg[4];
	a[5] = sp->arg[5];
	bpf_map_delete_elem(&lanner_stash, &id);

	buf = get_recbuf();
	if (!buf)
		return 0;
	r = (void *)buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, REC_SYSCALL, type, id);
	r->res = ret;
	r->arg[0] = a[0];
	r->arg[1] = a[1];
	r->arg[2] = a[2];
	r->arg[3] = a[3];
	r->arg[4] = a[4];
	r->arg[5] = a[5];
	r->fd = -1;
	t = (void *)bpf_get_current_task();
	pos = sizeof(*r);
	spec_of(type, &s);

	if (s.p1 >= 0) {
		const char *up = (const char *)a[s.p1 & 7];

		p0 = pos;
		pos = app_ustr(buf, pos, up, S_P1);
		set_slen(buf, S_P1, p0, pos);
		if (s.abs1)
			pos = put_abs(buf, pos, S_P1ABS, t, dirfd_of(a, s.d1), up);
	}
	if (s.p2 >= 0) {
		const char *up = (const char *)a[s.p2 & 7];

		p0 = pos;
		pos = app_ustr(buf, pos, up, S_P2);
		set_slen(buf, S_P2, p0, pos);
		if (s.abs2)
			pos = put_abs(buf, pos, S_P2ABS, t, dirfd_of(a, s.d2), up);
	}
	if (type == T_OPENAT2) {
		struct open_how how = {};

		if (bpf_probe_read_user(&how, sizeof(how), (void *)a[2]) == 0) {
			r->how_flags = how.flags;
			r->how_mode = how.mode;
		}
	}
	if (s.sa != SA_NONE) {
		void *sa = 0;
		long salen = 0;

		if (s.sa == SA_A1) {
			sa = (void *)a[1];
			salen = (int)a[2];
		} else if (s.sa == SA_A4) {
			sa = (void *)a[4];
			salen = (int)a[5];
		} else if (s.sa == SA_A4LEN) {
			int n = 0;

			sa = (void *)a[4];
			if (a[5] && bpf_probe_read_user(&n, sizeof(n), (void *)a[5]) == 0)
				salen = n;
		} else {
			struct user_msghdr mh = {};

			if (bpf_probe_read_user(&mh, sizeof(mh), (void *)a[1]) == 0) {
				sa = mh.msg_name;
				salen = mh.msg_namelen;
			}
		}
		if (sa && salen > 0) {
			p0 = pos;
			pos = app_ublock(buf, pos, sa, salen, SADDR_LEN, S_SADDR);
			set_slen(buf, S_SADDR, p0, pos);
		}
	}
	if (s.fd == FD_RET)
		fd = ret;
	else if (s.fd >= 0)
		fd = (int)a[s.fd & 7];
	if (fd >= 0) {
		pos = describe_fd(buf, pos, t, fd);
		if ((r->fdi.fmode & L_FMODE_CREATED) && (type == T_OPEN || type == T_OPENAT ||
							  type == T_OPENAT2 || type == T_CREAT))
			r->fdi.flags |= FDI_CREATED;
		if ((r->fdi.flags & FDI_SOCK) && room(buf, pos)) {
			set_slen(buf, S_TEXT, pos, pos + TEXT_LEN);
			pos += TEXT_LEN;
		}
	}
	submit(buf, pos);
	return 0;
}

/* ---- process events */

static __always_inline __u32 pid_nr_at(struct pid *p, __u32 level)
{
	void *up;
	int nr = 0;

	if (!p || BPF_CORE_READ(p, level) < level)
		return 0;
	up = (void *)p + bpf_core_field_offset(struct pid, numbers) +
	     (level & 63) * bpf_core_type_size(struct upid) + bpf_core_field_offset(struct upid, nr);
	bpf_probe_read_kernel(&nr, sizeof(nr), up);
	return nr;
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

struct knwalk {
	struct kernfs_node *kn;
	__u32 pos;
	__u32 done;
};

static long kn_step(__u32 i, void *vw)
{
	struct knwalk *w = vw;
	struct scratch *s = get_scratch();
	struct kernfs_node *kn = w->kn, *parent;
	const char *name;
	long n;
	__u32 len, pos;

	if (!s || !kn) {
		w->done = 1;
		return 1;
	}
	parent = kn_parent(kn);
	if (!parent) {
		/* The root's name is the empty string. */
		w->done = 1;
		return 1;
	}
	name = BPF_CORE_READ(kn, name);
	n = bpf_probe_read_kernel_str(&s->b[PATH_LEN + 512], NAME_LEN + 1, name);
	if (n <= 1) {
		w->kn = parent;
		return 0;
	}
	len = n - 1;
	if (w->pos <= len + 1) {
		w->done = 2;
		return 1;
	}
	pos = w->pos - len;
	bpf_probe_read_kernel(&s->b[pos & (PATH_LEN - 1)], len & NAME_LEN, &s->b[PATH_LEN + 512]);
	pos--;
	s->b[pos & (PATH_LEN - 1)] = '/';
	w->pos = pos;
	w->kn = parent;
	return 0;
}

/* Like lanner_walk, for the kernfs node kn: its path below the root. */
__noinline int lanner_kn_walk(__u64 kn)
{
	struct knwalk w = {};

	w.kn = (void *)kn;
	w.pos = PATH_LEN;
	bpf_loop(KN_STEPS, kn_step, &w, 0);
	return (w.pos & 0xffff) | (w.done == 1 ? 0 : WALK_CUT);
}

static __always_inline __u32 put_cgroup(__u8 *buf, __u32 pos, struct task_struct *t)
{
	struct rec_hdr *h = (void *)buf;
	struct css_set *cs = BPF_CORE_READ(t, cgroups);
	struct kernfs_node *kn = 0;
	__u32 p0 = pos;
	int res;

	if (!cs)
		return pos;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
		struct cgroup_subsys_state *css = 0;

		bpf_probe_read_kernel(&css, sizeof(css),
				      (void *)cs + bpf_core_field_offset(struct css_set, subsys) +
					      (id & 15) * sizeof(void *));
		if (css)
			kn = BPF_CORE_READ(css, cgroup, kn);
	}
	if (!kn)
		kn = BPF_CORE_READ(cs, dfl_cgrp, kn);
	if (!kn)
		return pos;
	res = lanner_kn_walk((__u64)kn);
	pos = app_walked(buf, pos, res & 0xffff);
	if (res & WALK_CUT)
		h->flags |= 1 << S_CGROUP;
	set_slen(buf, S_CGROUP, p0, pos);
	return pos;
}

static __always_inline __u32 exe_flags(struct task_struct *t, struct file *exe)
{
	const struct cred *c = BPF_CORE_READ(t, cred);
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	struct dentry *d = BPF_CORE_READ(exe, f_path.dentry);
	struct vfsmount *vm = BPF_CORE_READ(exe, f_path.mnt);
	struct super_block *sb = BPF_CORE_READ(ino, i_sb);
	__u32 flags = 0;
	char name[8] = {};

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
	    name[4] == 'd' && name[5] == ':')
		flags |= EXE_FROM_MEMFD;

	if (BPF_CORE_READ(sb, s_magic) == L_OVERLAYFS_MAGIC &&
	    bpf_core_type_exists(struct ovl_inode)) {
		struct ovl_inode *oi = (void *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode);

		if (BPF_CORE_READ(oi, __upperdentry))
			flags |= EXE_UPPER_LAYER;
		else
			flags |= EXE_LOWER_LAYER;
	}

	/* Writable by the task's credentials, on a writable mount. */
	if (!(BPF_CORE_READ(sb, s_flags) & L_SB_RDONLY) &&
	    !(BPF_CORE_READ(vm, mnt_flags) & MNT_READONLY)) {
		__u32 mode = BPF_CORE_READ(ino, i_mode);
		__u32 fsuid = BPF_CORE_READ(c, fsuid.val);
		__u32 fsgid = BPF_CORE_READ(c, fsgid.val);
		__u64 eff = BPF_CORE_READ(c, cap_effective.val);

		if (eff & (1ULL << L_CAP_DAC_OVERRIDE))
			flags |= EXE_WRITABLE;
		else if (fsuid == BPF_CORE_READ(ino, i_uid.val))
			flags |= (mode & 0200) ? EXE_WRITABLE : 0;
		else if (fsgid == BPF_CORE_READ(ino, i_gid.val))
			flags |= (mode & 0020) ? EXE_WRITABLE : 0;
		else if (mode & 0002)
			flags |= EXE_WRITABLE;
	}
	return flags;
}

SEC("raw_tp/sched_process_exec")
int lanner_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *t = (void *)ctx->args[0];
	__u32 old_pid = (__u32)ctx->args[1];
	struct linux_binprm *bprm = (void *)ctx->args[2];
	struct signal_struct *sig;
	struct tty_struct *tty;
	const struct cred *c;
	struct mm_struct *mm;
	struct file *exe;
	struct pid *tp, *p;
	struct rec_exec *r;
	struct stash *sp;
	__u64 key, start, end;
	__u32 pos, p0, level;
	__u8 *buf;

	if (excluded(id))
		return 0;
	buf = get_recbuf();
	if (!buf)
		return 0;
	r = (void *)buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, REC_EXEC, T_UNKNOWN, id);

	/* The execve that got here, saved by the thread that called it. */
	key = (id & 0xffffffff00000000ULL) | old_pid;
	sp = bpf_map_lookup_elem(&lanner_stash, &key);
	if (sp) {
		if (sp->type == T_EXECVE || sp->type == T_EXECVEAT) {
			r->h.type = sp->type;
			r->arg[0] = sp->arg[0];
			r->arg[1] = sp->arg[1];
			r->arg[2] = sp->arg[2];
			r->arg[3] = sp->arg[3];
			r->arg[4] = sp->arg[4];
			r->arg[5] = sp->arg[5];
		}
		bpf_map_delete_elem(&lanner_stash, &key);
	}

	pos = sizeof(*r);
	if (room(buf, pos)) {
		long n = bpf_probe_read_kernel_str(buf + pos, PATH_LEN, BPF_CORE_READ(bprm, filename));

		if (n > 0) {
			r->h.slen[S_FILENAME] = n - 1;
			pos += n - 1;
		}
	}

	mm = BPF_CORE_READ(t, mm);
	exe = BPF_CORE_READ(mm, exe_file);
	if (exe) {
		struct inode *ino = BPF_CORE_READ(exe, f_inode);

		pos = put_path(buf, pos, S_EXE, BPF_CORE_READ(exe, f_path.dentry),
			       BPF_CORE_READ(exe, f_path.mnt));
		r->exe_flags = exe_flags(t, exe);
		if (bpf_core_field_exists(ino->i_ctime_sec)) {
			r->ino_ctime = BPF_CORE_READ(ino, i_ctime_sec) * 1000000000LL +
				       BPF_CORE_READ(ino, i_ctime_nsec);
			r->ino_mtime = BPF_CORE_READ(ino, i_mtime_sec) * 1000000000LL +
				       BPF_CORE_READ(ino, i_mtime_nsec);
		}
	}
	pos = put_path(buf, pos, S_CWD, BPF_CORE_READ(t, fs, pwd.dentry),
		       BPF_CORE_READ(t, fs, pwd.mnt));

	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	if (end > start) {
		p0 = pos;
		pos = app_ublock(buf, pos, (void *)start, end - start, ARGV_LEN, S_ARGV);
		set_slen(buf, S_ARGV, p0, pos);
	}
	pos = put_cgroup(buf, pos, t);
	start = BPF_CORE_READ(mm, env_start);
	end = BPF_CORE_READ(mm, env_end);
	if (end > start) {
		p0 = pos;
		pos = app_ublock(buf, pos, (void *)start, end - start, ENV_LEN, S_ENV);
		set_slen(buf, S_ENV, p0, pos);
	}

	c = BPF_CORE_READ(t, cred);
	r->uid = BPF_CORE_READ(c, euid.val);
	r->gid = BPF_CORE_READ(c, egid.val);
	r->ruid = BPF_CORE_READ(c, uid.val);
	r->rgid = BPF_CORE_READ(c, gid.val);
	r->cap_permitted = BPF_CORE_READ(c, cap_permitted.val);
	r->cap_effective = BPF_CORE_READ(c, cap_effective.val);
	r->cap_inheritable = BPF_CORE_READ(c, cap_inheritable.val);
	if (bpf_core_field_exists(t->loginuid))
		r->loginuid = BPF_CORE_READ(t, loginuid.val);
	else
		r->loginuid = 0xffffffff;
	if (bpf_core_field_exists(t->sessionid))
		r->sessionid = BPF_CORE_READ(t, sessionid);
	else
		r->sessionid = 0xffffffff;

	r->ppid = BPF_CORE_READ(t, real_parent, tgid);
	tp = BPF_CORE_READ(t, thread_pid);
	level = BPF_CORE_READ(tp, level);
	r->vpid = pid_nr_at(tp, level);
	sig = BPF_CORE_READ(t, signal);
	p = 0;
	bpf_probe_read_kernel(&p, sizeof(p), &sig->pids[PIDTYPE_SID]);
	r->sid = pid_nr_at(p, 0);
	p = 0;
	bpf_probe_read_kernel(&p, sizeof(p), &sig->pids[PIDTYPE_PGID]);
	r->vpgid = pid_nr_at(p, level);
	tty = BPF_CORE_READ(sig, tty);
	if (tty) {
		__u32 major = BPF_CORE_READ(tty, driver, major);
		__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);

		r->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
	}
	r->start_time = BPF_CORE_READ(t, group_leader, start_boottime) + boot_offset;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	submit(buf, pos);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int lanner_fork(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *parent = (void *)ctx->args[0];
	struct task_struct *child = (void *)ctx->args[1];
	struct rec_fork *r;
	__u8 *buf;

	if (excluded(id))
		return 0;
	buf = get_recbuf();
	if (!buf)
		return 0;
	r = (void *)buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, REC_FORK, T_UNKNOWN, id);
	r->parent_tgid = BPF_CORE_READ(parent, tgid);
	r->child_tgid = BPF_CORE_READ(child, tgid);
	r->child_tid = BPF_CORE_READ(child, pid);
	r->thread = r->child_tgid == r->parent_tgid;
	submit(buf, sizeof(*r));
	return 0;
}

SEC("raw_tp/sched_process_exit")
int lanner_pexit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *t = (void *)ctx->args[0];
	struct rec_exit *r;
	__u8 *buf;

	bpf_map_delete_elem(&lanner_stash, &id);
	if (excluded(id))
		return 0;
	buf = get_recbuf();
	if (!buf)
		return 0;
	r = (void *)buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, REC_EXIT, T_UNKNOWN, id);
	r->code = BPF_CORE_READ(t, exit_code);
	r->group_dead = ctx->args[1] & 1;
	submit(buf, sizeof(*r));
	return 0;
}
