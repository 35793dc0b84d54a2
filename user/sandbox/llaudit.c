// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Landlock's audit records as warden's denial events (see llaudit.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/netlink.h>

#include "hooks/hooks.h"
#include "lib/cleanup.h"
#include "policy/compile.h"
#include "sandbox/llaudit.h"

#define PEND_MAX    32	      /* audit events being put together at once */
#define ACC_MAX	    4	      /* Landlock records in one audit event (a rename has two) */
#define DOMAINS_MAX 4	      /* the sandbox's domain, logged more than once in a race */
#define RCVBUF	    (8 << 20) /* the multicast group carries every audit record of the node */
#define MSG_MAX	    9216      /* MAX_AUDIT_MESSAGE_LENGTH (8970) and the header */

/* One AUDIT_LANDLOCK_ACCESS record. */
struct acc {
	uint64_t domain;
	char blockers[160];
	char path[WD_PATH_MAX];
};

/* The records of one audit event (one serial), until its end. */
struct pend {
	bool used, have_sys;
	uint64_t serial, wall_ms, seen_ms;
	int n_acc;
	struct acc acc[ACC_MAX];
	uint32_t pid, ppid, uid;
	char comm[WD_COMM_LEN];
	char exe[WD_PATH_MAX];
};

struct wd_llaudit {
	int fd;
	pid_t expect;
	uint64_t domain[DOMAINS_MAX]; /* the sandbox's */
	int n_domain;
	bool released;	  /* the kernel said the domain is gone */
	uint64_t denials; /* what it counted for it then */
	uint64_t seen;	  /* its access records seen */
	uint64_t reported, overruns;
	struct pend pend[PEND_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- Parsing the kernel's records ------------------------------------------------------------ */

int wd_audit_stamp(const char *msg, size_t len, uint64_t *wall_ms, uint64_t *serial)
{
	unsigned long long sec, ms, ser;
	char buf[64];
	int n = 0;

	snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1),
		 msg);
	if (sscanf(buf, "audit(%llu.%3llu:%llu):%n", &sec, &ms, &ser, &n) != 3 || !n)
		return -EINVAL;
	*wall_ms = sec * 1000 + ms;
	*serial = ser;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The value @v (@n bytes, as the kernel wrote it) decoded into @out. */
static int decode(const char *v, size_t n, char *out, size_t size)
{
	size_t o = 0;
	bool hex = n && n % 2 == 0 && v[0] != '"';
	int ret = 0;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	} else {
		/* Hex when every byte is a hex digit; "1ca09e8cf" (odd) or "fs.read_file" are
		 * plain. A plain even-length number ("10") reads as hex only where a caller
		 * asks for a string the kernel writes with audit_log_untrustedstring(). */
		for (size_t i = 0; hex && i < n; i++)
			hex = hexval(v[i]) >= 0 && !(v[i] >= 'a' && v[i] <= 'f');
	}
	for (size_t i = 0; i < n; i += hex ? 2 : 1) {
		char c = hex ? (char)(hexval(v[i]) << 4 | hexval(v[i + 1])) : v[i];

		if (hex && !c)
			break;
		if (o + 1 >= size) {
			ret = -ENOSPC;
			break;
		}
		out[o++] = c;
	}
	if (size)
		out[o] = '\0';
	return ret ? ret : (int)o;
}

/* @raw: no hex decoding (numbers, blockers). */
static int field(const char *msg, size_t len, const char *key, char *out, size_t size, bool raw)
{
	const size_t klen = strlen(key);
	size_t i = 0;

	/* The stamp "audit(...): " first; then "key=value" tokens, one space apart. A quoted
	 * value holds no space (the kernel hex-encodes those), so spaces split exactly. */
	while (i < len && msg[i] != ' ')
		i++;
	while (i < len) {
		size_t start, end;

		while (i < len && msg[i] == ' ')
			i++;
		start = i;
		while (i < len && msg[i] != ' ' && msg[i] != '\0')
			i++;
		end = i;
		if (end - start > klen && msg[start + klen] == '=' &&
		    memcmp(msg + start, key, klen) == 0) {
			const char *v = msg + start + klen + 1;
			size_t n = end - start - klen - 1;

			if (raw) {
				if (n >= size)
					return -ENOSPC;
				memcpy(out, v, n);
				out[n] = '\0';
				return (int)n;
			}
			return decode(v, n, out, size);
		}
		if (i < len && msg[i] == '\0')
			break;
	}
	if (size)
		out[0] = '\0';
	return -ENOENT;
}

