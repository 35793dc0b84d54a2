// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden run` without the daemon: the sandbox made, confined and torn down by this process
 * through the sandbox core (user/sandbox/), with a guardian process that outlives warden's
 * death long enough to kill the sandbox. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "config/config.h"
#include "event/nodeseq.h"
#include "hooks/hooks.h"
#include "export/pipeline.h"
#include "policy/compile.h"
#include "policy/policy.h"
#include "sandbox/rung3_plan.h"
#include "sandbox/spawn.h"
#include "cli/run_local.h"

#define DRAIN_MS 5000 /* how long the sinks get to deliver what is queued at exit */

/* Parses and compiles the policy into the next slot, with rule ids after every earlier
 * policy's; prints every error as file:line:column. Nothing is applied here. */
int wd_run_prepare_policy(struct run *r, struct wd_compiled **out)
{
	const struct wd_compiled *prev = r->n_compiled ? r->compiled[r->n_compiled - 1] : NULL;
	struct wd_diags diags;
	struct wd_policy *p = NULL;
	struct wd_policy_ctx ctx = {0};
	char cwd[PATH_MAX], workdir[PATH_MAX], home[PATH_MAX];
	const char *h = getenv("HOME");
	int err;

	wd_diags_init(&diags);
	if (r->policy_path)
		err = wd_policy_parse_file(r->policy_path, &p, &diags);
	else
		err = wd_policy_parse_string("<default policy>", wd_default_policy,
					     wd_default_policy_len, &p, &diags);
	if (err)
		goto out;
	if (!wd_policy_applies_to(p, r->identity)) {
		fprintf(stderr,
			"warden run: policy '%s' (%s) does not apply to identity '%s': add a "
			"matching glob to its identities\n",
			p->name, r->policy_path ? r->policy_path : "default", r->identity);
		err = -EPERM;
		goto out;
	}
	if (r->audit)
		p->audit = true;
	/* The variables are what the job sees: its working directory and home, symlinks
	 * resolved, because the kernel matches resolved paths. */
	if (getcwd(cwd, sizeof(cwd)) && realpath(cwd, workdir))
		ctx.workdir = workdir;
	if (h && realpath(h, home))
		ctx.home = home;
	if (p->uses_workdir && ctx.workdir && strcmp(ctx.workdir, "/") == 0) {
		fprintf(stderr,
			"warden run: refusing / as the job's working directory: the policy's "
			"${workdir} rules would cover the whole system; cd into the job's "
			"directory first\n");
		err = -EINVAL;
		goto out;
	}
	if (r->n_compiled >= POLICIES_MAX) {
		fprintf(stderr, "warden run: too many policy reloads (%d)\n", POLICIES_MAX);
		err = -ENOSPC;
		goto out;
	}
	/* warden's own places are the sandbox's to neither read nor write, as in the daemon's. */
	err = wd_guard_protect(&r->guard, p);
	if (!err)
		err = wd_policy_compile(p, &ctx, r->n_compiled + 1,
					prev ? prev->first_rule_id + prev->n_rules : 1, out,
					&diags);
out:
	if (diags.total)
		wd_diags_print(stderr, &diags);
	wd_diags_free(&diags);
	wd_policy_free(p);
	return err;
}

void wd_run_lifecycle(struct run *r, Warden__V1__Lifecycle__Kind kind, const char *detail)
{
	if (r->pipe)
		wd_sb_lifecycle(&r->node, r->pipe, &r->ev.ctx, kind, detail);
}

/* The config (for the sinks, and the daemon's directories the sandbox must not reach), the
 * node's side of the events, and what the sandbox may never write or reach. */
static int load_config(struct run *r)
{
	struct wd_diags d = {0};
	char err[512];
	int ret;

	if (!r->config_path && access(WD_CONFIG_DEFAULT, F_OK) == 0)
		r->config_path = WD_CONFIG_DEFAULT;
	if (!r->config_path) {
		r->cfg = wd_config_empty();
		ret = r->cfg ? 0 : -ENOMEM;
	} else {
		ret = wd_config_parse_file(r->config_path, &r->cfg, &d);
		if (ret) {
			wd_diags_print(stderr, &d);
			fprintf(stderr,
				"warden run: the config %s is not valid; nothing was started "
				"(check it with warden config check %s)\n",
				r->config_path, r->config_path);
		}
		wd_diags_free(&d);
	}
	if (ret)
		return ret;
	ret = wd_sb_node_open(&r->node, r->cfg->node, NULL, err, sizeof(err));
	if (!ret)
		ret = wd_guard_init(&r->guard, r->cfg, WD_NODE_SEQ_FILE, r->events_path);
	if (ret)
		fprintf(stderr, "warden run: %s\n", strerror(-ret));
	return ret;
}

