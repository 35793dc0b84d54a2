// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sandbox requests of the control socket: run (a command in a new sandbox, and its end),
 * create, adopt, list and revoke. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/internal.h"
#include "lib/cleanup.h"
#include "sandbox/spawn.h"

static const char *env_get(char **env, size_t n, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (!strncmp(env[i], name, l) && env[i][l] == '=')
			return env[i] + l + 1;
	return NULL;
}

void do_run(struct daemon *d, struct dconn *dc, Warden__V1__RunRequest *rq)
{
	const struct wd_ctl_peer *peer = wd_ctl_conn_peer(dc->c);
	int fds[WD_CTL_FDS_MAX], nfd = (int)wd_ctl_conn_take_fds(dc->c, fds);
	Warden__V1__Error__Code code;
	char why[512], procs[PATH_MAX + 16], cwd[PATH_MAX];
	struct wd_diags dg = {0};
	struct dsb *s = NULL;
	struct sb_req q = {0};
	char **argv = NULL, **envp = NULL;
	int err, pidfd = -1;

	if (!rq->sandbox || !rq->sandbox->identity || !rq->n_argv || nfd != 3) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   "run needs an identity, a command and the three stdio descriptors",
			   NULL);
		goto out;
	}
	q.identity = rq->sandbox->identity;
	q.spec = rq->sandbox;
	q.origin = WD_SB_RUN;
	q.uid = peer->uid;
	q.workdir = rq->cwd && realpath(rq->cwd, cwd) ? cwd : NULL;
	q.home = env_get(rq->env, rq->n_env, "HOME");
	q.cmd = true;
	err = sb_create(d, &q, &s, &code, why, sizeof(why), &dg);
	if (err) {
		create_failed(dc, code, why, &dg);
		goto out;
	}
	argv = calloc(rq->n_argv + 1, sizeof(char *));
	envp = calloc(rq->n_env + 1, sizeof(char *));
	if (!argv || !envp) {
		sb_end(d, s, WD_SB_ENDED, "out of memory");
		send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL, "out of memory", NULL);
		goto out;
	}
	memcpy(argv, rq->argv, rq->n_argv * sizeof(char *));
	memcpy(envp, rq->env, rq->n_env * sizeof(char *));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", s->cg.path);
	{
		struct wd_spawn sp = {
			.cgroup_fd = s->cg.fd,
			.procs = d->enf.lsm || s->rung3 ? procs : NULL,
			.argv = argv,
			.envp = envp,
			.cwd = rq->cwd && rq->cwd[0] ? rq->cwd : "/",
			.stdio = {fds[0], fds[1], fds[2]},
			/* The command runs as its caller, never as the daemon. */
			.set_creds = true,
			.uid = peer->uid,
			.gid = peer->gid,
			.groups = peer->groups,
			.n_groups = peer->n_groups,
			.who = "warden run",
			.confine = s->plan ? &s->plan->confine : NULL,
		};
		sigset_t none;

		sigemptyset(&none);
		sp.sigmask = &none;
		err = wd_spawn(&sp, &pidfd);
	}
	sb_plan_free(s); /* the child has it (its Landlock ruleset, its seccomp filter) */
	if (err < 0) {
		snprintf(why, sizeof(why), "cannot start the command: %s", strerror(-err));
		sb_end(d, s, WD_SB_ENDED, why);
		send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL, why, NULL);
		goto out;
	}
	s->pidfd = pidfd;
	s->has_cmd = true;
	save_kv(d, s);
	s->pid_tag = (struct ep_tag){EP_PIDFD};
	epoll_ctl(d->ep, EPOLL_CTL_ADD, pidfd,
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &s->pid_tag});
	{
		Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
		Warden__V1__RunStarted st = WARDEN__V1__RUN_STARTED__INIT;
		struct sb_info si;

		fill_info(s, &si);
		st.sandbox = &si.info;
		st.pid = (uint32_t)err;
		r.result_case = WARDEN__V1__RESPONSE__RESULT_RUN_STARTED;
		r.run_started = &st;
		wd_ctl_conn_send(dc->c, &r, false);
	}
	s->run_dc = dc;
	dc->busy = true;
out:
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	free(argv);
	free(envp);
	wd_diags_free(&dg);
}

