// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the rung 3 seccomp assembler (user/sandbox/seccomp.c), run against test inputs by a tiny
 * classic BPF interpreter: the architecture check, plain refusals, flag and value checks on
 * arguments, socket families and raw types by policy, and what must stay allowed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "warden/abi.h"
#include "lib/syscall.h"
#include "sandbox/seccomp.h"

#define ALLOW	SECCOMP_RET_ALLOW
#define EPERM_	(SECCOMP_RET_ERRNO | EPERM)
#define ENOSYS_ (SECCOMP_RET_ERRNO | ENOSYS)
#define KILL	SECCOMP_RET_KILL_PROCESS

/* The subset the assembler emits; anything else fails the test. */
static __u32 run(const struct wd_seccomp_prog *p, const struct seccomp_data *d)
{
	__u32 A = 0;
	size_t pc = 0, steps = 0;

	while (pc < p->n && steps++ < 10000) {
		const struct sock_filter *i = &p->insns[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(i->k + 4 <= sizeof(*d) && i->k % 4 == 0);
			memcpy(&A, (const char *)d + i->k, 4);
			pc++;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			A &= i->k;
			pc++;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += 1 + (A == i->k ? i->jt : i->jf);
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += 1 + (A >= i->k ? i->jt : i->jf);
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += 1 + ((A & i->k) ? i->jt : i->jf);
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			fail_msg("instruction %zu: unknown code 0x%x", pc, i->code);
		}
	}
	fail_msg("ran off the end of the program");
	return 0;
}

static __u32 call(const struct wd_seccomp_prog *p, int nr, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	struct seccomp_data d = {
		.nr = nr, .arch = AUDIT_ARCH_X86_64, .args = {a0, a1, a2, a3, 0, 0}};

	return run(p, &d);
}

static struct wd_seccomp_prog prog(bool fileless)
{
	const struct wd_seccomp_opts o = {
		.families = (1ULL << AF_UNIX) | (1ULL << AF_INET) | (1ULL << AF_INET6),
		.raw_families = 1ULL << AF_INET,
		.allow_fileless = fileless,
	};
	struct wd_seccomp_prog p;

	assert_int_equal(wd_seccomp_build(&o, &p), 0);
	assert_true(p.n > 0 && p.n < 4096);
	return p;
}

static void test_arch(void **state)
{
	struct wd_seccomp_prog p = prog(false);
	struct seccomp_data d = {.nr = SYS_getpid, .arch = AUDIT_ARCH_I386};

	(void)state;
	assert_int_equal(run(&p, &d), KILL);
	d.arch = AUDIT_ARCH_X86_64;
	assert_int_equal(run(&p, &d), ALLOW);
	d.nr = 0x40000000 | SYS_getpid; /* x32 */
	assert_int_equal(run(&p, &d), KILL);
	wd_seccomp_free(&p);
}

static void test_refused(void **state)
{
	static const int nrs[] = {SYS_bpf,	   SYS_perf_event_open,
				  SYS_keyctl,	   SYS_add_key,
				  SYS_request_key, SYS_mount,
				  SYS_umount2,	   SYS_pivot_root,
				  SYS_setns,	   SYS_io_uring_setup,
				  SYS_init_module, SYS_finit_module,
				  SYS_kexec_load,  SYS_open_by_handle_at,
				  SYS_fsopen,	   SYS_move_mount,
				  SYS_chroot};
	struct wd_seccomp_prog p = prog(false);

	(void)state;
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (call(&p, nrs[i], 0, 0, 0, 0) != EPERM_)
			fail_msg("system call %d not refused", nrs[i]);
	assert_int_equal(call(&p, SYS_clone3, 0, 0, 0, 0), ENOSYS_);
	assert_int_equal(call(&p, SYS_openat2, 0, 0, 0, 0), ENOSYS_);
	/* Ordinary work stays allowed, ptrace too (Landlock keeps it within the sandbox). */
	assert_int_equal(call(&p, SYS_read, 0, 0, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_execve, 0, 0, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_ptrace, 0, 0, 0, 0), ALLOW);
	wd_seccomp_free(&p);
}

