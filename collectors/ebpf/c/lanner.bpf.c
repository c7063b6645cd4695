// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lanner's eBPF collector. Programs on the syscalls:sys_exit_<name>
 * tracepoints of the syscalls user space asked for (or, without them, on
 * raw_syscalls sys_exit) and on the sched_process_{fork,exec,exit}
 * tracepoints build one record per event in a per-CPU buffer and copy it
 * to the ring buffer lanner_events. The record layout is in lanner.h.
 *
 * A syscall record is built when the syscall returns: its number and
 * arguments are still in the task's pt_regs, the strings are read then
 * (the kernel has just used them, so they are resident), and paths, fds
 * and sockets are resolved in the kernel. lanner_syscalls, indexed by
 * syscall number (of the architecture built for), holds the event type to report. A successful
 * exec clears the registers, so exec calls save their arguments at entry
 * in lanner_stash, an array indexed by thread id.
 *
 * Kernel structures are read with BTF-typed loads (the pointers come from
 * bpf_get_current_task_btf, typed tracepoint arguments or bpf_rdonly_cast),
 * which cost an instruction each instead of a helper call. Only user
 * memory, strings and array elements at a variable index are copied with
 * bpf_probe_read_*.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "lanner.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader. */
const volatile __u32 exclude_tgid = 0; /* a tgid whose events are dropped */
const volatile __s64 boot_offset = 0;  /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
const volatile __u64 wakeup_bytes = 1 << 20; /* wake the reader when this much is pending */

#define NR_MAX 512
#if defined(__TARGET_ARCH_arm64)
#define NR_EXECVE 221
#define NR_EXECVEAT 281
#else
#define NR_EXECVE 59
#define NR_EXECVEAT 322
#endif

#define L_AT_FDCWD -100
#define L_O_CREAT 0100
#define L_S_IFMT 0170000
#define L_S_IFSOCK 0140000
#define L_S_IFREG 0100000
#define L_AF_UNIX 1
#define L_AF_INET 2
#define L_AF_INET6 10
#define L_TS_COMPAT 0x0002         /* x86 thread_info.status */
#define L_TIF_32BIT (1UL << 22)    /* arm64 thread_info.flags */
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
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STASH_SLOTS);
	__type(key, __u32);
	__type(value, struct stash);
} lanner_stash SEC(".maps");

/*
 * Records the ring buffer had no room for, per CPU, by drop slot: the event
 * type of a syscall or exec record, DROP_FORK/DROP_EXEC/DROP_EXIT for the
 * other process records (lanner.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_SLOTS);
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

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * A read-only typed view of the kernel address p (0 stays NULL): loads
 * through it are checked by the verifier against the type and cannot
 * fault. The verifier turns the call into a register move.
 */
#define KPTR(type, p) \
	((struct type *)bpf_rdonly_cast((void *)(unsigned long)(p), bpf_core_type_id_kernel(struct type)))

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
		__u32 slot = h->type;
		__u64 *n;

		if (h->kind != REC_SYSCALL && !(h->kind == REC_EXEC && slot != T_UNKNOWN))
			slot = DROP_FORK + (h->kind - REC_FORK);
		if (slot >= DROP_SLOTS)
			slot = T_UNKNOWN;
		n = bpf_map_lookup_elem(&lanner_drops, &slot);

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

/*
 * Appends the NUL-terminated user string at up, without its NUL. Returns
 * the new position; *ok is set when the string could be read.
 */
static __always_inline __u32 app_ustr(__u8 *buf, __u32 pos, const void *up, int slot, int *ok)
{
	struct rec_hdr *h = (void *)buf;
	long n;

	*ok = 0;
	if (!up || !room(buf, pos))
		return pos;
	n = bpf_probe_read_user_str(buf + (pos & (REC_HALF - 1)), PATH_LEN, up);
	if (n <= 0) {
		h->flags |= RF_FAULT;
		return pos;
	}
	*ok = 1;
	if (n >= PATH_LEN)
		h->flags |= 1 << slot;
	return pos + (__u32)(n - 1);
}

/* Appends len bytes of user memory (len <= max <= 4096). */
static __always_inline __u32 app_ublock(__u8 *buf, __u32 pos, const void *up, __u64 len,
					__u32 max, int slot)
{
	struct rec_hdr *h = (void *)buf;
	__u32 n, at;

	if (!up || len == 0 || !room(buf, pos))
		return pos;
	if (len > max) {
		len = max;
		h->flags |= 1 << slot;
	}
	n = (__u32)len;
	at = pos;
	/* Masks the compiler cannot drop: the verifier needs to see them. */
	asm volatile("%0 &= 0x1fff" : "+r"(n));
	asm volatile("%0 &= 0x3fff" : "+r"(at));
	if (n == 0)
		return pos;
	if (bpf_probe_read_user(buf + at, n, up) != 0) {
		h->flags |= RF_FAULT;
		return pos;
	}
	return pos + n;
}

/* Appends the n (< PATH_LEN) bytes of the record at from. */
static __always_inline __u32 app_copy(__u8 *buf, __u32 pos, __u32 from, __u32 n)
{
	if (n == 0 || !room(buf, pos))
		return pos;
	bpf_probe_read_kernel(buf + (pos & (REC_HALF - 1)), n & (PATH_LEN - 1),
			      buf + (from & (REC_HALF - 1)));
	return pos + (n & (PATH_LEN - 1));
}