int wd_audit_field(const char *msg, size_t len, const char *key, char *out, size_t size)
{
	return field(msg, len, key, out, size, false);
}

static bool num(const char *msg, size_t len, const char *key, int base, uint64_t *out)
{
	char buf[32], *end;

	if (field(msg, len, key, buf, sizeof(buf), true) <= 0)
		return false;
	errno = 0;
	*out = strtoull(buf, &end, base);
	return !errno && !*end;
}

int wd_llaudit_blockers(const char *blockers, uint8_t *op, uint8_t *change)
{
	static const struct {
		const char *name;
		uint8_t op, change;
	} fs[] = {
		{"fs.read_file", WD_OP_READ, WD_CH_OPEN},
		{"fs.read_dir", WD_OP_READ, WD_CH_OPEN},
		{"fs.write_file", WD_OP_WRITE, WD_CH_OPEN},
		{"fs.truncate", WD_OP_WRITE, WD_CH_TRUNCATE},
		{"fs.remove_file", WD_OP_WRITE, WD_CH_UNLINK},
		{"fs.remove_dir", WD_OP_WRITE, WD_CH_RMDIR},
		{"fs.make_dir", WD_OP_WRITE, WD_CH_MKDIR},
		{"fs.make_sym", WD_OP_WRITE, WD_CH_SYMLINK},
		{"fs.make_reg", WD_OP_WRITE, WD_CH_MKNOD},
		{"fs.make_char", WD_OP_WRITE, WD_CH_MKNOD},
		{"fs.make_block", WD_OP_WRITE, WD_CH_MKNOD},
		{"fs.make_fifo", WD_OP_WRITE, WD_CH_MKNOD},
		{"fs.make_sock", WD_OP_WRITE, WD_CH_MKNOD},
		{"fs.refer", WD_OP_WRITE, WD_CH_RENAME_FROM},
		{"fs.ioctl_dev", WD_OP_WRITE, WD_CH_OPEN},
	};
	int type = 0;

	/* An exec is refused for fs.execute (with fs.read_file: execve opens to read too). */
	for (const char *s = blockers; s && *s; s += strcspn(s, ","), s += *s == ',') {
		size_t n = strcspn(s, ",");

		if (n == 10 && strncmp(s, "fs.execute", n) == 0) {
			*op = WD_OP_EXEC;
			*change = WD_CH_OPEN;
			return WD_EV_EXEC;
		}
		for (size_t i = 0; !type && i < sizeof(fs) / sizeof(fs[0]); i++)
			if (strlen(fs[i].name) == n && strncmp(s, fs[i].name, n) == 0) {
				*op = fs[i].op;
				*change = fs[i].change;
				type = WD_EV_FILE;
			}
	}
	return type;
}

/* ---- Putting audit events together --------------------------------------------------------- */

static bool ours(const struct wd_llaudit *a, uint64_t domain)
{
	for (int i = 0; i < a->n_domain; i++)
		if (a->domain[i] == domain)
			return true;
	return false;
}

/* The kernel names a domain and its creator at its first logged denial. The sandbox's is the
 * one warden's child made; a domain the job makes itself later (nested, a larger id) is not
 * warden's decision and stays unreported. */
