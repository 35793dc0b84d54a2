// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 4 in the daemon's life: the trial and the decider at start, a sandbox made or adopted
 * without a command put under it (or refused, or degraded, when a process of it runs in the
 * node's mount namespace, whose mounts are never marked), new mount namespaces and mounts
 * marked on the tick, and the decider's denials handed to the event pipeline. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "daemon/internal.h"

#define FAN_TIMEOUT_MS 2000

void rung4_open(struct daemon *d)
{
	char err[256];

	wd_rung4_probe(&d->r4);
	if (!d->r4.fanotify) {
		logf_("rung 4 unavailable for adopted sandboxes: %s", d->r4.detail);
		return;
	}
	if (fan_open(&d->fan, d->r4.pidfd, FAN_TIMEOUT_MS, err, sizeof(err))) {
		d->r4.fanotify = false;
		snprintf(d->r4.detail, sizeof(d->r4.detail), "the decider did not start: %s", err);
		logf_("rung 4 unavailable for adopted sandboxes: %s", d->r4.detail);
		return;
	}
	logf_("rung 4 for sandboxes made or adopted without a command: fanotify permission "
	      "events on their own mount namespaces' mounts (%s); a decision the decider has not "
	      "made within %d ms is DENY for sandbox processes; if the daemon dies, pending "
	      "events are allowed (fail open)",
	      d->r4.detail, FAN_TIMEOUT_MS);
}

void rung4_watch(struct daemon *d)
{
	if (!d->fan)
		return;
	d->fan_tag = (struct ep_tag){EP_FAN};
	epoll_ctl(d->ep, EPOLL_CTL_ADD, fan_wake_fd(d->fan),
		  &(struct epoll_event){.events = EPOLLIN, .data.ptr = &d->fan_tag});
}

void rung4_close(struct daemon *d)
{
	fan_close(d->fan);
	d->fan = NULL;
}

int rung4_attach(struct daemon *d, struct dsb *s, bool degraded, Warden__V1__Error__Code *code,
		 char *why, size_t why_size)
{
	char mwhy[512];
	pid_t node_pid = 0;
	int n;

	if (!d->fan || !s->pol)
		return 0;
	/* Confinement is the container runtime's on rung 4: a root in the sandbox that may write
	 * cgroup.procs leaves it, and its opens are then allowed. So rung 4 never stands for full
	 * enforcement: it adds exec and file checks to a sandbox that asked for degraded. */
	if (!degraded) {
		*code = WARDEN__V1__ERROR__CODE__KERNEL_UNSUPPORTED;
		snprintf(why, why_size,
			 "this kernel cannot enforce exec and file rules for this sandbox: BPF LSM "
			 "is not seen enforcing (%s); rung 4 (fanotify) checks exec and file opens "
			 "but not confinement (a root that may write cgroup.procs leaves the "
			 "sandbox); ask for degraded to run with rung 4's checks and the network "
			 "rules",
			 d->enf.lsm_error);
		return -EOPNOTSUPP;
	}
	if (fan_sandbox_set(d->fan, s->cg.id, s->pol, s->audit)) {
		*code = WARDEN__V1__ERROR__CODE__RESOURCE_EXHAUSTED;
		snprintf(why, why_size, "rung 4's decider knows too many sandboxes");
		return degraded ? 0 : -ENOSPC;
	}
	n = fan_mark_cgroup(d->fan, s->cg.id, s->cg.path, &node_pid, mwhy, sizeof(mwhy));
	if (n >= 0 && !node_pid) {
		s->rung4 = true;
		s->degraded = false;
		logf_("sandbox %s: rung 4: %d mounts of its mount namespaces marked%s%s", s->id, n,
		      mwhy[0] ? "; not marked: " : "", mwhy);
		return 0;
	}
	fan_sandbox_del(d->fan, s->cg.id);
	if (n < 0)
		snprintf(mwhy, sizeof(mwhy), "cannot read its processes: %s", strerror(-n));
	else
		snprintf(mwhy + strlen(mwhy), sizeof(mwhy) - strlen(mwhy),
			 "%sits process %d runs in the node's mount namespace or one shared with "
			 "processes outside it, whose mounts rung 4 never marks (a stalled daemon "
			 "would hold up the node's own processes)",
			 mwhy[0] ? "; " : "", (int)node_pid);
	if (!degraded) {
		*code = WARDEN__V1__ERROR__CODE__KERNEL_UNSUPPORTED;
		snprintf(why, why_size,
			 "this kernel cannot enforce exec and file rules for this sandbox: BPF LSM "
			 "is not seen enforcing (%s), and rung 4 (fanotify) cannot either: %s; ask "
			 "for degraded to enforce only the network rules",
			 d->enf.lsm_error, mwhy);
		return -EOPNOTSUPP;
	}
	logf_("sandbox %s: DEGRADED: rung 4 refused (%s); network rules only", s->id, mwhy);
	return 0;
}

void rung4_detach(struct daemon *d, struct dsb *s)
{
	if (s->rung4)
		fan_sandbox_del(d->fan, s->cg.id);
}

/* New mount namespaces and mounts of rung-4 sandboxes: marked (the gap until then is in the
 * report). A process that entered from the node's mount namespace is not decided: said once. */
void rung4_tick(struct daemon *d)
{
	for (size_t i = 0; d->fan && i < d->n_sb; i++) {
		struct dsb *s = d->sb[i];
		char mwhy[512], detail[640];
		pid_t node_pid;

		if (!s->rung4)
			continue;
		int n = fan_mark_cgroup(d->fan, s->cg.id, s->cg.path, &node_pid, mwhy,
					sizeof(mwhy));

		if (n > 0)
			logf_("sandbox %s: rung 4: %d new mounts marked%s%s", s->id, n,
			      mwhy[0] ? "; not marked: " : "", mwhy);
		if (node_pid && node_pid != s->r4_node_pid) {
			snprintf(
				detail, sizeof(detail),
				"DEGRADED: process %d entered the sandbox from the node's mount "
				"namespace: its exec and file opens are NOT ENFORCED (rung 4 never "
				"marks the node's mounts)",
				(int)node_pid);
			logf_("sandbox %s: WARNING: %s", s->id, detail);
		}
		s->r4_node_pid = node_pid;
	}
}

void on_fan(struct daemon *d)
{
	struct fan_ev ev[64];
	uint64_t dropped = 0;
	size_t n;

	while ((n = fan_take(d->fan, ev, 64, &dropped)) > 0 || dropped) {
		if (dropped) {
			d->events_lost += dropped;
			logf_("fanotify: %" PRIu64 " denial events lost (queue full)", dropped);
			dropped = 0;
		}
		for (size_t i = 0; i < n; i++) {
			if (ev[i].watchdog)
				logf_("fanotify: DEGRADED: the decider stalled %" PRIu64
				      " ms: the watchdog answered DENY for process %u (%s)",
				      ev[i].stalled_ms, ev[i].e.pid, ev[i].e.path);
			on_event(d, &ev[i].e);
		}
		if (n < 64)
			break;
	}
	wd_pipeline_kick(d->pipe);
}