/* Appends the n bytes of the walked path at the start of scratch ("/" for 0). */
static __always_inline __u32 app_walked(__u8 *buf, __u32 pos, __u32 n)
{
	struct scratch *s = get_scratch();

	if (!s || !room(buf, pos))
		return pos;
	if (n == 0)
		return app_byte(buf, pos, '/');
	if (n > PATH_LEN)
		n = PATH_LEN;
	bpf_probe_read_kernel(buf + (pos & (REC_HALF - 1)), n & (2 * PATH_LEN - 1), s->b);
	return pos + (n & (2 * PATH_LEN - 1));
}

static __always_inline void set_slen(__u8 *buf, int slot, __u32 p0, __u32 p1)
{
	struct rec_hdr *h = (void *)buf;

	h->slen[slot & (NSTR - 1)] = (__u16)(p1 - p0);
}

/* ---- path walks */

/*
 * A path is walked twice from its dentry up to the task's root: once to
 * measure it, then to write each component where it belongs counted from
 * the root, keeping only what falls within the first PATH_LEN bytes. A
 * path longer than that keeps its head, which is what prefix tests ("below
 * /dev") look at; the tail is what is dropped.
 */
struct walk {
	__u64 d;	/* struct dentry * */
	__u64 mnt;	/* struct mount * */
	__u64 mnt_root; /* its mnt.mnt_root */
	__u64 root_d;	/* the task's root */
	__u64 root_mnt; /* struct vfsmount * */
	struct scratch *s;
	__u32 total; /* second pass: the length the first one measured */
	__u32 len;   /* bytes of the components seen so far, "/" included */
	__u32 write; /* second pass */
	__u32 done;  /* 1: reached a root; 2: a pointer was bad */
};

static long walk_step(__u32 i, void *vw)
{
	struct walk *w = vw;
	struct scratch *s = w->s;
	struct dentry *d = KPTR(dentry, w->d);
	struct mount *m = KPTR(mount, w->mnt);
	const unsigned char *name;
	__u64 parent;
	__u32 len;

	if (!s || !w->d || !w->mnt) {
		w->done = 2;
		return 1;
	}
	if (w->d == w->root_d && w->mnt + bpf_core_field_offset(struct mount, mnt) == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	if (w->d == w->mnt_root) {
		__u64 up = (__u64)m->mnt_parent;

		if (!up || up == w->mnt) {
			w->done = 1;
			return 1;
		}
		w->d = (__u64)m->mnt_mountpoint;
		w->mnt = up;
		w->mnt_root = (__u64)KPTR(mount, up)->mnt.mnt_root;
		return 0;
	}
	len = d->d_name.len;
	name = d->d_name.name;
	if (len > NAME_LEN)
		len = NAME_LEN;
	w->len += len + 1;
	if (w->write) {
		__u32 at;

		if (w->len > w->total) {
			/* The path changed since it was measured. */
			w->done = 2;
			return 1;
		}
		at = w->total - w->len; /* where "/" and the name go */
		if (at < PATH_LEN) {
			__u32 nat;

			/* Masks the compiler cannot drop: the verifier needs them. */
			asm volatile("%0 &= 0xfff" : "+r"(at));
			nat = at + 1;
			asm volatile("%0 &= 0x1fff" : "+r"(nat));
			asm volatile("%0 &= 0xff" : "+r"(len));
			s->b[at] = '/';
			bpf_probe_read_kernel(&s->b[nat], len, name);
		}
	}
	parent = (__u64)d->d_parent;
	if (!parent || parent == w->d) {
		/* A pseudo or disconnected dentry: its name is all there is. */
		w->done = 1;
		return 1;
	}
	w->d = parent;
	return 0;
}

#define WALK_CUT (1 << 16)  /* longer than PATH_LEN: the head was kept */
#define WALK_LOST (1 << 17) /* no root within WALK_STEPS: nothing kept */

/*
 * The start of a walk. Pointers reach global functions in memory: as
 * arguments they would have to be plain scalars.
 */
struct walk_from {
	__u64 p;
	__u64 mnt;
};

/*
 * Writes the head of the absolute path of the dentry from->p on the
 * vfsmount from->mnt at the start of the scratch buffer and returns its
 * length (0 for "/"), with WALK_CUT set when the path is longer than
 * PATH_LEN bytes and WALK_LOST when the walk did not reach a root (then
 * the head is unknown). The walk stops at the current task's root, so
 * paths are those the task sees. A global function: the verifier checks
 * it once, not per caller.
 */
__noinline int lanner_walk(struct walk_from *from)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fs_struct *fs = t->fs;
	struct walk w = {}, w2;
	__u64 d, vm;

	if (!from)
		return WALK_LOST;
	d = from->p;
	vm = from->mnt;
	if (!d || !vm)
		return WALK_LOST;
	w.s = get_scratch();
	w.d = d;
	w.mnt = vm - bpf_core_field_offset(struct mount, mnt);
	w.mnt_root = (__u64)KPTR(vfsmount, vm)->mnt_root;
	w.root_d = (__u64)fs->root.dentry;
	w.root_mnt = (__u64)fs->root.mnt;
	w2 = w;
	bpf_loop(WALK_STEPS, walk_step, &w, 0);
	if (w.done != 1)
		return WALK_LOST;
	w2.total = w.len;
	w2.write = 1;
	bpf_loop(WALK_STEPS, walk_step, &w2, 0);
	if (w2.done != 1 || w2.len != w.len)
		return WALK_LOST;
	if (w.len > PATH_LEN)
		return WALK_CUT | PATH_LEN;
	return w.len;
}

/*
 * Walks (d, vm); returns the length of the head in scratch, and sets *cut
 * when the path was longer, *lost when its head is unknown.
 */