/* What the filter answers @nr for some arguments: 0 if nothing refuses it, else its error;
 * *@always: refused for every argument tried. Arguments: all zero, all ones, and each of the
 * first four set to values the blocks look for (flags, families, levels, options, ioctls,
 * PRIO_USER, IOPRIO_WHO_USER) over a zero or all-ones rest. */
static __u32 refused_err(const struct wd_seccomp_prog *p, int nr, bool *always)
{
	static const __u64 vals[] = {0,	 1,  2,	 3,  4,	     5,	     6,	    10,
				     16, 17, 41, 57, 0x5412, 0x541c, 04000, 0xffffffffull};
	__u32 err = 0;
	int n = 0, refused = 0;

	for (int base = 0; base < 2; base++)
		for (int i = 0; i < 4; i++)
			for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
				__u64 a[4];
				__u32 r;

				for (int k = 0; k < 4; k++)
					a[k] = base ? 0xffffffffull : 0;
				a[i] = vals[v];
				r = call(p, nr, a[0], a[1], a[2], a[3]);
				n++;
				if (r == ALLOW)
					continue;
				assert_int_equal(r & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ERRNO);
				if (err && (r & SECCOMP_RET_DATA) != err)
					fail_msg("system call %d answers two errors", nr);
				err = r & SECCOMP_RET_DATA;
				refused++;
			}
	*always = refused == n;
	return err;
}

/* The list the sys_exit program reports by is the filter's: every call the filter refuses for
 * some arguments is in it with that error, marked WD_SC_BY_ARGS unless refused for all, and
 * nothing else is; every call in it has a name for events. */
