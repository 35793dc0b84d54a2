// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel event records become warden.v1.Event messages here, and messages become framed records
 * and back. Kernel strings are bounded copies that may lack a NUL and may hold any bytes, while
 * protobuf strings must be UTF-8 (Google's parsers refuse others), so every string is copied
 * with its bound and made valid UTF-8 on the way. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "event/event.h"
#include "hooks/hooks.h"
#include "lib/json.h"
#include "pb/enc.h"
#include "pb/wire.h"
#include "lib/utf8.h"
#include "warden/version.h"

#define RULE_TEXT_MAX 1024 /* bytes of a rule's text carried in an event */

/* Copies at most @max bytes of @s (up to a NUL) into the arena as valid UTF-8, every invalid
 * byte replaced by U+FFFD. NULL when the arena is full. */
/* Whether the @n bytes at @p are all ASCII (then they are valid UTF-8 as they are): the common
 * case, checked eight bytes at a time. */
static bool all_ascii(const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			return false;
	}
	for (; i < n; i++)
		if (p[i] & 0x80)
			return false;
	return true;
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* The common case of arena_str() in one pass instead of three (strnlen, the ASCII check, the
 * copy): an ASCII string copied eight bytes at a time up to its NUL. Returns its length, or
 * SIZE_MAX when the string is not ASCII or a word would not fit (the general path decides). */
static size_t ascii_copy(char *dst, size_t room, const char *s, size_t max)
{
	size_t n = 0;

	for (; n + 8 <= max && n + 8 < room; n += 8) {
		uint64_t w, zero;

		memcpy(&w, s + n, 8);
		/* The lowest flagged byte is the first NUL (higher flags may be false). */
		zero = (w - ONES) & ~w & HIGHS;
		if (zero) {
			unsigned k = (unsigned)__builtin_ctzll(zero) / 8;
			uint64_t before = k ? ~0ull >> (64 - 8 * k) : 0;

			/* Bytes after the NUL are not the string's: only those before count. */
			if (w & before & HIGHS)
				return SIZE_MAX;
			memcpy(dst + n, &w, 8); /* the NUL with it */
			return n + k;
		}
		if (w & HIGHS)
			return SIZE_MAX;
		memcpy(dst + n, &w, 8);
	}
	for (; n < max && s[n]; n++) {
		if ((s[n] & 0x80) || n + 1 >= room)
			return SIZE_MAX;
		dst[n] = s[n];
	}
	if (n >= room)
		return SIZE_MAX;
	dst[n] = '\0';
	return n;
}

static char *arena_str(struct wd_pb_event *out, const char *s, size_t max)
{
	size_t n, room = sizeof(out->arena) - out->arena_used, o = 0;
	char *dst = out->arena + out->arena_used;
	const unsigned char *p;

	if (!s) {
		s = "";
		max = 0;
	}
	n = ascii_copy(dst, room, s, max);
	if (n != SIZE_MAX) {
		out->arena_used += n + 1;
		return dst;
	}
	p = (const unsigned char *)s;
	n = strnlen(s, max);
	if (all_ascii(p, n)) {
		if (n >= room)
			return NULL;
		memcpy(dst, p, n);
		dst[n] = '\0';
		out->arena_used += n + 1;
		return dst;
	}

	for (size_t i = 0; i < n;) {
		size_t len = wd_utf8_seq(p + i, n - i);

		if (len == 0) {
			if (o + 3 >= room)
				return NULL;
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (o + len >= room)
			return NULL;
		memcpy(dst + o, p + i, len);
		o += len;
		i += len;
	}
	if (o >= room)
		return NULL;
	dst[o] = '\0';
	out->arena_used += o + 1;
	return dst;
}

/* Strings from the caller are used as they are when they are valid UTF-8 already. */
static char *ctx_str(struct wd_pb_event *out, const char *s, int *err)
{
	size_t n;

	if (!s)
		return (char *)protobuf_c_empty_string;
	n = strlen(s);
	if (all_ascii((const unsigned char *)s, n))
		return (char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = wd_utf8_seq((const unsigned char *)s + i, n - i);

		if (len == 0) {
			char *c = arena_str(out, s, n);

			if (!c)
				*err = -ENOBUFS;
			return c ? c : (char *)protobuf_c_empty_string;
		}
		i += len;
	}
	return (char *)s;
}

/* A bounded kernel string; an arena that overflows loses the string, never the event. */
static char *kstr(struct wd_pb_event *out, const char *s, size_t max)
{
	char *c = arena_str(out, s, max);

	return c ? c : (char *)protobuf_c_empty_string;
}

static bool has_sandbox(const struct wd_event_ctx *ctx)
{
	return ctx->sandbox_id || ctx->cgroup_path || ctx->cgroup_id;
}

/* The header: numbers and times. */
static void init_header(struct wd_pb_event *out, const struct wd_event_ctx *ctx, uint64_t boot_ns,
			int *err)
{
	int64_t off = ctx->boot_to_wall_ns;

	warden__v1__event__init(&out->ev);
	warden__v1__header__init(&out->hdr);
	out->arena_used = 0;
	if (!off)
		off = (int64_t)(wd_clock_ns(CLOCK_REALTIME) - wd_clock_ns(CLOCK_BOOTTIME));

	/* The node counter may be shared by several warden processes (a MAP_SHARED page). */
	out->hdr.seq = ctx->node_seq ? __atomic_add_fetch(ctx->node_seq, 1, __ATOMIC_RELAXED) : 0;
	out->hdr.sandbox_seq = ctx->sandbox_seq ? ++*ctx->sandbox_seq : 0;
	out->hdr.boot_ns = boot_ns;
	out->hdr.wall_ns = boot_ns + (uint64_t)off;
	out->hdr.node = ctx_str(out, ctx->node, err);
	out->hdr.warden_version = WARDEN_VERSION;
	out->ev.header = &out->hdr;
}

/* What every event of @ctx says alike: identity, sandbox, policy name. */
static void init_context(struct wd_pb_event *out, const struct wd_event_ctx *ctx, int *err)
{
	if (ctx->identity || ctx->n_labels) {
		size_t n = ctx->n_labels < WD_PB_LABELS_MAX ? ctx->n_labels : WD_PB_LABELS_MAX;

		if (ctx->n_labels > WD_PB_LABELS_MAX)
			*err = -ENOBUFS;
		warden__v1__identity__init(&out->id);
		out->id.name = ctx_str(out, ctx->identity, err);
		for (size_t i = 0; i < n; i++) {
			warden__v1__identity__labels_entry__init(&out->label[i]);
			out->label[i].key = ctx_str(out, ctx->labels[i].key, err);
			out->label[i].value = ctx_str(out, ctx->labels[i].value, err);
			out->label_p[i] = &out->label[i];
		}
		out->id.n_labels = n;
		out->id.labels = n ? out->label_p : NULL;
		out->ev.identity = &out->id;
	}
	if (has_sandbox(ctx)) {
		warden__v1__sandbox__init(&out->sb);
		out->sb.id = ctx_str(out, ctx->sandbox_id, err);
		out->sb.cgroup_path = ctx_str(out, ctx->cgroup_path, err);
		out->sb.cgroup_id = ctx->cgroup_id;
		out->ev.sandbox = &out->sb;
	}
	out->ev.policy_name = ctx_str(out, ctx->policy_name, err);
}

static void init_common(struct wd_pb_event *out, const struct wd_event_ctx *ctx, uint64_t boot_ns,
			int *err)
{
	init_header(out, ctx, boot_ns, err);
	init_context(out, ctx, err);
}

static void set_lifecycle(struct wd_pb_event *out, Warden__V1__Lifecycle__Kind kind,
			  const char *detail)
{
	warden__v1__lifecycle__init(&out->act.lifecycle);
	out->act.lifecycle.kind = kind;
	out->act.lifecycle.detail = kstr(out, detail, RULE_TEXT_MAX);
	out->ev.action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
	out->ev.lifecycle = &out->act.lifecycle;
}

int wd_event_lifecycle_to_pb(const struct wd_event_ctx *ctx, Warden__V1__Lifecycle__Kind kind,
			     const char *detail, struct wd_pb_event *out)
{
	int err = 0;

	init_common(out, ctx, wd_clock_ns(CLOCK_BOOTTIME), &err);
	set_lifecycle(out, kind, detail);
	return err;
}

static int lost_at(const struct wd_event_ctx *ctx, uint64_t count, const char *detail,
		   uint64_t boot_ns, struct wd_pb_event *out)
{
	uint64_t first = 0, last = 0;
	int err = 0;

	/* The lost events never had numbers: they get theirs here, so that the gap they leave
	 * in seq is exactly the range this event names. */
	if (ctx->node_seq && count) {
		last = __atomic_add_fetch(ctx->node_seq, count, __ATOMIC_RELAXED);
		first = last - count + 1;
	}
	/* The sandbox's own numbering skips them too. */
	if (ctx->sandbox_seq && count)
		*ctx->sandbox_seq += count;
	init_common(out, ctx, boot_ns, &err);
	set_lifecycle(out, WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST, detail);
	out->act.lifecycle.lost_count = count;
	out->act.lifecycle.lost_first_seq = first;
	out->act.lifecycle.lost_last_seq = last;
	return err;
}

int wd_event_lost_to_pb(const struct wd_event_ctx *ctx, uint64_t count, const char *detail,
			struct wd_pb_event *out)
{
	return lost_at(ctx, count, detail, wd_clock_ns(CLOCK_BOOTTIME), out);
}

/* Whether a process in cgroup @cg (as /proc/PID/cgroup shows it) is inside the sandbox: its
 * cgroup is the sandbox's or below it. */
static bool in_sandbox(const struct wd_event_ctx *ctx, const char *cg)
{
	size_t n, m;

	if (ctx->sandbox_id && ctx->sandbox_id[0]) {
		n = strlen(ctx->sandbox_id);
		for (const char *p = strchr(cg, '/'); p; p = strchr(p + 1, '/'))
			if (strncmp(p + 1, ctx->sandbox_id, n) == 0 &&
			    (p[1 + n] == '/' || p[1 + n] == '\0'))
				return true;
		return false;
	}
	if (!ctx->cgroup_path || cg[0] != '/' || !cg[1])
		return false;
	n = strlen(ctx->cgroup_path);
	m = strlen(cg);
	return m <= n && strcmp(ctx->cgroup_path + n - m, cg) == 0;
}

/* A process that started (@start_ticks) after the event is not the one that acted: its pid
 * was reused. */
static bool started_after(uint64_t start_ticks, uint64_t boot_ns)
{
	static long hz;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0 || !boot_ns)
		return false;
	return start_ticks > (boot_ns / 1000000000ull + 1) * (uint64_t)hz;
}

/* "BOOT:PID:START" into @buf; when it does not fit, the prefix is cut, never the numbers that
 * make the id unique. Without printf: this runs for every event. */
static void exec_id(char *buf, size_t size, const char *prefix, uint32_t pid, uint64_t start)
{
	char suf[1 + 10 + 1 + 20];
	size_t k = 0, n;

	suf[k++] = ':';
	k += wd_put_dec(suf + k, pid);
	suf[k++] = ':';
	k += wd_put_dec(suf + k, start);
	n = strnlen(prefix, size - 1 - k);
	memcpy(buf, prefix, n);
	memcpy(buf + n, suf, k);
	buf[n + k] = '\0';
}

/* What fill_process() learnt from its lookups, for the packer to tell whether the same record
 * would give the same process again. */
struct proc_seen {
	bool whole;	       /* every process looked up answered, none reused since */
	uint64_t newest_start; /* the latest start_ticks among them */
};

static void fill_process(struct wd_pb_event *out, const struct wd_event *e,
			 const struct wd_event_ctx *ctx, struct proc_seen *seen)
{
	Warden__V1__Process *p = &out->proc;
	const struct wd_proc_info *pi;
	struct wd_proc_info buf; /* for a lookup that has no storage of its own */
	struct proc_seen dummy;
	uint32_t up;
	char id[128];

	if (!seen)
		seen = &dummy;
	seen->whole = false;
	seen->newest_start = 0;
	warden__v1__process__init(p);
	p->pid = e->pid;
	p->tid = e->tid;
	p->ppid = e->ppid;
	p->uid = e->uid;
	p->comm = kstr(out, e->comm, sizeof(e->comm));
	p->exe = kstr(out, e->exe, sizeof(e->exe));
	out->ev.process = p;
	if (!ctx->proc_lookup || !e->pid)
		return;

	if (ctx->proc_lookup(ctx->proc_lookup_arg, e->pid, &buf, &pi) == 0 &&
	    !started_after(pi->start_ticks, e->hdr.ktime_ns)) {
		seen->whole = true;
		seen->newest_start = pi->start_ticks;
		p->gid = pi->gid;
		exec_id(id, sizeof(id),
			ctx->boot_id && ctx->boot_id[0] ? ctx->boot_id
			: ctx->node			? ctx->node
							: "",
			e->pid, pi->start_ticks);
		p->exec_id = kstr(out, id, sizeof(id));
		/* The cgroup hooks run without the task's context: /proc fills in. */
		if (!p->exe[0])
			p->exe = kstr(out, pi->exe, sizeof(pi->exe));
		if (!p->ppid)
			p->ppid = pi->ppid;
	}

	up = p->ppid;
	while (up > 1 && p->n_ancestry < WD_PB_ANCESTRY_MAX) {
		Warden__V1__Ancestor *a = &out->anc[p->n_ancestry];

		if (ctx->proc_lookup(ctx->proc_lookup_arg, up, &buf, &pi) ||
		    started_after(pi->start_ticks, e->hdr.ktime_ns)) {
			seen->whole = false;
			break;
		}
		if (!in_sandbox(ctx, pi->cgroup))
			break;
		if (pi->start_ticks > seen->newest_start)
			seen->newest_start = pi->start_ticks;
		warden__v1__ancestor__init(a);
		a->pid = up;
		a->exe = kstr(out, pi->exe, sizeof(pi->exe));
		a->comm = kstr(out, pi->comm, sizeof(pi->comm));
		out->anc_p[p->n_ancestry++] = a;
		if (pi->ppid == up)
			break;
		up = pi->ppid;
	}
	p->ancestry = p->n_ancestry ? out->anc_p : NULL;
}

static Warden__V1__Decision decision_pb(unsigned d)
{
	switch (d) {
	case WD_DEC_ALLOW:
		return WARDEN__V1__DECISION__DECISION_ALLOWED;
	case WD_DEC_DENY:
		return WARDEN__V1__DECISION__DECISION_DENIED;
	case WD_DEC_AUDIT_DENY:
		return WARDEN__V1__DECISION__DECISION_AUDIT_DENIED;
	}
	return WARDEN__V1__DECISION__DECISION_UNSPECIFIED;
}

/* Dotted quad, as inet_ntop writes it (which formats with sprintf: too slow for every event). */
static void ipv4_text(char *t, const uint8_t a[4])
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			t[n++] = '.';
		n += wd_put_dec(t + n, a[i]);
	}
	t[n] = '\0';
}