static __always_inline __u32 walk_path(struct dentry *d, struct vfsmount *vm, int *cut,
				       int *lost)
{
	struct walk_from from = {.p = (__u64)d, .mnt = (__u64)vm};
	int res = lanner_walk(&from);

	if (res & WALK_LOST) {
		*lost = 1;
		return 0;
	}
	if (res & WALK_CUT)
		*cut = 1;
	return res & 0xffff;
}

/*
 * Appends the absolute path of (d, vm) as string slot, cut flagged; a path
 * whose head is unknown is left out, its slot empty and flagged.
 */
static __always_inline __u32 put_path(__u8 *buf, __u32 pos, int slot, struct dentry *d,
				      struct vfsmount *vm)
{
	struct rec_hdr *h = (void *)buf;
	__u32 p0 = pos, n;
	int cut = 0, lost = 0;

	if (!d || !vm)
		return pos;
	n = walk_path(d, vm, &cut, &lost);
	if (lost) {
		h->flags |= 1 << slot;
		return pos;
	}
	pos = app_walked(buf, pos, n);
	if (cut)
		h->flags |= 1 << slot;
	set_slen(buf, slot, p0, pos);
	return pos;
}

static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt;
	struct file *f = 0;

	if (fd < 0)
		return 0;
	fdt = t->files->fdt;
	if (!fdt || (unsigned long)fd >= fdt->max_fds)
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	return KPTR(file, f);
}

/*
 * Appends the user path up as string slot and, when abs, its absolute
 * form as slot + 1: the path itself when it is absolute, else the path of
 * dirfd (or of the working directory for AT_FDCWD), "/" and the path.
 * When the directory's path is longer than PATH_LEN, the absolute form is
 * its head alone, flagged cut; when the directory's head is unknown, the
 * absolute form is left out and flagged.
 */
static __always_inline __u32 put_upath(__u8 *buf, __u32 pos, int slot, const char *up, int abs,
				       struct task_struct *t, long dirfd)
{
	struct rec_hdr *h = (void *)buf;
	__u32 p0 = pos, n, a0;
	int ok;

	pos = app_ustr(buf, pos, up, slot, &ok);
	set_slen(buf, slot, p0, pos);
	if (!abs || !ok)
		return pos;
	n = pos - p0;
	a0 = pos;
	if (n == 0 || buf[p0 & (REC_HALF - 1)] != '/') {
		struct dentry *d;
		struct vfsmount *vm;
		__u32 len;
		int cut = 0, lost = 0;

		if ((int)dirfd == L_AT_FDCWD) {
			struct fs_struct *fs = t->fs;

			d = fs->pwd.dentry;
			vm = fs->pwd.mnt;
		} else {
			struct file *f = fd_file(t, (int)dirfd);

			if (!f)
				return pos;
			d = f->f_path.dentry;
			vm = f->f_path.mnt;
		}
		if (!d || !vm)
			return pos;
		len = walk_path(d, vm, &cut, &lost);
		if (lost) {
			h->flags |= 1 << (slot + 1);
			return pos;
		}
		pos = app_walked(buf, pos, len);
		if (cut) {
			h->flags |= 1 << (slot + 1);
			set_slen(buf, slot + 1, a0, pos);
			return pos;
		}
		if (len != 0)
			pos = app_byte(buf, pos, '/');
	}
	pos = app_copy(buf, pos, p0, n);
	if (h->flags & (1 << slot))
		h->flags |= 1 << (slot + 1);
	set_slen(buf, slot + 1, a0, pos);
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
	len = a->len - 2; /* minus sun_family */
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
	fam = sk->__sk_common.skc_family;
	fi->flags |= FDI_SOCK;
	fi->family = fam;
	fi->sotype = sk->sk_type;
	fi->proto = sk->sk_protocol;
	fi->state = sk->__sk_common.skc_state;
	if (fam == L_AF_INET || fam == L_AF_INET6) {
		if (fam == L_AF_INET) {
			__u32 la = sk->__sk_common.skc_rcv_saddr;
			__u32 ra = sk->__sk_common.skc_daddr;

			__builtin_memcpy(fi->laddr, &la, 4);
			__builtin_memcpy(fi->raddr, &ra, 4);
		} else {
			BPF_CORE_READ_INTO(&fi->laddr, sk, __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&fi->raddr, sk, __sk_common.skc_v6_daddr);
		}
		fi->lport = sk->__sk_common.skc_num;
		fi->rport = bpf_ntohs(sk->__sk_common.skc_dport);
		if (fi->rport != 0)
			fi->flags |= FDI_CONNECTED;
	} else if (fam == L_AF_UNIX) {
		struct unix_sock *u = KPTR(unix_sock, sk);
		struct sock *peer = u->peer;

		pos = put_unix_addr(buf, pos, S_FDPATH, u->addr);
		if (peer) {
			fi->flags |= FDI_CONNECTED;
			pos = put_unix_addr(buf, pos, S_PEER, KPTR(unix_sock, peer)->addr);
		}
	}
	return pos;
}

/* Fills r->fdi from the file f of fd and appends its path or socket strings. */
static __always_inline __u32 describe_fd(__u8 *buf, __u32 pos, struct file *f, long fd)
{
	struct rec_sys *r = (void *)buf;
	struct fdinfo *fi = &r->fdi;
	struct inode *ino;
	struct dentry *d;

	if (!f)
		return pos;
	r->fd = fd;
	ino = f->f_inode;
	d = f->f_path.dentry;
	fi->flags = FDI_FILE;
	fi->mode = ino->i_mode;
	fi->magic = ino->i_sb->s_magic;
	fi->ino = ino->i_ino;
	fi->dev = ino->i_sb->s_dev;
	fi->fmode = f->f_mode;
	bpf_probe_read_kernel_str(fi->dname, sizeof(fi->dname), d->d_name.name);
	if ((fi->mode & L_S_IFMT) == L_S_IFSOCK) {
		struct socket *so = KPTR(socket, f->private_data);

		return describe_sock(buf, pos, so->sk);
	}
	if (fi->magic == L_PIPEFS_MAGIC || fi->magic == L_ANON_INODE_FS_MAGIC ||
	    fi->magic == L_SOCKFS_MAGIC)
		return pos;
	return put_path(buf, pos, S_FDPATH, d, f->f_path.mnt);
}

