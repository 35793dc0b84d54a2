// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel event records become warden.v1.Event messages here: the header, the context's
 * identity, sandbox and policy, the process and its ancestry, the rule, and the action; and the
 * events warden makes itself (lifecycle, lost records). The packer (pack.c) reuses the parts. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "event/internal.h"
#include "hooks/hooks.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/syscall.h"
#include "warden/version.h"

bool wd_ev_has_sandbox(const struct wd_event_ctx *ctx)
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
	out->hdr.node = wd_ev_ctx_str(out, ctx->node, err);
	out->hdr.warden_version = WARDEN_VERSION;
	out->ev.header = &out->hdr;
}

/* What every event of @ctx says alike: identity, sandbox, policy name. */
void wd_ev_init_context(struct wd_pb_event *out, const struct wd_event_ctx *ctx, int *err)
{
	if (ctx->identity || ctx->n_labels) {
		size_t n = ctx->n_labels < WD_PB_LABELS_MAX ? ctx->n_labels : WD_PB_LABELS_MAX;

		if (ctx->n_labels > WD_PB_LABELS_MAX)
			*err = -ENOBUFS;
		warden__v1__identity__init(&out->id);
		out->id.name = wd_ev_ctx_str(out, ctx->identity, err);
		for (size_t i = 0; i < n; i++) {
			warden__v1__identity__labels_entry__init(&out->label[i]);
			out->label[i].key = wd_ev_ctx_str(out, ctx->labels[i].key, err);
			out->label[i].value = wd_ev_ctx_str(out, ctx->labels[i].value, err);
			out->label_p[i] = &out->label[i];
		}
		out->id.n_labels = n;
		out->id.labels = n ? out->label_p : NULL;
		out->ev.identity = &out->id;
	}
	if (wd_ev_has_sandbox(ctx)) {
		warden__v1__sandbox__init(&out->sb);
		out->sb.id = wd_ev_ctx_str(out, ctx->sandbox_id, err);
		out->sb.cgroup_path = wd_ev_ctx_str(out, ctx->cgroup_path, err);
		out->sb.cgroup_id = ctx->cgroup_id;
		out->ev.sandbox = &out->sb;
	}
	out->ev.policy_name = wd_ev_ctx_str(out, ctx->policy_name, err);
}

static void init_common(struct wd_pb_event *out, const struct wd_event_ctx *ctx, uint64_t boot_ns,
			int *err)
{
	init_header(out, ctx, boot_ns, err);
	wd_ev_init_context(out, ctx, err);
}