static const char *ctx_rule_text(void *arg, uint32_t rule_id)
{
	return wd_run_rule_text(arg, rule_id);
}

/* Status messages of the pipeline and its sinks, from their threads: one fprintf each. */
static void sink_log(void *arg, const char *sink, const char *msg)
{
	(void)arg;
	fprintf(stderr, "warden run: sink %s: %s\n", sink, msg);
}

static int setup_export(struct run *r)
{
	char err[512];
	int ret;

	snprintf(r->policy_name, sizeof(r->policy_name), "%s",
		 r->policy_path ? r->policy_path : "<default>");
	if (!r->cfg->n_sinks)
		return 0;
	ret = wd_sb_node_seq(&r->node, WD_NODE_SEQ_FILE, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "warden run: %s (it must be a regular file of root's, mode 0600)\n",
			err);
		return ret;
	}
	ret = wd_lost_open(&r->lost, &r->enf);
	if (ret)
		return ret;
	wd_sb_ev_init(&r->ev, &r->node,
		      &(struct wd_sb_desc){
			      .id = r->id,
			      .identity = r->identity,
			      .labels = r->labels,
			      .n_labels = r->n_labels,
			      .cg = &r->cg,
			      .policy_name = r->policy_name,
			      .rule_text = ctx_rule_text,
			      .rule_text_arg = r,
		      });
	const struct wd_pipeline_cfg pc = {.sinks = r->cfg->sinks,
					   .n = r->cfg->n_sinks,
					   .node = r->node.name,
					   .log = sink_log};

	ret = wd_pipeline_start(&r->pipe, &pc, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "warden run: %s: %s; nothing was started\n", r->config_path, err);
		return ret;
	}
	wd_run_lifecycle(r, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED, r->enforcement);
	snprintf(err, sizeof(err), "rules %u-%u", r->compiled[0]->first_rule_id,
		 r->compiled[0]->first_rule_id + r->compiled[0]->n_rules - 1);
	wd_run_lifecycle(r, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, err);
	return 0;
}

static void close_export(struct run *r)
{
	if (r->pipe)
		wd_pipeline_close(r->pipe, DRAIN_MS);
	r->pipe = NULL;
	wd_sb_node_close(&r->node);
	wd_lost_close(&r->lost);
	wd_guard_free(&r->guard);
	wd_config_free(r->cfg);
}

/* No BPF LSM: rung 3 (Landlock, a mount namespace, seccomp) for exec, file and confinement, the
 * cgroup hooks for the network. Without it, or when it cannot express the policy, only the
 * network rules are enforced, and only with --degraded. */
