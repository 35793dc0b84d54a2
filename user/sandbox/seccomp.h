/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Rung 3, what Landlock cannot express: a hand-written classic BPF seccomp filter (no
 * libseccomp). x86_64 only: any other architecture (i386 through int $0x80, x32) is refused.
 * Refusals return EPERM, and clone3 and openat2 ENOSYS (their arguments are in memory, which
 * seccomp cannot read; libc falls back to clone, whose flags it can). Building is pure; the
 * child installs the program last, after no_new_privs. */
#ifndef WD_SANDBOX_SECCOMP_H
#define WD_SANDBOX_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/types.h>

struct wd_seccomp_opts {
	__u64 families;	     /* bit N: socket(AF_N) allowed */
	__u64 raw_families;  /* bit N: SOCK_RAW/SOCK_PACKET in AF_N allowed too */
	bool allow_fileless; /* memfd_create without MFD_NOEXEC_SEAL */
	bool allow_jit;	     /* memory made executable at run time (else W^X, below) */
};

struct wd_seccomp_prog {
	struct sock_filter *insns;
	size_t n, cap;
};

/* Builds the filter. Returns 0 or -errno (-ENOMEM; -E2BIG when a jump does not fit). */
int wd_seccomp_build(const struct wd_seccomp_opts *o, struct wd_seccomp_prog *out);
void wd_seccomp_free(struct wd_seccomp_prog *p);
/* In the child, after no_new_privs: installs @p for this thread and its future children.
 * Returns 0 or -errno. */
int wd_seccomp_install(const struct wd_seccomp_prog *p);

/* The calls the filter may refuse, as the sys_exit program's map wants them
 * (include/warden/abi.h, wd_sc_refused): each call's number in @nrs and in @how the error it
 * answers (EPERM; not clone3's and openat2's ENOSYS, which make libc fall back to clone and
 * openat, decided there) and WD_SC_BY_ARGS where it refuses only some
 * arguments. For any policy: socket families, memfd_create without MFD_NOEXEC_SEAL (refused
 * unless fileless_exec: allow) are listed as refused for some arguments. Fills up to @max
 * entries; returns how many there are. */
struct wd_sc_refusal;
size_t wd_seccomp_refusals(__u32 *nrs, struct wd_sc_refusal *how, size_t max);

/* What the filter refuses, for the report. */
#define WD_SECCOMP_REFUSES                                                                         \
	"new namespaces (unshare, setns, clone flags; clone3 answers ENOSYS), mounts, bpf, "       \
	"perf_event_open, io_uring, keyrings (add_key, request_key, keyctl), kexec and kernel "    \
	"modules, open_by_handle_at, userfaultfd, chroot, socket families and raw sockets by "     \
	"policy, IP protocols but TCP, UDP and ping, IP options and routing headers, "             \
	"SO_BROADCAST, "                                                                           \
	"TIOCSTI/TIOCLINUX, resource limits set on other processes, every process of a user "      \
	"reniced, other processes' pages moved, setuid and "                                       \
	"setgid modes (chmod, open, mknod), memfd_create without MFD_NOEXEC_SEAL unless "          \
	"fileless_exec: allow, and 32-bit system calls"

#endif
