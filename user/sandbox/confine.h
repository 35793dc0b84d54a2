/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Rung 3 for sandboxes warden starts itself, where BPF LSM does not enforce: a pid namespace
 * (pidns.h), a mount namespace (mounts.h), Landlock (landlock.h) and seccomp (seccomp.h), planned
 * in the parent from the compiled policy, applied by the child between fork and exec (spawn.c).
 * Every mechanism is claimed only after a trial in a throwaway child saw it refuse something
 * (rung3.c). */
#ifndef WD_SANDBOX_CONFINE_H
#define WD_SANDBOX_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sandbox/landlock.h"
#include "sandbox/mounts.h"
#include "sandbox/seccomp.h"
#include "sandbox/sockets.h"

struct wd_compiled;
struct wd_rung3;

/* Capabilities a sandboxed task never keeps, the LSM's (bpf/lsm/confine.bpf.h, WD_CAPS_DENIED)
 * and CAP_SYS_PACCT (20: acct(NULL) turns off the node's process accounting): dropped from the
 * bounding set, and from the task's own sets if it stays root. */
#define WD_CONFINE_CAPS                                                                            \
	((1ULL << 2) | (1ULL << 4) | (1ULL << 9) | (1ULL << 12) | (1ULL << 13) | (1ULL << 16) |    \
	 (1ULL << 17) | (1ULL << 18) | (1ULL << 19) | (1ULL << 20) | (1ULL << 21) | (1ULL << 22) | \
	 (1ULL << 25) | (1ULL << 27) | (1ULL << 30) | (1ULL << 31) | (1ULL << 32) | (1ULL << 33) | \
	 (1ULL << 34) | (1ULL << 38) | (1ULL << 39) | (1ULL << 40))

struct wd_confine {
	int ruleset_fd; /* the Landlock ruleset, -1: none */
	struct wd_ll_plan ll;
	struct wd_mount_plan mnt;
	bool mounts; /* apply @mnt */
	/* The node's unix sockets at the start, covered in @mnt (with @socks_scanned) */
	struct wd_sock_scan socks;
	bool socks_scanned;
	struct wd_seccomp_prog sc;
	bool seccomp;
	bool pidns; /* a pid namespace of its own (pidns.h): spawn.c starts an init in it */
	/* What rung 3 leaves to --degraded (a policy element no mechanism here expresses): the
	 * rule, described, or "" */
	char unexpressed[512];
};

/* Plans rung 3 for @c with the mechanisms @r3 saw refusing. Returns 0, or -errno with why in
 * @why: -EOPNOTSUPP when exec and file rules cannot be enforced here (no Landlock), -EPERM when
 * the policy cannot be expressed on this rung (naming the rule). On success, @out->unexpressed
 * names what is enforced weaker than the policy says, or is "". */
int wd_confine_build(const struct wd_compiled *c, const struct wd_rung3 *r3, struct wd_confine *out,
		     char *why, size_t size);
void wd_confine_free(struct wd_confine *cf);

/* In the sandbox's first process (the pid namespace's init, with @cf->pidns), before it forks
 * the job: the /proc of the pid namespace, then the mounts. Returns 0 or -errno with why in
 * @why (no allocation). */
int wd_confine_mounts(const struct wd_confine *cf, char *why, size_t size);
/* In the job, before the self-check and the caller's credentials: the capability bounding set,
 * no_new_privs and the Landlock domain. Returns 0 or -errno with why in @why (no allocation). */
int wd_confine_enter(const struct wd_confine *cf, char *why, size_t size);
/* In the child, after the credentials and the session keyring, last before exec: a root that
 * stays root loses WD_CONFINE_CAPS, then the seccomp filter. */
int wd_confine_finish(const struct wd_confine *cf, char *why, size_t size);

#endif