/* ---- syscalls */

/* The event type of syscall nr if it is asked for (SC_RAW kept), else 0. */
static __always_inline __u32 sc_type(long nr)
{
	__u32 key, *v;

	if (nr < 0 || nr >= NR_MAX)
		return 0;
	key = nr;
	v = bpf_map_lookup_elem(&lanner_syscalls, &key);
	if (!v)
		return 0;
	if ((*v & SC_TYPE) == T_UNKNOWN || (*v & SC_TYPE) >= T_MAX_SYSCALL)
		return 0;
	return *v;
}

/*
 * Compat (32-bit) syscalls are skipped: their numbers differ. (The
 * syscalls:* tracepoints do not fire for them either.)
 */
static __always_inline int is_compat(struct task_struct *t)
{
#if defined(__TARGET_ARCH_arm64)
	return (t->thread_info.flags & L_TIF_32BIT) != 0;
#else
	return t->thread_info.status & L_TS_COMPAT;
#endif
}

#if defined(__TARGET_ARCH_arm64)
/*
 * arm64's struct pt_regs, as far as it is read here, under names of their
 * own: vmlinux.h is x86_64's, and CO-RE finds the fields by name in the
 * running kernel ("pt_regs" and "user_pt_regs", the ___ suffix is
 * dropped). user_pt_regs is the union at the start of pt_regs.
 */
struct user_pt_regs___lanner {
	__u64 regs[31];
} __attribute__((preserve_access_index));

struct pt_regs___lanner {
	__u64 orig_x0;
	__s32 syscallno;
} __attribute__((preserve_access_index));

#define SYSCALL_NR(regs) (((struct pt_regs___lanner *)(regs))->syscallno)
#else
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#endif

/*
 * x86_64 keeps a syscall's arguments in the task's pt_regs until the
 * syscall returns; only a successful exec clears them. arm64 does too,
 * but for the first, whose register x0 takes the return value: the
 * argument stays in orig_x0.
 */
static __always_inline void read_args(struct pt_regs *regs, __u64 *a)
{
#if defined(__TARGET_ARCH_arm64)
	struct user_pt_regs___lanner *u = (struct user_pt_regs___lanner *)regs;

	a[0] = ((struct pt_regs___lanner *)regs)->orig_x0;
	a[1] = u->regs[1];
	a[2] = u->regs[2];
	a[3] = u->regs[3];
	a[4] = u->regs[4];
	a[5] = u->regs[5];
#else
	a[0] = regs->di;
	a[1] = regs->si;
	a[2] = regs->dx;
	a[3] = regs->r10;
	a[4] = regs->r8;
	a[5] = regs->r9;
#endif
}

/*
 * The stash slot of thread tid when it belongs to the current task and
 * holds an unused exec call, else NULL.
 */
static __always_inline struct stash *stashed_exec(__u32 tid)
{
	__u32 key = tid & (STASH_SLOTS - 1);
	struct stash *st = bpf_map_lookup_elem(&lanner_stash, &key);

	if (!st || st->task != bpf_get_current_task() || st->type == T_UNKNOWN)
		return 0;
	return st;
}

/*
 * Saves the type and arguments of an exec call of thread tid for
 * lanner_exec: the new program's registers no longer hold them (x86_64
 * even sets orig_ax to execve's number for every 64-bit program). The
 * slot is the thread's, found by its id; the task pointer tells a slot
 * that another thread took over.
 */
static __always_inline void stash_exec(__u32 tid, __u32 type, __u32 nr, struct pt_regs *regs)
{
	__u32 key = tid & (STASH_SLOTS - 1);
	struct stash *st = bpf_map_lookup_elem(&lanner_stash, &key);

	if (!st)
		return;
	st->task = bpf_get_current_task();
	st->type = type;
	st->nr = nr;
	read_args(regs, st->arg);
}

#define NONE -1
#define FD_RET 6

/* Where a sockaddr comes from. */
#define SA_NONE 0
#define SA_A1 1     /* pointer in arg 1, length in arg 2 */
#define SA_A4 2     /* pointer in arg 4, length in arg 5 */
#define SA_A4LEN 3  /* pointer in arg 4, pointer to the length in arg 5 */
#define SA_MSG 4    /* struct user_msghdr pointer in arg 1 */

/* Where the data of a send or receive call is. */
#define DATA_NONE 0
#define DATA_SENT 1 /* sendto: buffer in arg 1, length in arg 2 */
#define DATA_RECV 2 /* recvfrom: buffer in arg 1, filled with the result's bytes */
#define DATA_MSG 3  /* sendmsg, recvmsg: the iovecs of the struct user_msghdr in arg 1 */

/* Which arguments of a syscall the record needs. */
struct tspec {
	__s8 p1, d1, p2, d2; /* path args and their dirfd args (NONE: cwd) */
	__u8 abs1, abs2;     /* resolve p1 / p2 */
	__s8 fd;             /* arg index of the fd to describe, FD_RET, NONE */
	__u8 sa;             /* SA_* */
	__u8 data;           /* DATA_* */
};

