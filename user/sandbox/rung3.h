/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which mechanisms of rung 3 this kernel has, established by trials: a throwaway child applies
 * each one and must see it refuse something (Landlock: a read, an exec, a write and a signal;
 * seccomp: warden's own filter refusing keyctl, a user namespace, a packet socket, clone3 and
 * memfd_create; a mount namespace: a write on a read-only remount). And the report per feature
 * of which mechanism enforces it for `warden run`, for the start-up message and `warden probe`. */
#ifndef WD_SANDBOX_RUNG3_H
#define WD_SANDBOX_RUNG3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct wd_compiled;

struct wd_rung3 {
	bool tried;
	int ll_abi;    /* Landlock ABI, <= 0: none */
	bool landlock; /* read, exec and write refused */
	bool ll_scope; /* signals out of the domain refused (ABI >= 6) */
	bool seccomp;
	bool mount_ns;
	bool pid_ns;   /* a process outside not named from a pid namespace with its own /proc */
	bool cg_tried; /* the cgroup trial ran (wd_rung3_cgroup_trial) */
	bool cg_net;   /* the cgroup sock_addr hooks seen refusing a test child */
	bool cg_dev;   /* the cgroup device hook seen refusing a test child's block device */
	bool cg_unix;  /* cgroup hooks for unix sockets by path (Linux 6.7 and later), seen so */
	bool exec_tp;  /* the exec tracepoint seen killing a test child's exec (and loaded) */
	bool ll_audit; /* Landlock's denials readable as audit records (sandbox/llaudit.h) */
	/* The seccomp filter's refusals reported as events: the sys_exit program is attached
	 * (wd_rung3_scevents()). False with sce_detail saying why, or with it empty: not tried
	 * (`warden probe`, a daemon before its first rung-3 sandbox). */
	bool sc_events;
	char ll_detail[160], sc_detail[160], mnt_detail[160], pid_detail[160], unix_detail[256];
	char la_detail[200], cg_detail[256], dev_detail[200], sce_detail[200], exec_detail[200];
};

/* Whether WARDEN_DISABLE (tests) takes mechanism @mech away ("landlock", "fanotify", ...). */
bool wd_rung_disabled(const char *mech);

/* Runs the trials (needs root for the mount namespace and the cgroup trial). Returns 0 or -errno
 * (fork failed). */
int wd_rung3_probe(struct wd_rung3 *out);

/* The cgroup trial alone (part of wd_rung3_probe): each cgroup hook (network, block devices,
 * unix sockets) seen refusing a test child in a throwaway cgroup (enforce/probe.h). For rungs 1
 * and 2 too, whose network is the same hooks'. WARDEN_DISABLE=cgroup runs it with nothing
 * attached (the hooks then reported not enforced). */
void wd_rung3_cgroup_trial(struct wd_rung3 *o);

struct wd_enforcer;

/* Where rung 3 with seccomp may run: the filter's refusals reported as events, by attaching
 * @e's sys_exit program with the filter's list (sandbox/seccomp.h). Sets r3->sc_events, or
 * r3->sce_detail to why not (WARDEN_DISABLE=scevents, the kernel refused it). Again once
 * attached: nothing. */
void wd_rung3_scevents(struct wd_rung3 *r3, struct wd_enforcer *e);
/* Detaches it again (rung 3 will not run after all). */
void wd_rung3_scevents_off(struct wd_rung3 *r3, struct wd_enforcer *e);

/* What the enforcer's load of its exec tracepoint program found (@loaded, else @why): the second
 * line counts only where the trial saw it act and warden's own program is attached. */
void wd_rung3_exec_tp_loaded(struct wd_rung3 *r3, bool loaded, const char *why);

/* What the enforcer's load of the unix socket programs found (@loaded, else @why): where the
 * kernel has their hooks but refused warden's programs, unix sockets are not enforced. */
void wd_rung3_unix_loaded(struct wd_rung3 *r3, bool loaded, const char *why);

/* One feature, as `warden run` enforces it on this kernel. */
struct wd_feature_row {
	const char *feature;
	char mech[48]; /* "bpf-lsm", "landlock", "seccomp", "cgroup", "mount-ns", ...,
			* "not enforced" */
	char detail[1024];
	bool enforced; /* false: nothing enforces it (partial enforcement counts as enforced and
			* says what is missing in @detail) */
	bool required; /* warden run refuses without --degraded when this one is not enforced */
};

#define WD_FEATURES_MAX 20

/* The "network" and "block devices" rows, from the cgroup trial of @r3 (NULL or not tried: the
 * cgroup hooks as warden's probe found them when it started). */
void wd_feature_rows_cgroup(const struct wd_rung3 *r3, struct wd_feature_row *rows, size_t *n,
			    size_t max, bool devices);

/* Appends a row to @rows (up to @max): @mech NULL means nothing enforces it ("not enforced"). */
__attribute__((format(printf, 6, 7))) void wd_feature_row_add(struct wd_feature_row *rows,
							      size_t *n, size_t max,
							      const char *feature, const char *mech,
							      const char *fmt, ...);

/* The rows for a sandbox of `warden run`: with the LSM programs enforcing, @lsm names how
 * ("bpf-lsm" on rung 1, "fmod_ret" on rung 2) and the rows are theirs; with @lsm NULL, rung 3 from
 * @r3 (with @rung3_ok false: rung 3 refused the policy, only the cgroup hooks). @c (may be NULL)
 * refines the rows to a policy. Returns the number of rows. */
size_t wd_rung_report(const char *lsm, const struct wd_rung3 *r3, bool rung3_ok,
		      const struct wd_compiled *c, struct wd_feature_row *rows, size_t max);

/* The rows as lines "PREFIX feature: mechanism (detail)", NOT ENFORCED ones flagged. */
void wd_rung_report_print(FILE *f, const char *prefix, const struct wd_feature_row *rows, size_t n);

#endif
