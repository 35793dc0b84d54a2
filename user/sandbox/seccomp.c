// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The rung 3 seccomp filter, assembled by hand. Layout: the architecture check, then one block
 * per system call that has a rule: "JEQ nr, else skip the block", and a block ends in its own
 * RET, so the system call number never needs loading again. Whatever no block matches is
 * allowed. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "warden/abi.h"
#include "lib/syscall.h"
#include "sandbox/seccomp.h"

#define X32_BIT		 0x40000000u
#define NS_FLAGS	 0x7e020000u /* CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET */
#define CLONE_NEWTIME_	 0x00000080u /* unshare only: in clone()'s flags it is the exit signal */
#define SETID_MODE	 06000u
#define O_CREAT_	 0100u
#define O_TMPFILE_	 020000000u
#define MFD_NOEXEC_SEAL_ 0x0008u
#define SOCK_STREAM_	 1u
#define SOCK_DGRAM_	 2u
#define SOCK_RAW_	 3u
#define SOCK_PACKET_	 10u
#define AF_INET_	 2u
#define AF_INET6_	 10u
#define AF_NETLINK_	 16u
#define IPPROTO_ICMP_	 1u
#define IPPROTO_TCP_	 6u
#define IPPROTO_UDP_	 17u
#define IPPROTO_ICMPV6_	 58u

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_EPERM (SECCOMP_RET_ERRNO | EPERM)
#define RET_NOSYS (SECCOMP_RET_ERRNO | ENOSYS)
#define RET_KILL  SECCOMP_RET_KILL_PROCESS

#define OFF_NR	 offsetof(struct seccomp_data, nr)
#define OFF_ARCH offsetof(struct seccomp_data, arch)
/* The low 32 bits of argument @i (little-endian): what the kernel reads of an int, a mode, an
 * ioctl command, and where clone's and unshare's namespace flags are. */
#define OFF_ARG(i) (offsetof(struct seccomp_data, args) + 8 * (i))

struct as {
	struct wd_seccomp_prog *p;
	int err;
};

static size_t emit(struct as *a, __u16 code, __u8 jt, __u8 jf, __u32 k)
{
	struct wd_seccomp_prog *p = a->p;

	if (a->err)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 128;
		struct sock_filter *v = realloc(p->insns, cap * sizeof(*v));

		if (!v) {
			a->err = -ENOMEM;
			return 0;
		}
		p->insns = v;
		p->cap = cap;
	}
	p->insns[p->n] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
	return p->n++;
}

#define LD(a, off)	   emit(a, BPF_LD | BPF_W | BPF_ABS, 0, 0, (__u32)(off))
#define RET(a, k)	   emit(a, BPF_RET | BPF_K, 0, 0, k)
#define JEQ(a, k, jt, jf)  emit(a, BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k)
#define JSET(a, k, jt, jf) emit(a, BPF_JMP | BPF_JSET | BPF_K, jt, jf, k)
#define JGE(a, k, jt, jf)  emit(a, BPF_JMP | BPF_JGE | BPF_K, jt, jf, k)
#define AND(a, k)	   emit(a, BPF_ALU | BPF_AND | BPF_K, 0, 0, k)

/* A block for system call @nr: its body follows, up to block_end. */
static size_t block_begin(struct as *a, __u32 nr)
{
	return JEQ(a, nr, 0, 0);
}

static void block_end(struct as *a, size_t at)
{
	size_t len = a->p->n - at - 1;

	if (a->err)
		return;
	if (len > 255) {
		a->err = -E2BIG;
		return;
	}
	a->p->insns[at].jf = (__u8)len;
}

/* @nr answers @ret whatever its arguments. */
static void refuse(struct as *a, __u32 nr, __u32 ret)
{
	JEQ(a, nr, 0, 1);
	RET(a, ret);
}

/* @nr is refused when argument @arg has a bit of @mask. */
static void refuse_bits(struct as *a, __u32 nr, int arg, __u32 mask)
{
	size_t b = block_begin(a, nr);

	LD(a, OFF_ARG(arg));
	JSET(a, mask, 0, 1);
	RET(a, RET_EPERM);
	RET(a, RET_ALLOW);
	block_end(a, b);
}

#define PROT_WRITE_    0x2u
#define PROT_EXEC_     0x4u
#define MAP_ANONYMOUS_ 0x20u
#define SHM_EXEC_      0100000u

