// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden run` without the daemon, while the command runs: kernel records as readable lines and
 * exported events, losses, policy reloads on SIGHUP, signals passed on, the TTL, and the rule
 * hit counts at the end. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event/fmt.h"
#include "export/pipeline.h"
#include "hooks/hooks.h"
#include "policy/compile.h"
#include "cli/run_local.h"

#define POLL_MS 20 /* allowed events do not wake warden: it collects them this often */
/* An audit event without its end record (the task has no syscall auditing) is complete this
 * long after its first record. */
#define LLAUDIT_HOLD_MS 100

const char *wd_run_rule_text(struct run *r, uint32_t rule_id)
{
	for (int i = 0; i < r->n_compiled; i++) {
		const char *t = wd_compiled_rule_text(r->compiled[i], rule_id);

		if (t)
			return t;
	}
	return NULL;
}

/* Reserve failures in the kernel since the last look become EVENTS_LOST events, with the count
 * per CPU in the detail. Called after every drain of the ring buffer: one map read when
 * nothing was lost. */
void wd_run_check_lost(struct run *r)
{
	uint64_t rest, sb;
	char detail[512];

	rest = wd_lost_poll(&r->lost, &r->enf, detail, sizeof(detail));
	if (!rest)
		return;
	fprintf(r->events, "%s %llu events lost (%s)\n", r->who, (unsigned long long)rest, detail);
	fflush(r->events);
	sb = wd_lost_take(&rest, wd_enforcer_sandbox_lost(&r->enf, r->cg.id), &r->ev.lost_seen);
	if (r->pipe && sb)
		wd_sb_lost(&r->node, r->pipe, &r->ev.ctx, sb, detail);
	/* Not attributable to this sandbox: reported for the node. */
	if (r->pipe && rest)
		wd_sb_lost(&r->node, r->pipe, &r->node.ctx, rest, detail);
}

int wd_run_on_event(void *ctx, const struct wd_event *e)
{
	struct run *r = ctx;
	const char *why = e->rule_id == WD_RULE_DEFAULT ? wd_default_rule_text(e)
							: wd_run_rule_text(r, e->rule_id);
	struct wd_event copy;

	e = wd_sb_fill(&r->node, e, &copy);
	/* The child's own self-check (see child_exec) is expected, once, not news. */
	if (!r->self_check_seen &&
	    ((e->hdr.type == WD_EV_CONFINE && e->hook == WD_HOOK_FILE_OPEN) ||
	     (e->hdr.type == WD_EV_FILE && e->hook == WD_HOOK_LANDLOCK)) &&
	    strncmp(e->path, r->procs, sizeof(e->path)) == 0) {
		r->self_check_seen = true;
		return 0;
	}
	r->n_events++;
	if (e->decision != WD_DEC_ALLOW)
		r->n_denied++;
	wd_event_format(r->events, e, r->who, why);
	fputc('\n', r->events);
	if (wd_sb_record(&r->node, r->pipe, e, &r->ev.ctx) < 0)
		r->enf.bad_records++;
	return 0;
}

void wd_run_landlock_events(struct run *r, bool final)
{
	const struct wd_llaudit_sink s = {
		.c = r->compiled[0], /* rung 3 keeps the policy it started with */
		.cgroup_id = r->cg.id,
		.boot_to_wall_ns = wd_sb_node_clock(&r->node),
		.fn = wd_run_on_event,
		.arg = r,
	};
	uint64_t lost;

	if (!r->lla)
		return;
	if (!final) {
		wd_llaudit_drain(r->lla, &s, LLAUDIT_HOLD_MS);
		return;
	}
	lost = wd_llaudit_finish(r->lla, &s, 1000);
	if (!lost)
		return;
	fprintf(r->events, "%s %llu Landlock denials were not reported (audit dropped them)\n",
		r->who, (unsigned long long)lost);
	if (r->pipe)
		wd_sb_lost(&r->node, r->pipe, &r->ev.ctx, lost,
			   "Landlock denials the kernel counted without an audit record");
}

/* SIGHUP: the new policy is compiled and written completely into a fresh slot before the
 * sandbox is switched to it with one map update; the old slot is then switched off. */
