// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The status request: version, kernel, enforcement and its features, what is not protected
 * without BPF LSM, sandboxes, event counts and the sinks' health. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/internal.h"
#include "warden/version.h"

static const char *const not_protected_without_lsm[] = {
	"signals and ptrace from sandboxes to the daemon (task_kill, ptrace_access_check)",
	"bpf() from sandboxes (bpf)",
	"the daemon's bpffs pins, state directory and control socket (file_open, "
	"unix_stream_connect)",
	"user namespaces and mounts from sandboxes (userns_create, sb_mount, move_mount)",
	"exec and file rules, executable mappings, socket families",
};

void do_status(struct daemon *d, struct dconn *dc)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__Status st = WARDEN__V1__STATUS__INIT;
	Warden__V1__Status__Feature f[9], *fp[9];
	struct wd_feature_row rows[WD_FEATURES_MAX];
	char hold_detail[256], r3_detail[320], by_run[1024], by_other[1024], r4_detail[400];
	char rm_detail[320];
	uint64_t rmiss = 0;
	int rm_n = 0, rm_err;
	const char *lsm_mech = !d->enf.lsm				  ? NULL
			       : strstr(d->enf.lsm_mechanism, "fmod_ret") ? "fmod_ret"
									  : "bpf-lsm";
	size_t n;
	Warden__V1__Status__Sink *sk = NULL, **skp = NULL;
	struct wd_sink_stats *ss = NULL;
	size_t ns = wd_pipeline_sinks(d->pipe);

	st.version = WARDEN_VERSION;
	st.kernel = d->kernel;
	st.enforcement = d->enf.lsm ? "full" : "degraded";
	for (int i = 0; i < 9; i++) {
		warden__v1__status__feature__init(&f[i]);
		fp[i] = &f[i];
	}
	f[0].name = "bpf_lsm";
	f[0].in_use = d->enf.lsm != NULL;
	f[0].detail =
		!d->enf.lsm ? d->enf.lsm_error
		: strstr(d->enf.lsm_mechanism, "fmod_ret")
			? "exec, file, socket and confinement hooks attached as fmod_ret to the "
			  "security_* functions (rung 2: bpf is not in the LSM list)"
			: "exec, file, socket and confinement hooks attached";
	f[1].name = "cgroup_sock_addr";
	f[1].in_use = !d->r3.cg_tried || d->r3.cg_net; /* the daemon starts only if seen */
	f[1].detail = d->r3.cg_tried
			      ? d->r3.cg_detail
			      : "sock_create, connect4/6, sendmsg4/6, bind4/6 per sandbox cgroup";
	f[2].name = "bpffs_pins";
	f[2].in_use = true;
	f[2].detail = d->enf.pin_dir;
	f[3].name = "cgroup_hold";
	f[3].in_use = d->hold_on && d->n_hold;
	snprintf(hold_detail, sizeof(hold_detail), "%s",
		 !d->hold_on ? "not attached: a cgroup an adoption rule matches is unconfined "
			       "from its mkdir until it is adopted"
		 : !d->cfg->daemon.n_adopt ? "attached, no adoption rules"
					   : "");
	if (!hold_detail[0])
		snprintf(
			hold_detail, sizeof(hold_detail),
			"cgroup_mkdir/rmdir raw tracepoints: a new cgroup %u of %zu adoption rules "
			"match is a sandbox from its mkdir on%s",
			d->n_hold, d->cfg->daemon.n_adopt,
			d->n_hold < d->cfg->daemon.n_adopt ? " (the daemon's log says why not all)"
							   : "");
	f[3].detail = hold_detail;
	f[4].name = "rung3";
	f[4].in_use = !d->enf.lsm && d->r3.landlock;
	if (d->enf.lsm)
		snprintf(r3_detail, sizeof(r3_detail), "not needed: the LSM programs enforce");
	else if (!d->r3.landlock)
		snprintf(r3_detail, sizeof(r3_detail), "unavailable: %s", d->r3.ll_detail);
	else
		snprintf(
			r3_detail, sizeof(r3_detail),
			"the commands of run requests: exec and file rules by Landlock ABI %d%s%s; "
			"sandboxes made or adopted without a command get network rules only",
			d->r3.ll_abi, d->r3.mount_ns ? ", mount namespace" : "",
			d->r3.seccomp ? ", seccomp" : "");
	f[4].detail = r3_detail;
	/* Per feature, what enforces it: in the commands of run requests (rung 3 where the LSM
	 * programs do not run), and in sandboxes made or adopted without a command. */
	n = wd_rung_report(lsm_mech, &d->r3, !lsm_mech && d->r3.landlock, NULL, rows,
			   WD_FEATURES_MAX);
	wd_rung_summary(rows, n, by_run, sizeof(by_run));
	if (!lsm_mech && d->fan)
		n = wd_rung4_report(&d->r4, &d->r3, NULL, rows, WD_FEATURES_MAX);
	else
		n = wd_rung_report(lsm_mech, &d->r3, false, NULL, rows, WD_FEATURES_MAX);
	wd_rung_summary(rows, n, by_other, sizeof(by_other));
	f[5].name = "by_feature_run";
	f[5].in_use = true;
	f[5].detail = by_run;
	f[6].name = "by_feature_other";
	f[6].in_use = true;
	f[6].detail = by_other;
	f[7].name = "rung4";
	f[7].in_use = !d->enf.lsm && d->fan;
	snprintf(r4_detail, sizeof(r4_detail), "%s",
		 d->enf.lsm    ? "not needed: the LSM programs enforce"
		 : d->fan      ? "sandboxes made or adopted without a command: exec and file opens "
				 "by fanotify permission events on their own mount namespaces' mounts; "
				 "the daemon's death fails open"
		 : d->r4.tried ? d->r4.detail
			       : "not tried");
	f[7].detail = r4_detail;
	f[8].name = "recursion_misses";
	rm_err = wd_enforcer_recursion_misses(&d->enf, &rmiss, &rm_n);
	f[8].in_use = lsm_mech && !strcmp(lsm_mech, "fmod_ret") && !rm_err;
	if (!lsm_mech)
		snprintf(rm_detail, sizeof(rm_detail), "not applicable: no LSM programs");
	else if (strcmp(lsm_mech, "fmod_ret"))
		snprintf(rm_detail, sizeof(rm_detail),
			 "%" PRIu64 ": BPF LSM programs are never skipped", rmiss);
	else if (rm_err)
		snprintf(rm_detail, sizeof(rm_detail), "unknown: %s", strerror(-rm_err));
	else
		snprintf(
			rm_detail, sizeof(rm_detail),
			"%" PRIu64 " calls not decided over %d fmod_ret programs: the kernel skips "
			"one already running on the same CPU and lets the call through (fail open)",
			rmiss, rm_n);
	f[8].detail = rm_detail;
	st.n_features = 9;
	st.features = fp;
	if (!d->enf.lsm) {
		st.n_not_protected = sizeof(not_protected_without_lsm) / sizeof(char *);
		st.not_protected = (char **)not_protected_without_lsm;
	}
	st.sandboxes = (uint32_t)d->n_sb;
	st.events_total = d->events_total;
	st.events_per_second = d->ev_rate;
	st.events_lost = d->events_lost;
	st.started_wall_ns = d->started_at;
	if (ns) {
		sk = calloc(ns, sizeof(*sk));
		skp = calloc(ns, sizeof(*skp));
		ss = calloc(ns, sizeof(*ss));
	}
	for (size_t i = 0; sk && skp && ss && i < ns; i++) {
		wd_pipeline_stats(d->pipe, i, &ss[i]);
		warden__v1__status__sink__init(&sk[i]);
		sk[i].name = (char *)ss[i].name;
		sk[i].healthy = !strstr(ss[i].state, "fail") && !strstr(ss[i].state, "reconnect") &&
				ss[i].lost == ss[i].lost_reported;
		sk[i].detail = ss[i].state;
		sk[i].exported = ss[i].written;
		sk[i].lost = ss[i].lost;
		skp[i] = &sk[i];
		st.n_sinks++;
	}
	st.sinks = skp;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_STATUS;
	r.status = &st;
	wd_ctl_conn_send(dc->c, &r, true);
	free(sk);
	free(skp);
	free(ss);
}