static void fill_connect(struct wd_pb_event *out, const struct wd_event *e)
{
	Warden__V1__Connect *c = &out->act.connect;
	char text[INET6_ADDRSTRLEN] = "";

	warden__v1__connect__init(c);
	c->family = e->family;
	c->is_send = e->hook == WD_HOOK_SENDMSG4 || e->hook == WD_HOOK_SENDMSG6 ||
		     e->hook == WD_HOOK_SOCK_SENDMSG || e->hook == WD_HOOK_UNIX_SEND ||
		     (e->hook == WD_HOOK_EGRESS && e->proto == 17);
	if (e->family == AF_UNIX) {
		c->address_text = kstr(out, e->path, sizeof(e->path));
	} else {
		if (e->family == AF_INET) {
			memcpy(out->addr, e->addr + 12, 4);
			c->address.len = 4;
			ipv4_text(text, out->addr);
		} else {
			memcpy(out->addr, e->addr, 16);
			c->address.len = 16;
			inet_ntop(AF_INET6, out->addr, text, sizeof(text));
		}
		c->address.data = out->addr;
		c->address_text = kstr(out, text, sizeof(text));
		c->port = e->port;
		c->ip_protocol = e->proto;
		c->protocol = e->proto == 6    ? WARDEN__V1__PROTOCOL__PROTOCOL_TCP
			      : e->proto == 17 ? WARDEN__V1__PROTOCOL__PROTOCOL_UDP
			      : e->proto == 0  ? WARDEN__V1__PROTOCOL__PROTOCOL_UNSPECIFIED
					       : WARDEN__V1__PROTOCOL__PROTOCOL_OTHER;
	}
	out->ev.action_case = WARDEN__V1__EVENT__ACTION_CONNECT;
	out->ev.connect = c;
}