static void reload(struct run *r)
{
	struct wd_compiled *next = NULL, *prev = r->compiled[r->n_compiled - 1];
	char why[1024], detail[64];
	int err;

	if (wd_guard_may_write(prev, r->policy_path, NULL)) {
		fprintf(stderr,
			"%s policy reload refused: the sandbox itself may write %s, so its content "
			"cannot be trusted; keep policies where the sandbox cannot write\n",
			r->who, r->policy_path);
		return;
	}
	if (wd_run_prepare_policy(r, &next)) {
		fprintf(stderr, "%s policy reload rejected: the policy in force stays\n", r->who);
		return;
	}
	if (r->rung3 && !wd_compiled_same_confinement(prev, next)) {
		/* Only the network rules (maps) can change: switching to a policy whose other
		 * rules differ would claim rules the sandbox does not run. */
		fprintf(stderr,
			"%s policy reload refused: on rung 3 the exec, file and socket rules are a "
			"Landlock domain, mounts and a seccomp filter fixed when the command "
			"started, and the new policy changes them (only network address changes "
			"reload there); the policy in force stays\n",
			r->who);
		wd_compiled_free(next);
		return;
	}
	if (r->enf.lsm && wd_guard_check(&r->guard, next, why, sizeof(why))) {
		fprintf(stderr, "%s policy reload rejected: %s; the policy in force stays\n",
			r->who, why);
		wd_compiled_free(next);
		return;
	}
	err = wd_sb_switch(&r->enf, &r->cg, next);
	if (err) {
		fprintf(stderr, "%s policy reload failed (%s): the policy in force stays\n", r->who,
			strerror(-err));
		wd_enforcer_unload_policy(&r->enf, next);
		wd_compiled_free(next);
		return;
	}
	r->compiled[r->n_compiled++] = next;
	r->ev.ctx.gen = wd_event_ctx_gen(); /* the new rules' texts in events from now on */
	wd_enforcer_unload_policy(&r->enf, prev);
	fprintf(stderr, "%s policy reloaded (rules %u-%u)\n", r->who, next->first_rule_id,
		next->first_rule_id + next->n_rules - 1);
	snprintf(detail, sizeof(detail), "reloaded: rules %u-%u", next->first_rule_id,
		 next->first_rule_id + next->n_rules - 1);
	wd_run_lifecycle(r, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, detail);
}

void wd_run_print_stats(struct run *r)
{
	uint64_t n = wd_enforcer_hits(&r->enf, WD_RULE_DEFAULT);

	fprintf(stderr, "%s rule hits:\n", r->who);
	if (n)
		fprintf(stderr, "  rule 0: %llu (default: no rule allows it)\n",
			(unsigned long long)n);
	for (int i = 0; i < r->n_compiled; i++) {
		const struct wd_compiled *c = r->compiled[i];

		for (uint32_t id = c->first_rule_id; id < c->first_rule_id + c->n_rules; id++) {
			n = wd_enforcer_hits(&r->enf, id);
			if (n)
				fprintf(stderr, "  rule %u: %llu (%s)\n", id, (unsigned long long)n,
					wd_compiled_rule_text(c, id));
		}
	}
}

int wd_run_loop(struct run *r, int pidfd, int sfd, int tfd)
{
	struct epoll_event ev[8];
	int ep = epoll_create1(EPOLL_CLOEXEC), status = EXIT_WARDEN;
	bool done = false, expired = false;

	if (ep < 0)
		return EXIT_WARDEN;
	ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = pidfd};
	epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev[0]);
	ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = sfd};
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev[0]);
	ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = wd_enforcer_events_fd(&r->enf)};
	epoll_ctl(ep, EPOLL_CTL_ADD, ev[0].data.fd, &ev[0]);
	if (tfd >= 0) {
		ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = tfd};
		epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev[0]);
	}
	if (r->lla) {
		ev[0] = (struct epoll_event){.events = EPOLLIN, .data.fd = wd_llaudit_fd(r->lla)};
		epoll_ctl(ep, EPOLL_CTL_ADD, ev[0].data.fd, &ev[0]);
	}

	while (!done) {
		int n = epoll_wait(ep, ev, 8, POLL_MS);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == pidfd) {
				siginfo_t si = {0};

				if (waitid(P_PIDFD, pidfd, &si, WEXITED) == 0) {
					status = si.si_code == CLD_EXITED ? si.si_status
									  : 128 + si.si_status;
					done = true;
				}
			} else if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP && r->policy_path)
					reload(r);
				else
					syscall(SYS_pidfd_send_signal, pidfd, si.ssi_signo, NULL,
						0);
			} else if (fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) > 0 && !expired) {
					expired = true;
					fprintf(stderr, "%s TTL expired: killing the sandbox\n",
						r->who);
					wd_cgroup_destroy(&r->cg, 0);
					wd_run_lifecycle(
						r, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_EXPIRED,
						"time to live passed: every process killed");
				}
			}
		}
		/* Every round, woken or not: allowed events arrive without a wake-up. The clock
		 * offset for the events' wall-clock times is read here, not per event. */
		r->ev.ctx.boot_to_wall_ns = wd_sb_node_clock(&r->node);
		wd_enforcer_drain(&r->enf);
		wd_run_landlock_events(r, false);
		wd_run_check_lost(r);
		wd_pipeline_kick(r->pipe);
		fflush(r->events);
	}
	close(ep);
	return status;
}