static void set_lifecycle(struct wd_pb_event *out, Warden__V1__Lifecycle__Kind kind,
			  const char *detail)
{
	warden__v1__lifecycle__init(&out->act.lifecycle);
	out->act.lifecycle.kind = kind;
	out->act.lifecycle.detail = wd_ev_kstr(out, detail, WD_RULE_TEXT_MAX);
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
bool wd_ev_started_after(uint64_t start_ticks, uint64_t boot_ns)
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

void wd_ev_fill_process(struct wd_pb_event *out, const struct wd_event *e,
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
	p->comm = wd_ev_kstr(out, e->comm, sizeof(e->comm));
	p->exe = wd_ev_kstr(out, e->exe, sizeof(e->exe));
	out->ev.process = p;
	if (!ctx->proc_lookup || !e->pid)
		return;

	if (ctx->proc_lookup(ctx->proc_lookup_arg, e->pid, &buf, &pi) == 0 &&
	    !wd_ev_started_after(pi->start_ticks, e->hdr.ktime_ns)) {
		seen->whole = true;
		seen->newest_start = pi->start_ticks;
		p->gid = pi->gid;
		exec_id(id, sizeof(id),
			ctx->boot_id && ctx->boot_id[0] ? ctx->boot_id
			: ctx->node			? ctx->node
							: "",
			e->pid, pi->start_ticks);
		p->exec_id = wd_ev_kstr(out, id, sizeof(id));
		/* The cgroup hooks run without the task's context: /proc fills in. */
		if (!p->exe[0])
			p->exe = wd_ev_kstr(out, pi->exe, sizeof(pi->exe));
		if (!p->ppid)
			p->ppid = pi->ppid;
	}

	up = p->ppid;
	while (up > 1 && p->n_ancestry < WD_PB_ANCESTRY_MAX) {
		Warden__V1__Ancestor *a = &out->anc[p->n_ancestry];

		if (ctx->proc_lookup(ctx->proc_lookup_arg, up, &buf, &pi) ||
		    wd_ev_started_after(pi->start_ticks, e->hdr.ktime_ns)) {
			seen->whole = false;
			break;
		}
		if (!in_sandbox(ctx, pi->cgroup))
			break;
		if (pi->start_ticks > seen->newest_start)
			seen->newest_start = pi->start_ticks;
		warden__v1__ancestor__init(a);
		a->pid = up;
		a->exe = wd_ev_kstr(out, pi->exe, sizeof(pi->exe));
		a->comm = wd_ev_kstr(out, pi->comm, sizeof(pi->comm));
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
	c->is_send = wd_hook_sends(e->hook) || (e->hook == WD_HOOK_EGRESS && e->proto == 17);
	if (e->family == AF_UNIX) {
		c->address_text = wd_ev_kstr(out, e->path, sizeof(e->path));
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
		c->address_text = wd_ev_kstr(out, text, sizeof(text));
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
 * socket option; 1 for a cgroup mkdir) and the other process's pid in lost: the detail and the
 * target (include/warden/abi.h). */
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
		c->capability = wd_event_confine_detail(e);
		break;
	case WD_HOOK_BPF:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__BPF;
		c->bpf_command = wd_event_confine_detail(e);
		break;
	case WD_HOOK_TASK_KILL:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__KILL;
		c->signal = wd_event_confine_detail(e);
		c->target_pid = (uint32_t)wd_event_confine_target(e);
		break;
	case WD_HOOK_PTRACE:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__PTRACE;
		c->ptrace_mode = wd_event_confine_detail(e);
		c->target_pid = (uint32_t)wd_event_confine_target(e);
		break;
	case WD_HOOK_MOUNT:
		c->what = wd_event_confine_detail(e) ? WARDEN__V1__CONFINEMENT__WHAT__CGROUP_MKDIR
						     : WARDEN__V1__CONFINEMENT__WHAT__MOUNT;
		break;
	case WD_HOOK_CHROOT:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__CHROOT;
		break;
	case WD_HOOK_USERNS:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__USER_NAMESPACE;
		break;
	case WD_HOOK_SETSOCKOPT:
		c->what = wd_event_confine_target(e) == 1 /* SOL_SOCKET: SO_BROADCAST */
				  ? WARDEN__V1__CONFINEMENT__WHAT__BROADCAST
				  : WARDEN__V1__CONFINEMENT__WHAT__SOURCE_ROUTING;
		c->socket_option = wd_event_confine_detail(e);
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
		c->mode = wd_event_confine_detail(e);
		break;
	case WD_HOOK_KEY_PERMISSION:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__KEYRING;
		c->key_serial = (uint32_t)wd_event_confine_target(e);
		c->key_permission = wd_event_confine_detail(e);
		break;
	case WD_HOOK_FILE_IOCTL:
	case WD_HOOK_FILE_IOCTL_COMPAT:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__TERMINAL_INPUT;
		c->ioctl = wd_event_confine_detail(e);
		break;
	case WD_HOOK_SECCOMP:
	case WD_HOOK_ROFS:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__SYSCALL;
		c->syscall = wd_event_confine_detail(e);
		c->syscall_name =
			(char *)(wd_syscall_name(c->syscall) ? wd_syscall_name(c->syscall) : "");
		c->error = (uint32_t)wd_event_confine_target(e);
		c->maybe_kernel = (e->op & WD_SC_BY_ARGS) != 0;
		break;
	case WD_HOOK_BIND4:
	case WD_HOOK_BIND6:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__SHARED_PORT;
		c->address = wd_ev_kstr(out, addr_port_text(e, text, sizeof(text)), sizeof(text));
		break;
	default: /* a cgroup or bpffs file opened for writing or changed */
	cgroup_write:
		c->what = WARDEN__V1__CONFINEMENT__WHAT__CGROUP_WRITE;
		c->path = wd_ev_kstr(out, e->path, sizeof(e->path));
	}
	out->ev.action_case = WARDEN__V1__EVENT__ACTION_CONFINEMENT;
	out->ev.confinement = c;
}

const char *wd_ev_rule_text(const struct wd_event *e, const struct wd_event_ctx *ctx)
{
	const char *t = ctx->rule_text ? ctx->rule_text(ctx->rule_text_arg, e->rule_id) : NULL;

	if (t || e->rule_id != WD_RULE_DEFAULT)
		return t;
	/* The same words `warden run` prints for the implicit rule: what was refused. */
	return wd_default_rule_text(e);
}

/* @parts: the identity, sandbox, policy name, rule and process are left out (wd_event_pack()
 * adds them, packed once). */
int wd_ev_convert(const struct wd_event *e, const struct wd_event_ctx *ctx, struct wd_pb_event *out,
		  bool parts)
{
	int err = 0;

	if (e->hdr.version != WD_ABI_VERSION || e->hdr.type < WD_EV_EXEC ||
	    e->hdr.type > WD_EV_LOST)
		return -EINVAL;
	if (e->hdr.type == WD_EV_LOST)
		return lost_at(ctx, e->lost, "kernel ring buffer full", e->hdr.ktime_ns, out);

	init_header(out, ctx, e->hdr.ktime_ns, &err);
	if (!parts) {
		wd_ev_init_context(out, ctx, &err);
		if (e->cgroup_id && out->ev.sandbox)
			out->sb.cgroup_id = e->cgroup_id;
		warden__v1__rule__init(&out->rule);
		out->rule.id = e->rule_id;
		out->rule.text = wd_ev_kstr(out, wd_ev_rule_text(e, ctx), WD_RULE_TEXT_MAX);
		out->ev.rule = &out->rule;
	}
	if (!parts)
		wd_ev_fill_process(out, e, ctx, NULL);
	out->ev.decision = decision_pb(e->decision);
	out->ev.hook = (char *)(wd_hook_name(e->hook) ? wd_hook_name(e->hook) : "");

	switch (e->hdr.type) {
	case WD_EV_EXEC:
		warden__v1__exec__init(&out->act.exec);
		out->act.exec.path = wd_ev_kstr(out, e->path, sizeof(e->path));
		out->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC;
		out->ev.exec = &out->act.exec;
		break;
	case WD_EV_FILE:
		warden__v1__file_open__init(&out->act.file_open);
		out->act.file_open.path = wd_ev_kstr(out, e->path, sizeof(e->path));
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
		out->act.exec_mapping.path = wd_ev_kstr(out, e->path, sizeof(e->path));
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
	return wd_ev_convert(e, ctx, out, false);
}

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