static int setup_rung3(struct run *r)
{
	struct wd_rung3_plan plan;
	char why[1024] = "";
	int err;

	r->confine.ruleset_fd = -1;
	err = wd_rung3_probe(&r->r3);
	wd_rung3_unix_loaded(&r->r3, r->enf.cg_unix, r->enf.cg_unix_error);
	/* The filter's refusals as events: attached before the plan, whose report says so, and
	 * detached again when rung 3 does not run (it costs every system call of the node). */
	if (!err && r->r3.landlock && r->r3.seccomp)
		wd_rung3_scevents(&r->r3, &r->enf);
	wd_rung3_exec_tp_loaded(&r->r3, r->enf.exec_tp != NULL, r->enf.exec_tp_error);
	if (!err)
		err = wd_rung3_plan(r->compiled[0], &r->r3, r->degraded, &plan, why, sizeof(why));
	if (err || !plan.confine.seccomp)
		wd_rung3_scevents_off(&r->r3, &r->enf);
	if (err && !r->degraded) {
		fprintf(stderr,
			"warden run: this kernel cannot enforce exec and file rules, which every "
			"policy has: %s.\n"
			"warden run: missing BPF LSM hooks: %s (not seen refusing a test child).\n"
			"warden run: rung 3 (Landlock, mount namespace, seccomp) cannot enforce "
			"them either: %s.\n"
			"warden run: enable BPF LSM (CONFIG_BPF_LSM=y and 'bpf' in the lsm= kernel "
			"parameter), use the test bed (tests/vm/run -- warden run ...), or pass "
			"--degraded to enforce only what this kernel can (warden probe lists "
			"it).\n",
			r->enf.lsm_error,
			r->enf.lsm_missing[0] ? r->enf.lsm_missing : "all of them",
			why[0] ? why : strerror(-err));
		return err == -EPERM ? err : -EOPNOTSUPP;
	}
	if (err) {
		struct wd_feature_row rows[WD_FEATURES_MAX];
		size_t n =
			wd_rung_report(NULL, &r->r3, false, r->compiled[0], rows, WD_FEATURES_MAX);

		fprintf(stderr,
			"warden run: WARNING: DEGRADED: BPF LSM is unavailable (%s) and rung 3 "
			"refused: %s.\n"
			"warden run: WARNING: enforced: " WD_DEGRADED_ENFORCED "; feature by "
			"feature:\n",
			r->enf.lsm_error, why[0] ? why : strerror(-err));
		wd_rung_report_print(stderr, "warden run:  ", rows, n);
		return 0;
	}
	r->rung3 = true;
	r->confine = plan.confine; /* owned by r from here (run_local_free) */
	fprintf(stderr,
		"warden run: BPF LSM is unavailable (%s); rung 3 enforces (Landlock ABI %d, %s, "
		"%s):\n",
		r->enf.lsm_error, r->r3.ll_abi, r->confine.mounts ? "mount namespace" : "no mounts",
		r->confine.seccomp ? "seccomp" : "no seccomp");
	wd_rung_report_print(stderr, "warden run:  ", plan.rows, plan.n_rows);
	if (r->confine.unexpressed[0])
		fprintf(stderr, "warden run: WARNING: DEGRADED: NOT ENFORCED as written: %s\n",
			r->confine.unexpressed);
	/* Before the command starts: none of its denials is missed. */
	if (r->r3.ll_audit && wd_llaudit_open(&r->lla, why, sizeof(why)))
		fprintf(stderr, "warden run: Landlock denials will not be reported: %s\n", why);
	if (r->verbose)
		fprintf(stderr,
			"warden run: rung 3 plan: %zu Landlock rules, %zu mount steps, %zu "
			"directory entries read\n",
			r->confine.ll.n_rules, r->confine.mnt.n, r->confine.ll.n_listed);
	if (r->verbose && r->confine.socks_scanned)
		fprintf(stderr,
			"warden run: rung 3: the node's unix sockets: %zu directory entries read "
			"in "
			"%lu ms\n",
			r->confine.socks.n_entries, r->confine.socks.elapsed_us / 1000);
	for (size_t i = 0; r->verbose && i < r->confine.socks.n; i++)
		fprintf(stderr, "warden run: rung 3: the node's socket %s covered\n",
			r->confine.socks.paths[i]);
	return 0;
}