static void domain_record(struct wd_llaudit *a, const char *msg, size_t len)
{
	uint64_t dom, pid, n;
	char status[32];

	if (!num(msg, len, "domain", 16, &dom) ||
	    field(msg, len, "status", status, sizeof(status), true) <= 0)
		return;
	if (strcmp(status, "allocated") == 0) {
		if (!a->expect || !num(msg, len, "pid", 10, &pid) || pid != (uint64_t)a->expect ||
		    ours(a, dom))
			return;
		if (a->n_domain && dom < a->domain[0]) {
			a->domain[0] = dom; /* made earlier: the sandbox's, the other is nested */
			a->n_domain = 1;
		} else if (!a->n_domain) {
			a->domain[a->n_domain++] = dom;
		}
	} else if (strcmp(status, "deallocated") == 0 && ours(a, dom)) {
		a->released = true;
		if (num(msg, len, "denials", 10, &n))
			a->denials += n;
	}
}

static void make_event(const struct pend *p, const struct acc *ac, const struct wd_llaudit_sink *s,
		       struct wd_event *e)
{
	uint8_t op = 0, change = 0;
	__u32 rule = WD_RULE_DEFAULT;
	int64_t kt;

	memset(e, 0, sizeof(*e));
	e->hdr.version = WD_ABI_VERSION;
	e->hdr.type = (__u16)wd_llaudit_blockers(ac->blockers, &op, &change);
	e->hdr.size = sizeof(*e);
	kt = (int64_t)(p->wall_ms * 1000000) - s->boot_to_wall_ns;
	e->hdr.ktime_ns = kt > 0 ? (__u64)kt : 0;
	e->cgroup_id = s->cgroup_id;
	e->policy_id = s->c ? s->c->policy_id : 0;
	e->pid = e->tid = p->pid;
	e->ppid = p->ppid;
	e->uid = p->uid;
	e->decision = WD_DEC_DENY;
	e->op = op;
	e->proto = change;
	e->hook = WD_HOOK_LANDLOCK;
	snprintf(e->comm, sizeof(e->comm), "%s", p->comm);
	snprintf(e->exe, sizeof(e->exe), "%s", p->exe);
	snprintf(e->path, sizeof(e->path), "%s", ac->path);
	/* The rule that denied it, where a deny rule names the path; else the default. */
	if (s->c && ac->path[0] == '/' &&
	    wd_compiled_decide(s->c, ac->path, strstr(ac->blockers, "_dir") != NULL, op, &rule) ==
		    WD_V_DENY)
		e->rule_id = rule;
}

static int complete(struct wd_llaudit *a, struct pend *p, const struct wd_llaudit_sink *s)
{
	struct wd_event e;
	int n = 0;

	for (int i = 0; i < p->n_acc; i++) {
		uint8_t op, change;

		if (!ours(a, p->acc[i].domain))
			continue;
		a->seen++;
		if (!wd_llaudit_blockers(p->acc[i].blockers, &op, &change))
			continue;
		make_event(p, &p->acc[i], s, &e);
		a->reported++;
		n++;
		if (s && s->fn)
			s->fn(s->arg, &e);
	}
	p->used = false;
	return n;
}

static struct pend *pend_get(struct wd_llaudit *a, uint64_t serial, bool make, uint64_t now,
			     const struct wd_llaudit_sink *s, int *handed)
{
	struct pend *oldest = NULL;

	for (int i = 0; i < PEND_MAX; i++) {
		if (a->pend[i].used && a->pend[i].serial == serial)
			return &a->pend[i];
	}
	if (!make)
		return NULL;
	for (int i = 0; i < PEND_MAX; i++) {
		struct pend *p = &a->pend[i];

		if (!p->used) {
			oldest = p;
			break;
		}
		if (!oldest || p->seen_ms < oldest->seen_ms)
			oldest = p;
	}
	if (oldest->used)
		*handed += complete(a, oldest, s);
	memset(oldest, 0, sizeof(*oldest));
	oldest->used = true;
	oldest->serial = serial;
	oldest->seen_ms = now;
	return oldest;
}

static void syscall_record(struct pend *p, const char *msg, size_t len)
{
	uint64_t v;

	p->have_sys = true;
	if (num(msg, len, "pid", 10, &v))
		p->pid = (uint32_t)v;
	if (num(msg, len, "ppid", 10, &v))
		p->ppid = (uint32_t)v;
	if (num(msg, len, "uid", 10, &v))
		p->uid = (uint32_t)v;
	wd_audit_field(msg, len, "comm", p->comm, sizeof(p->comm));
	wd_audit_field(msg, len, "exe", p->exe, sizeof(p->exe));
}