static void test_refusals_list(void **state)
{
	__u32 nrs[WD_SC_NR_MAX];
	struct wd_sc_refusal how[WD_SC_NR_MAX], want[WD_SC_NR_MAX];
	struct wd_seccomp_prog p = prog(false);
	size_t n = wd_seccomp_refusals(nrs, how, WD_SC_NR_MAX);
	int bad = 0;

	(void)state;
	assert_true(n > 40 && n < WD_SC_NR_MAX);
	assert_int_equal(wd_seccomp_refusals(nrs, how, 3), n); /* the count, not what fits */
	n = wd_seccomp_refusals(nrs, how, WD_SC_NR_MAX);
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < n; i++) {
		assert_true(nrs[i] < WD_SC_NR_MAX);
		assert_int_equal(want[nrs[i]].err, 0); /* listed once */
		want[nrs[i]] = how[i];
		if (!wd_syscall_name(nrs[i])) {
			print_error("system call %u has no name\n", nrs[i]);
			bad++;
		}
	}
	for (int nr = 0; nr < WD_SC_NR_MAX; nr++) {
		bool always = false;
		__u32 err = refused_err(&p, nr, &always);
		__u8 flags;

		if (err == ENOSYS)
			err = 0; /* clone3, openat2: libc falls back, not a refusal */
		flags = err && !always ? WD_SC_BY_ARGS : 0;

		if (err != want[nr].err || flags != want[nr].flags) {
			print_error("system call %d (%s): the filter answers %u%s, the list %u%s\n",
				    nr, wd_syscall_name(nr) ? wd_syscall_name(nr) : "?", err,
				    flags ? " for some arguments" : "", want[nr].err,
				    want[nr].flags ? " for some arguments" : "");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_int_equal(want[SYS_keyctl].err, EPERM);
	assert_int_equal(want[SYS_keyctl].flags, 0);
	assert_int_equal(want[SYS_clone3].err, 0);
	assert_int_equal(want[SYS_socket].flags, WD_SC_BY_ARGS);
	assert_int_equal(want[SYS_read].err, 0);
	wd_seccomp_free(&p);
}

/* jit: deny is W^X; jit: allow leaves memory alone. */
static void test_wx(void **state)
{
	const struct wd_seccomp_opts jit = {.families = 1ULL << AF_UNIX, .allow_jit = true};
	struct wd_seccomp_prog p = prog(false), pj;
	const __u64 R = 1, W = 2, X = 4, PRIV = 0x02, ANON = 0x20;

	(void)state;
	assert_int_equal(call(&p, SYS_mmap, 0, 4096, R | X, PRIV), ALLOW); /* ld.so: a file */
	assert_int_equal(call(&p, SYS_mmap, 0, 4096, R | W, PRIV | ANON), ALLOW); /* malloc */
	assert_int_equal(call(&p, SYS_mmap, 0, 4096, R | X, PRIV | ANON), EPERM_);
	assert_int_equal(call(&p, SYS_mmap, 0, 4096, R | W | X, PRIV), EPERM_);
	assert_int_equal(call(&p, SYS_mprotect, 0, 4096, R, 0), ALLOW); /* RELRO */
	assert_int_equal(call(&p, SYS_mprotect, 0, 4096, R | X, 0), EPERM_);
	assert_int_equal(call(&p, SYS_pkey_mprotect, 0, 4096, R | X, 0), EPERM_);
	assert_int_equal(call(&p, SYS_shmat, 1, 0, 0100000, 0), EPERM_);
	assert_int_equal(call(&p, SYS_shmat, 1, 0, 0, 0), ALLOW);
	assert_int_equal(wd_seccomp_build(&jit, &pj), 0);
	assert_int_equal(call(&pj, SYS_mmap, 0, 4096, R | W | X, PRIV | ANON), ALLOW);
	assert_int_equal(call(&pj, SYS_mprotect, 0, 4096, R | X, 0), ALLOW);
	assert_int_equal(call(&pj, SYS_shmat, 1, 0, 0100000, 0), ALLOW);
	wd_seccomp_free(&pj);
	wd_seccomp_free(&p);
}

static void test_namespaces(void **state)
{
	struct wd_seccomp_prog p = prog(false);

	(void)state;
	/* fork's and pthread_create's clone flags pass, with the exit signal in the low byte. */
	assert_int_equal(call(&p, SYS_clone, 0x01200011, 0, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_clone, 0x003d0f00, 0, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_clone, 0x10000000 | 17, 0, 0, 0), EPERM_); /* NEWUSER */
	assert_int_equal(call(&p, SYS_clone, 0x00020000 | 17, 0, 0, 0), EPERM_); /* NEWNS */
	assert_int_equal(call(&p, SYS_unshare, 0x40000000, 0, 0, 0), EPERM_);	 /* NEWNET */
	assert_int_equal(call(&p, SYS_unshare, 0x80, 0, 0, 0), EPERM_);		 /* NEWTIME */
	assert_int_equal(call(&p, SYS_unshare, 0x00000400, 0, 0, 0), ALLOW);	 /* FILES */
	wd_seccomp_free(&p);
}

static void test_sockets(void **state)
{
	struct wd_seccomp_prog p = prog(false);

	(void)state;
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_UNIX, SOCK_DGRAM, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_PACKET, SOCK_RAW, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_NETLINK, SOCK_RAW, 0, 0), EPERM_); /* not listed */
	assert_int_equal(call(&p, SYS_socket, AF_INET6, SOCK_RAW, 0, 0), EPERM_);   /* not raw */
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_RAW | SOCK_NONBLOCK, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_PACKET, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socketpair, AF_ALG, SOCK_SEQPACKET, 0, 0), EPERM_);
	/* The high half of an int argument is not the family. */
	assert_int_equal(call(&p, SYS_socket, (1ULL << 32) | AF_PACKET, SOCK_DGRAM, 0, 0), EPERM_);
	/* IP protocols: TCP, UDP and ping sockets only, raw ones by policy. */
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_STREAM, 6 /* TCP */, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_INET6, SOCK_DGRAM, 17 /* UDP */, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_DGRAM, 1 /* ICMP */, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_INET6, SOCK_DGRAM, 58 /* ICMPV6 */, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_INET6, SOCK_DGRAM, 1 /* ICMP in v6 */, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_DGRAM, 58, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_STREAM, 262 /* MPTCP */, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET6, SOCK_STREAM, 262, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_DGRAM, 136 /* UDPLITE */, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_STREAM, 17, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET6, SOCK_SEQPACKET, 132 /* SCTP */, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_STREAM, (1ULL << 32) | 262, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET, 6 /* DCCP */, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_RAW, 255, 0), ALLOW); /* raw inet */
	assert_int_equal(call(&p, SYS_socket, AF_UNIX, SOCK_STREAM, 262, 0), ALLOW);
	assert_int_equal(call(&p, SYS_setsockopt, 3, 0 /* SOL_IP */, 4 /* IP_OPTIONS */, 0),
			 EPERM_);
	assert_int_equal(call(&p, SYS_setsockopt, 3, 41, 57 /* IPV6_RTHDR */, 0), EPERM_);
	assert_int_equal(call(&p, SYS_setsockopt, 3, 1, 6 /* SO_BROADCAST */, 0), EPERM_);
	assert_int_equal(call(&p, SYS_setsockopt, 3, 1, 2 /* SO_REUSEADDR */, 0), ALLOW);
	assert_int_equal(call(&p, SYS_setsockopt, 3, 6 /* TCP */, 1, 0), ALLOW);
	wd_seccomp_free(&p);
}