static int setup_sandbox(struct run *r)
{
	struct wd_enforcer_opts o = {.want_lsm = true, .verbose = r->verbose};
	int err;

	err = wd_sb_new_id(r->id, sizeof(r->id));
	if (err)
		return err;
	err = wd_cgroup_create(&r->cg, r->id);
	if (err) {
		fprintf(stderr,
			"warden run: cannot create the sandbox cgroup: %s (warden needs root "
			"and a cgroup v2 mount)\n",
			strerror(-err));
		return err;
	}
	snprintf(r->who, sizeof(r->who), "warden[%s %s]:", r->identity, r->id);
	o.on_event = wd_run_on_event;
	o.on_event_ctx = r;
	o.no_exec_tp = wd_rung_disabled("exectp");
	err = wd_enforcer_open(&r->enf, &o);
	if (err) {
		fprintf(stderr, "warden run: cannot load warden's BPF programs: %s\n",
			strerror(-err));
		return err;
	}
	for (const char *l = r->enf.lsm_hooks_why; r->verbose && l && *l; l = strchr(l, '\n') + 1)
		fprintf(stderr, "warden run: %.*s\n", (int)strcspn(l, "\n"), l);
	/* Rung 2 is said every time: what enforces differs from what the README leads to expect. */
	if (r->enf.lsm && strstr(r->enf.lsm_mechanism, "fmod_ret"))
		fprintf(stderr,
			"warden run: exec, file, socket and confinement rules enforced by %s: the "
			"LSM programs attached as fmod_ret to the security_* functions (rung 2; "
			"%s)\n",
			r->enf.lsm_mechanism, r->enf.lsm_probe);
	else if (r->enf.lsm && r->verbose)
		fprintf(stderr, "warden run: BPF LSM: %s\n", r->enf.lsm_probe);
	if (!r->enf.lsm) {
		err = setup_rung3(r);
		if (err)
			return err;
	} else {
		/* The network is the cgroup hooks' on every rung: seen refusing, not assumed. */
		wd_rung3_cgroup_trial(&r->r3);
		if (!r->r3.cg_net && !r->degraded) {
			fprintf(stderr,
				"warden run: the network rules cannot be enforced: warden's cgroup "
				"hooks were not seen refusing a test child (%s).\n"
				"warden run: pass --degraded to run without network enforcement "
				"(warden probe lists what this kernel can do).\n",
				r->r3.cg_detail);
			return -EOPNOTSUPP;
		}
	}
	{
		struct wd_feature_row rows[WD_FEATURES_MAX];
		size_t n = wd_rung_report(!r->enf.lsm				     ? NULL
					  : strstr(r->enf.lsm_mechanism, "fmod_ret") ? "fmod_ret"
										     : "bpf-lsm",
					  &r->r3, r->rung3, r->compiled[0], rows, WD_FEATURES_MAX);

		wd_rung_summary(rows, n, r->enforcement, sizeof(r->enforcement));
	}

	err = wd_sb_enforce(&r->enf, &r->cg, r->compiled[0]);
	/* Before the command starts: its processes' refusals are reported from the first. */
	if (!err && r->rung3 && r->confine.seccomp && r->r3.sc_events)
		err = wd_enforcer_sandbox_seccomp(&r->enf, r->cg.id);
	if (err)
		fprintf(stderr, "warden run: cannot set up the sandbox in the kernel: %s\n",
			strerror(-err));
	return err;
}

/* The guardian: a process outside the sandbox that holds duplicates of every BPF link and map
 * fd. If warden dies however it dies (SIGKILL, OOM), the programs stay attached through the
 * guardian, which kills the whole sandbox before it lets go: the sandbox never outlives its
 * enforcement. Sandboxed tasks can signal or ptrace neither warden nor the guardian. */
static int start_guardian(struct run *r)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		char b;

		close(p[1]);
		/* Out of the terminal's process group: a Ctrl-C is for warden and the command. */
		setsid();
		prctl(PR_SET_NAME, "warden-guard");
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		/* Whatever is left of the sandbox dies while enforcement still holds. */
		while (r->cg.path[0] && wd_cgroup_destroy(&r->cg, 1000) == -EBUSY)
			;
		_exit(0);
	}
	close(p[0]);
	r->guard_fd = p[1];
	return 0;
}

/* The child: already inside the sandbox cgroup. Nothing of warden's may leak into it. */
static int spawn(struct run *r, const sigset_t *old, int *pidfd, pid_t *job_pid)
{
	struct wd_spawn sp = {
		.cgroup_fd = r->cg.fd,
		/* The self-check needs the LSM hooks or rung 3; without them nothing could refuse
		 * it. */
		.procs = r->enf.lsm || r->rung3 ? r->procs : NULL,
		.argv = r->argv,
		.stdio = {-1, -1, -1},
		.sigmask = old,
		.who = "warden run",
		.confine = r->rung3 ? &r->confine : NULL,
		.job_pid = job_pid,
	};

	return wd_spawn(&sp, pidfd);
}

/* The end: whatever the command left behind dies with the sandbox, then the last events are
 * collected and reported. */