int wd_llaudit_feed(struct wd_llaudit *a, int type, const char *msg, size_t len, uint64_t now,
		    uint64_t hold_ms, const struct wd_llaudit_sink *s)
{
	uint64_t wall, serial;
	struct pend *p;
	int handed = 0;

	if (type == WD_AUDIT_LANDLOCK_ACCESS || type == WD_AUDIT_LANDLOCK_DOMAIN ||
	    type == WD_AUDIT_SYSCALL || type == WD_AUDIT_EOE) {
		if (wd_audit_stamp(msg, len, &wall, &serial))
			return -EINVAL;
		if (type == WD_AUDIT_LANDLOCK_DOMAIN)
			domain_record(a, msg, len);
		p = pend_get(a, serial, type == WD_AUDIT_LANDLOCK_ACCESS, now, s, &handed);
		if (p && type == WD_AUDIT_LANDLOCK_ACCESS && p->n_acc < ACC_MAX) {
			struct acc *ac = &p->acc[p->n_acc];

			p->wall_ms = wall;
			if (!num(msg, len, "domain", 16, &ac->domain))
				return -EINVAL;
			field(msg, len, "blockers", ac->blockers, sizeof(ac->blockers), true);
			/* A file by path; a name alone where the kernel has only a dentry. */
			if (wd_audit_field(msg, len, "path", ac->path, sizeof(ac->path)) == -ENOENT)
				wd_audit_field(msg, len, "name", ac->path, sizeof(ac->path));
			p->n_acc++;
		} else if (p && type == WD_AUDIT_SYSCALL) {
			syscall_record(p, msg, len);
		} else if (p && type == WD_AUDIT_EOE) {
			handed += complete(a, p, s);
		}
	}
	/* Events whose end does not come (no syscall auditing for the task) after @hold_ms. */
	for (int i = 0; i < PEND_MAX; i++)
		if (a->pend[i].used && now - a->pend[i].seen_ms >= hold_ms)
			handed += complete(a, &a->pend[i], s);
	return handed;
}

/* ---- The socket ------------------------------------------------------------------------------ */

struct wd_llaudit *wd_llaudit_new(void)
{
	struct wd_llaudit *a = calloc(1, sizeof(*a));

	if (a)
		a->fd = -1;
	return a;
}

void wd_llaudit_close(struct wd_llaudit *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}

int wd_llaudit_fd(const struct wd_llaudit *a)
{
	return a ? a->fd : -1;
}

void wd_llaudit_expect(struct wd_llaudit *a, pid_t pid)
{
	if (a)
		a->expect = pid;
}

uint64_t wd_llaudit_reported(const struct wd_llaudit *a)
{
	return a ? a->reported : 0;
}

uint64_t wd_llaudit_overruns(const struct wd_llaudit *a)
{
	return a ? a->overruns : 0;
}

/* AUDIT_GET: whether audit is enabled (1, or 2: locked). Returns it or -errno. */
static int audit_enabled(void)
{
	struct {
		struct nlmsghdr h;
		char data[sizeof(struct audit_status) + 64];
	} req = {.h = {.nlmsg_len = NLMSG_LENGTH(0),
		       .nlmsg_type = AUDIT_GET,
		       .nlmsg_flags = NLM_F_REQUEST}},
	  rep;
	struct sockaddr_nl k = {.nl_family = AF_NETLINK}, from;
	struct timeval tv = {.tv_sec = 1};
	_cleanup_fd_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k)) < 0)
		return -errno;
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, &rep, sizeof(rep), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (from.nl_pid != 0 || !NLMSG_OK(&rep.h, (size_t)n))
			continue;
		if (rep.h.nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(&rep.h);

			if (e->error)
				return e->error;
			continue;
		}
		if (rep.h.nlmsg_type == AUDIT_GET &&
		    rep.h.nlmsg_len >= NLMSG_LENGTH(offsetof(struct audit_status, pid)))
			return (int)((const struct audit_status *)NLMSG_DATA(&rep.h))->enabled;
	}
}

