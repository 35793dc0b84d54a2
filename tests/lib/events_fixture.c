// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Events for tests (see events_fixture.h): one context, its /proc and rules, records, and the
 * synthetic events of every kind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "events_fixture.h"

static void set_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void wt_ev_ctx(struct wd_event_ctx *ctx, uint64_t *node_seq, uint64_t *sandbox_seq)
{
	static const struct wd_label labels[] = {
		{"repo", "acme/api"},
		{"note", "tab\there \"quoted\" back\\slash"},
	};

	*ctx = (struct wd_event_ctx){
		.identity = "ci:selftest/api#1",
		.labels = labels,
		.n_labels = 2,
		.sandbox_id = WT_EV_SANDBOX,
		.cgroup_path = "/sys/fs/cgroup/warden/" WT_EV_SANDBOX,
		.cgroup_id = 4242,
		.policy_name = "selftest",
		.node = "selftest-node",
		.boot_id = WT_EV_BOOT_ID,
		.boot_to_wall_ns = 1700000000000000000ll,
		.rule_text = wt_ev_rule,
		.proc_lookup = wt_ev_proc,
		.node_seq = node_seq,
		.sandbox_seq = sandbox_seq,
	};
}

/* The unit tests' processes: sh (12) under make (10) under warden (9, outside the sandbox), and
 * 77, whose pid was reused after the event. */
static int small_tree(uint32_t pid, struct wd_proc_info *out)
{
	out->start_ticks = 50;
	out->gid = 27;
	switch (pid) {
	case 12:
		out->ppid = 10;
		strcpy(out->comm, "sh");
		strcpy(out->exe, "/usr/bin/dash");
		strcpy(out->cgroup, "/warden/" WT_EV_SANDBOX);
		return 0;
	case 10:
		out->ppid = 9;
		strcpy(out->comm, "make");
		strcpy(out->exe, "/usr/bin/make");
		strcpy(out->cgroup, "/warden/" WT_EV_SANDBOX);
		return 0;
	case 9: /* warden, outside the sandbox */
		out->ppid = 1;
		strcpy(out->cgroup, "/system.slice/warden.service");
		return 0;
	case 77: /* a pid reused after the event: started later */
		out->start_ticks = 1ull << 40;
		strcpy(out->cgroup, "/warden/" WT_EV_SANDBOX);
		return 0;
	}
	return -ENOENT;
}

int wt_ev_proc(void *arg, uint32_t pid, struct wd_proc_info *buf, const struct wd_proc_info **res)
{
	struct wd_proc_info *out = buf;

	*res = buf;
	memset(out, 0, sizeof(*out));
	if (pid < 100)
		return small_tree(pid, out);
	out->start_ticks = 100 + pid;
	out->gid = 1000;
	switch (pid) {
	case 900: /* the sandbox's first process */
		out->ppid = 800;
		set_str(out->comm, sizeof(out->comm), "make");
		set_str(out->exe, sizeof(out->exe), "/usr/bin/make");
		break;
	case 800: /* warden itself, outside the sandbox: ancestry stops before it */
		out->ppid = 1;
		set_str(out->comm, sizeof(out->comm), "warden");
		set_str(out->exe, sizeof(out->exe), "/usr/sbin/warden");
		set_str(out->cgroup, sizeof(out->cgroup), "/system.slice/warden.service");
		return 0;
	default:
		if (pid < 1000)
			return -ENOENT;
		out->ppid = 900;
		set_str(out->comm, sizeof(out->comm), "sh");
		set_str(out->exe, sizeof(out->exe), "/usr/bin/dash");
	}
	set_str(out->cgroup, sizeof(out->cgroup), "/warden/" WT_EV_SANDBOX);
	return 0;
}

const char *wt_ev_rule(void *arg, uint32_t id)
{
	static char buf[128];

	if (!id)
		return NULL;
	snprintf(buf, sizeof(buf), "selftest.yaml:%u:7 rule \"%u\"", id, id);
	return buf;
}

