// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 4's decider and watchdog (see fanotify.h). The decider thread reads the group's events,
 * finds the caller's cgroup (/proc/PID/cgroup while the caller waits for our answer; the pidfd
 * says it is still the same process), and answers ALLOW at once for any process that is not in
 * a sandbox; for a sandbox's process, the compiled policy decides: (device, inode) of exact
 * denies first, then fileless exec, then the path (the event fd's, as the caller's namespace
 * names it) folded as the kernel folds it (wd_compiled_decide). It never opens a file through a
 * marked mount: only /proc (unmarked) and the event's own fd, which raises no event.
 *
 * The watchdog thread wakes every 100 ms. Pending events older than the timeout get an answer
 * from it: ALLOW for the node's processes, DENY for a sandbox's or one not classified yet (only
 * the sandboxes' own mount namespaces are marked, so that is fail closed for them and never
 * touches the node's processes). While the decider sits on one batch longer than the timeout,
 * the watchdog reads and answers new events itself the same way. An answer is written once:
 * both threads answer under pmu and the fd is closed only by the thread that read it, so its
 * number cannot be reused for another event meanwhile. When the daemon dies, the kernel
 * answers every pending event ALLOW (fanotify_release) and the marks go with the group: rung 4
 * fails open on the daemon's death, which the report says. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "daemon/fanotify_internal.h"
#include "hooks/hooks.h"
#include "lib/clock.h"
#include "lib/mountinfo.h"
#include "sandbox/rung4.h"

#ifndef FAN_EVENT_INFO_TYPE_PIDFD
#define FAN_EVENT_INFO_TYPE_PIDFD 4
struct fanotify_event_info_pidfd {
	struct fanotify_event_info_header hdr;
	__s32 pidfd;
};
#endif

struct fan_sb *fan_sb_find(struct wd_fan *f, uint64_t cgid)
{
	for (size_t i = 0; i < f->n_sb; i++)
		if (f->sb[i].cgid == cgid)
			return &f->sb[i];
	return NULL;
}

/* ---- The table the main thread keeps ----------------------------------------------------- */

int fan_sandbox_set(struct wd_fan *f, uint64_t cgid, const struct wd_compiled *c, bool audit)
{
	struct fan_sb *s;
	int err = 0;

	pthread_mutex_lock(&f->mu);
	s = fan_sb_find(f, cgid);
	if (!s && f->n_sb < FAN_SB_MAX) {
		s = &f->sb[f->n_sb++];
		memset(s, 0, sizeof(*s));
		s->cgid = cgid;
	}
	if (s) {
		if (s->c != c) {
			s->n_inode = 0;
			s->inodes_stale = true;
		}
		s->c = c;
		s->audit = audit;
	} else {
		err = -ENOSPC;
	}
	pthread_mutex_unlock(&f->mu);
	return err;
}

void fan_sandbox_del(struct wd_fan *f, uint64_t cgid)
{
	struct fan_sb *s;

	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	s = fan_sb_find(f, cgid);
	if (s)
		*s = f->sb[--f->n_sb];
	pthread_mutex_unlock(&f->mu);
}

/* ---- Classifying the caller --------------------------------------------------------------- */

/* The sandbox the process @pid belongs to (its cgroup or an ancestor is a sandbox's): its
 * cgroup id, 0 for none. mu is taken for at most @lock_ms (-1: as long as it takes); -1 when it
 * could not be (the watchdog, while the decider holds it). */
static int64_t classify(struct wd_fan *f, pid_t pid, int lock_ms)
{
	char rel[PATH_MAX], path[PATH_MAX * 2];
	uint64_t ids[64];
	size_t n = 0;
	int64_t found = 0;
	struct stat st;

	if (wd_rung4_pid_cgroup(pid, rel, sizeof(rel)))
		return 0; /* gone: nothing to protect */
	for (;;) {
		snprintf(path, sizeof(path), "%s%s", f->cgmnt, strcmp(rel, "/") ? rel : "");
		if (n < 64 && stat(path, &st) == 0)
			ids[n++] = st.st_ino;
		char *slash = strrchr(rel, '/');

		if (!slash || slash == rel)
			break;
		*slash = '\0';
	}
	if (lock_ms < 0) {
		pthread_mutex_lock(&f->mu);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)lock_ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		if (pthread_mutex_timedlock(&f->mu, &ts))
			return -1;
	}
	for (size_t i = 0; i < n && !found; i++)
		if (fan_sb_find(f, ids[i]))
			found = (int64_t)ids[i];
	pthread_mutex_unlock(&f->mu);
	return found;
}