static __always_inline void spec_of(__u32 type, struct tspec *s)
{
	s->p1 = s->d1 = s->p2 = s->d2 = s->fd = NONE;
	s->abs1 = s->abs2 = 0;
	s->sa = SA_NONE;
	s->data = DATA_NONE;
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
		s->fd = 0, s->sa = SA_A4, s->data = DATA_SENT;
		break;
	case T_RECVFROM:
		s->fd = 0, s->sa = SA_A4LEN, s->data = DATA_RECV;
		break;
	case T_SENDMSG:
	case T_RECVMSG:
		s->fd = 0, s->sa = SA_MSG, s->data = DATA_MSG;
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

static __always_inline int is_open(__u32 type)
{
	return type == T_OPEN || type == T_OPENAT || type == T_OPENAT2 || type == T_CREAT;
}

/*
 * Fills what the records of a syscall (rec_sys, rec_cred) start with: the
 * header, the result and the six arguments a.
 */
static __always_inline void fill_call(struct rec_hdr *h, __s64 *res, __u64 *arg, __u8 kind,
				      __u32 type, __u64 id, long ret, const __u64 *a)
{
	fill_hdr(h, kind, type, id);
	*res = ret;
	arg[0] = a[0];
	arg[1] = a[1];
	arg[2] = a[2];
	arg[3] = a[3];
	arg[4] = a[4];
	arg[5] = a[5];
}

/* A walk over the iovecs of a sendmsg or recvmsg call. */
struct iov_walk {
	__u8 *buf;
	__u64 iov;  /* user struct iovec * */
	__u64 cnt;  /* how many */
	__u64 size; /* the bytes they hold */
	__u32 pos;  /* where the next data byte goes */
	__u32 want; /* data bytes still to copy */
};

static long iov_step(__u32 i, void *vw)
{
	struct iov_walk *w = vw;
	struct iovec v;
	__u64 n;
	__u32 p;

	if (i >= w->cnt || !w->buf)
		return 1;
	if (bpf_probe_read_user(&v, sizeof(v), (void *)(w->iov + (__u64)i * sizeof(v))) != 0)
		return 1;
	w->size += v.iov_len;
	if (w->want == 0 || v.iov_len == 0)
		return 0;
	n = v.iov_len < w->want ? v.iov_len : w->want;
	p = app_ublock(w->buf, w->pos, v.iov_base, n, DATA_LEN, S_DATA);
	if (p == w->pos) {
		w->want = 0; /* unreadable, or the record is full */
		return 0;
	}
	w->want -= p - w->pos;
	w->pos = p;
	return 0;
}

/*
 * Appends the data of a send or receive call as slot S_DATA: at most
 * DATA_LEN bytes, of those the call moved (of those it was asked to send
 * when it failed, as Falco); for sendmsg, the bytes of its iovecs go to
 * aux[0].
 */
static __always_inline __u32 put_data(__u8 *buf, __u32 pos, __u8 how, __u32 type, long ret,
				      __u64 *a)
{
	struct rec_sys *r = (void *)buf;
	__u32 p0 = pos;
	__u64 n;

	if (how == DATA_SENT) {
		n = ret > 0 ? (__u64)ret : a[2];
		pos = app_ublock(buf, pos, (void *)a[1], n < DATA_LEN ? n : DATA_LEN, DATA_LEN, S_DATA);
	} else if (how == DATA_RECV) {
		if (ret <= 0)
			return pos;
		n = (__u64)ret;
		pos = app_ublock(buf, pos, (void *)a[1], n < DATA_LEN ? n : DATA_LEN, DATA_LEN, S_DATA);
	} else if (how == DATA_MSG) {
		struct user_msghdr mh = {};
		struct iov_walk w = {};

		if (type == T_RECVMSG && ret < 0)
			return pos;
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)a[1]) != 0)
			return pos;
		w.buf = buf;
		w.iov = (__u64)mh.msg_iov;
		w.cnt = mh.msg_iovlen < IOV_MAX ? mh.msg_iovlen : IOV_MAX;
		w.pos = pos;
		w.want = ret > 0 && ret < DATA_LEN ? (__u32)ret : DATA_LEN;
		if (type == T_RECVMSG && ret == 0)
			w.want = 0;
		bpf_loop(IOV_MAX, iov_step, &w, 0);
		if (type == T_SENDMSG)
			r->aux[0] = w.size;
		/*
		 * The bytes added, bounded where the verifier sees it: it
		 * knows nothing of what the loop left in w.
		 */
		n = w.pos - pos;
		if (n > DATA_LEN)
			n = DATA_LEN;
		asm volatile("%0 &= 0x7f" : "+r"(n));
		pos += n;
	}
	set_slen(buf, S_DATA, p0, pos);
	return pos;
}

/*
 * The queue of the listening socket fd of an accept call: its length and
 * limit go to aux[0] and aux[1].
 */
static __always_inline void put_accept_queue(struct rec_sys *r, struct task_struct *t, long fd)
{
	struct file *f = fd_file(t, fd);
	struct socket *so;
	struct sock *sk;

	if (!f || (f->f_inode->i_mode & L_S_IFMT) != L_S_IFSOCK)
		return;
	so = KPTR(socket, f->private_data);
	sk = so->sk;
	if (!sk)
		return;
	r->aux[0] = sk->sk_ack_backlog;
	r->aux[1] = sk->sk_max_ack_backlog;
}

/*
 * Builds and sends the record of the syscall of the given type that is
 * returning ret in the current task t. An exec call is reported here only
 * when it failed (a successful one returns 0 in the new program, and
 * lanner_exec reported it); its registers are intact then.
 */