int wt_ev_variant(unsigned i, struct wd_event *e)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	memset(e, 0, sizeof(*e));
	e->hdr.version = WD_ABI_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.ktime_ns = 200000000000ull + i * 1000000ull;
	e->cgroup_id = 4242;
	e->policy_id = 1;
	e->pid = 1000 + i % 7;
	e->tid = e->pid + (i % 2);
	e->uid = 1000;
	e->decision = WD_DEC_DENY;
	e->rule_id = i % 5;
	memcpy(e->comm, "sh\"x\\y0123456789", WD_COMM_LEN); /* no NUL: bounded */
	set_str(e->exe, sizeof(e->exe), i % 3 ? "/usr/bin/dash" : "");
	switch (i % WT_EV_VARIANTS) {
	case 0:
		return WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED;
	case 1:
		e->hdr.type = WD_EV_EXEC;
		e->hook = WD_HOOK_BPRM;
		e->decision = WD_DEC_ALLOW;
		set_str(e->path, sizeof(e->path), "/usr/bin/make");
		break;
	case 2:
		e->hdr.type = WD_EV_EXEC;
		e->hook = WD_HOOK_BPRM;
		set_str(e->path, sizeof(e->path), "/tmp/payload");
		break;
	case 3:
		e->hdr.type = WD_EV_FILE;
		e->hook = WD_HOOK_FILE_OPEN;
		e->op = WD_OP_READ;
		set_str(e->path, sizeof(e->path), "/etc/shadow");
		break;
	case 4:
		e->hdr.type = WD_EV_FILE;
		e->hook = WD_HOOK_FILE_OPEN;
		e->op = WD_OP_WRITE;
		e->decision = WD_DEC_ALLOW;
		set_str(e->path, sizeof(e->path), "/tmp/we\xff\xfeird\n\"name\"\ttab");
		break;
	case 5:
		e->hdr.type = WD_EV_CONNECT;
		e->hook = WD_HOOK_CONNECT4;
		e->family = AF_INET;
		e->proto = 6;
		e->port = 80;
		e->addr[10] = e->addr[11] = 0xff;
		e->addr[12] = 169;
		e->addr[13] = 254;
		e->addr[14] = 169;
		e->addr[15] = 254;
		break;
	case 6:
		e->hdr.type = WD_EV_CONNECT;
		e->hook = WD_HOOK_SENDMSG6;
		e->decision = WD_DEC_AUDIT_DENY;
		e->family = AF_INET6;
		e->proto = 17;
		e->port = 53;
		memcpy(e->addr, v6, 16);
		break;
	case 7:
		e->hdr.type = WD_EV_CONNECT;
		e->hook = WD_HOOK_UNIX_CONNECT;
		e->family = AF_UNIX;
		set_str(e->path, sizeof(e->path), "docker.sock");
		break;
	case 8:
		e->hdr.type = WD_EV_MMAP;
		e->hook = WD_HOOK_MMAP;
		e->decision = WD_DEC_ALLOW;
		e->op = WD_OP_EXEC;
		set_str(e->path, sizeof(e->path), "/usr/lib/x86_64-linux-gnu/libc.so.6");
		break;
	case 9:
		e->hdr.type = WD_EV_MMAP;
		e->hook = WD_HOOK_MPROTECT;
		e->op = WD_OP_EXEC;
		set_str(e->path, sizeof(e->path), "payload.so");
		break;
	case 10:
		e->hdr.type = WD_EV_SOCKET;
		e->hook = WD_HOOK_SOCK_CREATE;
		e->family = 17; /* AF_PACKET */
		e->proto = 3;	/* SOCK_RAW */
		break;
	case 11:
		e->hdr.type = WD_EV_CONFINE;
		e->hook = WD_HOOK_FILE_OPEN;
		e->op = WD_OP_WRITE;
		e->rule_id = 0;
		set_str(e->path, sizeof(e->path), "/sys/fs/cgroup/cgroup.procs");
		break;
	case 12:
		e->hdr.type = WD_EV_CONFINE;
		e->hook = WD_HOOK_TASK_ALLOC;
		e->rule_id = 0;
		break;
	case 13:
		e->hdr.type = WD_EV_LOST;
		e->lost = 3;
		break;
	case 14:
		return WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED;
	case 15:
		e->hdr.type = WD_EV_FILE;
		e->hook = WD_HOOK_TRUNCATE;
		e->op = WD_OP_WRITE;
		set_str(e->path, sizeof(e->path), "/etc/hosts");
		break;
	case 16:
		e->hdr.type = WD_EV_CONNECT;
		e->hook = WD_HOOK_UNIX_SEND;
		e->family = AF_UNIX;
		set_str(e->path, sizeof(e->path), "log");
		break;
	case WT_EV_VARIANTS - 1:
		return WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED;
	default: {
		/* Confinement: hook, then what the kernel puts in port and lost. */
		static const uint16_t confine[][3] = {
			{WD_HOOK_CAPABLE, 21, 0},    {WD_HOOK_BPF, 5, 0},
			{WD_HOOK_TASK_KILL, 9, 800}, {WD_HOOK_PTRACE, 0x11, 800},
			{WD_HOOK_MOUNT, 0, 0},	     {WD_HOOK_MOUNT, 1, 0},
			{WD_HOOK_CHROOT, 0, 0},	     {WD_HOOK_USERNS, 0, 0},
			{WD_HOOK_SETSOCKOPT, 7, 0},  {WD_HOOK_FILE_RECEIVE, 0, 0},
			{WD_HOOK_PATH_LINK, 0, 0},
		};
		const uint16_t *c = confine[i % WT_EV_VARIANTS - 17];

		e->hdr.type = WD_EV_CONFINE;
		e->rule_id = 0;
		e->hook = c[0];
		e->port = c[1];
		e->lost = c[2];
	}
	}
	return 0;
}