/* Netlink is raw or datagram by nature (ip, getifaddrs): allowed with its family, raw or not. */
static void test_netlink(void **state)
{
	const struct wd_seccomp_opts o = {
		.families = (1ULL << AF_UNIX) | (1ULL << AF_INET) | (1ULL << AF_INET6) |
			    (1ULL << AF_NETLINK),
	};
	struct wd_seccomp_prog p;

	(void)state;
	assert_int_equal(wd_seccomp_build(&o, &p), 0);
	assert_int_equal(call(&p, SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_NETLINK, SOCK_DGRAM, 0 /* ROUTE */, 0), ALLOW);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_RAW, 1, 0), EPERM_); /* raw: [] */
	assert_int_equal(call(&p, SYS_socket, AF_INET6, SOCK_RAW, 58, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_PACKET, SOCK_DGRAM, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_UNIX, SOCK_RAW, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_socket, AF_INET, SOCK_STREAM, 0, 0), ALLOW);
	wd_seccomp_free(&p);
}

/* Many families: the program still assembles (jumps fit), each one decided. */
static void test_many_families(void **state)
{
	const struct wd_seccomp_opts o = {.families = ~0ULL, .raw_families = 1ULL << 17};
	struct wd_seccomp_prog p;

	(void)state;
	assert_int_equal(wd_seccomp_build(&o, &p), 0);
	for (int f = 0; f < 64; f++) {
		__u32 want = f == AF_NETLINK || f == 17 ? ALLOW : EPERM_;

		if (f == AF_INET || f == AF_INET6)
			continue;
		if (call(&p, SYS_socket, f, SOCK_RAW, 0, 0) != want)
			fail_msg("family %d, raw", f);
		if (call(&p, SYS_socket, f, SOCK_DGRAM, 0, 0) != ALLOW)
			fail_msg("family %d, dgram", f);
	}
	assert_int_equal(call(&p, SYS_socket, 64, SOCK_DGRAM, 0, 0), EPERM_);
	wd_seccomp_free(&p);
}

/* Other processes: limits set on them, every process of a user, their pages; one's own and
 * queries pass. */