/* "127.0.0.1:8200/tcp", "[::1]:53/udp": the address, port and protocol of @e. */
static const char *addr_port_text(const struct wd_event *e, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "";
	const char *proto = e->proto == 6 ? "tcp" : e->proto == 17 ? "udp" : "ip";

	if (e->family == AF_INET) {
		ipv4_text(a, e->addr + 12);
		snprintf(buf, size, "%s:%u/%s", a, e->port, proto);
	} else {
		inet_ntop(AF_INET6, e->addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u/%s", a, e->port, proto);
	}
	return buf;
}

/* The kernel passes what was attempted in port (capability, bpf command, signal, ptrace mode,
 * socket option; 1 for a cgroup mkdir) and the other process's pid in lost. */
static void fill_confinement(struct wd_pb_event *out, const struct wd_event *e)
{
	Warden__V1__Confinement *c = &out->act.confinement;
	char text[INET6_ADDRSTRLEN + 16];

	warden__v1__confinement__init(c);
	switch (e->hook) {
	case WD_HOOK_TASK_ALLOC:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__CLONE_INTO_CGROUP;
		break;
	case WD_HOOK_CAPABLE:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__CAPABILITY;
		c->capability = e->port;
		break;
	case WD_HOOK_BPF:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__BPF;
		c->bpf_command = e->port;
		break;
	case WD_HOOK_TASK_KILL:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__KILL;
		c->signal = e->port;
		c->target_pid = (uint32_t)e->lost;
		break;
	case WD_HOOK_PTRACE:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__PTRACE;
		c->ptrace_mode = e->port;
		c->target_pid = (uint32_t)e->lost;
		break;
	case WD_HOOK_MOUNT:
		c->what = e->port ? WARDEN__V1__CONFINEMENT__WHAT__CGROUP_MKDIR
				  : WARDEN__V1__CONFINEMENT__WHAT__MOUNT;
		break;
	case WD_HOOK_CHROOT:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__CHROOT;
		break;
	case WD_HOOK_USERNS:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__USER_NAMESPACE;
		break;
	case WD_HOOK_SETSOCKOPT:
		c->what = e->lost == 1 /* SOL_SOCKET: SO_BROADCAST */
				  ? WARDEN__V1__CONFINEMENT__WHAT__BROADCAST
				  : WARDEN__V1__CONFINEMENT__WHAT__SOURCE_ROUTING;
		c->socket_option = e->port;
		break;
	case WD_HOOK_FILE_RECEIVE:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__RECEIVE_SOCKET;
		break;
	case WD_HOOK_PATH_LINK:
		if (e->path[0])
			goto cgroup_write; /* a link made in cgroupfs or bpffs */
		c->what = WARDEN__V1__CONFINEMENT__WHAT__HARDLINK;
		break;
	case WD_HOOK_PATH_CHMOD:
	case WD_HOOK_PATH_MKNOD:
		if (e->path[0])
			goto cgroup_write;
		c->what = WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE;
		c->mode = e->port;
		break;
	case WD_HOOK_KEY_PERMISSION:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__KEYRING;
		c->key_serial = (uint32_t)e->lost;
		c->key_permission = e->port;
		break;
	case WD_HOOK_FILE_IOCTL:
	case WD_HOOK_FILE_IOCTL_COMPAT:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__TERMINAL_INPUT;
		c->ioctl = e->port;
		break;
	case WD_HOOK_BIND4:
	case WD_HOOK_BIND6:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__SHARED_PORT;
		c->address = kstr(out, addr_port_text(e, text, sizeof(text)), sizeof(text));
		break;
	default: /* a cgroup or bpffs file opened for writing or changed */
	cgroup_write:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__CGROUP_WRITE;
		c->path = kstr(out, e->path, sizeof(e->path));
	}
	out->ev.action_case = WARDEN__V1__EVENT__ACTION_CONFINEMENT;
	out->ev.confinement = c;
}

static const char *rule_text(const struct wd_event *e, const struct wd_event_ctx *ctx)
{
	const char *t = ctx->rule_text ? ctx->rule_text(ctx->rule_text_arg, e->rule_id) : NULL;

	if (t || e->rule_id != WD_RULE_DEFAULT)
		return t;
	/* The same words `warden run` prints for the implicit rule: what was refused. */
	return wd_default_rule_text(e);
}

/* @parts: the identity, sandbox, policy name, rule and process are left out (wd_event_pack()
 * adds them, packed once). */
static int convert(const struct wd_event *e, const struct wd_event_ctx *ctx,
		   struct wd_pb_event *out, bool parts)
{
	int err = 0;

	if (e->hdr.version != WD_ABI_VERSION || e->hdr.type < WD_EV_EXEC ||
	    e->hdr.type > WD_EV_LOST)
		return -EINVAL;
	if (e->hdr.type == WD_EV_LOST)
		return lost_at(ctx, e->lost, "kernel ring buffer full", e->hdr.ktime_ns, out);

	init_header(out, ctx, e->hdr.ktime_ns, &err);
	if (!parts) {
		init_context(out, ctx, &err);
		if (e->cgroup_id && out->ev.sandbox)
			out->sb.cgroup_id = e->cgroup_id;
		warden__v1__rule__init(&out->rule);
		out->rule.id = e->rule_id;
		out->rule.text = kstr(out, rule_text(e, ctx), RULE_TEXT_MAX);
		out->ev.rule = &out->rule;
	}
	if (!parts)
		fill_process(out, e, ctx, NULL);
	out->ev.decision = decision_pb(e->decision);
	out->ev.hook = (char *)(wd_hook_name(e->hook) ? wd_hook_name(e->hook) : "");

	switch (e->hdr.type) {
	case WD_EV_EXEC:
		warden__v1__exec__init(&out->act.exec);
		out->act.exec.path = kstr(out, e->path, sizeof(e->path));
		out->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC;
		out->ev.exec = &out->act.exec;
		break;
	case WD_EV_FILE:
		warden__v1__file_open__init(&out->act.file_open);
		out->act.file_open.path = kstr(out, e->path, sizeof(e->path));
		out->act.file_open.read = e->op == WD_OP_READ;
		out->act.file_open.write = e->op == WD_OP_WRITE;
		out->act.file_open.truncate =
			e->proto == WD_CH_TRUNCATE ||
			(e->proto == WD_CH_OPEN && e->hook == WD_HOOK_TRUNCATE);
		out->act.file_open.change = e->proto < WD_CH_NR ? e->proto : WD_CH_OPEN;
		out->act.file_open.path_unresolved = e->port != 0;
		out->ev.action_case = WARDEN__V1__EVENT__ACTION_FILE_OPEN;
		out->ev.file_open = &out->act.file_open;
		break;
	case WD_EV_MMAP:
		warden__v1__exec_mapping__init(&out->act.exec_mapping);
		out->act.exec_mapping.path = kstr(out, e->path, sizeof(e->path));
		out->act.exec_mapping.via_mprotect = e->hook == WD_HOOK_MPROTECT;
		out->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC_MAPPING;
		out->ev.exec_mapping = &out->act.exec_mapping;
		break;
	case WD_EV_CONNECT:
		fill_connect(out, e);
		break;
	case WD_EV_SOCKET:
		warden__v1__socket_create__init(&out->act.socket_create);
		out->act.socket_create.family = e->family;
		out->act.socket_create.type = e->proto;
		out->ev.action_case = WARDEN__V1__EVENT__ACTION_SOCKET_CREATE;
		out->ev.socket_create = &out->act.socket_create;
		break;
	case WD_EV_CONFINE:
		fill_confinement(out, e);
		break;
	}
	return err;
}

int wd_event_to_pb(const struct wd_event *e, const struct wd_event_ctx *ctx,
		   struct wd_pb_event *out)
{
	return convert(e, ctx, out, false);
}

/* ---- Packing with parts packed once ------------------------------------------------------- */

uint64_t wd_event_ctx_gen(void)
{
	static uint64_t last;

	return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
}

/* Packed fields of an Event (tag, length, value), the same for every event with this key. */
struct part {
	uint64_t gen;
	uint64_t key;	  /* the sandbox's cgroup id; the rule's id */
	const char *text; /* the rule's text as the context gave it */
	size_t len, cap;
	size_t split; /* context parts: identity and sandbox before, policy name after */
	uint8_t *buf;
};

/* A packed Process (field 4 with its ancestry) and what it was made of: the record's fields,
 * the context, and the pid cache's answers (generation, and the event times they hold for). */
struct proc_part {
	uint64_t ctx_gen, proc_gen; /* 0: empty */
	uint64_t until_ns;	    /* event time the answers expire */
	uint64_t newest_start;	    /* they hold for no event before this process started */
	uint32_t pid, tid, ppid, uid;
	char comm[WD_COMM_LEN];
	char exe[WD_PATH_MAX];
	size_t len, cap;
	uint8_t *buf;
};

#define CTX_PARTS  16
#define RULE_PARTS 256
#define PROC_PARTS 64

struct wd_pb_packer {
	bool fast;		/* pb_enc.c knows every field */
	struct wd_pb_event ev;	/* the event's own fields */
	struct wd_pb_event tmp; /* a part being packed */
	struct part ctx[CTX_PARTS];
	struct part rule[RULE_PARTS];
	struct proc_part proc[PROC_PARTS];
};

_Static_assert(offsetof(struct wd_event, exe) == WD_EVENT_SHORT_SIZE,
	       "a short record ends where exe starts");

const struct wd_event *wd_event_from_ring(const void *data, size_t size, struct wd_event *buf)
{
	const struct wd_event *e = data;

	if (size < WD_EVENT_SHORT_SIZE || e->hdr.version != WD_ABI_VERSION || e->hdr.size > size)
		return NULL;
	if (size >= sizeof(*e) && e->hdr.size >= sizeof(*e))
		return e;
	if (e->hdr.size != WD_EVENT_SHORT_SIZE)
		return NULL;
	memcpy(buf, data, WD_EVENT_SHORT_SIZE);
	buf->exe[0] = '\0';
	buf->path[0] = '\0';
	return buf;
}

void wd_event_lost_range(const Warden__V1__Event *ev, uint64_t *first, uint64_t *n)
{
	*first = *n = 0;
	/* A node's report has a seq of its own; the pipeline's markers have none. */
	if (ev->header && ev->header->seq &&
	    ev->action_case == WARDEN__V1__EVENT__ACTION_LIFECYCLE && ev->lifecycle &&
	    ev->lifecycle->kind == WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST) {
		*first = ev->lifecycle->lost_first_seq;
		*n = ev->lifecycle->lost_count;
	}
}

void wd_pb_packer_lost_range(const struct wd_pb_packer *pk, uint64_t *first, uint64_t *n)
{
	wd_event_lost_range(&pk->ev.ev, first, n);
}

struct wd_pb_packer *wd_pb_packer_new(void)
{
	struct wd_pb_packer *pk = calloc(1, sizeof(*pk));

	if (pk)
		pk->fast = wd_pb_enc_usable();
	return pk;
}

void wd_pb_packer_free(struct wd_pb_packer *pk)
{
	if (!pk)
		return;
	for (size_t i = 0; i < CTX_PARTS; i++)
		free(pk->ctx[i].buf);
	for (size_t i = 0; i < RULE_PARTS; i++)
		free(pk->rule[i].buf);
	for (size_t i = 0; i < PROC_PARTS; i++)
		free(pk->proc[i].buf);
	free(pk);
}

/* Packs @m (an Event holding only a part's fields) at the end of @pt. */
static int part_add(struct part *pt, const Warden__V1__Event *m)
{
	size_t n = warden__v1__event__get_packed_size(m);

	if (n > WD_PB_RECORD_MAX)
		return -EMSGSIZE;
	if (pt->len + n > pt->cap) {
		uint8_t *b = realloc(pt->buf, pt->len + n);

		if (!b)
			return -ENOMEM;
		pt->buf = b;
		pt->cap = pt->len + n;
	}
	pt->len += warden__v1__event__pack(m, pt->buf + pt->len);
	return 0;
}

/* Identity and sandbox (with @cgid), then policy name, of @ctx, packed. */
static const struct part *ctx_part(struct wd_pb_packer *pk, const struct wd_event_ctx *ctx,
				   uint64_t cgid, int *err)
{
	struct part *pt = &pk->ctx[(ctx->gen ^ cgid * 0x9e3779b97f4a7c15ull) % CTX_PARTS];
	struct wd_pb_event *t = &pk->tmp;
	char *policy;
	int e = 0;

	if (pt->gen == ctx->gen && pt->key == cgid)
		return pt;
	pt->gen = 0; /* not valid until whole */
	pt->len = 0;
	warden__v1__event__init(&t->ev);
	t->arena_used = 0;
	init_context(t, ctx, &e);
	if (t->ev.sandbox)
		t->sb.cgroup_id = cgid;
	policy = t->ev.policy_name;
	t->ev.policy_name = (char *)protobuf_c_empty_string;
	if (!e)
		e = part_add(pt, &t->ev);
	pt->split = pt->len;
	warden__v1__event__init(&t->ev);
	t->ev.policy_name = policy;
	if (!e)
		e = part_add(pt, &t->ev);
	if (e) {
		*err = e;
		return NULL;
	}
	pt->gen = ctx->gen;
	pt->key = cgid;
	return pt;
}

/* The Rule of @e, packed. */
static const struct part *rule_part(struct wd_pb_packer *pk, const struct wd_event *e,
				    const struct wd_event_ctx *ctx, int *err)
{
	const char *text = rule_text(e, ctx);
	struct part *pt = &pk->rule[(e->rule_id ^ ctx->gen * 31) % RULE_PARTS];
	struct wd_pb_event *t = &pk->tmp;
	int r;

	if (pt->gen == ctx->gen && pt->key == e->rule_id && pt->text == text)
		return pt;
	pt->gen = 0;
	pt->len = 0;
	warden__v1__event__init(&t->ev);
	t->arena_used = 0;
	warden__v1__rule__init(&t->rule);
	t->rule.id = e->rule_id;
	t->rule.text = kstr(t, text, RULE_TEXT_MAX);
	t->ev.rule = &t->rule;
	r = part_add(pt, &t->ev);
	if (r) {
		*err = r;
		return NULL;
	}
	pt->gen = ctx->gen;
	pt->key = e->rule_id;
	pt->text = text;
	return pt;
}

static struct proc_part *proc_slot(struct wd_pb_packer *pk, const struct wd_event *e)
{
	return &pk->proc[((e->pid * 0x9e3779b1u) ^ e->tid) % PROC_PARTS];
}

/* The kept Process of @e, or NULL when there is none that still holds. */
static const struct proc_part *proc_kept(struct wd_pb_packer *pk, const struct wd_event *e,
					 const struct wd_event_ctx *ctx)
{
	const struct proc_part *pp = proc_slot(pk, e);
	uint64_t t = e->hdr.ktime_ns;

	if (!ctx->proc_gen || pp->proc_gen != *ctx->proc_gen || pp->ctx_gen != ctx->gen ||
	    pp->pid != e->pid || pp->tid != e->tid || pp->ppid != e->ppid || pp->uid != e->uid ||
	    t >= pp->until_ns || started_after(pp->newest_start, t) ||
	    strncmp(pp->comm, e->comm, sizeof(pp->comm)) ||
	    strncmp(pp->exe, e->exe, sizeof(pp->exe)))
		return NULL;
	return pp;
}

/* Packs the Process of @e into @o, and keeps it when the same record would give the same
 * bytes until the pid cache answers differently. */
static void proc_pack(struct wd_pb_packer *pk, const struct wd_event *e,
		      const struct wd_event_ctx *ctx, struct wd_pb_out *o)
{
	struct proc_part *pp = proc_slot(pk, e);
	uint8_t *start = o->p;
	struct proc_seen seen;
	size_t n;

	fill_process(&pk->ev, e, ctx, &seen);
	wd_pb_enc_process(o, pk->ev.ev.process);
	pp->proc_gen = 0;
	/* An empty event time cannot tell when the answers expire. */
	if (o->full || !seen.whole || !ctx->proc_gen || !ctx->proc_keep_ns || !e->hdr.ktime_ns)
		return;
	n = (size_t)(o->p - start);
	if (n > pp->cap) {
		uint8_t *b = realloc(pp->buf, n);

		if (!b)
			return;
		pp->buf = b;
		pp->cap = n;
	}
	memcpy(pp->buf, start, n);
	pp->len = n;
	pp->pid = e->pid;
	pp->tid = e->tid;
	pp->ppid = e->ppid;
	pp->uid = e->uid;
	memcpy(pp->comm, e->comm, sizeof(pp->comm));
	memcpy(pp->exe, e->exe, sizeof(pp->exe));
	pp->newest_start = seen.newest_start;
	pp->until_ns = e->hdr.ktime_ns + ctx->proc_keep_ns;
	pp->ctx_gen = ctx->gen;
	/* Read after the lookups: their own cache fills are part of what the bytes say. */
	pp->proc_gen = *ctx->proc_gen;
}

/* Everything with protobuf-c: records with no generation, lost-record reports, and when
 * pb_enc.c is behind the schema. */
static int pack_full(struct wd_pb_packer *pk, const struct wd_event *e,
		     const struct wd_event_ctx *ctx, uint8_t *buf, size_t cap, size_t *len,
		     uint64_t *seq)
{
	int err = wd_event_to_pb(e, ctx, &pk->ev);
	size_t n;

	if (err == -EINVAL)
		return err;
	*seq = pk->ev.hdr.seq;
	if (err)
		return err;
	n = warden__v1__event__get_packed_size(&pk->ev.ev);
	if (n > WD_PB_RECORD_MAX || n > cap)
		return -EMSGSIZE;
	warden__v1__event__pack(&pk->ev.ev, buf);
	*len = n;
	return 0;
}

int wd_event_pack(struct wd_pb_packer *pk, const struct wd_event *e, const struct wd_event_ctx *ctx,
		  uint8_t *buf, size_t cap, size_t *len, uint64_t *seq)
{
	const Warden__V1__Event *ev = &pk->ev.ev;
	const struct part *cp, *rp = NULL;
	const struct proc_part *pp;
	struct wd_pb_out o;
	int err;

	*len = 0;
	*seq = 0;
	if (!pk->fast || !ctx->gen || e->hdr.type == WD_EV_LOST)
		return pack_full(pk, e, ctx, buf, cap, len, seq);
	err = convert(e, ctx, &pk->ev, true);
	if (err == -EINVAL)
		return err;
	*seq = pk->ev.hdr.seq;
	if (err)
		return err;
	cp = ctx_part(pk, ctx, has_sandbox(ctx) ? (e->cgroup_id ?: ctx->cgroup_id) : 0, &err);
	if (cp)
		rp = rule_part(pk, e, ctx, &err);
	if (err)
		return err;

	/* In the order of the .proto, as protobuf-c would pack the whole event. */
	o = (struct wd_pb_out){.p = buf,
			       .end = buf + (cap < WD_PB_RECORD_MAX ? cap : WD_PB_RECORD_MAX)};
	wd_pb_enc_header(&o, ev->header);
	wd_pb_enc_raw(&o, cp->buf, cp->split);
	pp = proc_kept(pk, e, ctx);
	if (pp)
		wd_pb_enc_raw(&o, pp->buf, pp->len);
	else
		proc_pack(pk, e, ctx, &o);
	wd_pb_enc_decision_hook(&o, ev->decision, ev->hook);
	wd_pb_enc_raw(&o, rp->buf, rp->len);
	wd_pb_enc_raw(&o, cp->buf + cp->split, cp->len - cp->split);
	if (!wd_pb_enc_action(&o, ev))
		return -EINVAL;
	if (o.full)
		return -EMSGSIZE;
	*len = (size_t)(o.p - buf);
	return 0;
}

/* Reads one small /proc file into @buf; returns its length or -errno. */
static ssize_t read_small(const char *root, uint32_t pid, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return n;
}

int wd_proc_lookup_procfs(void *proc_root, uint32_t pid, struct wd_proc_info *out)
{
	const char *root = proc_root ? proc_root : "/proc";
	char buf[1024], path[PATH_MAX], *open_paren, *close_paren, *p;
	unsigned long long start;
	unsigned ppid;
	ssize_t n;
	size_t len;

	memset(out, 0, sizeof(*out));
	/* "pid (comm) state ppid ... starttime(22) ...": comm may hold spaces and parentheses. */
	n = read_small(root, pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    sscanf(close_paren + 1,
		   " %*c %u %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
		   "%llu",
		   &ppid, &start) != 2)
		return -EPROTO;
	len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, len);
	out->ppid = ppid;
	out->start_ticks = start;

	if (read_small(root, pid, "status", buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "\nGid:")) != NULL)
		out->gid = (uint32_t)strtoul(p + 5, NULL, 10);
	if (read_small(root, pid, "cgroup", buf, sizeof(buf)) > 0) {
		/* cgroup v2: the one line "0::/path". */
		for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (strncmp(p, "0::", 3) == 0) {
				len = strcspn(p + 3, "\n");
				if (len >= sizeof(out->cgroup))
					len = sizeof(out->cgroup) - 1;
				memcpy(out->cgroup, p + 3, len);
				break;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
	n = readlink(path, out->exe, sizeof(out->exe) - 1);
	out->exe[n > 0 ? n : 0] = '\0';
	return 0;
}

int wd_boot_id(char *buf, size_t size)
{
	ssize_t n;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	e = errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? -e : -ENODATA;
	buf[strcspn(buf, "\n") < (size_t)n ? strcspn(buf, "\n") : (size_t)n] = '\0';
	return 0;
}

int wd_pb_frame(const Warden__V1__Event *m, uint8_t *buf, size_t cap, size_t *len)
{
	size_t size = warden__v1__event__get_packed_size(m), pre;
	uint8_t tmp[WD_PB_VARINT_MAX];

	if (size > WD_PB_RECORD_MAX)
		return -EMSGSIZE;
	pre = wd_pb_varint_put(tmp, size);
	if (pre + size > cap)
		return -ENOBUFS;
	memcpy(buf, tmp, pre);
	if (warden__v1__event__pack(m, buf + pre) != size)
		return -EPROTO;
	*len = pre + size;
	return 0;
}

void wd_pb_reader_init_file(struct wd_pb_reader *r, FILE *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->max = WD_PB_RECORD_MAX;
}

void wd_pb_reader_init_gz(struct wd_pb_reader *r, gzFile gz)
{
	memset(r, 0, sizeof(*r));
	r->gz = gz;
	r->max = WD_PB_RECORD_MAX;
}

int wd_pb_reader_open(struct wd_pb_reader *r, const char *path)
{
	int fd = strcmp(path, "-") == 0 ? fcntl(0, F_DUPFD_CLOEXEC, 3)
					: open(path, O_RDONLY | O_CLOEXEC);
	gzFile gz;

	if (fd < 0)
		return -errno;
	/* gzip data is inflated, anything else read as it is. */
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	wd_pb_reader_init_gz(r, gz);
	r->owns = true;
	return 0;
}

void wd_pb_reader_close(struct wd_pb_reader *r)
{
	if (r->owns && r->gz)
		gzclose(r->gz);
	if (r->owns && r->f)
		fclose(r->f);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Reads up to @n bytes; returns how many, or -EIO. Short only at the end of the input. */
static ssize_t src_read(struct wd_pb_reader *r, void *buf, size_t n)
{
	size_t got = 0;

	if (r->f) {
		got = fread(buf, 1, n, r->f);
		return got < n && ferror(r->f) ? -EIO : (ssize_t)got;
	}
	while (got < n) {
		int chunk = n - got > INT_MAX ? INT_MAX : (int)(n - got), k, zerr;

		k = gzread(r->gz, (char *)buf + got, (unsigned)chunk);
		if (k < 0)
			return -EIO;
		if (k == 0) {
			/* A gzip stream cut short ends like a file but leaves an error. */
			gzerror(r->gz, &zerr);
			if (zerr != Z_OK && zerr != Z_STREAM_END)
				return -EIO;
			break;
		}
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int wd_pb_read_record(struct wd_pb_reader *r, const uint8_t **rec, size_t *len)
{
	uint8_t pre[WD_PB_VARINT_MAX];
	uint64_t size = 0;
	size_t i;
	ssize_t k;
	int used = 0;

	/* The prefix byte by byte: a record may be as short as one byte. */
	for (i = 0; i < WD_PB_VARINT_MAX; i++) {
		k = src_read(r, pre + i, 1);
		if (k < 0)
			return (int)k;
		if (k == 0)
			return i == 0 ? 0 : -EBADMSG;
		if (!(pre[i] & 0x80))
			break;
	}
	used = wd_pb_varint_get(pre, i < WD_PB_VARINT_MAX ? i + 1 : WD_PB_VARINT_MAX, &size);
	if (used <= 0)
		return -EBADMSG;
	if (size > r->max)
		return -EMSGSIZE;
	if (size > r->cap || !r->buf) {
		uint8_t *b = realloc(r->buf, size ? size : 1);

		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = size ? size : 1;
	}
	k = src_read(r, r->buf, size);
	if (k < 0)
		return (int)k;
	if ((uint64_t)k < size)
		return -EBADMSG;
	r->offset += (uint64_t)used + size;
	r->n++;
	*rec = r->buf;
	*len = size;
	return 1;
}

int wd_pb_read_event(struct wd_pb_reader *r, Warden__V1__Event **ev)
{
	uint64_t start = r->offset;
	const uint8_t *rec;
	size_t len;
	int ret = wd_pb_read_record(r, &rec, &len);

	if (ret <= 0)
		return ret;
	*ev = warden__v1__event__unpack(NULL, len, rec);
	if (!*ev) {
		/* Not a good record: the error points at its start, as for the others. */
		r->n--;
		r->offset = start;
		return -EPROTO;
	}
	return 1;
}

#define ARENA_BYTES (256 * 1024) /* a few hundred times a typical event's decoded size */

static void *arena_alloc(void *data, size_t size)
{
	struct wd_pb_arena *a = data;
	size_t at = (a->used + 15) & ~(size_t)15;

	if (at <= a->cap && size <= a->cap - at) {
		a->used = at + size;
		return a->p + at;
	}
	a->spilled++;
	return malloc(size);
}

static bool in_arena(const struct wd_pb_arena *a, const void *ptr)
{
	uintptr_t u = (uintptr_t)ptr, lo = (uintptr_t)a->p;

	return a->p && u >= lo && u < lo + a->cap;
}

static void arena_free(void *data, void *ptr)
{
	struct wd_pb_arena *a = data;

	if (!in_arena(a, ptr))
		free(ptr);
}

Warden__V1__Event *wd_pb_arena_unpack(struct wd_pb_arena *a, const uint8_t *rec, size_t len)
{
	if (!a->p) {
		a->p = malloc(ARENA_BYTES);
		a->cap = a->p ? ARENA_BYTES : 0;
		a->alloc = (ProtobufCAllocator){arena_alloc, arena_free, a};
	}
	a->used = 0;
	a->spilled = 0;
	return warden__v1__event__unpack(&a->alloc, len, rec);
}

void wd_pb_arena_put(struct wd_pb_arena *a, Warden__V1__Event *ev)
{
	/* Only what came from malloc() needs the walk over the message; the block is reused. */
	if (ev && a->spilled)
		warden__v1__event__free_unpacked(ev, &a->alloc);
	a->used = 0;
	a->spilled = 0;
}

void wd_pb_arena_free(struct wd_pb_arena *a)
{
	free(a->p);
	*a = (struct wd_pb_arena){0};
}

const char *wd_pb_strerror(int err)
{
	switch (err) {
	case -EBADMSG:
		return "truncated or malformed record (the input ends inside it, or its length "
		       "prefix is not a varint)";
	case -EMSGSIZE:
		return "record length over the limit of 65536 bytes (not an event file, or "
		       "corrupt)";
	case -EPROTO:
		return "record is not a valid warden.v1.Event";
	case -EIO:
		return "read error or corrupt compressed data";
	}
	return strerror(err < 0 ? -err : err);
}

int wd_pb_record_seq(const uint8_t *rec, size_t len, uint64_t *seq)
{
	Warden__V1__Event *ev = warden__v1__event__unpack(NULL, len, rec);

	if (!ev)
		return -EPROTO;
	*seq = ev->header ? ev->header->seq : 0;
	warden__v1__event__free_unpacked(ev, NULL);
	return 0;
}

/* JSON, driven by the generated descriptors so that it never falls behind the .proto. */

static void json_base64(struct wd_buf *b, const uint8_t *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	wd_buf_ch(b, '"');
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		wd_buf_ch(b, tab[v >> 18 & 63]);
		wd_buf_ch(b, tab[v >> 12 & 63]);
		wd_buf_ch(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		wd_buf_ch(b, i + 2 < n ? tab[v & 63] : '=');
	}
	wd_buf_ch(b, '"');
}

static void json_message(struct wd_buf *b, const ProtobufCMessage *m);

/* warden.v1 has no floating-point field; should one come, printf formats it, with the digits
 * that tell a float (@single) or a double apart from its neighbours. */
static void json_double(struct wd_buf *b, bool single, double v)
{
	char t[32];
	int n = single ? snprintf(t, sizeof(t), "%.9g", v) : snprintf(t, sizeof(t), "%.17g", v);

	if (n > 0)
		wd_buf_add(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

static void json_value(struct wd_buf *b, const ProtobufCFieldDescriptor *fd, const void *v)
{
	const ProtobufCEnumValue *ev;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		wd_buf_i64(b, *(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		wd_buf_u64(b, *(const uint32_t *)v);
		break;
	/* 64-bit integers are strings in JSON: doubles would round them. */
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		wd_buf_ch(b, '"');
		wd_buf_i64(b, *(const int64_t *)v);
		wd_buf_ch(b, '"');
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		wd_buf_ch(b, '"');
		wd_buf_u64(b, *(const uint64_t *)v);
		wd_buf_ch(b, '"');
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		json_double(b, true, (double)*(const float *)v);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		json_double(b, false, *(const double *)v);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		wd_buf_str(b, *(const protobuf_c_boolean *)v ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(fd->descriptor, *(const int *)v);
		if (ev)
			wd_json_buf_str(b, ev->name);
		else
			wd_buf_i64(b, *(const int *)v);
		break;
	case PROTOBUF_C_TYPE_STRING:
		wd_json_buf_str(b, *(char *const *)v ? *(char *const *)v : "");
		break;
	case PROTOBUF_C_TYPE_BYTES:
		json_base64(b, ((const ProtobufCBinaryData *)v)->data,
			    ((const ProtobufCBinaryData *)v)->len);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)v)
			json_message(b, *(ProtobufCMessage *const *)v);
		else
			wd_buf_add(b, "{}", 2);
		break;
	}
}

static size_t type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

/* map<K, V> fields are repeated messages of a generated *Entry type with key and value. */
static bool is_map(const ProtobufCFieldDescriptor *fd)
{
	const ProtobufCMessageDescriptor *d = fd->descriptor;
	size_t n;

	if (fd->type != PROTOBUF_C_TYPE_MESSAGE || fd->label != PROTOBUF_C_LABEL_REPEATED)
		return false;
	n = strlen(d->name);
	return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
	       strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

static void json_map(struct wd_buf *b, const ProtobufCFieldDescriptor *fd, size_t n,
		     ProtobufCMessage *const *items)
{
	const ProtobufCMessageDescriptor *d = fd->descriptor;

	wd_buf_ch(b, '{');
	for (size_t i = 0; i < n; i++) {
		const char *base = (const char *)items[i];

		if (i)
			wd_buf_ch(b, ',');
		/* JSON object keys are strings, whatever the key type. */
		if (d->fields[0].type == PROTOBUF_C_TYPE_STRING) {
			json_value(b, &d->fields[0], base + d->fields[0].offset);
		} else {
			wd_buf_ch(b, '"');
			json_value(b, &d->fields[0], base + d->fields[0].offset);
			wd_buf_ch(b, '"');
		}
		wd_buf_ch(b, ':');
		json_value(b, &d->fields[1], base + d->fields[1].offset);
	}
	wd_buf_ch(b, '}');
}

static void json_message(struct wd_buf *b, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	bool first = true;

	wd_buf_ch(b, '{');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const void *v = base + fd->offset;

		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
				continue;
		} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE &&
			   fd->label != PROTOBUF_C_LABEL_REPEATED && !*(void *const *)v) {
			continue;
		}
		if (!first)
			wd_buf_ch(b, ',');
		first = false;
		wd_json_buf_str(b, fd->name);
		wd_buf_ch(b, ':');
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + fd->quantifier_offset);
			const char *arr = *(const char *const *)v;

			if (is_map(fd)) {
				json_map(b, fd, n, (ProtobufCMessage *const *)arr);
				continue;
			}
			wd_buf_ch(b, '[');
			for (size_t k = 0; k < n; k++) {
				if (k)
					wd_buf_ch(b, ',');
				json_value(b, fd, arr + k * type_size(fd->type));
			}
			wd_buf_ch(b, ']');
		} else {
			json_value(b, fd, v);
		}
	}
	wd_buf_ch(b, '}');
}

void wd_pb_event_json_buf(struct wd_buf *b, const Warden__V1__Event *ev)
{
	json_message(b, &ev->base);
}

void wd_pb_event_json(FILE *f, const Warden__V1__Event *ev)
{
	struct wd_buf b = {0};

	wd_pb_event_json_buf(&b, ev);
	if (b.len)
		fwrite(b.p, 1, b.len, f);
	wd_buf_free(&b);
}