int wt_ev_generate(unsigned long n, uint64_t *node_seq, wt_ev_put_fn put, void *arg)
{
	uint64_t sb_seq = 0;
	struct wd_event_ctx ctx;
	static uint8_t buf[WD_PB_RECORD_MAX];
	struct wd_pb_event *pe = malloc(sizeof(*pe));
	int err = pe ? 0 : -ENOMEM;

	wt_ev_ctx(&ctx, node_seq, &sb_seq);
	for (unsigned long i = 0; !err && i < n; i++) {
		struct wd_event e;
		int kind = wt_ev_variant((unsigned)i, &e);
		size_t size;

		if (kind)
			err = wd_event_lifecycle_to_pb(
				&ctx, kind,
				kind == WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED ? "exit status 0"
										   : NULL,
				pe);
		else
			err = wd_event_to_pb(&e, &ctx, pe);
		if (err)
			break;
		size = warden__v1__event__get_packed_size(&pe->ev);
		if (size > sizeof(buf)) {
			err = -EMSGSIZE;
			break;
		}
		warden__v1__event__pack(&pe->ev, buf);
		err = put(arg, &pe->ev, buf, size);
	}
	free(pe);
	return err;
}

int wt_ev_setup(void **state)
{
	struct wt_ev_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->pe = malloc(sizeof(*f->pe));
	if (!f->pe) {
		free(f);
		return -1;
	}
	wt_ev_ctx(&f->ctx, &f->node_seq, &f->sb_seq);
	*state = f;
	return 0;
}

int wt_ev_teardown(void **state)
{
	struct wt_ev_fixture *f = *state;

	free(f->pe);
	free(f);
	return 0;
}

struct wd_event wt_ev_record(unsigned type, unsigned decision, unsigned hook)
{
	struct wd_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.version = WD_ABI_VERSION;
	e.hdr.type = type;
	e.hdr.size = sizeof(e);
	e.hdr.ktime_ns = 5000000000ull;
	e.cgroup_id = 4343;
	e.decision = decision;
	e.hook = hook;
	e.pid = 12;
	e.tid = 13;
	e.uid = 1000;
	e.rule_id = 7;
	strcpy(e.comm, "sh");
	return e;
}

Warden__V1__Event *wt_ev_through_wire(struct wt_ev_fixture *f, const struct wd_event *e)
{
	size_t len;

	if (wd_event_to_pb(e, &f->ctx, f->pe))
		return NULL;
	len = warden__v1__event__pack(&f->pe->ev, f->buf);
	if (len != warden__v1__event__get_packed_size(&f->pe->ev))
		return NULL;
	return warden__v1__event__unpack(NULL, len, f->buf);
}