/* jit: deny, W^X: no mapping both writable and executable, no anonymous executable memory, no
 * mapping made executable after it was made (a JIT's mprotect), no executable SysV shm. Code
 * comes only from files, where the exec rules, Landlock and the noexec mounts decide. */
static void wx_rules(struct as *a)
{
	size_t b = block_begin(a, __NR_mmap);

	LD(a, OFF_ARG(2)); /* prot */
	JSET(a, PROT_EXEC_, 0, 3);
	JSET(a, PROT_WRITE_, 3, 0);
	LD(a, OFF_ARG(3)); /* flags */
	JSET(a, MAP_ANONYMOUS_, 1, 0);
	RET(a, RET_ALLOW);
	RET(a, RET_EPERM);
	block_end(a, b);
	refuse_bits(a, __NR_mprotect, 2, PROT_EXEC_);
	refuse_bits(a, __NR_pkey_mprotect, 2, PROT_EXEC_);
	refuse_bits(a, __NR_shmat, 2, SHM_EXEC_);
}

/* @nr is refused when argument @arg is one of @vals. */
static void refuse_vals(struct as *a, __u32 nr, int arg, const __u32 *vals, size_t n)
{
	size_t b = block_begin(a, nr), i;

	LD(a, OFF_ARG(arg));
	for (i = 0; i < n; i++)
		JEQ(a, vals[i], (__u8)(n - i), 0);
	RET(a, RET_ALLOW);
	RET(a, RET_EPERM);
	block_end(a, b);
}

/* @nr is refused when flags argument @flags_arg creates (O_CREAT, O_TMPFILE) and mode argument
 * @mode_arg has setuid or setgid; @flags_arg < 0: it always creates. */
static void refuse_setid_create(struct as *a, __u32 nr, int flags_arg, int mode_arg)
{
	size_t b = block_begin(a, nr);

	if (flags_arg >= 0) {
		LD(a, OFF_ARG(flags_arg));
		JSET(a, O_CREAT_ | O_TMPFILE_, 0, 3);
	}
	LD(a, OFF_ARG(mode_arg));
	JSET(a, SETID_MODE, 0, 1);
	RET(a, RET_EPERM);
	RET(a, RET_ALLOW);
	block_end(a, b);
}

/* @nr is refused when its pid argument @pid_arg (an int) is not 0, this process, and, with
 * @ptr_arg >= 0, pointer argument @ptr_arg is not NULL (a change rather than a query). */
static void refuse_other_pid(struct as *a, __u32 nr, int pid_arg, int ptr_arg)
{
	size_t b = block_begin(a, nr);

	LD(a, OFF_ARG(pid_arg)); /* 0 */
	if (ptr_arg < 0) {
		JEQ(a, 0, 1, 0);   /* 1: -> 3 */
		RET(a, RET_EPERM); /* 2 */
		RET(a, RET_ALLOW); /* 3 */
	} else {
		JEQ(a, 0, 5, 0);	     /* 1: -> 7 */
		LD(a, OFF_ARG(ptr_arg));     /* 2 */
		JEQ(a, 0, 0, 2);	     /* 3: -> 6 */
		LD(a, OFF_ARG(ptr_arg) + 4); /* 4 */
		JEQ(a, 0, 1, 0);	     /* 5: -> 7 */
		RET(a, RET_EPERM);	     /* 6 */
		RET(a, RET_ALLOW);	     /* 7 */
	}
	block_end(a, b);
}

/* Forward jumps to labels placed later (cBPF jumps only forward, at most 255 instructions). */
#define LABELS	 8
#define FIXES	 96
#define FALLTHRU (-1)

struct labels {
	size_t pos[LABELS];
	struct {
		size_t at;
		int label;
		bool jt;
	} fix[FIXES];
	size_t n;
};

static void want(struct as *a, struct labels *l, size_t at, int label, bool jt)
{
	if (label == FALLTHRU || a->err)
		return;
	if (l->n == FIXES) {
		a->err = -E2BIG;
		return;
	}
	l->fix[l->n].at = at;
	l->fix[l->n].label = label;
	l->fix[l->n++].jt = jt;
}

/* JEQ @k: to label @lt if equal, else to label @lf (FALLTHRU: the next instruction). */
static void jeq_to(struct as *a, struct labels *l, __u32 k, int lt, int lf)
{
	size_t at = JEQ(a, k, 0, 0);

	want(a, l, at, lt, true);
	want(a, l, at, lf, false);
}