static int open_group(char *err, size_t errlen)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT), sz;

	if (fd < 0) {
		snprintf(err, errlen, "no audit netlink socket: %s", strerror(errno));
		return -errno;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		snprintf(err, errlen, "cannot join the audit multicast group: %s%s", strerror(e),
			 e == EPERM ? " (needs CAP_AUDIT_READ)" : "");
		close(fd);
		return -e;
	}
	sz = RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

int wd_llaudit_available(int ll_abi, char *why, size_t size)
{
	int en, fd;

	if (ll_abi < 7) {
		snprintf(why, size, "Landlock ABI %d has no audit records (7 needed, Linux 6.15)",
			 ll_abi);
		return -EOPNOTSUPP;
	}
	en = audit_enabled();
	if (en < 0) {
		snprintf(why, size, "cannot read the audit status: %s", strerror(-en));
		return en;
	}
	if (en == 0) {
		snprintf(why, size,
			 "audit is disabled on this node, so the kernel writes no Landlock "
			 "records (auditctl -e 1 or audit=1 enables it; warden does not)");
		return -ENODATA;
	}
	fd = open_group(why, size);
	if (fd < 0)
		return fd;
	close(fd);
	snprintf(why, size, "audit is enabled; read from audit netlink's read-only group");
	return 0;
}

int wd_llaudit_open(struct wd_llaudit **out, char *err, size_t errlen)
{
	struct wd_llaudit *a = wd_llaudit_new();

	*out = NULL;
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->fd = open_group(err, errlen);
	if (a->fd < 0) {
		int ret = a->fd;

		wd_llaudit_close(a);
		return ret;
	}
	*out = a;
	return 0;
}

int wd_llaudit_drain(struct wd_llaudit *a, const struct wd_llaudit_sink *s, uint64_t hold_ms)
{
	_cleanup_free_ char *buf = malloc(MSG_MAX);
	int handed = 0, r;

	if (!a || !buf)
		return a ? -ENOMEM : 0;
	for (;;) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n =
			a->fd < 0 ? -1
				  : recvfrom(a->fd, buf, MSG_MAX, 0, (struct sockaddr *)&from, &fl);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			a->overruns++; /* records dropped: the denial count at the end tells */
			continue;
		}
		if (n < 0)
			break;
		/* Only the kernel's messages: a process cannot pose as it (portid 0). */
		if (fl < sizeof(from) || from.nl_pid != 0)
			continue;
		/* One record per datagram; its length as the kernel set it, within what came. */
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;

		if ((size_t)n < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN)
			continue;
		r = wd_llaudit_feed(a, h->nlmsg_type, NLMSG_DATA(h),
				    (h->nlmsg_len < (size_t)n ? h->nlmsg_len : (size_t)n) -
					    NLMSG_HDRLEN,
				    now_ms(), hold_ms, s);
		if (r > 0)
			handed += r;
	}
	/* Nothing more to read: what waits for its end only waits @hold_ms. */
	r = wd_llaudit_feed(a, 0, NULL, 0, now_ms(), hold_ms, s);
	return handed + (r > 0 ? r : 0);
}

uint64_t wd_llaudit_finish(struct wd_llaudit *a, const struct wd_llaudit_sink *s, int ms)
{
	const uint64_t start = now_ms();

	if (!a)
		return 0;
	/* Without a logged domain there is no release to wait for: a short grace for records
	 * still on their way from the kernel's audit thread. */
	for (;;) {
		const uint64_t t = now_ms() - start;
		struct pollfd p = {.fd = a->fd, .events = POLLIN};

		if (a->released || t >= (uint64_t)ms || (!a->n_domain && t >= 100))
			break;
		poll(&p, 1, 20);
		wd_llaudit_drain(a, s, 50);
	}
	wd_llaudit_drain(a, s, 0);
	return a->released && a->denials > a->seen ? a->denials - a->seen : 0;
}
