/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the probe's files share, not for other folders:
 *   probe.c         the kernel facts (BTF, mounts, ring buffer) and wd_probe_run()
 *   probe_cgroup.c  the cgroup trial: each cgroup hook seen refusing a test child
 *   probe_lsm.c     the LSM hooks: load, attach, the summary, wd_probe_lsm_enforcing()
 *   probe_trial.c   each attached LSM hook seen (or not) refusing a test child's action
 *   probe_act.c     the test child: the action that meets each hook
 *   probe_verdict.c the results and the verdict (pure)
 *   probe_output.c  `warden probe`'s table and JSON */
#ifndef WD_PROBE_INTERNAL_H
#define WD_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "enforce/probe.h"
#include "warden/probe_abi.h"
#include "probe_lsm.skel.h"

enum hook_state {
	H_ABSENT,      /* the kernel has no such hook (an optional one) */
	H_LOAD_FAIL,   /* the program was refused */
	H_ATTACH_FAIL, /* loaded, not attached */
	H_ATTACHED,    /* attached; not tried yet */
	H_NOT_SEEN,    /* attached, but the test child's action was not refused by it */
	H_SEEN,	       /* the test child's action got the probe's errno */
};

struct lsm_run {
	enum wd_mech mech; /* how the probe programs are attached: BPF LSM, or fmod_ret (rung 2) */
	struct probe_lsm_bpf *skel;
	struct btf *btf;
	enum hook_state st[sizeof(((struct probe_lsm_bpf__bss *)0)->wd_p_calls) / sizeof(__u64)];
	char why[64][200]; /* per table entry */
	struct bpf_link *links[64];
	char load_why[200]; /* the refusal of the whole object, "" if it loaded */
	int n_seen, n_attached, n_loaded;
	bool thorough; /* each refused hook loaded alone, for its own reason */
	int n_refused; /* hooks refused when loaded alone */
	size_t first_refused;
	char act_why[200]; /* why the actions could not be tried at all, "" if they were */
};

_Static_assert(sizeof(((struct lsm_run *)0)->why) / sizeof(((struct lsm_run *)0)->why[0]) >=
		       WD_ARM_NR,
	       "room for every hook");

/* lr->why[@i], the row of hook @i in the report. */
void wd_probe_set_why(struct lsm_run *lr, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The test child's files, all in a temporary directory of the probe's own. */
struct act_paths {
	char dir[64], x[80], t[80], u[80], r[80], r2[80], l[80], nd[80], d0[80], fifo[80], sl[80],
		sock[80], nosock[80], m[80], m2[80];
};

#define ACT_SETUP_FAILED 254 /* a step before the action failed */
#define ACT_NO_ANSWER	 253 /* recvmsg: no descriptor and no MSG_CTRUNC */
#define ACT_NO_COMPAT	 252 /* no 32-bit system calls here (the call was killed) */

/* ---- probe_cgroup.c ---- */

void wd_probe_cgroup_hooks(struct wd_probe *p);

/* ---- probe_lsm.c ---- */

void wd_probe_lsm(struct wd_probe *p);

/* ---- probe_trial.c ---- */

/* Puts a test child in a throwaway cgroup under @cgroup2 and has it take the action of every
 * attached hook of @lr, judging each; @lr->act_why says why when that cannot start. */
void wd_probe_lsm_act(struct lsm_run *lr, const char *cgroup2);

/* ---- probe_act.c ---- */

/* The test child: reads an arm (enum wd_probe_arm) at a time from @cmd, takes its action and
 * writes the result (0 or an errno, or ACT_*) to @out; exits when @cmd closes. */
__attribute__((noreturn)) void wd_probe_act_child(int cmd, int out, const struct act_paths *ap);

#endif
