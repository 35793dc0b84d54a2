// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's one epoll loop (control socket, ring buffer, commands, signals, metrics,
 * inotify) and the timer it runs every TICK_MS: TTLs, cgroups that went away or emptied,
 * adoption by the periodic scan, the kernel hold's failures, the event rate, idle clients. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/internal.h"
#include "lib/clock.h"

/* systemd's readiness protocol: one datagram to $NOTIFY_SOCKET. */
void sd_notify_(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		logf_("cannot notify systemd: %s", strerror(errno));
	close(fd);
}

/* CLOCK_REALTIME minus CLOCK_BOOTTIME, for the events' wall-clock times: read once a tick
 * (so a stepped clock is followed) instead of twice per event. */
void refresh_clock(struct daemon *d)
{
	int64_t off = wd_sb_node_clock(&d->node);

	for (size_t i = 0; i < d->n_sb; i++)
		d->sb[i]->ev.ctx.boot_to_wall_ns = off;
}

/* Rung 2: the kernel skips a trampoline program that is already running on the same CPU (from
 * an interrupt, or preempted where the kernel is preemptible), and the call it would have
 * decided goes through: fail open. Counted by the kernel per program; said in the log as soon
 * as it grows, and in `warden status`. */
static void recursion_misses(struct daemon *d)
{
	uint64_t sum;
	int n;

	if (!d->enf.lsm || !strstr(d->enf.lsm_mechanism, "fmod_ret") ||
	    wd_enforcer_recursion_misses(&d->enf, &sum, &n) || sum <= d->rmiss_seen)
		return;
	logf_("WARNING: %" PRIu64 " calls were not decided by warden's fmod_ret programs: the "
	      "kernel skipped them because one was already running on that CPU, and let the calls "
	      "through (rung 2 fails open there; BPF LSM does not)",
	      sum - d->rmiss_seen);
	d->rmiss_seen = sum;
}

void on_tick(struct daemon *d)
{
	uint64_t now = wd_clock_ns(CLOCK_REALTIME), mono = wd_clock_ns(CLOCK_MONOTONIC);

	refresh_clock(d);

	for (size_t i = 0; i < d->n_sb;) {
		struct dsb *s = d->sb[i];
		size_t before = d->n_sb;

		if (s->expires_at && s->expires_at <= now)
			sb_end(d, s, WD_SB_EXPIRED, "time to live passed: every process killed");
		else if (s->origin != WD_SB_RUN && access(s->cg.path, F_OK))
			sb_end(d, s, WD_SB_ENDED, "its cgroup was removed");
		else if (s->has_cmd && s->pidfd < 0 && !wd_cgroup_populated(&s->cg))
			/* Taken over after a restart: the command is no child of ours. */
			sb_end(d, s, WD_SB_ENDED,
			       "its command ended (while or after the daemon "
			       "restarted)");
		if (d->n_sb == before)
			i++;
	}
	auto_adopt(d, "found by the periodic scan");
	rung4_tick(d);
	if (d->hold_on) {
		uint64_t f = wd_enforcer_hold_failures(&d->enf);

		if (f != d->hold_fail_seen)
			logf_("WARNING: %" PRIu64
			      " new cgroups matching adoption rules could not be "
			      "held by the kernel (its sandbox map is full): unconfined until "
			      "adopted",
			      f - d->hold_fail_seen);
		d->hold_fail_seen = f;
	}
	if (mono - d->ev_last_t >= NS) {
		d->ev_rate = (double)(d->events_total - d->ev_last) * 1e9 /
			     (double)(mono - d->ev_last_t);
		d->ev_last = d->events_total;
		d->ev_last_t = mono;
		recursion_misses(d);
	}
	for (size_t i = 0; i < WD_CTL_MAX_CONNS; i++) {
		char err[WD_CTL_ERR_MAX];

		if (d->conns[i] && !d->conns[i]->busy &&
		    wd_ctl_conn_expire(d->conns[i]->c, mono, err, sizeof(err)))
			conn_close(d, d->conns[i]);
	}
}

/* What an epoll event is for, found by comparing its pointer with the live tags, never by
 * reading through it: a sandbox or connection freed earlier in the same batch (a revoke while
 * its command exits) leaves a stale pointer behind, which is skipped. */
static enum ep_kind classify(struct daemon *d, const struct ep_tag *t, void **obj)
{
	if (t == &d->ctl_tag || t == &d->sig_tag || t == &d->met_tag || t == &d->rb_tag ||
	    t == &d->ino_tag || t == &d->fan_tag)
		return t->kind;
	for (size_t i = 0; i < WD_CTL_MAX_CONNS; i++)
		if (d->conns[i] && t == &d->conns[i]->tag)
			return *obj = d->conns[i], EP_CONN;
	for (size_t i = 0; i < d->n_sb; i++)
		if (t == &d->sb[i]->pid_tag)
			return *obj = d->sb[i], EP_PIDFD;
	return 0;
}

int run_loop(struct daemon *d)
{
	struct epoll_event ev[32];
	uint64_t next_tick = 0;

	while (!d->stop) {
		int n = epoll_wait(d->ep, ev, 32, TICK_MS);
		uint64_t now;

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			void *obj = NULL;

			switch (classify(d, ev[i].data.ptr, &obj)) {
			case EP_CTL:
				on_accept(d);
				break;
			case EP_CONN:
				on_conn(d, obj, ev[i].events);
				break;
			case EP_SIG: {
				struct signalfd_siginfo si;

				while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reload(d);
					else
						d->stop = true;
				}
				break;
			}
			case EP_INO:
				on_inotify(d);
				break;
			case EP_MET: {
				char err[WD_METRICS_ERR_MAX];

				if (wd_metrics_handle(d->met, err, sizeof(err)) < 0)
					logf_("metrics: %s", err);
				break;
			}
			case EP_PIDFD:
				on_command_exit(d, obj);
				break;
			case EP_FAN:
				on_fan(d);
				break;
			case EP_RB: /* drained below, every round */
			default:    /* stale: its object went earlier in this batch */
				break;
			}
		}
		drain(d);
		now = wd_clock_ns(CLOCK_MONOTONIC);
		if (now >= next_tick) {
			next_tick = now + TICK_MS * 1000000ull;
			on_tick(d);
		}
	}
	return 0;
}