static void teardown(struct run *r, int status, bool started)
{
	uint64_t lost, rmiss;
	int rm_n;

	/* Rung 2 fails open where the kernel skips a program already running on the CPU. */
	if (r->enf.lsm && strstr(r->enf.lsm_mechanism, "fmod_ret") &&
	    !wd_enforcer_recursion_misses(&r->enf, &rmiss, &rm_n) && rmiss)
		fprintf(stderr,
			"warden run: WARNING: %" PRIu64 " calls were not decided by warden's "
			"fmod_ret programs (the kernel skipped them: one was already running on "
			"that "
			"CPU) and went through\n",
			rmiss);
	if (r->cg.path[0] && wd_cgroup_destroy(&r->cg, 5000))
		fprintf(stderr, "warden run: WARNING: could not remove sandbox cgroup %s\n",
			r->cg.path);
	if (started)
		wd_run_landlock_events(r, true);
	wd_llaudit_close(r->lla);
	r->lla = NULL;
	if (r->enf.cg) {
		wd_enforcer_drain_all(&r->enf);
		wd_run_check_lost(r);
		lost = wd_enforcer_lost(&r->enf);
		if (lost)
			fprintf(stderr, "%s %llu events were lost (ring buffer full)\n", r->who,
				(unsigned long long)lost);
		if (r->pipe && started) {
			char how[64];

			if (status >= 128 && status < 128 + 65)
				snprintf(how, sizeof(how), "killed by signal %d", status - 128);
			else
				snprintf(how, sizeof(how), "exit status %d", status);
			wd_run_lifecycle(r, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED, how);
		}
		if (r->stats)
			wd_run_print_stats(r);
		if (r->enf.bad_records)
			fprintf(stderr, "%s %llu malformed event records\n", r->who,
				(unsigned long long)r->enf.bad_records);
		wd_enforcer_close(&r->enf);
	}
	close_export(r);
	if (r->guard_fd >= 0)
		close(r->guard_fd);
	for (int i = 0; i < r->n_compiled; i++)
		wd_compiled_free(r->compiled[i]);
	if (r->rung3)
		wd_confine_free(&r->confine);
}

int wd_run_local(struct run *r)
{
	sigset_t mask, old;
	int pidfd = -1, sfd = -1, tfd = -1, status = EXIT_WARDEN, err;
	pid_t job_pid = 0;
	char why[1024];

	/* A closed stderr or events pipe must not kill warden: its death would end enforcement. */
	signal(SIGPIPE, SIG_IGN);
	r->events = stderr;
	if (r->events_path) {
		r->events = fopen(r->events_path, "we");
		if (!r->events) {
			fprintf(stderr, "warden run: cannot open --events %s: %s\n", r->events_path,
				strerror(errno));
			return EXIT_WARDEN;
		}
	}
	if (load_config(r))
		goto out;
	if (wd_run_prepare_policy(r, &r->compiled[0]))
		goto out;
	r->n_compiled = 1;
	if (setup_sandbox(r))
		goto out;
	/* The record (the --events file, the sinks' files) is out of the sandbox's reach, or
	 * nothing runs. */
	if ((r->enf.lsm || r->rung3) &&
	    wd_guard_check(&r->guard, r->compiled[0], why, sizeof(why))) {
		fprintf(stderr, "warden run: %s\n", why);
		goto out;
	}
	if (r->events_path && !r->enf.lsm && !r->rung3)
		fprintf(stderr,
			"warden run: WARNING: file rules are not enforced, so the sandbox can "
			"write "
			"the --events file %s\n",
			r->events_path);
	if (setup_export(r))
		goto out;
	snprintf(r->procs, sizeof(r->procs), "%s/cgroup.procs", r->cg.path);

	/* Signals for warden become messages in the loop, forwarded to the command. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (r->ttl_ms) {
		struct itimerspec its = {.it_value = {.tv_sec = r->ttl_ms / 1000,
						      .tv_nsec = (r->ttl_ms % 1000) * 1000000}};

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
			fprintf(stderr, "warden run: cannot arm the TTL timer: %s\n",
				strerror(errno));
			goto out;
		}
	}
	if (sfd < 0) {
		fprintf(stderr, "warden run: signalfd: %s\n", strerror(errno));
		goto out;
	}
	err = start_guardian(r);
	if (err) {
		fprintf(stderr, "warden run: cannot start the guardian process: %s\n",
			strerror(-err));
		goto out;
	}
	err = spawn(r, &old, &pidfd, &job_pid);
	if (err < 0) {
		fprintf(stderr, "warden run: cannot start the command in the sandbox: %s\n",
			strerror(-err));
		goto out;
	}
	/* The job calls landlock_restrict_self(): its domain is the sandbox's. */
	wd_llaudit_expect(r->lla, job_pid ? job_pid : err);
	status = wd_run_loop(r, pidfd, sfd, tfd);
out:
	teardown(r, status, pidfd >= 0);
	if (pidfd >= 0)
		close(pidfd);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (r->events && r->events != stderr)
		fclose(r->events);
	return status;
}