static void place(struct as *a, struct labels *l, int label)
{
	l->pos[label] = a->p->n;
}

static void resolve(struct as *a, struct labels *l)
{
	for (size_t i = 0; i < l->n && !a->err; i++) {
		size_t off = l->pos[l->fix[i].label] - l->fix[i].at - 1;
		struct sock_filter *in = &a->p->insns[l->fix[i].at];

		if (l->pos[l->fix[i].label] <= l->fix[i].at || off > 255) {
			a->err = -E2BIG;
			return;
		}
		if (l->fix[i].jt)
			in->jt = (__u8)off;
		else
			in->jf = (__u8)off;
	}
}

enum { L_ALLOW, L_DENY, L_NORAW, L_INET4, L_INET6, L_STREAM };

/* The IP socket types and protocols of @family (AF_INET or AF_INET6), as the LSM's
 * socket_create: raw by policy; TCP stream and UDP or ping datagram sockets, the ones every
 * network hook knows. SCTP, MPTCP (kernel-made subflows the connect hooks never see), UDP-Lite,
 * DCCP and L2TP/IP are refused. */
static void inet_types(struct as *a, struct labels *l, bool raw, __u32 icmp)
{
	LD(a, OFF_ARG(1));
	AND(a, 0xf);
	jeq_to(a, l, SOCK_RAW_, raw ? L_ALLOW : L_DENY, FALLTHRU);
	jeq_to(a, l, SOCK_PACKET_, raw ? L_ALLOW : L_DENY, FALLTHRU);
	jeq_to(a, l, SOCK_STREAM_, L_STREAM, FALLTHRU);
	jeq_to(a, l, SOCK_DGRAM_, FALLTHRU, L_DENY);
	LD(a, OFF_ARG(2));
	jeq_to(a, l, 0, L_ALLOW, FALLTHRU);
	jeq_to(a, l, IPPROTO_UDP_, L_ALLOW, FALLTHRU);
	jeq_to(a, l, icmp, L_ALLOW, L_DENY);
}

/* socket(family, type, protocol) and socketpair: the family in the policy's list, raw types
 * only in its raw families, IP protocols as inet_types says. Netlink sockets are raw or
 * datagram by nature (ip, getifaddrs() open a raw one): allowed with the family. */
static void socket_rule(struct as *a, __u32 nr, const struct wd_seccomp_opts *o)
{
	const __u64 raw = o->raw_families & o->families;
	struct labels l = {.n = 0};
	size_t b = block_begin(a, nr);

	LD(a, OFF_ARG(0));
	for (__u32 f = 0; f < 64; f++) {
		if (!(o->families & (1ULL << f)))
			continue;
		jeq_to(a, &l, f,
		       f == AF_NETLINK_	   ? L_ALLOW
		       : f == AF_INET_	   ? L_INET4
		       : f == AF_INET6_	   ? L_INET6
		       : raw & (1ULL << f) ? L_ALLOW
					   : L_NORAW,
		       FALLTHRU);
	}
	RET(a, RET_EPERM);
	place(a, &l, L_NORAW);
	LD(a, OFF_ARG(1));
	AND(a, 0xf);
	jeq_to(a, &l, SOCK_RAW_, L_DENY, FALLTHRU);
	jeq_to(a, &l, SOCK_PACKET_, L_DENY, L_ALLOW);
	place(a, &l, L_INET4);
	inet_types(a, &l, raw & (1ULL << AF_INET_), IPPROTO_ICMP_);
	place(a, &l, L_INET6);
	inet_types(a, &l, raw & (1ULL << AF_INET6_), IPPROTO_ICMPV6_);
	place(a, &l, L_STREAM);
	LD(a, OFF_ARG(2));
	jeq_to(a, &l, 0, L_ALLOW, FALLTHRU);
	jeq_to(a, &l, IPPROTO_TCP_, L_ALLOW, L_DENY);
	place(a, &l, L_DENY);
	RET(a, RET_EPERM);
	place(a, &l, L_ALLOW);
	RET(a, RET_ALLOW);
	resolve(a, &l);
	block_end(a, b);
}

/* setsockopt(fd, level, optname): IP options, IPv6 routing headers and SO_BROADCAST, as the
 * LSM's socket_setsockopt refuses them. */
