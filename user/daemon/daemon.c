// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden daemon`: one long-lived process per node. Its BPF maps and links are pinned in bpffs,
 * so enforcement does not depend on it being alive: killed, it leaves every sandbox enforced,
 * and started again it takes the pinned objects over, re-adopts the sandboxes its SQLite state
 * lists, drains the events buffered meanwhile and ends the sandboxes whose TTL passed. One epoll
 * loop serves the control socket, the ring buffer, the commands it runs, signals, metrics
 * scrapes and a timer for TTLs and adoption.
 *
 * This file starts it (config, state, kernel programs, sinks, control socket, metrics), hands
 * it to the loop (loop.c) and shuts it down; internal.h lists what the other files do. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/internal.h"
#include "hooks/hooks.h"
#include "lib/cleanup.h"
#include "lib/clock.h"

__attribute__((format(printf, 1, 2))) void logf_(const char *fmt, ...)
{
	va_list ap;

	fputs("warden daemon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Status messages of the pipeline and its sinks, from their threads: one fprintf each. */
static void sink_log(void *arg, const char *sink, const char *msg)
{
	(void)arg;
	fprintf(stderr, "warden daemon: sink %s: %s\n", sink, msg);
}

static gid_t group_id(const char *name, const char *what)
{
	struct group *g;

	if (!name)
		return 0;
	g = getgrnam(name);
	if (!g)
		logf_("%s group %s does not exist: nobody is in it", what, name);
	return g ? g->gr_gid : (gid_t)-1;
}

static int count_active(const struct wd_state_sandbox *sb, void *arg)
{
	(void)sb;
	(*(int *)arg)++;
	return 0;
}

/* The config and its policy files, or the defaults without one. */
static int load_config(struct daemon *d, const struct wd_daemon_opts *o)
{
	_cleanup_with_(wd_diags_free) struct wd_diags dg = {0};

	d->config_path = o->config_path;
	if (!d->config_path && access(WD_CONFIG_DEFAULT, F_OK) == 0)
		d->config_path = WD_CONFIG_DEFAULT;
	if (d->config_path ? wd_config_parse_file(d->config_path, &d->cfg, &dg)
			   : !(d->cfg = wd_config_empty())) {
		wd_diags_print(stderr, &dg);
		logf_("the config %s is not valid", d->config_path);
		return -EINVAL;
	}
	if (load_cfg_policies(d->cfg, &d->cpol, &d->n_cpol, &d->apol)) {
		logf_("a policy file of the config is not valid");
		return -EINVAL;
	}
	if (!d->config_path)
		d->config_path = "<defaults>";
	return 0;
}

/* --reset: the pinned programs and maps go, unless the state lists active sandboxes. The exit
 * status. */
static int reset(struct daemon *d)
{
	char err[1024], path[PATH_MAX];
	struct wd_state *st = NULL;
	int active = 0, ret;

	snprintf(path, sizeof(path), "%s/state.db", d->cfg->daemon.state_dir);
	if (access(path, F_OK) == 0) {
		if (wd_state_open(path, 0, &st, err, sizeof(err))) {
			logf_("%s", err);
			return 1;
		}
		wd_state_sandbox_list_active(st, count_active, &active);
		wd_state_close(st);
	}
	if (active) {
		logf_("refusing to reset: %d sandboxes are active (revoke them first: "
		      "warden "
		      "sandbox list)",
		      active);
		return 1;
	}
	ret = wd_enforcer_unpin_all(d->cfg->daemon.bpf_dir) ? 1 : 0;
	logf_("%s the pinned programs and maps under %s",
	      ret ? "could not remove all of" : "removed", d->cfg->daemon.bpf_dir);
	return ret;
}

/* The node's name, boot and kernel, the state, the node's event counter and what events are
 * built with. */
static int open_node(struct daemon *d)
{
	char err[1024], path[PATH_MAX];
	struct utsname u;

	d->started_at = wd_clock_ns(CLOCK_REALTIME);
	d->ev_last_t = wd_clock_ns(CLOCK_MONOTONIC);
	if (uname(&u) == 0)
		snprintf(d->kernel, sizeof(d->kernel), "%s %s", u.sysname, u.release);

	snprintf(path, sizeof(path), "%s/state.db", d->cfg->daemon.state_dir);
	if (wd_state_open(path, WD_STATE_QUICK_CHECK, &d->st, err, sizeof(err))) {
		logf_("%s", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/seq", d->cfg->daemon.run_dir);
	if (wd_sb_node_open(&d->node, d->cfg->node, path, err, sizeof(err))) {
		logf_("%s", err);
		return -1;
	}
	if (wd_guard_init(&d->guard, d->cfg, path, NULL))
		return -1;
	refresh_clock(d);
	return 0;
}

/* The BPF programs and maps (taken over from their pins, or loaded and pinned), and the hold of
 * new cgroups matching adoption rules. */
static int open_kernel(struct daemon *d, const struct wd_daemon_opts *o)
{
	struct wd_enforcer_opts eo = {.want_lsm = true, .verbose = o->verbose};
	char path[PATH_MAX];
	int ret;

	eo.pin_dir = d->cfg->daemon.bpf_dir;
	eo.on_event = on_event;
	eo.on_event_ctx = d;
	eo.no_exec_tp = wd_rung_disabled("exectp");
	if ((ret = wd_enforcer_open(&d->enf, &eo))) {
		if (ret == -EMEDIUMTYPE)
			logf_("cannot pin the BPF programs: bpf_dir %s is not on a BPF file "
			      "system; mount one there (mount -t bpf bpf DIR) or set bpf_dir "
			      "under /sys/fs/bpf, where warden mounts one itself",
			      d->cfg->daemon.bpf_dir);
		else
			logf_("cannot load the BPF programs (pinned under %s): %s; if an older "
			      "warden pinned incompatible maps there, `warden daemon --reset` "
			      "removes them",
			      d->cfg->daemon.bpf_dir, strerror(-ret));
		return -1;
	}
	for (const char *l = d->enf.lsm_hooks_why; eo.verbose && l && *l; l = strchr(l, '\n') + 1)
		logf_("%.*s", (int)strcspn(l, "\n"), l);
	if (d->enf.lsm) {
		logf_("LSM hooks seen enforcing by %s: %s", d->enf.lsm_mechanism, d->enf.lsm_probe);
	} else {
		if (d->enf.lsm_missing[0])
			logf_("WARNING: LSM hooks not seen enforcing: %s", d->enf.lsm_missing);
		wd_rung3_probe(&d->r3);
		wd_rung3_unix_loaded(&d->r3, d->enf.cg_unix, d->enf.cg_unix_error);
		wd_rung3_exec_tp_loaded(&d->r3, d->enf.exec_tp != NULL, d->enf.exec_tp_error);
		logf_("WARNING: BPF LSM is not available (%s). NOT ENFORCED in any "
		      "sandbox %s: " WD_DEGRADED_NOT_ENFORCED
		      "; such sandboxes get network enforcement only%s",
		      d->enf.lsm_error,
		      d->r3.landlock ? "made or adopted without a command (run requests get rung 3)"
				     : "",
		      d->cfg->daemon.degraded ? ""
					      : ", and only when asked with degraded (refused "
						"otherwise)");
		if (d->r3.landlock)
			logf_("rung 3 for the commands of run requests: Landlock ABI %d (%s), "
			      "mount namespace %s, seccomp %s",
			      d->r3.ll_abi, d->r3.ll_detail, d->r3.mount_ns ? "yes" : "NO",
			      d->r3.seccomp ? "yes" : "NO");
		else
			logf_("rung 3 unavailable for run requests: %s", d->r3.ll_detail);
		rung4_open(d);
	}
	/* The network is the cgroup hooks' on every rung: seen refusing, not assumed. */
	if (d->enf.lsm)
		wd_rung3_cgroup_trial(&d->r3);
	logf_("cgroup hooks: %s", d->r3.cg_detail);
	if (!d->r3.cg_net && !d->cfg->daemon.degraded) {
		logf_("cannot enforce network rules: warden's cgroup hooks were not seen refusing "
		      "a "
		      "test child; set degraded: true in the daemon's configuration to run without "
		      "them");
		return -1;
	}
	map_rb_positions(d);
	if (wd_lost_open(&d->lost, &d->enf))
		return -1;
	hold_reserve(d);
	d->hold_fail_seen = wd_enforcer_hold_failures(&d->enf);
	d->hold_on = (ret = wd_enforcer_attach_hold(&d->enf)) == 0;
	if (ret) {
		/* Programs a daemon before this one pinned go on holding, by the rules it gives
		 * them; without any, nothing holds. */
		snprintf(path, sizeof(path), "%s/links/hold_mkdir", d->cfg->daemon.bpf_dir);
		d->hold_on = access(path, F_OK) == 0;
		logf_("WARNING: cannot attach the programs that hold new cgroups matching adoption "
		      "rules (%s): %s",
		      strerror(-ret),
		      d->hold_on
			      ? "the ones pinned before stay in use"
			      : "such a cgroup is unconfined from its mkdir until it is adopted");
	}
	return 0;
}

/* The control socket, the metrics endpoint, the signals and the epoll set that serves them. */
static int open_control(struct daemon *d)
{
	char err[1024], path[PATH_MAX];
	sigset_t mask;

	d->auth = (struct wd_ctl_auth){
		.admin_group = d->cfg->daemon.admin_group,
		.admin_gid = group_id(d->cfg->daemon.admin_group, "admin"),
		.read_group = d->cfg->daemon.readonly_group,
		.read_gid = group_id(d->cfg->daemon.readonly_group, "read-only"),
	};
	snprintf(path, sizeof(path), "%s/control.sock", d->cfg->daemon.run_dir);
	{
		struct wd_ctl_server_opts so = {
			.path = path,
			.group = d->auth.admin_gid != (gid_t)-1 ? d->auth.admin_gid : 0,
			.read_group = d->auth.read_gid != (gid_t)-1 ? d->auth.read_gid : 0,
		};

		if (wd_ctl_server_open(&d->ctl, &so, err, sizeof(err))) {
			logf_("%s", err);
			return -1;
		}
	}
	if (d->cfg->daemon.metrics) {
		struct wd_metrics_opts mo = {
			.addr = d->cfg->daemon.metrics, .collect = collect, .arg = d};

		if (wd_metrics_open(&d->met, &mo, err, sizeof(err))) {
			logf_("metrics: %s", err);
			return -1;
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->ep = epoll_create1(EPOLL_CLOEXEC);
	if (d->sfd < 0 || d->ep < 0)
		return -1;
	d->ctl_tag = (struct ep_tag){EP_CTL};
	d->sig_tag = (struct ep_tag){EP_SIG};
	d->rb_tag = (struct ep_tag){EP_RB};
	d->met_tag = (struct ep_tag){EP_MET};
	epoll_ctl(d->ep, EPOLL_CTL_ADD, wd_ctl_server_fd(d->ctl),
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->ctl_tag});
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->sfd,
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->sig_tag});
	epoll_ctl(d->ep, EPOLL_CTL_ADD, wd_enforcer_events_fd(&d->enf),
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->rb_tag});
	if (d->met)
		epoll_ctl(d->ep, EPOLL_CTL_ADD, wd_metrics_fd(d->met),
			  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->met_tag});
	rung4_watch(d);
	return 0;
}

/* Start-up, then the loop until a stop signal. The exit status. */
static int serve(struct daemon *d, const struct wd_daemon_opts *o)
{
	char err[1024];
	int ret;

	signal(SIGPIPE, SIG_IGN);
	if (open_node(d) || open_kernel(d, o))
		return 1;
	if (d->cfg->n_sinks) {
		const struct wd_pipeline_cfg pc = {.sinks = d->cfg->sinks,
						   .n = d->cfg->n_sinks,
						   .node = d->node.name,
						   .log = sink_log};

		if (wd_pipeline_start(&d->pipe, &pc, err, sizeof(err))) {
			logf_("%s: %s", d->config_path, err);
			return 1;
		}
	}
	restore(d);
	hold_install(d);
	if (open_control(d))
		return 1;
	adopt_watch_reset(d);
	logf_("ready: %s enforcement, %zu sandboxes, control socket %s%s%s",
	      d->enf.lsm ? "full" : "degraded", d->n_sb, wd_ctl_server_path(d->ctl),
	      d->met ? ", metrics on " : "", d->met ? d->cfg->daemon.metrics : "");
	sd_notify_("READY=1");
	ret = run_loop(d) ? 1 : 0;
	sd_notify_("STOPPING=1");
	logf_("stopping: %zu sandboxes stay enforced (their programs are pinned)", d->n_sb);
	return ret;
}

/* Whatever start-up got to is closed; the kernel keeps enforcing what is pinned. */
static void shut_down(struct daemon *d)
{
	for (size_t i = 0; i < WD_CTL_MAX_CONNS; i++)
		if (d->conns[i])
			conn_close(d, d->conns[i]);
	if (d->ctl)
		wd_ctl_server_close(d->ctl);
	wd_metrics_close(d->met);
	if (d->enf.cg)
		drain_all(d);
	/* The decider reads the sandboxes' compiled policies: stopped before they go. */
	if (d->fan) {
		if (d->pipe)
			on_fan(d);
		rung4_close(d);
	}
	if (d->pipe)
		wd_pipeline_close(d->pipe, DRAIN_MS);
	for (size_t i = 0; i < d->n_sb; i++) {
		wd_compiled_free(d->sb[i]->pol);
		sb_free(d->sb[i]);
	}
	if (d->enf.cg)
		wd_enforcer_close(&d->enf);
	wd_state_close(d->st);
	wd_sb_node_close(&d->node);
	wd_lost_close(&d->lost);
	wd_guard_free(&d->guard);
	cpol_free(d->cpol, d->n_cpol);
	if (d->apol)
		cpol_free(d->apol, d->cfg->daemon.n_adopt);
	/* The kernel keeps holding under these slots: only our copies go. */
	for (size_t r = 0; r < WD_ADOPT_MAX; r++) {
		wd_compiled_free(d->hold[r]);
		wd_compiled_free(d->hold_prev[r]);
	}
	wd_config_free(d->cfg);
	if (d->ep > 0)
		close(d->ep);
	if (d->sfd > 0)
		close(d->sfd);
	if (d->ino >= 0)
		close(d->ino);
}

static int run(struct daemon *d, const struct wd_daemon_opts *o)
{
	if (load_config(d, o))
		return 1;
	if (o->check) {
		printf("%s: valid: %zu sinks, %zu policy files, %zu adoption rules\n",
		       d->config_path, d->cfg->n_sinks, d->n_cpol, d->cfg->daemon.n_adopt);
		return 0;
	}
	if (o->reset)
		return reset(d);
	return serve(d, o);
}

int wd_daemon_main(const struct wd_daemon_opts *o)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return 1;
	d->ino = -1;
	ret = run(d, o);
	shut_down(d);
	free(d);
	return ret;
}