static void test_other_processes(void **state)
{
	struct wd_seccomp_prog p = prog(false);
	const __u64 ptr = 0x7ffd12345000ULL, ptr_hi = 0x700000000ULL; /* low half 0 */

	(void)state;
	assert_int_equal(call(&p, SYS_prlimit64, 0, 0 /* CPU */, ptr, 0), ALLOW);
	assert_int_equal(call(&p, SYS_prlimit64, 1234, 0, 0, ptr), ALLOW); /* query */
	assert_int_equal(call(&p, SYS_prlimit64, 1234, 0, ptr, 0), EPERM_);
	assert_int_equal(call(&p, SYS_prlimit64, 1234, 0, ptr_hi, 0), EPERM_);
	assert_int_equal(call(&p, SYS_prlimit64, (1ULL << 32) | 1234, 0, ptr, 0), EPERM_);
	assert_int_equal(call(&p, SYS_setpriority, 0 /* PROCESS */, 0, 10, 0), ALLOW); /* nice */
	assert_int_equal(call(&p, SYS_setpriority, 0, 4321 /* a thread */, 10, 0), ALLOW);
	assert_int_equal(call(&p, SYS_setpriority, 1 /* PGRP */, 0, 10, 0), ALLOW);
	assert_int_equal(call(&p, SYS_setpriority, 2 /* USER */, 0, 10, 0), EPERM_);
	assert_int_equal(call(&p, SYS_ioprio_set, 1 /* PROCESS */, 0, 0x6000, 0), ALLOW);
	assert_int_equal(call(&p, SYS_ioprio_set, 3 /* USER */, 0, 0x6000, 0), EPERM_);
	assert_int_equal(call(&p, SYS_migrate_pages, 0, 8, ptr, ptr), ALLOW);
	assert_int_equal(call(&p, SYS_migrate_pages, 99, 8, ptr, ptr), EPERM_);
	assert_int_equal(call(&p, SYS_move_pages, 0, 1, ptr, ptr), ALLOW);
	assert_int_equal(call(&p, SYS_move_pages, 99, 1, ptr, 0 /* query */), ALLOW);
	assert_int_equal(call(&p, SYS_move_pages, 99, 1, ptr, ptr), EPERM_);
	/* Threads name themselves by thread id: left to the pid namespace. */
	assert_int_equal(call(&p, SYS_sched_setaffinity, 4321, 8, ptr, 0), ALLOW);
	assert_int_equal(call(&p, SYS_sched_setscheduler, 4321, 0, ptr, 0), ALLOW);
	wd_seccomp_free(&p);
}

static void test_files(void **state)
{
	struct wd_seccomp_prog p = prog(false);

	(void)state;
	assert_int_equal(call(&p, SYS_ioctl, 0, 0x5412 /* TIOCSTI */, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_ioctl, 0, 0x541c /* TIOCLINUX */, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_ioctl, 0, 0x5401 /* TCGETS */, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_chmod, 0, 0755, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_chmod, 0, 04755, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_fchmodat, 0, 0, 02755, 0), EPERM_);
	assert_int_equal(call(&p, SYS_fchmod, 3, 0644, 0, 0), ALLOW);
	assert_int_equal(call(&p, SYS_openat, 0, 0, 0100 /* O_CREAT */, 04755), EPERM_);
	assert_int_equal(call(&p, SYS_openat, 0, 0, 0100, 0644), ALLOW);
	assert_int_equal(call(&p, SYS_openat, 0, 0, 0 /* no O_CREAT: mode unused */, 04755), ALLOW);
	assert_int_equal(call(&p, SYS_creat, 0, 06755, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_mknodat, 0, 0, 0100000 | 04000, 0), EPERM_);
	/* fileless_exec: deny: only sealed non-executable memfds. */
	assert_int_equal(call(&p, SYS_memfd_create, 0, 1 /* CLOEXEC */, 0, 0), EPERM_);
	assert_int_equal(call(&p, SYS_memfd_create, 0, 0x8 | 1 /* NOEXEC_SEAL */, 0, 0), ALLOW);
	wd_seccomp_free(&p);
	p = prog(true);
	assert_int_equal(call(&p, SYS_memfd_create, 0, 1, 0, 0), ALLOW);
	wd_seccomp_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals_list),
		cmocka_unit_test(test_arch),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_wx),
		cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_netlink),
		cmocka_unit_test(test_many_families),
		cmocka_unit_test(test_other_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