static void setsockopt_rule(struct as *a)
{
	size_t b = block_begin(a, __NR_setsockopt);

	LD(a, OFF_ARG(1)); /* 0 */
	JEQ(a, 0, 3, 0);   /* 1: SOL_IP -> 5 */
	JEQ(a, 41, 6, 0);  /* 2: SOL_IPV6 -> 9 */
	JEQ(a, 1, 9, 0);   /* 3: SOL_SOCKET -> 13 */
	RET(a, RET_ALLOW); /* 4 */
	LD(a, OFF_ARG(2)); /* 5 */
	JEQ(a, 4, 9, 0);   /* 6: IP_OPTIONS -> 16 */
	RET(a, RET_ALLOW); /* 7 */
	RET(a, RET_ALLOW); /* 8 (keeps the offsets simple) */
	LD(a, OFF_ARG(2)); /* 9 */
	JEQ(a, 57, 5, 0);  /* 10: IPV6_RTHDR -> 16 */
	JEQ(a, 5, 4, 0);   /* 11: IPV6_2292RTHDR -> 16 */
	RET(a, RET_ALLOW); /* 12 */
	LD(a, OFF_ARG(2)); /* 13 */
	JEQ(a, 6, 1, 0);   /* 14: SO_BROADCAST -> 16 */
	RET(a, RET_ALLOW); /* 15 */
	RET(a, RET_EPERM); /* 16 */
	block_end(a, b);
}

static const __u32 refused[] = {
	/* Mounts: what a path names, and the path rules with it, stays. */
	__NR_mount,
	__NR_umount2,
	__NR_pivot_root,
	__NR_move_mount,
	__NR_open_tree,
	__NR_open_tree_attr,
	__NR_fsopen,
	__NR_fsconfig,
	__NR_fsmount,
	__NR_fspick,
	__NR_mount_setattr,
	__NR_chroot,
	/* Namespaces: setns into another's; new ones are checked by flags below. */
	__NR_setns,
	/* Maps, programs and kernel state that would undo enforcement or read the node. */
	__NR_bpf,
	__NR_perf_event_open,
	__NR_kexec_load,
	__NR_kexec_file_load,
	__NR_init_module,
	__NR_finit_module,
	__NR_delete_module,
	__NR_userfaultfd,
	/* io_uring's operations do not pass through these checks. */
	__NR_io_uring_setup,
	__NR_io_uring_enter,
	__NR_io_uring_register,
	/* Keyrings are shared by uid, not by sandbox. */
	__NR_add_key,
	__NR_request_key,
	__NR_keyctl,
	/* File handles name files without a path. */
	__NR_open_by_handle_at,
	__NR_name_to_handle_at,
};

/* The calls wd_seccomp_build() gives a block that refuses only some arguments (tests/unit/
 * test_sandbox_seccomp.c holds the list to the filter). */
static const __u32 refused_by_args[] = {
	__NR_clone,	   __NR_unshare,     __NR_socket,     __NR_socketpair,	  __NR_setsockopt,
	__NR_ioctl,	   __NR_chmod,	     __NR_fchmod,     __NR_fchmodat,	  __NR_fchmodat2,
	__NR_open,	   __NR_openat,	     __NR_creat,      __NR_mknod,	  __NR_mknodat,
	__NR_prlimit64,	   __NR_setpriority, __NR_ioprio_set, __NR_migrate_pages, __NR_move_pages,
	__NR_memfd_create, __NR_mmap,	     __NR_mprotect,   __NR_pkey_mprotect, __NR_shmat,
};

size_t wd_seccomp_refusals(__u32 *nrs, struct wd_sc_refusal *how, size_t max)
{
	const size_t n_all = sizeof(refused) / sizeof(refused[0]);
	const size_t n_args = sizeof(refused_by_args) / sizeof(refused_by_args[0]);
	size_t n = 0;

#define PUT(nr_, err_, flags_)                                                                     \
	do {                                                                                       \
		if (n < max) {                                                                     \
			nrs[n] = (nr_);                                                            \
			how[n] = (struct wd_sc_refusal){.err = (err_), .flags = (flags_)};         \
		}                                                                                  \
		n++;                                                                               \
	} while (0)
	for (size_t i = 0; i < n_all; i++)
		PUT(refused[i], EPERM, 0);
	/* clone3 and openat2 answer ENOSYS so that libc falls back to clone and openat, whose
	 * flags the filter and whose paths Landlock decide: not a refusal, and not an event (every
	 * fork and thread of glibc would be one). */
	for (size_t i = 0; i < n_args; i++)
		PUT(refused_by_args[i], EPERM, WD_SC_BY_ARGS);
#undef PUT
	return n;
}