/* ---- Answers and events ------------------------------------------------------------------- */

static void respond(struct wd_fan *f, int fd, uint32_t resp)
{
	struct fanotify_response r = {.fd = fd, .response = resp};

	/* ENOENT: the kernel had answered it already (the caller was killed). */
	if (write(f->fd, &r, sizeof(r)) < 0 && errno != ENOENT)
		fprintf(stderr, "warden daemon: fanotify: cannot answer an event: %s\n",
			strerror(errno));
}

static void read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* A denial of @op on the file @fd by @pid, for the sandbox of @cgid. */
static void make_event(struct wd_event *e, int fd, pid_t pid, uint64_t cgid, __u8 op,
		       __u32 policy_id, __u32 rule_id, __u8 decision)
{
	char path[64], status[2048], *p;

	memset(e, 0, sizeof(*e));
	e->hdr.version = WD_ABI_VERSION;
	e->hdr.type = op == WD_OP_EXEC ? WD_EV_EXEC : WD_EV_FILE;
	e->hdr.size = sizeof(*e);
	e->hdr.ktime_ns = wd_clock_ns(CLOCK_BOOTTIME);
	e->cgroup_id = cgid;
	e->policy_id = policy_id;
	e->rule_id = rule_id;
	e->pid = e->tid = (__u32)pid;
	e->decision = decision;
	e->op = op;
	e->hook = WD_HOOK_FANOTIFY;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (readlink(path, e->path, sizeof(e->path) - 1) < 0)
		e->path[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (readlink(path, e->exe, sizeof(e->exe) - 1) < 0)
		e->exe[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	read_small(path, e->comm, sizeof(e->comm));
	e->comm[strcspn(e->comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	read_small(path, status, sizeof(status));
	if ((p = strstr(status, "\nPPid:")))
		e->ppid = (__u32)strtoul(p + 6, NULL, 10);
	if ((p = strstr(status, "\nUid:")))
		e->uid = (__u32)strtoul(p + 5, NULL, 10);
}

static void queue(struct wd_fan *f, const struct wd_event *e, bool watchdog, uint64_t stalled_ms)
{
	uint64_t one = 1;

	pthread_mutex_lock(&f->mu);
	if (f->qn < FAN_Q_MAX)
		f->q[f->qn++] =
			(struct fan_ev){.e = *e, .watchdog = watchdog, .stalled_ms = stalled_ms};
	else
		f->q_dropped++;
	pthread_mutex_unlock(&f->mu);
	(void)!write(f->wake, &one, sizeof(one)); /* EAGAIN: readable already */
}

size_t fan_take(struct wd_fan *f, struct fan_ev *out, size_t max, uint64_t *dropped)
{
	uint64_t v;
	size_t n;

	if (read(f->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&f->mu);
	n = f->qn < max ? f->qn : max;
	memcpy(out, f->q, n * sizeof(*out));
	memmove(f->q, f->q + n, (f->qn - n) * sizeof(*out));
	f->qn -= n;
	*dropped = f->q_dropped;
	f->q_dropped = 0;
	if (f->qn) /* more for the next round (a full counter is readable anyway) */
		(void)!write(f->wake, &(uint64_t){1}, sizeof(uint64_t));
	pthread_mutex_unlock(&f->mu);
	return n;
}

int fan_wake_fd(const struct wd_fan *f)
{
	return f->wake;
}

/* ---- Deciding ------------------------------------------------------------------------------ */

/* What @s's policy says about @op on the file @fd: WD_V_ALLOW or WD_V_DENY, the rule in
 * *@rule. Called with mu held: pure, but for fstat and readlink on our own fd. */
static __u8 decide(const struct fan_sb *s, int fd, __u8 op, __u32 *rule)
{
	char link[64], path[PATH_MAX];
	struct stat st;
	ssize_t n;

	*rule = WD_RULE_DEFAULT;
	if (fstat(fd, &st))
		return WD_V_DENY;
	for (size_t i = 0; i < s->n_inode; i++)
		if (s->inode[i].dev == st.st_dev && s->inode[i].ino == st.st_ino &&
		    s->inode[i].rule.verdict[op] == WD_V_DENY) {
			*rule = s->inode[i].rule.rule_id[op];
			return WD_V_DENY;
		}
	if (op == WD_OP_EXEC && st.st_nlink == 0 && !(s->c->cfg.flags & WD_POL_ALLOW_FILELESS))
		return WD_V_DENY;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0 || path[0] != '/')
		return WD_V_DENY; /* no name in a tree we know: nothing allows it */
	path[n] = '\0';
	if (n > 10 && !strcmp(path + n - 10, " (deleted)"))
		path[n - 10] = '\0';
	return wd_compiled_decide(s->c, path, S_ISDIR(st.st_mode), op, rule);
}

static struct fan_pend *pend_of(struct wd_fan *f, int fd)
{
	for (size_t i = 0; i < FAN_PEND_MAX; i++)
		if (f->pend[i].used && f->pend[i].fd == fd)
			return &f->pend[i];
	return NULL;
}

/* Answers the decider's event @fd once, then forgets and closes it. Returns false when the
 * watchdog had answered it (and reported it). */
static bool finish(struct wd_fan *f, int fd, uint32_t resp)
{
	struct fan_pend *p;
	bool ours;

	pthread_mutex_lock(&f->pmu);
	p = pend_of(f, fd);
	ours = !p || !p->answered;
	if (ours)
		respond(f, fd, resp);
	if (p)
		p->used = false;
	pthread_mutex_unlock(&f->pmu);
	close(fd);
	return ours;
}

static void set_class(struct wd_fan *f, int fd, int cls, uint64_t cgid)
{
	struct fan_pend *p;

	pthread_mutex_lock(&f->pmu);
	if ((p = pend_of(f, fd))) {
		p->cls = cls;
		p->cgid = cgid;
	}
	pthread_mutex_unlock(&f->pmu);
}

static void handle(struct wd_fan *f, const struct fanotify_event_metadata *m, int pidfd)
{
	__u8 op = m->mask & FAN_OPEN_EXEC_PERM ? WD_OP_EXEC : WD_OP_READ;
	__u32 rule = WD_RULE_DEFAULT, policy_id = 0;
	__u8 v = WD_V_ALLOW;
	bool audit = false;
	int64_t cgid = classify(f, m->pid, -1);
	struct wd_event e;

	/* The answer is for the caller we classified only if it is still the same process. */
	if (cgid && pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0))
		cgid = 0; /* it died: nothing to decide for */
	set_class(f, m->fd, cgid ? 2 : 1, (uint64_t)cgid);
	if (!cgid) {
		finish(f, m->fd, FAN_ALLOW);
		return;
	}
	if (f->stall_ms) /* tests: a decider that stalls (WARDEN_TEST_FANOTIFY_STALL_MS) */
		usleep((useconds_t)f->stall_ms * 1000);
	pthread_mutex_lock(&f->mu);
	const struct fan_sb *s = fan_sb_find(f, (uint64_t)cgid);

	if (s) {
		v = decide(s, m->fd, op, &rule);
		policy_id = s->c->policy_id;
		audit = s->audit;
	}
	pthread_mutex_unlock(&f->mu);
	if (v != WD_V_DENY) {
		finish(f, m->fd, FAN_ALLOW);
		return;
	}
	make_event(&e, m->fd, m->pid, (uint64_t)cgid, op, policy_id, rule,
		   audit ? WD_DEC_AUDIT_DENY : WD_DEC_DENY);
	if (finish(f, m->fd, audit ? FAN_ALLOW : FAN_DENY))
		queue(f, &e, false, 0);
}

static int event_pidfd(const struct fanotify_event_metadata *m)
{
	const char *p = (const char *)m + m->metadata_len, *end = (const char *)m + m->event_len;

	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;

		if (h->len < sizeof(*h) || p + h->len > end)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_PIDFD)
			return ((const struct fanotify_event_info_pidfd *)h)->pidfd;
		p += h->len;
	}
	return -1;
}

static void *decider(void *arg)
{
	struct wd_fan *f = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));

	for (;;) {
		struct pollfd p[2] = {{.fd = f->fd, .events = POLLIN},
				      {.fd = f->stop, .events = POLLIN}};
		const struct fanotify_event_metadata *m;
		ssize_t n, left; /* FAN_EVENT_NEXT counts @left down */

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		atomic_store(&f->busy_since, wd_clock_ns(CLOCK_MONOTONIC));
		n = read(f->fd, buf, sizeof(buf));
		if (n <= 0) {
			atomic_store(&f->busy_since, 0);
			continue;
		}
		/* Every event of the batch pending first: the watchdog sees them all. */
		pthread_mutex_lock(&f->pmu);
		left = n;
		for (m = (const void *)buf; FAN_EVENT_OK(m, left); m = FAN_EVENT_NEXT(m, left)) {
			for (size_t i = 0; m->fd >= 0 && i < FAN_PEND_MAX; i++)
				if (!f->pend[i].used) {
					f->pend[i] = (struct fan_pend){
						.used = true,
						.fd = m->fd,
						.pid = m->pid,
						.t0 = wd_clock_ns(CLOCK_MONOTONIC),
						.op = m->mask & FAN_OPEN_EXEC_PERM ? WD_OP_EXEC
										   : WD_OP_READ};
					break;
				}
		}
		pthread_mutex_unlock(&f->pmu);
		left = n;
		for (m = (const void *)buf; FAN_EVENT_OK(m, left); m = FAN_EVENT_NEXT(m, left)) {
			int pidfd = event_pidfd(m);

			if (m->fd >= 0)
				handle(f, m, pidfd);
			if (pidfd >= 0)
				close(pidfd);
		}
		atomic_store(&f->busy_since, 0);
	}
	return NULL;
}