static __always_inline int sys_record(__u64 id, __u32 type, long ret, struct task_struct *t,
				      struct pt_regs *regs)
{
	struct file *f = 0;
	struct rec_sys *r;
	struct tspec s;
	__u64 a[8] = {};
	__u32 pos;
	long fd = -1;
	__u8 *buf;

	if (type == T_EXECVE || type == T_EXECVEAT) {
		struct stash *st = stashed_exec((__u32)id);

		if (st)
			st->type = T_UNKNOWN;
		if (ret == 0)
			return 0;
	}
	read_args(regs, a);

	buf = get_recbuf();
	if (!buf)
		return 0;
	r = (void *)buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_call(&r->h, &r->res, r->arg, REC_SYSCALL, type, id, ret, a);
	r->fd = -1;
	pos = sizeof(*r);
	spec_of(type, &s);

	if (s.fd == FD_RET)
		fd = ret;
	else if (s.fd >= 0)
		fd = (int)a[s.fd & 7];
	if (fd >= 0)
		f = fd_file(t, fd);

	if (s.p1 >= 0) {
		/*
		 * The absolute form of an opened path is fd.name (as Falco's:
		 * symbolic links not resolved); the new fd's own path is the
		 * resolved one.
		 */
		int abs = s.abs1;

		pos = put_upath(buf, pos, S_P1, (const char *)a[s.p1 & 7], abs, t,
				dirfd_of(a, s.d1));
	}
	if (s.p2 >= 0)
		pos = put_upath(buf, pos, S_P2, (const char *)a[s.p2 & 7], s.abs2, t,
				dirfd_of(a, s.d2));
	if (type == T_OPENAT2) {
		struct open_how how = {};

		if (bpf_probe_read_user(&how, sizeof(how), (void *)a[2]) == 0) {
			r->aux[0] = how.flags;
			r->aux[1] = how.mode;
		}
	}
	if ((type == T_ACCEPT || type == T_ACCEPT4) && ret >= 0)
		put_accept_queue(r, t, (int)a[0]);
	if (s.data != DATA_NONE)
		pos = put_data(buf, pos, s.data, type, ret, a);
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
			__u32 p0 = pos;

			pos = app_ublock(buf, pos, sa, salen, SADDR_LEN, S_SADDR);
			set_slen(buf, S_SADDR, p0, pos);
		}
	}
	if (f) {
		pos = describe_fd(buf, pos, f, fd);
		if ((r->fdi.fmode & L_FMODE_CREATED) && is_open(type))
			r->fdi.flags |= FDI_CREATED;
		if ((r->fdi.flags & FDI_SOCK) && room(buf, pos)) {
			set_slen(buf, S_TEXT, pos, pos + TEXT_LEN);
			pos += TEXT_LEN;
		}
	}
	submit(buf, pos);
	return 0;
}

static __always_inline int is_cred(__u32 type)
{
	return type == T_SETUID || type == T_SETGID || (type >= T_SETRESUID && type <= T_CAPSET);
}

/*
 * Builds and sends the record of a credential syscall returning ret in the
 * current task t: its arguments and the identity the thread has now, so
 * that user space follows the change even when the call failed or changed
 * less than it asked (setfsuid, the -1 of setresuid).
 */
static __always_inline int cred_record(__u64 id, __u32 type, long ret, struct task_struct *t,
				       struct pt_regs *regs)
{
	const struct cred *c = t->real_cred;
	struct rec_cred *r;
	__u64 a[8] = {};
	__u8 *buf;

	read_args(regs, a);
	buf = get_recbuf();
	if (!buf)
		return 0;
	r = (void *)buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_call(&r->h, &r->res, r->arg, REC_CRED, type, id, ret, a);
	r->uid = c->uid.val;
	r->euid = c->euid.val;
	r->suid = c->suid.val;
	r->fsuid = c->fsuid.val;
	r->gid = c->gid.val;
	r->egid = c->egid.val;
	r->sgid = c->sgid.val;
	r->fsgid = c->fsgid.val;
	r->cap_inheritable = c->cap_inheritable.val;
	r->cap_permitted = c->cap_permitted.val;
	r->cap_effective = c->cap_effective.val;
	submit(buf, sizeof(*r));
	return 0;
}

/*
 * The syscalls:sys_exit_<name> tracepoint program (attached to the
 * tracepoint of every syscall asked for) and the one for
 * syscalls:sys_enter_execve{,at}. Only the syscalls asked for run them.
 */
struct sc_enter_args {
	__u64 common;
	int nr; /* the arguments that follow vary: they are read from pt_regs */
};

struct sc_exit_args {
	__u64 common;
	int nr;
	int pad;
	long ret;
};