int wd_seccomp_build(const struct wd_seccomp_opts *o, struct wd_seccomp_prog *out)
{
	static const __u32 tty_cmds[] = {0x5412 /* TIOCSTI */, 0x541c /* TIOCLINUX */};
	static const __u32 prio_user[] = {2 /* PRIO_USER */},
			   ioprio_user[] = {3 /* IOPRIO_WHO_USER */};
	struct as a = {.p = out};
	size_t i;

	memset(out, 0, sizeof(*out));
	/* x86_64 only: the i386 table (int $0x80) has other numbers. */
	LD(&a, OFF_ARCH);
	JEQ(&a, AUDIT_ARCH_X86_64, 1, 0);
	RET(&a, RET_KILL);
	LD(&a, OFF_NR);
	JGE(&a, X32_BIT, 0, 1);
	RET(&a, RET_KILL);

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		refuse(&a, refused[i], RET_EPERM);
	refuse(&a, __NR_clone3, RET_NOSYS);
	refuse(&a, __NR_openat2, RET_NOSYS);
	refuse_bits(&a, __NR_clone, 0, NS_FLAGS);
	refuse_bits(&a, __NR_unshare, 0, NS_FLAGS | CLONE_NEWTIME_);
	socket_rule(&a, __NR_socket, o);
	socket_rule(&a, __NR_socketpair, o);
	setsockopt_rule(&a);
	refuse_vals(&a, __NR_ioctl, 1, tty_cmds, 2);
	/* setuid and setgid files: nosuid in the sandbox's mounts does not protect the node. */
	refuse_bits(&a, __NR_chmod, 1, SETID_MODE);
	refuse_bits(&a, __NR_fchmod, 1, SETID_MODE);
	refuse_bits(&a, __NR_fchmodat, 2, SETID_MODE);
	refuse_bits(&a, __NR_fchmodat2, 2, SETID_MODE);
	refuse_setid_create(&a, __NR_open, 1, 2);
	refuse_setid_create(&a, __NR_openat, 2, 3);
	refuse_setid_create(&a, __NR_creat, -1, 1);
	refuse_bits(&a, __NR_mknod, 1, SETID_MODE);
	refuse_bits(&a, __NR_mknodat, 2, SETID_MODE);
	/* Other processes: the sandbox's pid namespace (pidns.h) leaves only its own to name;
	 * a second line where it costs ordinary jobs nothing. A new resource limit on another
	 * process (RLIMIT_CPU kills it by SIGXCPU; setrlimit and ulimit pass pid 0), every
	 * process of a user (renice -u, ionice -u), another process's pages moved. Not refused
	 * with a pid: setpriority, ioprio_set and the sched_set* calls, which threads make
	 * naming themselves by thread id (pthread_setaffinity_np, pthread_setschedparam, libgomp,
	 * Chromium's thread priorities), indistinguishable here from another process's id. */
	refuse_other_pid(&a, __NR_prlimit64, 0, 2);
	refuse_vals(&a, __NR_setpriority, 0, prio_user, 1);
	refuse_vals(&a, __NR_ioprio_set, 0, ioprio_user, 1);
	refuse_other_pid(&a, __NR_migrate_pages, 0, -1);
	refuse_other_pid(&a, __NR_move_pages, 0, 3);
	if (!o->allow_jit)
		wx_rules(&a);
	if (!o->allow_fileless) {
		/* A memfd lives on an internal mount Landlock does not look at: only one sealed
		 * non-executable can be made. */
		size_t b = block_begin(&a, __NR_memfd_create);

		LD(&a, OFF_ARG(1));
		JSET(&a, MFD_NOEXEC_SEAL_, 1, 0);
		RET(&a, RET_EPERM);
		RET(&a, RET_ALLOW);
		block_end(&a, b);
	}
	RET(&a, RET_ALLOW);
	if (a.err)
		wd_seccomp_free(out);
	return a.err;
}

void wd_seccomp_free(struct wd_seccomp_prog *p)
{
	free(p->insns);
	memset(p, 0, sizeof(*p));
}

int wd_seccomp_install(const struct wd_seccomp_prog *p)
{
	struct sock_fprog prog = {.len = (unsigned short)p->n, .filter = p->insns};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return -errno;
	return 0;
}