/* ---- The watchdog -------------------------------------------------------------------------- */

/* Pending events past the timeout: ALLOW for the node's processes, DENY for the rest. */
static void expire(struct wd_fan *f, uint64_t now)
{
	struct wd_event e;

	pthread_mutex_lock(&f->pmu);
	for (size_t i = 0; i < FAN_PEND_MAX; i++) {
		struct fan_pend *p = &f->pend[i];

		if (!p->used || p->answered || now - p->t0 < f->timeout_ns)
			continue;
		p->answered = true;
		respond(f, p->fd, p->cls == 1 ? FAN_ALLOW : FAN_DENY);
		if (p->cls == 1)
			continue;
		make_event(&e, p->fd, p->pid, p->cgid, p->op, 0, WD_RULE_DEFAULT, WD_DEC_DENY);
		queue(f, &e, true, (now - p->t0) / 1000000);
	}
	pthread_mutex_unlock(&f->pmu);
}

/* The decider is stuck on a batch: new events are read and answered here, by class only. */
static void take_over(struct wd_fan *f, uint64_t stalled_ns)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	const struct fanotify_event_metadata *m;
	ssize_t n = read(f->fd, buf, sizeof(buf));
	struct wd_event e;

	for (m = (const void *)buf; n > 0 && FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
		int pidfd = event_pidfd(m);
		int64_t cgid;

		if (pidfd >= 0)
			close(pidfd);
		if (m->fd < 0)
			continue;
		cgid = classify(f, m->pid, 50);
		pthread_mutex_lock(&f->pmu);
		respond(f, m->fd, cgid == 0 ? FAN_ALLOW : FAN_DENY);
		pthread_mutex_unlock(&f->pmu);
		if (cgid) {
			make_event(&e, m->fd, m->pid, cgid > 0 ? (uint64_t)cgid : 0,
				   m->mask & FAN_OPEN_EXEC_PERM ? WD_OP_EXEC : WD_OP_READ, 0,
				   WD_RULE_DEFAULT, WD_DEC_DENY);
			queue(f, &e, true, stalled_ns / 1000000);
		}
		close(m->fd);
	}
}