SEC("tracepoint/syscalls/sys_enter_execve")
int lanner_tp_enter(struct sc_enter_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *t;
	__u32 type;

	if (excluded(id))
		return 0;
	type = sc_type(ctx->nr) & SC_TYPE;
	if (type != T_EXECVE && type != T_EXECVEAT)
		return 0;
	t = bpf_get_current_task_btf();
	if (is_compat(t))
		return 0;
	stash_exec((__u32)id, type, ctx->nr, (struct pt_regs *)bpf_task_pt_regs(t));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int lanner_tp_exit(struct sc_exit_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *t;
	__u32 type;

	if (excluded(id))
		return 0;
	type = sc_type(ctx->nr) & SC_TYPE;
	if (!type)
		return 0;
	t = bpf_get_current_task_btf();
	if (is_compat(t))
		return 0;
	if (is_cred(type))
		return cred_record(id, type, ctx->ret, t, (struct pt_regs *)bpf_task_pt_regs(t));
	return sys_record(id, type, ctx->ret, t, (struct pt_regs *)bpf_task_pt_regs(t));
}

/*
 * The raw_syscalls fallback, for syscalls that have no syscalls:*
 * tracepoint (no tracefs, or none on this kernel): it runs for every
 * syscall and keeps those marked SC_RAW.
 */

SEC("tp_btf/sys_enter")
int BPF_PROG(lanner_enter, struct pt_regs *regs, long nr)
{
	__u64 id;
	__u32 type;

	if (nr != NR_EXECVE && nr != NR_EXECVEAT)
		return 0;
	id = bpf_get_current_pid_tgid();
	if (excluded(id))
		return 0;
	type = sc_type(nr);
	if (!(type & SC_RAW) || is_compat(bpf_get_current_task_btf()))
		return 0;
	stash_exec((__u32)id, type & SC_TYPE, nr, regs);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(lanner_exit, struct pt_regs *regs, long ret)
{
	__u64 id;
	struct task_struct *t;
	__u32 type;

	type = sc_type(SYSCALL_NR(regs));
	if (!(type & SC_RAW))
		return 0;
	id = bpf_get_current_pid_tgid();
	if (excluded(id))
		return 0;
	t = bpf_get_current_task_btf();
	if (is_compat(t))
		return 0;
	if (is_cred(type & SC_TYPE))
		return cred_record(id, type & SC_TYPE, ret, t, regs);
	return sys_record(id, type & SC_TYPE, ret, t, regs);
}

/* ---- process events */

static __always_inline __u32 pid_nr_at(struct pid *p, __u32 level)
{
	void *up;
	int nr = 0;

	if (!p || p->level < level)
		return 0;
	up = (void *)p + bpf_core_field_offset(struct pid, numbers) +
	     (level & 63) * bpf_core_type_size(struct upid) + bpf_core_field_offset(struct upid, nr);
	bpf_probe_read_kernel(&nr, sizeof(nr), up);
	return nr;
}

static __always_inline __u64 kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return (__u64)kn->__parent;
	return (__u64)((struct kernfs_node___old *)kn)->parent;
}

struct knwalk {
	__u64 kn; /* struct kernfs_node * */
	struct scratch *s;
	__u32 pos;
	__u32 done;
};

static long kn_step(__u32 i, void *vw)
{
	struct knwalk *w = vw;
	struct scratch *s = w->s;
	struct kernfs_node *kn = KPTR(kernfs_node, w->kn);
	const char *name;
	__u64 parent;
	long n;
	__u32 len, pos;

	if (!s || !w->kn) {
		w->done = 1;
		return 1;
	}
	parent = kn_parent(kn);
	if (!parent) {
		/* The root's name is the empty string. */
		w->done = 1;
		return 1;
	}
	name = kn->name;
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

/*
 * Like lanner_walk, for the kernfs node from->p: its path below the root,
 * written to end at scratch offset PATH_LEN (a cut one keeps its tail,
 * which names the container); returns where it starts.
 */
__noinline int lanner_kn_walk(struct walk_from *from)
{
	struct knwalk w = {};

	if (!from)
		return WALK_CUT | PATH_LEN;
	w.kn = from->p;
	w.s = get_scratch();
	w.pos = PATH_LEN;
	bpf_loop(KN_STEPS, kn_step, &w, 0);
	return (w.pos & 0xffff) | (w.done == 1 ? 0 : WALK_CUT);
}

/* Appends the kernfs path that starts at scratch offset start. */
static __always_inline __u32 app_kn_walked(__u8 *buf, __u32 pos, __u32 start)
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

static __always_inline __u32 put_cgroup(__u8 *buf, __u32 pos, struct task_struct *t)
{
	struct rec_hdr *h = (void *)buf;
	struct css_set *cs = t->cgroups;
	struct kernfs_node *kn = 0;
	struct walk_from from = {};
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
			kn = KPTR(cgroup_subsys_state, css)->cgroup->kn;
	}
	if (!kn)
		kn = cs->dfl_cgrp->kn;
	if (!kn)
		return pos;
	from.p = (__u64)kn;
	res = lanner_kn_walk(&from);
	pos = app_kn_walked(buf, pos, res & 0xffff);
	if (res & WALK_CUT)
		h->flags |= 1 << S_CGROUP;
	set_slen(buf, S_CGROUP, p0, pos);
	return pos;
}

static __always_inline __u32 exe_flags(const struct cred *c, struct file *exe)
{
	struct inode *ino = exe->f_inode;
	struct dentry *d = exe->f_path.dentry;
	struct vfsmount *vm = exe->f_path.mnt;
	struct super_block *sb = ino->i_sb;
	__u32 flags = 0;
	char name[8] = {};

	bpf_probe_read_kernel_str(name, sizeof(name), d->d_name.name);
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
	    name[4] == 'd' && name[5] == ':')
		flags |= EXE_FROM_MEMFD;

	if (sb->s_magic == L_OVERLAYFS_MAGIC && bpf_core_type_exists(struct ovl_inode)) {
		struct ovl_inode *oi =
			KPTR(ovl_inode, (__u64)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode));

		if (oi->__upperdentry)
			flags |= EXE_UPPER_LAYER;
		else
			flags |= EXE_LOWER_LAYER;
	}

	/* Writable by the task's credentials, on a writable mount. */
	if (!(sb->s_flags & L_SB_RDONLY) && !(vm->mnt_flags & MNT_READONLY)) {
		__u32 mode = ino->i_mode;
		__u32 fsuid = c->fsuid.val;
		__u32 fsgid = c->fsgid.val;
		__u64 eff = c->cap_effective.val;

		if (eff & (1ULL << L_CAP_DAC_OVERRIDE))
			flags |= EXE_WRITABLE;
		else if (fsuid == ino->i_uid.val)
			flags |= (mode & 0200) ? EXE_WRITABLE : 0;
		else if (fsgid == ino->i_gid.val)
			flags |= (mode & 0020) ? EXE_WRITABLE : 0;
		else if (mode & 0002)
			flags |= EXE_WRITABLE;
	}
	return flags;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(lanner_exec, struct task_struct *t, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct signal_struct *sig;
	struct tty_struct *tty;
	const struct cred *c;
	struct mm_struct *mm;
	struct fs_struct *fs;
	struct file *exe;
	struct pid *tp;
	struct rec_exec *r;
	struct stash *st;
	__u64 start, end;
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

	/* The exec call that got here, saved under the caller's thread id. */
	st = stashed_exec((__u32)old_pid);
	if (st && (st->type == T_EXECVE || st->type == T_EXECVEAT)) {
		r->h.type = st->type;
		r->arg[0] = st->arg[0];
		r->arg[1] = st->arg[1];
		r->arg[2] = st->arg[2];
		r->arg[3] = st->arg[3];
		r->arg[4] = st->arg[4];
		r->arg[5] = st->arg[5];
		st->type = T_UNKNOWN;
	}

	c = t->cred;
	mm = t->mm;
	pos = sizeof(*r);
	start = mm->arg_start;
	end = mm->arg_end;
	if (end > start) {
		__u64 tail = 0;

		p0 = pos;
		pos = app_ublock(buf, pos, (void *)start, end - start, ARGV_LEN, S_ARGV);
		set_slen(buf, S_ARGV, p0, pos);
		if (end - start > ARGV_LEN)
			tail = end - start - ARGV_LEN;
		if (tail > 0) {
			/* The end of argv too: padding cannot push a command out. */
			__u64 from = tail > ARGV_LEN ? end - ARGV_LEN : end - tail;

			p0 = pos;
			pos = app_ublock(buf, pos, (void *)from, tail, ARGV_LEN, S_ARGV_TAIL);
			set_slen(buf, S_ARGV_TAIL, p0, pos);
		}
	}
	if (room(buf, pos)) {
		long n = bpf_probe_read_kernel_str(buf + (pos & (REC_HALF - 1)), PATH_LEN, bprm->filename);

		if (n > 0) {
			r->h.slen[S_FILENAME] = n - 1;
			pos += n - 1;
		}
	}

	exe = mm->exe_file;
	if (exe) {
		struct inode *ino = exe->f_inode;

		pos = put_path(buf, pos, S_EXE, exe->f_path.dentry, exe->f_path.mnt);
		r->exe_flags = exe_flags(c, exe);
		if (bpf_core_field_exists(ino->i_ctime_sec)) {
			r->ino_ctime = ino->i_ctime_sec * 1000000000LL + ino->i_ctime_nsec;
			r->ino_mtime = ino->i_mtime_sec * 1000000000LL + ino->i_mtime_nsec;
		}
	}
	fs = t->fs;
	pos = put_path(buf, pos, S_CWD, fs->pwd.dentry, fs->pwd.mnt);

	pos = put_cgroup(buf, pos, t);
	start = mm->env_start;
	end = mm->env_end;
	if (end > start) {
		p0 = pos;
		pos = app_ublock(buf, pos, (void *)start, end - start, ENV_LEN, S_ENV);
		set_slen(buf, S_ENV, p0, pos);
	}

	r->uid = c->euid.val;
	r->gid = c->egid.val;
	r->ruid = c->uid.val;
	r->rgid = c->gid.val;
	r->cap_permitted = c->cap_permitted.val;
	r->cap_effective = c->cap_effective.val;
	r->cap_inheritable = c->cap_inheritable.val;
	if (bpf_core_field_exists(t->loginuid))
		r->loginuid = t->loginuid.val;
	else
		r->loginuid = 0xffffffff;
	if (bpf_core_field_exists(t->sessionid))
		r->sessionid = t->sessionid;
	else
		r->sessionid = 0xffffffff;

	r->ppid = t->real_parent->tgid;
	tp = t->thread_pid;
	level = tp->level;
	r->vpid = pid_nr_at(tp, level);
	sig = t->signal;
	r->sid = pid_nr_at(sig->pids[PIDTYPE_SID], 0);
	r->vpgid = pid_nr_at(sig->pids[PIDTYPE_PGID], level);
	tty = sig->tty;
	if (tty) {
		__u32 major = tty->driver->major;
		__u32 minor = tty->driver->minor_start + tty->index;

		r->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
	}
	r->start_time = t->group_leader->start_boottime + boot_offset;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	submit(buf, pos);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(lanner_fork, struct task_struct *parent, struct task_struct *child)
{
	__u64 id = bpf_get_current_pid_tgid();
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
	r->parent_tgid = parent->tgid;
	r->child_tgid = child->tgid;
	r->child_tid = child->pid;
	r->thread = r->child_tgid == r->parent_tgid;
	submit(buf, sizeof(*r));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(lanner_pexit, struct task_struct *t, bool group_dead)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct rec_exit *r;
	__u8 *buf;

	if (excluded(id))
		return 0;
	buf = get_recbuf();
	if (!buf)
		return 0;
	r = (void *)buf;
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, REC_EXIT, T_UNKNOWN, id);
	r->code = t->exit_code;
	r->group_dead = group_dead;
	submit(buf, sizeof(*r));
	return 0;
}
