/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `warden probe`: what this kernel can do for warden, each fact established by loading and
 * attaching a tiny program wherever that is the only truth, and each LSM hook by seeing it
 * refuse a test child's action. */
#ifndef WD_PROBE_H
#define WD_PROBE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hooks/hooks.h"

#define WD_PROBE_MAX_FEATURES 128

struct wd_feature {
	char name[48];
	enum wd_need need;
	bool available;
	bool absent; /* a hook of newer kernels this one does not have: nothing to enforce */
	/* Not available itself, but what it stands for is enforced by another mechanism: "fmod_ret"
	 * on an lsm/ row whose hook was seen refusing as fmod_ret/<fn> (rung 2). */
	char by[16];
	/* A row of the fallback mechanism (fmod_ret/<fn>): it counts only through the rows it
	 * covers (@by), so its own "no" leaves nothing unenforced that its lsm/ row does. */
	bool alt;
	char detail[240];
};

struct wd_probe {
	char kernel[128];
	char cgroup2[PATH_MAX]; /* empty when not mounted */
	int n;
	struct wd_feature feats[WD_PROBE_MAX_FEATURES];
};

/* The verdict is also `warden probe`'s exit status. */
enum wd_probe_verdict {
	WD_PROBE_FULL = 0,    /* exec, file and network enforcement */
	WD_PROBE_PARTIAL = 1, /* network enforcement through cgroup hooks, not all the rest */
	WD_PROBE_NONE = 2,    /* not even that */
};

/* Whether warden's LSM programs enforce here, seen rather than assumed: loads warden's probe
 * programs on every LSM hook the enforcer attaches and has a test child in a throwaway cgroup
 * take each hook's action, as BPF LSM (rung 1) and, for the hooks not seen so, attached as
 * fmod_ret to the security_* functions (rung 2). True when every hook this kernel has refused it
 * one way or the other, with @mech[i] (one per wd_lsm_hooks row) saying which; else false, with
 * @why saying why (at most @len bytes) and @missing naming the hooks not seen acting (at most
 * @mlen). @hooks_why, unless NULL, gets a line "lsm/HOOK: why\n" for each of those (malloc'd,
 * NULL if there is none). Needs root. For the daemon and `warden run` before they claim exec and
 * file enforcement. */
bool wd_probe_lsm_enforcing(bool verbose, char *why, size_t len, char *missing, size_t mlen,
			    char **hooks_why, enum wd_mech *mech);

/* The mechanism the rows of @p say enforces hooks of @need (exec, file, socket, confinement):
 * "bpf-lsm", "fmod_ret", "bpf-lsm+fmod_ret", or NULL when some hook of it is not enforced. */
const char *wd_probe_mechanism(const struct wd_probe *p, enum wd_need need);

/* What the cgroup trial saw: each of warden's cgroup hooks refusing a test child's action in a
 * throwaway cgroup (and not a control child's outside it), and the exec tracepoint (the second
 * line of rungs 3 and 4) killing its exec. */
struct wd_cg_trial {
	bool ran; /* the test child ran in the test cgroup; else @why says why not */
	bool connect4, connect6, sendmsg4, sendmsg6; /* cgroup sock_addr, loopback destinations */
	bool no_ipv6;	 /* no IPv6 socket can be made here: nothing for the v6 hooks to refuse */
	bool device;	 /* cgroup/dev: mknod of a block device */
	bool unix_hooks; /* the kernel has the unix socket hooks (Linux 6.7+); else @why says */
	bool unix_connect, unix_send; /* cgroup/connect_unix, sendmsg_unix */
	bool exec_killed;     /* raw_tp/sched_process_exec: an exec there killed before it ran */
	bool exec_control;    /* the control child's exec of /bin/true ran to its end */
	bool control_refused; /* a control child outside the cgroup was refused some action too:
			       * whatever confines warden itself, not a hook of the trial's */
	char why[256];
};

/* Runs the cgroup trial in a cgroup made under @cgroup2 (and removed). With @attach false the
 * programs are loaded but not attached (tests: the mechanism taken away, so that nothing may be
 * seen refusing). Needs root. Returns 0, or -errno with @t->why saying why it could not run. */
int wd_cgroup_trial(const char *cgroup2, bool attach, struct wd_cg_trial *t);

/* Runs every probe; needs root (CAP_BPF, CAP_SYS_ADMIN). Returns 0 or -errno when probing
 * itself could not start; an unavailable feature is a result, not an error. */
int wd_probe_run(struct wd_probe *p, bool verbose);

/* Records one result; exposed so the verdict logic can be tested without a kernel. */
struct wd_feature *wd_probe_add(struct wd_probe *p, const char *name, enum wd_need need,
				bool available, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

const struct wd_feature *wd_probe_get(const struct wd_probe *p, const char *name);
enum wd_probe_verdict wd_probe_verdict(const struct wd_probe *p);
const char *wd_probe_verdict_name(enum wd_probe_verdict v);
const char *wd_need_name(enum wd_need need);

void wd_probe_print_table(FILE *f, const struct wd_probe *p);
void wd_probe_print_json(FILE *f, const struct wd_probe *p);

#endif