void on_command_exit(struct daemon *d, struct dsb *s)
{
	siginfo_t si = {0};
	char how[64];
	int status = 0, sig = 0;

	if (waitid(P_PIDFD, s->pidfd, &si, WEXITED | WNOHANG) || !si.si_pid)
		return;
	if (si.si_code == CLD_EXITED) {
		status = si.si_status;
		snprintf(how, sizeof(how), "exit status %d", status);
	} else {
		sig = si.si_status;
		status = 128 + sig;
		snprintf(how, sizeof(how), "killed by signal %d", sig);
	}
	epoll_ctl(d->ep, EPOLL_CTL_DEL, s->pidfd, NULL);
	close(s->pidfd);
	s->pidfd = -1;
	if (s->run_dc)
		send_run_exited(d, s, status, sig, WARDEN__V1__RUN_EXITED__REASON__EXITED, how);
	sb_end(d, s, WD_SB_ENDED, how);
}

void do_create_or_adopt(struct daemon *d, struct dconn *dc, Warden__V1__SandboxSpec *spec,
			const char *adopt)
{
	Warden__V1__Error__Code code;
	struct wd_diags dg = {0};
	struct sb_req q = {0};
	struct dsb *s;
	char why[512];

	if (!spec || !spec->identity || (adopt && !adopt[0])) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INVALID_REQUEST,
			   adopt ? "adopt needs an identity and a cgroup path"
				 : "create needs an identity",
			   NULL);
		return;
	}
	q.identity = spec->identity;
	q.spec = spec;
	q.origin = adopt ? WD_SB_ADOPT : WD_SB_RUN;
	q.adopt_path = adopt;
	q.uid = wd_ctl_conn_peer(dc->c)->uid;
	if (sb_create(d, &q, &s, &code, why, sizeof(why), &dg))
		create_failed(dc, code, why, &dg);
	else
		sb_reply(dc, s);
	wd_diags_free(&dg);
}

void do_list(struct daemon *d, struct dconn *dc, Warden__V1__SandboxListRequest *rq)
{
	Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
	Warden__V1__SandboxList l = WARDEN__V1__SANDBOX_LIST__INIT;
	_cleanup_free_ struct sb_info *si = calloc(d->n_sb + 1, sizeof(*si));
	_cleanup_free_ Warden__V1__SandboxInfo **p = calloc(d->n_sb + 1, sizeof(*p));

	if (!si || !p) {
		send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL, "out of memory", NULL);
		return;
	}
	for (size_t i = 0; i < d->n_sb; i++) {
		if (rq->identity && rq->identity[0] && fnmatch(rq->identity, d->sb[i]->identity, 0))
			continue;
		fill_info(d->sb[i], &si[l.n_sandboxes]);
		p[l.n_sandboxes] = &si[l.n_sandboxes].info;
		l.n_sandboxes++;
	}
	l.sandboxes = p;
	r.result_case = WARDEN__V1__RESPONSE__RESULT_SANDBOX_LIST;
	r.sandbox_list = &l;
	wd_ctl_conn_send(dc->c, &r, true);
}

void do_revoke(struct daemon *d, struct dconn *dc, Warden__V1__SandboxRevokeRequest *rq)
{
	struct dsb *s = find_or_fail(d, dc, rq->id);
	char detail[300];
	struct sb_info si;

	if (!s)
		return;
	snprintf(detail, sizeof(detail), "revoked by uid %u%s%s", wd_ctl_conn_peer(dc->c)->uid,
		 rq->reason && rq->reason[0] ? ": " : "", rq->reason ? rq->reason : "");
	fill_info(s, &si);
	si.info.state = WARDEN__V1__SANDBOX_INFO__STATE__ENDED;
	{
		Warden__V1__Response r = WARDEN__V1__RESPONSE__INIT;
		char id[40];

		snprintf(id, sizeof(id), "%s", s->id);
		sb_end(d, s, WD_SB_REVOKED, detail);
		if (sb_by_id(d, id)) {
			send_error(dc, WARDEN__V1__ERROR__CODE__INTERNAL,
				   "its processes could not all be killed; it stays enforced",
				   NULL);
			return;
		}
		/* si points into the freed sandbox for strings: answer with the id only. */
		warden__v1__sandbox_info__init(&si.info);
		si.info.id = id;
		si.info.state = WARDEN__V1__SANDBOX_INFO__STATE__ENDED;
		r.result_case = WARDEN__V1__RESPONSE__RESULT_SANDBOX;
		r.sandbox = &si.info;
		wd_ctl_conn_send(dc->c, &r, true);
	}
}