static void *watchdog(void *arg)
{
	struct wd_fan *f = arg;

	for (;;) {
		struct pollfd p = {.fd = f->stop, .events = POLLIN};
		uint64_t now, busy;

		if (poll(&p, 1, 100) > 0)
			break;
		now = wd_clock_ns(CLOCK_MONOTONIC);
		expire(f, now);
		busy = atomic_load(&f->busy_since);
		if (busy && now > busy && now - busy > f->timeout_ns)
			take_over(f, now - busy);
	}
	return NULL;
}

/* ---- Start and stop ------------------------------------------------------------------------ */

int fan_open(struct wd_fan **out, bool pidfd, unsigned timeout_ms, char *err, size_t len)
{
	char root[PATH_MAX];
	struct wd_fan *f = calloc(1, sizeof(*f));
	const char *stall = getenv("WARDEN_TEST_FANOTIFY_STALL_MS");
	sigset_t all, old;
	struct stat st;
	int e;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->wake = f->stop = -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_mutex_init(&f->pmu, NULL);
	f->timeout_ns = (uint64_t)timeout_ms * 1000000ull;
	f->stall_ms = stall ? strtoull(stall, NULL, 10) : 0;
	f->pidfd = pidfd;
	f->fd = wd_rung4_fanotify_init(pidfd);
	if (f->fd < 0) {
		e = -errno;
		snprintf(err, len, "fanotify_init: %s", strerror(errno));
		goto fail;
	}
	if (wd_mount_find_self_root("cgroup2", f->cgmnt, sizeof(f->cgmnt), root, sizeof(root))) {
		e = -ENOENT;
		snprintf(err, len, "no cgroup2 mount");
		goto fail;
	}
	if (stat("/proc/self/ns/mnt", &st) == 0)
		f->node_ns[0] = f->node_ns[1] = st.st_ino;
	/* pid 1's may be out of reach (warden in a container): then every namespace marked must
	 * still be the sandbox's alone (fanotify_mark.c: exclusive()). */
	if (stat("/proc/1/ns/mnt", &st) == 0)
		f->node_ns[1] = st.st_ino;
	if (!f->node_ns[0]) {
		e = -ENOENT;
		snprintf(err, len, "cannot tell the node's mount namespace");
		goto fail;
	}
	f->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->wake < 0 || f->stop < 0) {
		e = -errno;
		snprintf(err, len, "eventfd: %s", strerror(errno));
		goto fail;
	}
	/* The threads take no signals: the daemon's loop reads them from its signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if ((e = -pthread_create(&f->decider, NULL, decider, f)) == 0) {
		f->started[0] = true;
		if ((e = -pthread_create(&f->watchdog, NULL, watchdog, f)) == 0)
			f->started[1] = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		snprintf(err, len, "%s thread: %s", f->started[0] ? "watchdog" : "decider",
			 strerror(-e));
		goto fail;
	}
	*out = f;
	return 0;
fail:
	fan_close(f);
	return e;
}

void fan_close(struct wd_fan *f)
{
	if (!f)
		return;
	if (f->stop >= 0) /* a full counter wakes them too */
		(void)!write(f->stop, &(uint64_t){1}, sizeof(uint64_t));
	if (f->started[0])
		pthread_join(f->decider, NULL);
	if (f->started[1])
		pthread_join(f->watchdog, NULL);
	if (f->fd >= 0)
		close(f->fd); /* what is pending is answered ALLOW by the kernel; the marks go */
	if (f->wake >= 0)
		close(f->wake);
	if (f->stop >= 0)
		close(f->stop);
	pthread_mutex_destroy(&f->mu);
	pthread_mutex_destroy(&f->pmu);
	free(f);
}
