// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: warden.v1.Event. Every kernel record type converts and round-trips through the wire
 * format; the wire bytes of one small message match protobuf's encoding rules (worked out by
 * hand); unknown fields are skipped; truncated and oversized input is refused; the framed
 * reader reports where a file breaks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "event/event.h"
#include "event/nodeseq.h"
#include "warden/version.h"

#define SB "sb-0123456789abcdef"

static const struct wd_label labels[] = {{"repo", "acme/api"}, {"team", "platform"}};

static int fake_proc(void *arg, uint32_t pid, struct wd_proc_info *buf,
		     const struct wd_proc_info **res)
{
	struct wd_proc_info *out = buf;

	*res = buf;
	memset(out, 0, sizeof(*out));
	out->start_ticks = 50;
	out->gid = 27;
	switch (pid) {
	case 12:
		out->ppid = 10;
		strcpy(out->comm, "sh");
		strcpy(out->exe, "/usr/bin/dash");
		strcpy(out->cgroup, "/warden/" SB);
		return 0;
	case 10:
		out->ppid = 9;
		strcpy(out->comm, "make");
		strcpy(out->exe, "/usr/bin/make");
		strcpy(out->cgroup, "/warden/" SB);
		return 0;
	case 9: /* warden, outside the sandbox */
		out->ppid = 1;
		strcpy(out->cgroup, "/system.slice/warden.service");
		return 0;
	case 77: /* a pid reused after the event: started later */
		out->start_ticks = 1ull << 40;
		strcpy(out->cgroup, "/warden/" SB);
		return 0;
	}
	return -ENOENT;
}

static const char *fake_rule(void *arg, uint32_t id)
{
	return id == 7 ? "p.yaml:3:5 exec deny /tmp/" : NULL;
}

struct fixture {
	uint64_t node_seq, sb_seq;
	struct wd_event_ctx ctx;
	struct wd_pb_event *pe;
	uint8_t buf[WD_PB_VARINT_MAX + WD_PB_RECORD_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->pe = malloc(sizeof(*f->pe));
	f->ctx = (struct wd_event_ctx){
		.identity = "ci:acme/api#8812",
		.labels = labels,
		.n_labels = 2,
		.sandbox_id = SB,
		.cgroup_path = "/sys/fs/cgroup/warden/" SB,
		.cgroup_id = 99,
		.policy_name = "build",
		.node = "build-7",
		.boot_id = "b00t",
		.boot_to_wall_ns = 1000000000000000000ll,
		.rule_text = fake_rule,
		.proc_lookup = fake_proc,
		.node_seq = &f->node_seq,
		.sandbox_seq = &f->sb_seq,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->pe);
	free(f);
	return 0;
}

static struct wd_event base(unsigned type, unsigned decision, unsigned hook)
{
	struct wd_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.version = WD_ABI_VERSION;
	e.hdr.type = type;
	e.hdr.size = sizeof(e);
	e.hdr.ktime_ns = 5000000000ull;
	e.cgroup_id = 4242;
	e.decision = decision;
	e.hook = hook;
	e.pid = 12;
	e.tid = 13;
	e.uid = 1000;
	e.rule_id = 7;
	strcpy(e.comm, "sh");
	return e;
}

/* Converts, packs, and unpacks again: what a consumer would see. */
static Warden__V1__Event *through_wire(struct fixture *f, const struct wd_event *e)
{
	size_t len;

	assert_int_equal(wd_event_to_pb(e, &f->ctx, f->pe), 0);
	len = warden__v1__event__pack(&f->pe->ev, f->buf);
	assert_int_equal(len, warden__v1__event__get_packed_size(&f->pe->ev));
	return warden__v1__event__unpack(NULL, len, f->buf);
}

static void common_fields(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	Warden__V1__Event *ev;

	strcpy(e.path, "/tmp/payload");
	ev = through_wire(f, &e);
	assert_non_null(ev);
	assert_int_equal(ev->header->seq, 1);
	assert_int_equal(ev->header->sandbox_seq, 1);
	assert_int_equal(ev->header->boot_ns, 5000000000ull);
	assert_int_equal(ev->header->wall_ns, 1000000000000000000ull + 5000000000ull);
	assert_string_equal(ev->header->node, "build-7");
	assert_string_equal(ev->header->warden_version, WARDEN_VERSION);
	assert_string_equal(ev->identity->name, "ci:acme/api#8812");
	assert_int_equal(ev->identity->n_labels, 2);
	assert_string_equal(ev->identity->labels[0]->key, "repo");
	assert_string_equal(ev->identity->labels[0]->value, "acme/api");
	assert_string_equal(ev->sandbox->id, SB);
	assert_string_equal(ev->sandbox->cgroup_path, "/sys/fs/cgroup/warden/" SB);
	assert_int_equal(ev->sandbox->cgroup_id, 4242); /* the kernel's, not the context's */
	assert_string_equal(ev->policy_name, "build");
	assert_int_equal(ev->decision, WARDEN__V1__DECISION__DECISION_DENIED);
	assert_string_equal(ev->hook, "bprm_check_security");
	assert_int_equal(ev->rule->id, 7);
	assert_string_equal(ev->rule->text, "p.yaml:3:5 exec deny /tmp/");

	assert_int_equal(ev->process->pid, 12);
	assert_int_equal(ev->process->tid, 13);
	assert_int_equal(ev->process->uid, 1000);
	assert_int_equal(ev->process->gid, 27);
	assert_int_equal(ev->process->ppid, 10); /* from /proc: the record had none */
	assert_string_equal(ev->process->comm, "sh");
	assert_string_equal(ev->process->exe, "/usr/bin/dash");
	assert_string_equal(ev->process->exec_id, "b00t:12:50");
	/* Up to the sandbox's first process; warden (outside) is not listed. */
	assert_int_equal(ev->process->n_ancestry, 1);
	assert_int_equal(ev->process->ancestry[0]->pid, 10);
	assert_string_equal(ev->process->ancestry[0]->exe, "/usr/bin/make");
	assert_string_equal(ev->process->ancestry[0]->comm, "make");

	assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_EXEC);
	assert_string_equal(ev->exec->path, "/tmp/payload");
	warden__v1__event__free_unpacked(ev, NULL);

	/* Counters only grow. */
	ev = through_wire(f, &e);
	assert_int_equal(ev->header->seq, 2);
	assert_int_equal(ev->header->sandbox_seq, 2);
	warden__v1__event__free_unpacked(ev, NULL);
}

static void file_and_mmap(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_FILE, WD_DEC_AUDIT_DENY, WD_HOOK_FILE_OPEN);
	Warden__V1__Event *ev;

	e.op = WD_OP_WRITE;
	strcpy(e.path, "/etc/passwd");
	ev = through_wire(f, &e);
	assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_FILE_OPEN);
	assert_string_equal(ev->file_open->path, "/etc/passwd");
	assert_false(ev->file_open->read);
	assert_true(ev->file_open->write);
	assert_int_equal(ev->decision, WARDEN__V1__DECISION__DECISION_AUDIT_DENIED);
	warden__v1__event__free_unpacked(ev, NULL);

	e.op = WD_OP_READ;
	ev = through_wire(f, &e);
	assert_true(ev->file_open->read);
	assert_false(ev->file_open->write);
	warden__v1__event__free_unpacked(ev, NULL);

	e = base(WD_EV_MMAP, WD_DEC_ALLOW, WD_HOOK_MMAP);
	strcpy(e.path, "/usr/lib/libc.so.6");
	ev = through_wire(f, &e);
	assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_EXEC_MAPPING);
	assert_string_equal(ev->exec_mapping->path, "/usr/lib/libc.so.6");
	assert_false(ev->exec_mapping->via_mprotect);
	assert_string_equal(ev->hook, "mmap_file");
	assert_int_equal(ev->decision, WARDEN__V1__DECISION__DECISION_ALLOWED);
	warden__v1__event__free_unpacked(ev, NULL);

	e.hook = WD_HOOK_MPROTECT;
	ev = through_wire(f, &e);
	assert_true(ev->exec_mapping->via_mprotect);
	assert_string_equal(ev->hook, "file_mprotect");
	warden__v1__event__free_unpacked(ev, NULL);
}

static void connect_kinds(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_CONNECT4);
	static const uint8_t v4[4] = {169, 254, 169, 254};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	Warden__V1__Event *ev;

	e.family = AF_INET;
	e.proto = 6;
	e.port = 80;
	e.addr[10] = e.addr[11] = 0xff;
	memcpy(e.addr + 12, v4, 4);
	ev = through_wire(f, &e);
	assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_CONNECT);
	assert_int_equal(ev->connect->family, WARDEN__V1__FAMILY__FAMILY_INET);
	assert_int_equal(ev->connect->address.len, 4);
	assert_memory_equal(ev->connect->address.data, v4, 4);
	assert_string_equal(ev->connect->address_text, "169.254.169.254");
	assert_int_equal(ev->connect->port, 80);
	assert_int_equal(ev->connect->protocol, WARDEN__V1__PROTOCOL__PROTOCOL_TCP);
	assert_int_equal(ev->connect->ip_protocol, 6);
	assert_false(ev->connect->is_send);
	assert_string_equal(ev->hook, "cgroup/connect4");
	warden__v1__event__free_unpacked(ev, NULL);

	e.family = AF_INET6;
	memcpy(e.addr, v6, 16);
	e.proto = 17;
	e.port = 53;
	e.hook = WD_HOOK_SENDMSG6;
	ev = through_wire(f, &e);
	assert_int_equal(ev->connect->family, WARDEN__V1__FAMILY__FAMILY_INET6);
	assert_int_equal(ev->connect->address.len, 16);
	assert_memory_equal(ev->connect->address.data, v6, 16);
	assert_string_equal(ev->connect->address_text, "2001:db8::1");
	assert_int_equal(ev->connect->protocol, WARDEN__V1__PROTOCOL__PROTOCOL_UDP);
	assert_true(ev->connect->is_send);
	warden__v1__event__free_unpacked(ev, NULL);

	e.hook = WD_HOOK_SOCK_SENDMSG;
	e.proto = 132; /* SCTP */
	ev = through_wire(f, &e);
	assert_true(ev->connect->is_send);
	assert_int_equal(ev->connect->protocol, WARDEN__V1__PROTOCOL__PROTOCOL_OTHER);
	assert_int_equal(ev->connect->ip_protocol, 132);
	warden__v1__event__free_unpacked(ev, NULL);

	e = base(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_UNIX_CONNECT);
	e.family = AF_UNIX;
	strcpy(e.path, "docker.sock");
	ev = through_wire(f, &e);
	assert_int_equal(ev->connect->family, WARDEN__V1__FAMILY__FAMILY_UNIX);
	assert_int_equal(ev->connect->address.len, 0);
	assert_string_equal(ev->connect->address_text, "docker.sock");
	assert_int_equal(ev->connect->port, 0);
	assert_string_equal(ev->hook, "unix_stream_connect");
	warden__v1__event__free_unpacked(ev, NULL);
}

static void socket_and_confinement(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_SOCKET, WD_DEC_DENY, WD_HOOK_SOCK_CREATE);
	Warden__V1__Event *ev;

	e.family = 17; /* AF_PACKET */
	e.proto = 3;   /* SOCK_RAW */
	e.rule_id = 0;
	ev = through_wire(f, &e);
	assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_SOCKET_CREATE);
	assert_int_equal(ev->socket_create->family, WARDEN__V1__FAMILY__FAMILY_PACKET);
	assert_int_equal(ev->socket_create->type, WARDEN__V1__SOCKET_TYPE__SOCKET_TYPE_RAW);
	assert_int_equal(ev->rule->id, 0);
	assert_string_equal(ev->rule->text, "default: no rule allows it");
	warden__v1__event__free_unpacked(ev, NULL);

	/* A family the enum does not list still arrives as its number. */
	e.family = 45;
	ev = through_wire(f, &e);
	assert_int_equal(ev->socket_create->family, 45);
	warden__v1__event__free_unpacked(ev, NULL);

	e = base(WD_EV_CONFINE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);
	e.rule_id = 0;
	strcpy(e.path, "/sys/fs/cgroup/cgroup.procs");
	ev = through_wire(f, &e);
	assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_CONFINEMENT);
	assert_int_equal(ev->confinement->what, WARDEN__V1__CONFINEMENT__WHAT__CGROUP_WRITE);
	assert_string_equal(ev->confinement->path, "/sys/fs/cgroup/cgroup.procs");
	assert_string_equal(ev->rule->text,
			    "confinement: a sandbox cannot change cgroup or write to cgroup files");
	warden__v1__event__free_unpacked(ev, NULL);

	e.hook = WD_HOOK_TASK_ALLOC;
	e.path[0] = '\0';
	ev = through_wire(f, &e);
	assert_int_equal(ev->confinement->what, WARDEN__V1__CONFINEMENT__WHAT__CLONE_INTO_CGROUP);
	assert_string_equal(ev->confinement->path, "");
	assert_string_equal(ev->hook, "task_alloc");
	warden__v1__event__free_unpacked(ev, NULL);
}

/* What the kernel puts in port (the detail) and lost (the other pid) lands in named fields. */
static void confinement_details(void **state)
{
	static const struct {
		unsigned hook, port, target;
		Warden__V1__Confinement__What what;
		const char *hook_name;
		const char *says; /* the rule text names what was refused */
	} cases[] = {
		{WD_HOOK_CAPABLE, 21, 0, WARDEN__V1__CONFINEMENT__WHAT__CAPABILITY, "capable",
		 "capabilities"},
		{WD_HOOK_BPF, 5, 0, WARDEN__V1__CONFINEMENT__WHAT__BPF, "bpf", "bpf(2)"},
		{WD_HOOK_TASK_KILL, 9, 4711, WARDEN__V1__CONFINEMENT__WHAT__KILL, "task_kill",
		 "signal"},
		{WD_HOOK_PTRACE, 0x11, 4711, WARDEN__V1__CONFINEMENT__WHAT__PTRACE,
		 "ptrace_access_check", "trace"},
		{WD_HOOK_MOUNT, 0, 0, WARDEN__V1__CONFINEMENT__WHAT__MOUNT, "sb_mount", "mount"},
		{WD_HOOK_MOUNT, 1, 0, WARDEN__V1__CONFINEMENT__WHAT__CGROUP_MKDIR, "sb_mount",
		 "create cgroups"},
		{WD_HOOK_CHROOT, 0, 0, WARDEN__V1__CONFINEMENT__WHAT__CHROOT, "path_chroot",
		 "chroot"},
		{WD_HOOK_USERNS, 0, 0, WARDEN__V1__CONFINEMENT__WHAT__USER_NAMESPACE,
		 "userns_create", "user namespaces"},
		{WD_HOOK_SETSOCKOPT, 7, 0, WARDEN__V1__CONFINEMENT__WHAT__SOURCE_ROUTING,
		 "socket_setsockopt", "source routing"},
		{WD_HOOK_FILE_RECEIVE, 0, 0, WARDEN__V1__CONFINEMENT__WHAT__RECEIVE_SOCKET,
		 "file_receive", "receive sockets"},
		{WD_HOOK_PATH_LINK, 0, 0, WARDEN__V1__CONFINEMENT__WHAT__HARDLINK, "path_link",
		 "hardlink"},
		{WD_HOOK_PATH_CHMOD, 04755, 0, WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE,
		 "path_chmod", "setuid"},
		{WD_HOOK_PATH_MKNOD, 02755, 0, WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE,
		 "path_mknod", "setuid"},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wd_event e = base(WD_EV_CONFINE, WD_DEC_DENY, cases[i].hook);
		Warden__V1__Confinement *c;
		Warden__V1__Event *ev;

		e.rule_id = 0;
		e.port = (uint16_t)cases[i].port;
		e.lost = cases[i].target;
		ev = through_wire(f, &e);
		assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_CONFINEMENT);
		c = ev->confinement;
		assert_int_equal(c->what, cases[i].what);
		assert_string_equal(ev->hook, cases[i].hook_name);
		assert_int_equal(c->capability, cases[i].hook == WD_HOOK_CAPABLE ? 21 : 0);
		assert_int_equal(c->bpf_command, cases[i].hook == WD_HOOK_BPF ? 5 : 0);
		assert_int_equal(c->signal, cases[i].hook == WD_HOOK_TASK_KILL ? 9 : 0);
		assert_int_equal(c->ptrace_mode, cases[i].hook == WD_HOOK_PTRACE ? 0x11 : 0);
		assert_int_equal(c->socket_option, cases[i].hook == WD_HOOK_SETSOCKOPT ? 7 : 0);
		assert_int_equal(c->mode, c->what == WARDEN__V1__CONFINEMENT__WHAT__SETID_FILE
						  ? cases[i].port
						  : 0);
		assert_int_equal(c->target_pid, cases[i].target);
		assert_string_equal(c->path, "");
		if (!strstr(ev->rule->text, cases[i].says))
			fail_msg("hook %s: rule text '%s' does not say '%s'", cases[i].hook_name,
				 ev->rule->text, cases[i].says);
		warden__v1__event__free_unpacked(ev, NULL);
	}
}

static void truncate_and_unix_send(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_TRUNCATE);
	Warden__V1__Event *ev;

	e.op = WD_OP_WRITE;
	strcpy(e.path, "/etc/hosts");
	ev = through_wire(f, &e);
	assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_FILE_OPEN);
	assert_true(ev->file_open->write);
	assert_true(ev->file_open->truncate);
	assert_string_equal(ev->hook, "path_truncate");
	warden__v1__event__free_unpacked(ev, NULL);

	/* Changes to the file system: the change is named; a path the kernel walk could not
	 * resolve says so. */
	e = base(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_PATH_RENAME);
	e.op = WD_OP_WRITE;
	e.proto = WD_CH_RENAME_TO;
	strcpy(e.path, "/etc/cron.d/evil");
	ev = through_wire(f, &e);
	assert_true(ev->file_open->write);
	assert_false(ev->file_open->truncate);
	assert_int_equal(ev->file_open->change, WARDEN__V1__FILE_OPEN__CHANGE__CHANGE_RENAME_TO);
	assert_false(ev->file_open->path_unresolved);
	assert_string_equal(ev->file_open->path, "/etc/cron.d/evil");
	assert_string_equal(ev->hook, "path_rename");
	warden__v1__event__free_unpacked(ev, NULL);

	e = base(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_PATH_MKDIR);
	e.op = WD_OP_WRITE;
	e.proto = WD_CH_MKDIR;
	e.port = WD_PATHERR_TOO_LONG;
	ev = through_wire(f, &e);
	assert_int_equal(ev->file_open->change, WARDEN__V1__FILE_OPEN__CHANGE__CHANGE_MKDIR);
	assert_true(ev->file_open->path_unresolved);
	assert_string_equal(ev->file_open->path, "");
	warden__v1__event__free_unpacked(ev, NULL);

	e = base(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_TRUNCATE);
	e.op = WD_OP_WRITE;
	e.proto = WD_CH_TRUNCATE;
	ev = through_wire(f, &e);
	assert_true(ev->file_open->truncate);
	assert_int_equal(ev->file_open->change, WARDEN__V1__FILE_OPEN__CHANGE__CHANGE_TRUNCATE);
	warden__v1__event__free_unpacked(ev, NULL);

	e = base(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_UNIX_SEND);
	e.family = AF_UNIX;
	strcpy(e.path, "log");
	ev = through_wire(f, &e);
	assert_int_equal(ev->connect->family, WARDEN__V1__FAMILY__FAMILY_UNIX);
	assert_true(ev->connect->is_send);
	assert_string_equal(ev->connect->address_text, "log");
	assert_string_equal(ev->hook, "unix_may_send");
	warden__v1__event__free_unpacked(ev, NULL);
}

static void lifecycle_and_lost(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_LOST, 0, 0);
	Warden__V1__Event *ev;
	size_t len;

	assert_int_equal(wd_event_lifecycle_to_pb(&f->ctx,
						  WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED,
						  "ttl 15m", f->pe),
			 0);
	len = warden__v1__event__pack(&f->pe->ev, f->buf);
	ev = warden__v1__event__unpack(NULL, len, f->buf);
	assert_non_null(ev);
	assert_int_equal(ev->header->seq, 1);
	assert_true(ev->header->boot_ns > 0);
	assert_null(ev->process);
	assert_null(ev->rule);
	assert_int_equal(ev->decision, WARDEN__V1__DECISION__DECISION_UNSPECIFIED);
	assert_int_equal(ev->action_case, WARDEN__V1__EVENT__ACTION_LIFECYCLE);
	assert_int_equal(ev->lifecycle->kind, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED);
	assert_string_equal(ev->lifecycle->detail, "ttl 15m");
	assert_string_equal(ev->identity->name, "ci:acme/api#8812");
	warden__v1__event__free_unpacked(ev, NULL);

	/* 5 lost in the kernel: seqs 2-6 are theirs, the report itself is 7. */
	e.lost = 5;
	ev = through_wire(f, &e);
	assert_int_equal(ev->lifecycle->kind, WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST);
	assert_int_equal(ev->lifecycle->lost_count, 5);
	assert_int_equal(ev->lifecycle->lost_first_seq, 2);
	assert_int_equal(ev->lifecycle->lost_last_seq, 6);
	assert_int_equal(ev->header->seq, 7);
	assert_int_equal(ev->header->boot_ns, 5000000000ull);
	warden__v1__event__free_unpacked(ev, NULL);

	assert_int_equal(wd_event_lost_to_pb(&f->ctx, 2, "sink full", f->pe), 0);
	assert_int_equal(f->pe->act.lifecycle.lost_first_seq, 8);
	assert_int_equal(f->pe->act.lifecycle.lost_last_seq, 9);
	assert_int_equal(f->pe->hdr.seq, 10);
	assert_int_equal(f->node_seq, 10);
}

/* Kernel strings: bounded, maybe without a NUL, any bytes; out come valid UTF-8 strings. */
static void kernel_strings(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);
	Warden__V1__Event *ev;

	memset(e.comm, 'c', sizeof(e.comm));
	memset(e.path, 'p', sizeof(e.path));
	memset(e.exe, 'x', sizeof(e.exe));
	ev = through_wire(f, &e);
	assert_int_equal(strlen(ev->process->comm), WD_COMM_LEN);
	assert_int_equal(strlen(ev->file_open->path), WD_PATH_MAX);
	assert_int_equal(strlen(ev->process->exe), WD_PATH_MAX);
	warden__v1__event__free_unpacked(ev, NULL);

	strcpy(e.path, "/tmp/a\xff"
		       "b\xc3"
		       "c\xe2\x82\xac");
	ev = through_wire(f, &e);
	assert_string_equal(ev->file_open->path, "/tmp/a\xef\xbf\xbd"
						 "b\xef\xbf\xbd"
						 "c\xe2\x82\xac");
	warden__v1__event__free_unpacked(ev, NULL);

	/* Records of another ABI or of no known type are refused. */
	e.hdr.version = WD_ABI_VERSION + 1;
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), -EINVAL);
	e.hdr.version = WD_ABI_VERSION;
	e.hdr.type = 99;
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), -EINVAL);
}

/* Kernel strings of every short length, ASCII or with an invalid byte at each position, with
 * high-bit garbage after the NUL (a reserved ring buffer record is not zeroed): the copy eight
 * bytes at a time must end at the NUL and judge only the bytes before it. */
static void kernel_strings_every_length(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);

	for (int len = 0; len <= 40; len++) {
		for (int bad = -1; bad < len; bad++) {
			char want[64];
			int w = 0;

			memset(e.path, 0xc8, sizeof(e.path));
			for (int i = 0; i < len; i++) {
				e.path[i] = (char)(i == bad ? 0xff : 'a' + i % 26);
				if (i == bad)
					w += sprintf(want + w, "\xef\xbf\xbd");
				else
					want[w++] = (char)('a' + i % 26);
			}
			want[w] = '\0';
			e.path[len] = '\0';
			assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
			assert_string_equal(f->pe->act.file_open.path, want);
		}
	}
}

static void proc_unknown(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_EXEC, WD_DEC_ALLOW, WD_HOOK_BPRM);
	Warden__V1__Event *ev;

	/* Gone: nothing from /proc, and no ancestry without a ppid. */
	e.pid = 55;
	ev = through_wire(f, &e);
	assert_string_equal(ev->process->exec_id, "");
	assert_int_equal(ev->process->gid, 0);
	assert_int_equal(ev->process->ppid, 0);
	assert_int_equal(ev->process->n_ancestry, 0);
	warden__v1__event__free_unpacked(ev, NULL);

	/* Reused pid: a process that started after the event is not the actor. */
	e.pid = 77;
	ev = through_wire(f, &e);
	assert_string_equal(ev->process->exec_id, "");
	warden__v1__event__free_unpacked(ev, NULL);

	/* Without a lookup, only the kernel's facts. */
	f->ctx.proc_lookup = NULL;
	e.pid = 12;
	e.ppid = 10;
	ev = through_wire(f, &e);
	assert_string_equal(ev->process->exec_id, "");
	assert_int_equal(ev->process->ppid, 10);
	assert_int_equal(ev->process->n_ancestry, 0);
	warden__v1__event__free_unpacked(ev, NULL);
}

static void procfs_reader(void **state)
{
	char dir[] = "/tmp/wd-proc-XXXXXX", path[256];
	struct wd_proc_info pi;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/42", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/42/stat", dir);
	fp = fopen(path, "w");
	/* comm with a space and a parenthesis, as the kernel allows. */
	fprintf(fp, "42 (a b) c) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 "
		    "1000 100 18446744073709551615\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/42/status", dir);
	fp = fopen(path, "w");
	fprintf(fp, "Name:\tx\nUid:\t0\t0\t0\t0\nGid:\t33\t33\t33\t33\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/42/cgroup", dir);
	fp = fopen(path, "w");
	fprintf(fp, "0::/warden/" SB "\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/42/exe", dir);
	assert_int_equal(symlink("/usr/bin/true", path), 0);

	assert_int_equal(wd_proc_lookup_procfs(dir, 42, &pi), 0);
	assert_int_equal(pi.ppid, 7);
	assert_int_equal(pi.start_ticks, 123456);
	assert_int_equal(pi.gid, 33);
	assert_string_equal(pi.comm, "a b) c");
	assert_string_equal(pi.exe, "/usr/bin/true");
	assert_string_equal(pi.cgroup, "/warden/" SB);
	assert_int_equal(wd_proc_lookup_procfs(dir, 43, &pi), -ENOENT);

	/* The real /proc: ourselves. */
	assert_int_equal(wd_proc_lookup_procfs(NULL, (uint32_t)getpid(), &pi), 0);
	assert_int_equal(pi.ppid, (uint32_t)getppid());
	assert_true(pi.start_ticks > 0);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* By hand, from the encoding rules: tag = field << 3 | wire type (0 varint, 2 length).
 *   decision (5) = 2             28 02
 *   hook (6) = "file_open"       32 09 'file_open'
 *   rule (7) = {id (1) = 300}    3a 03 08 ac 02      (300 = 0b10_0101100: ac 02)
 *   exec (9) = {path (1) = "/x"} 4a 04 0a 02 '/x'
 * and the frame: the length, 2 + 11 + 5 + 6 = 24, as one varint byte (0x18) first. */
static void wire_bytes(void **state)
{
	Warden__V1__Event ev = WARDEN__V1__EVENT__INIT;
	Warden__V1__Rule rule = WARDEN__V1__RULE__INIT;
	Warden__V1__Exec ex = WARDEN__V1__EXEC__INIT;
	static const uint8_t want[] = {0x18, 0x28, 0x02, 0x32, 0x09, 'f',  'i',	 'l',  'e',
				       '_',  'o',  'p',	 'e',  'n',  0x3a, 0x03, 0x08, 0xac,
				       0x02, 0x4a, 0x04, 0x0a, 0x02, '/',  'x'};
	uint8_t buf[64];
	size_t len;

	ev.decision = WARDEN__V1__DECISION__DECISION_DENIED;
	ev.hook = "file_open";
	rule.id = 300;
	ev.rule = &rule;
	ex.path = "/x";
	ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC;
	ev.exec = &ex;
	assert_int_equal(wd_pb_frame(&ev, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(wd_pb_frame(&ev, buf, 10, &len), -ENOBUFS);
}

static void varints(void **state)
{
	static const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
	static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					 0x80, 0x80, 0x80, 0x80, 0x00};
	uint8_t b[WD_PB_VARINT_MAX];
	uint64_t v;

	assert_int_equal(wd_pb_varint_put(b, 0), 1);
	assert_int_equal(b[0], 0);
	assert_int_equal(wd_pb_varint_put(b, 300), 2);
	assert_int_equal(b[0], 0xac);
	assert_int_equal(b[1], 0x02);
	assert_int_equal(wd_pb_varint_put(b, UINT64_MAX), 10);
	assert_memory_equal(b, max, 10);
	assert_int_equal(wd_pb_varint_get(max, 10, &v), 10);
	assert_true(v == UINT64_MAX);
	assert_int_equal(wd_pb_varint_get(max, 9, &v), 0); /* needs more bytes */
	assert_int_equal(wd_pb_varint_get(over, 10, &v), -EBADMSG);
	assert_int_equal(wd_pb_varint_get(eleven, 11, &v), -EBADMSG);
}

/* Fields a newer warden adds are skipped, in the event and in nested messages. */
static void unknown_fields_skipped(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	Warden__V1__Header hdr = WARDEN__V1__HEADER__INIT;
	Warden__V1__Event small = WARDEN__V1__EVENT__INIT, *ev;
	uint8_t buf[256];
	size_t len;

	strcpy(e.path, "/bin/x");
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	len = warden__v1__event__pack(&f->pe->ev, f->buf);
	/* field 100 varint 7; field 101 length-delimited "hi"; field 102 fixed64; 103 fixed32 */
	memcpy(f->buf + len,
	       "\xa0\x06\x07"
	       "\xaa\x06\x02hi"
	       "\xb1\x06\x01\x02\x03\x04\x05\x06\x07\x08"
	       "\xbd\x06\x01\x02\x03\x04",
	       3 + 5 + 10 + 6);
	len += 3 + 5 + 10 + 6;
	ev = warden__v1__event__unpack(NULL, len, f->buf);
	assert_non_null(ev);
	assert_string_equal(ev->exec->path, "/bin/x");
	assert_string_equal(ev->identity->name, "ci:acme/api#8812");
	warden__v1__event__free_unpacked(ev, NULL);

	/* Inside the header: {seq 5, field 50 = "new"}. */
	hdr.seq = 5;
	small.header = &hdr;
	len = warden__v1__event__pack(&small, buf);
	assert_int_equal(buf[0], 0x0a);
	assert_int_equal(buf[1], 2);
	memcpy(buf + 2, "\x08\x05\x92\x03\x03new", 8);
	buf[1] = 8;
	len = 10;
	ev = warden__v1__event__unpack(NULL, len, buf);
	assert_non_null(ev);
	assert_int_equal(ev->header->seq, 5);
	warden__v1__event__free_unpacked(ev, NULL);
}

static void truncated_input_rejected(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	static const uint8_t bad[] = {0x28, 0xac};
	size_t len;

	assert_null(warden__v1__event__unpack(NULL, sizeof(bad), bad));
	strcpy(e.path, "/tmp/payload");
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	len = warden__v1__event__pack(&f->pe->ev, f->buf);
	/* Cut inside the last field (the exec path): the length says more than there is. */
	assert_null(warden__v1__event__unpack(NULL, len - 3, f->buf));
	assert_non_null(f->buf);
}

/* Writes @data to a temporary file and opens a reader on it. */
static FILE *tmpfile_with(const void *data, size_t len)
{
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	rewind(fp);
	return fp;
}

static void reader_errors(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
	static const uint8_t garbage[] = {0x03, 0xff, 0xff, 0xff};
	static uint8_t two[2 * (WD_PB_VARINT_MAX + WD_PB_RECORD_MAX)];
	struct wd_pb_reader r;
	Warden__V1__Event *ev;
	const uint8_t *rec;
	size_t len, one, total;
	FILE *fp;

	strcpy(e.path, "/tmp/payload");
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	assert_int_equal(wd_pb_frame(&f->pe->ev, two, sizeof(two), &one), 0);
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	assert_int_equal(wd_pb_frame(&f->pe->ev, two + one, sizeof(two) - one, &total), 0);
	total += one;

	/* Two whole records, then the end. */
	fp = tmpfile_with(two, total);
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_event(&r, &ev), 1);
	assert_int_equal(ev->header->seq, 1);
	warden__v1__event__free_unpacked(ev, NULL);
	assert_int_equal(wd_pb_read_event(&r, &ev), 1);
	assert_int_equal(ev->header->seq, 2);
	warden__v1__event__free_unpacked(ev, NULL);
	assert_int_equal(wd_pb_read_event(&r, &ev), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.offset, total);
	wd_pb_reader_close(&r);
	fclose(fp);

	/* The last one cut short: reported, with where. */
	fp = tmpfile_with(two, total - 5);
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), 1);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), -EBADMSG);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.offset, one);
	wd_pb_reader_close(&r);
	fclose(fp);

	/* Cut inside the second record's length prefix? Our records' prefixes are 1-2 bytes:
	 * one byte of a two-byte prefix. */
	fp = tmpfile_with("\x80", 1);
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), -EBADMSG);
	wd_pb_reader_close(&r);
	fclose(fp);

	/* A length over the limit is refused before anything is allocated for it. */
	fp = tmpfile_with(huge, sizeof(huge));
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), -EMSGSIZE);
	assert_null(r.buf);
	wd_pb_reader_close(&r);
	fclose(fp);

	/* A whole record that is not an Event. */
	fp = tmpfile_with(garbage, sizeof(garbage));
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_event(&r, &ev), -EPROTO);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.offset, 0);
	wd_pb_reader_close(&r);
	fclose(fp);

	assert_non_null(strstr(wd_pb_strerror(-EBADMSG), "truncated"));
	assert_non_null(strstr(wd_pb_strerror(-EMSGSIZE), "limit"));
}

static void gz_reader(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	char path[] = "/tmp/wd-gz-XXXXXX";
	struct wd_pb_reader r;
	Warden__V1__Event *ev;
	size_t len;
	gzFile gz;
	int fd, i;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	gz = gzopen(path, "wb");
	for (i = 0; i < 3; i++) {
		assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
		assert_int_equal(wd_pb_frame(&f->pe->ev, f->buf, sizeof(f->buf), &len), 0);
		assert_int_equal(gzwrite(gz, f->buf, (unsigned)len), (int)len);
	}
	assert_int_equal(gzclose(gz), Z_OK);

	assert_int_equal(wd_pb_reader_open(&r, path), 0);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(wd_pb_read_event(&r, &ev), 1);
		assert_int_equal(ev->header->seq, i);
		warden__v1__event__free_unpacked(ev, NULL);
	}
	assert_int_equal(wd_pb_read_event(&r, &ev), 0);
	wd_pb_reader_close(&r);

	/* A gzip stream cut short is an error, not a clean end. */
	assert_int_equal(truncate(path, 30), 0);
	assert_int_equal(wd_pb_reader_open(&r, path), 0);
	while ((i = wd_pb_read_event(&r, &ev)) == 1)
		warden__v1__event__free_unpacked(ev, NULL);
	assert_true(i < 0);
	wd_pb_reader_close(&r);
	unlink(path);
}

static void json_output(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_CONNECT4);
	char *buf = NULL;
	size_t size = 0;
	FILE *fp;

	e.family = AF_INET;
	e.proto = 6;
	e.port = 443;
	e.addr[10] = e.addr[11] = 0xff;
	e.addr[12] = 10;
	e.addr[15] = 1;
	strcpy(e.comm, "a\"b");
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	fp = open_memstream(&buf, &size);
	wd_pb_event_json(fp, &f->pe->ev);
	fclose(fp);
	assert_non_null(strstr(buf, "\"header\":{\"seq\":\"1\",\"boot_ns\":\"5000000000\","));
	assert_non_null(strstr(buf, "\"labels\":{\"repo\":\"acme/api\",\"team\":\"platform\"}"));
	assert_non_null(strstr(buf, "\"comm\":\"a\\\"b\""));
	assert_non_null(strstr(buf, "\"decision\":\"DECISION_DENIED\""));
	assert_non_null(strstr(buf,
			       "\"connect\":{\"family\":\"FAMILY_INET\",\"address\":\"CgAAAQ==\","
			       "\"address_text\":\"10.0.0.1\",\"port\":443,"
			       "\"protocol\":\"PROTOCOL_TCP\",\"ip_protocol\":6,"
			       "\"is_send\":false}"));
	assert_non_null(strstr(buf, "\"ancestry\":[{\"pid\":10,"));
	/* Only the action that is set. */
	assert_null(strstr(buf, "\"exec\""));
	assert_int_equal(buf[0], '{');
	assert_int_equal(buf[strlen(buf) - 1], '}');
	free(buf);
}

static char *json_of(const uint8_t *buf, size_t len)
{
	Warden__V1__Event *m = warden__v1__event__unpack(NULL, len, buf);
	uint8_t again[WD_PB_RECORD_MAX];
	char *out = NULL;
	size_t size = 0;
	FILE *fp;

	assert_non_null(m);
	/* Each field came once: packing what was read gives as many bytes (a field sent twice
	 * would have been merged into one, and come out shorter). */
	assert_int_equal(warden__v1__event__pack(m, again), len);
	fp = open_memstream(&out, &size);
	wd_pb_event_json(fp, m);
	fclose(fp);
	warden__v1__event__free_unpacked(m, NULL);
	return out;
}

/* The packer's message (the parts packed once per context generation, the rest by pb_enc.c)
 * is the full conversion packed by protobuf-c, byte for byte, event after event, across
 * contexts, cgroups, rules and a policy change. */
static const char *rule_v2(void *arg, uint32_t id)
{
	return id == 7 ? "p.yaml:9:1 exec deny /opt/" : id == 8 ? "p.yaml:10:1 read allow /" : NULL;
}

static void packer_same_as_full(void **state)
{
	struct fixture *f = *state;
	struct wd_pb_packer *pk = wd_pb_packer_new();
	static const struct wd_label other_labels[] = {{"job", "\xff"
							       "7"}};
	struct wd_event_ctx other = f->ctx;
	uint64_t other_seq = 0;
	struct {
		unsigned type, dec, hook, rule;
		uint64_t cg;
	} ev[] = {
		{WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM, 7, 4242},
		{WD_EV_FILE, WD_DEC_ALLOW, WD_HOOK_FILE_OPEN, 8, 4242},
		{WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN, WD_RULE_DEFAULT, 4242},
		{WD_EV_CONFINE, WD_DEC_DENY, WD_HOOK_FILE_OPEN, WD_RULE_DEFAULT, 4242},
		{WD_EV_CONFINE, WD_DEC_DENY, WD_HOOK_BPF, WD_RULE_DEFAULT, 4243},
		{WD_EV_CONNECT, WD_DEC_AUDIT_DENY, WD_HOOK_CONNECT4, 7, 0},
		{WD_EV_MMAP, WD_DEC_ALLOW, WD_HOOK_MPROTECT, 8, 4243},
		{WD_EV_SOCKET, WD_DEC_DENY, WD_HOOK_SOCK_CREATE, 7, 4242},
		{WD_EV_LOST, 0, 0, 0, 4242},
	};
	uint8_t buf[WD_PB_RECORD_MAX];

	assert_non_null(pk);
	other.identity = "bot:\xc3(deploy";
	other.labels = other_labels;
	other.n_labels = 1;
	other.sandbox_id = "sb-other";
	other.sandbox_seq = &other_seq;
	f->ctx.gen = wd_event_ctx_gen();
	other.gen = wd_event_ctx_gen();
	assert_true(other.gen != f->ctx.gen);
	for (int round = 0; round < 4; round++) {
		if (round == 2) { /* a new policy: new rule texts, a new generation */
			f->ctx.rule_text = rule_v2;
			f->ctx.gen = wd_event_ctx_gen();
		}
		if (round == 3) /* no generation: nothing kept */
			f->ctx.gen = 0;
		for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
			struct wd_event_ctx *c = i % 2 ? &other : &f->ctx;
			struct wd_event e = base(ev[i].type, ev[i].dec, ev[i].hook);
			uint64_t n0 = f->node_seq, s0 = *c->sandbox_seq, seq;
			char *fast, *full;
			size_t len;

			e.rule_id = ev[i].rule;
			e.cgroup_id = ev[i].cg;
			e.lost = 3;
			strcpy(e.path, "/etc/shadow");
			assert_int_equal(wd_event_pack(pk, &e, c, buf, sizeof(buf), &len, &seq), 0);
			assert_int_equal(seq, f->node_seq);
			fast = json_of(buf, len);
			f->node_seq = n0;
			*c->sandbox_seq = s0;
			assert_int_equal(wd_event_to_pb(&e, c, f->pe), 0);
			/* Byte for byte what protobuf-c packs for the whole event. */
			assert_int_equal(warden__v1__event__pack(&f->pe->ev, f->buf), len);
			assert_memory_equal(f->buf, buf, len);
			full = json_of(f->buf, len);
			assert_string_equal(fast, full);
			if (round == 2 && i == 0)
				assert_non_null(strstr(fast, "exec deny /opt/"));
			free(fast);
			free(full);
		}
	}
	wd_pb_packer_free(pk);
}

/* A /proc that a test changes, behind warden's pid cache; lookups counted. */
struct proc_table {
	struct wd_proc_cache *cache;
	char make_exe[32];
	uint64_t sh_start;
	unsigned lookups;
};

static int table_read(void *arg, uint32_t pid, struct wd_proc_info *out)
{
	struct proc_table *t = arg;
	const struct wd_proc_info *res;
	int err = fake_proc(NULL, pid, out, &res);

	if (!err && pid == 10)
		strcpy(out->exe, t->make_exe);
	if (!err && pid == 12)
		out->start_ticks = t->sh_start;
	return err;
}

static int table_lookup(void *arg, uint32_t pid, struct wd_proc_info *buf,
			const struct wd_proc_info **out)
{
	struct proc_table *t = arg;

	t->lookups++;
	return wd_proc_cache_lookup(t->cache, pid, buf, out);
}

/* Packs @e both ways; the packer's bytes must be protobuf-c's for the full conversion. */
static void pack_check(struct fixture *f, struct wd_pb_packer *pk, const struct wd_event *e,
		       const char *want)
{
	uint8_t buf[WD_PB_RECORD_MAX];
	uint64_t n0 = f->node_seq, s0 = f->sb_seq, seq;
	size_t len;
	char *fast;

	assert_int_equal(wd_event_pack(pk, e, &f->ctx, buf, sizeof(buf), &len, &seq), 0);
	f->node_seq = n0;
	f->sb_seq = s0;
	assert_int_equal(wd_event_to_pb(e, &f->ctx, f->pe), 0);
	assert_int_equal(warden__v1__event__pack(&f->pe->ev, f->buf), len);
	fast = json_of(buf, len);
	if (want && !strstr(fast, want))
		fail_msg("'%s' not in %s", want, fast);
	assert_memory_equal(f->buf, buf, len);
	free(fast);
}

/* A process is packed once and its bytes reused, and looked up again as soon as they could be
 * wrong: the pid cache changed, the record names another thread, command or parent, the event
 * is later than the cache's lifetime or earlier than the process's start, the context changed.
 * Always byte for byte the full conversion. */
static void packer_keeps_processes(void **state)
{
	struct fixture *f = *state;
	struct wd_pb_packer *pk = wd_pb_packer_new();
	struct proc_table t = {.sh_start = 50};
	struct wd_event e = base(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_CONNECT4);
	long hz = sysconf(_SC_CLK_TCK);
	unsigned n;

	assert_non_null(pk);
	strcpy(t.make_exe, "/usr/bin/make");
	t.cache = wd_proc_cache_new(60000);
	assert_non_null(t.cache);
	wd_proc_cache_set_reader(t.cache, table_read, &t);
	wd_proc_cache_ctx(t.cache, &f->ctx);
	assert_non_null(f->ctx.proc_gen);
	assert_true(f->ctx.proc_keep_ns == 60000000000ull);
	f->ctx.proc_lookup = table_lookup;
	f->ctx.proc_lookup_arg = &t;
	f->ctx.gen = wd_event_ctx_gen();
	e.ppid = 10;

	pack_check(f, pk, &e, "/usr/bin/make");
	n = t.lookups / 2;	/* the packer's and the full conversion's */
	assert_int_equal(n, 3); /* sh, its parent make, and warden outside the sandbox */
	e.hdr.ktime_ns += 1000;
	pack_check(f, pk, &e, "/usr/bin/make");
	pack_check(f, pk, &e, "/usr/bin/make");
	assert_int_equal(t.lookups, 4 * n); /* the full conversions' only: none to pack */

	/* /proc changed but the cache does not know yet: the cache's answer stands, kept. */
	strcpy(t.make_exe, "/opt/evil");
	pack_check(f, pk, &e, "/usr/bin/make");
	/* The parent execed: forgotten, looked up again. */
	wd_proc_cache_forget(t.cache, 10);
	t.lookups = 0;
	pack_check(f, pk, &e, "/opt/evil");
	assert_int_equal(t.lookups, 2 * n);

	/* Another thread, command, parent, uid: each its own lookup. */
	for (int i = 0; i < 4; i++) {
		struct wd_event o = e;

		if (i == 0)
			o.tid += 64; /* a thread that may share the packer's slot */
		if (i == 1)
			strcpy(o.comm, "curl");
		if (i == 2)
			o.ppid = 9;
		if (i == 3)
			o.uid = 0;
		t.lookups = 0;
		pack_check(f, pk, &o, NULL);
		assert_true(t.lookups > n);
		pack_check(f, pk, &e, NULL);
	}

	/* A parent that /proc does not know (gone, or a failed read) or that started after the
	 * event: nothing kept, looked up again each time. */
	for (int i = 0; i < 2; i++) {
		struct wd_event o = e;

		o.ppid = i ? 77 : 11;
		pack_check(f, pk, &o, NULL);
		t.lookups = 0;
		pack_check(f, pk, &o, NULL);
		assert_int_equal(t.lookups, 2 * 2);
	}

	/* Later than the pid cache's lifetime in event time: looked up again. */
	t.lookups = 0;
	e.hdr.ktime_ns += 60000000000ull;
	pack_check(f, pk, &e, NULL);
	assert_int_equal(t.lookups, 2 * n);

	/* A new context generation: looked up again. */
	f->ctx.gen = wd_event_ctx_gen();
	t.lookups = 0;
	pack_check(f, pk, &e, NULL);
	assert_int_equal(t.lookups, 2 * n);

	/* An event from before the process started (sh's pid then was another process's): the
	 * kept bytes, which name this process, are not used for it. */
	if (hz > 0) {
		struct wd_event early = e;

		wd_proc_cache_forget(t.cache, 12);
		t.sh_start = (e.hdr.ktime_ns / 1000000000ull) * (uint64_t)hz;
		pack_check(f, pk, &e, NULL);
		assert_true(f->pe->proc.exec_id[0] != '\0');
		pack_check(f, pk, &e, NULL);
		early.hdr.ktime_ns = 1000000000ull;
		t.lookups = 0;
		pack_check(f, pk, &early, NULL);
		assert_true(t.lookups > 0);
		assert_string_equal(f->pe->proc.exec_id, "");
	} else {
		print_message("no clock ticks per second: pid reuse case not run\n");
	}

	/* Without a generation of the lookups, nothing is kept. */
	f->ctx.proc_gen = NULL;
	t.lookups = 0;
	pack_check(f, pk, &e, NULL);
	assert_int_equal(t.lookups, 2 * n);
	wd_pb_packer_free(pk);
	wd_proc_cache_free(t.cache);
}

/* Too small a buffer: refused, and the seq the event took is reported so its gap can be. */
static void packer_too_big(void **state)
{
	struct fixture *f = *state;
	struct wd_pb_packer *pk = wd_pb_packer_new();
	struct wd_event e = base(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);
	uint8_t buf[64];
	uint64_t seq;
	size_t len = 1;

	f->ctx.gen = wd_event_ctx_gen();
	assert_int_equal(wd_event_pack(pk, &e, &f->ctx, buf, sizeof(buf), &len, &seq), -EMSGSIZE);
	assert_int_equal(seq, 1);
	assert_int_equal(len, 0);
	e.hdr.version = WD_ABI_VERSION + 1;
	assert_int_equal(wd_event_pack(pk, &e, &f->ctx, buf, sizeof(buf), &len, &seq), -EINVAL);
	assert_int_equal(seq, 0);
	wd_pb_packer_free(pk);
}

/* An exec id whose prefix (a node name when there is no boot id) is too long keeps its
 * numbers: the prefix is cut. */
static void exec_id_long_prefix(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);
	char node[201];
	const char *id;

	memset(node, 'n', 200);
	node[200] = '\0';
	f->ctx.boot_id = NULL;
	f->ctx.node = node;
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	id = f->pe->ev.process->exec_id;
	assert_int_equal(strlen(id), 127);
	assert_string_equal(id + 127 - 6, ":12:50");
	f->ctx.node = "build-7";
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	assert_string_equal(f->pe->ev.process->exec_id, "build-7:12:50");
}

/* The dotted quad warden writes itself is inet_ntop's, for every octet value. */
static void ipv4_text(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_CONNECT, WD_DEC_ALLOW, WD_HOOK_CONNECT4);
	char want[INET_ADDRSTRLEN];

	e.family = AF_INET;
	for (unsigned v = 0; v < 256; v++) {
		uint8_t a[4] = {(uint8_t)v, (uint8_t)(255 - v), (uint8_t)(v * 7), (uint8_t)(v / 3)};

		memcpy(e.addr + 12, a, 4);
		assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
		inet_ntop(AF_INET, a, want, sizeof(want));
		assert_string_equal(f->pe->ev.connect->address_text, want);
	}
}

static void record_seq(void **state)
{
	struct fixture *f = *state;
	struct wd_event e = base(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	uint64_t seq = 0;
	size_t len;

	f->node_seq = 41;
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	len = warden__v1__event__pack(&f->pe->ev, f->buf);
	assert_int_equal(wd_pb_record_seq(f->buf, len, &seq), 0);
	assert_int_equal(seq, 42);
	assert_int_equal(wd_pb_record_seq((const uint8_t *)"\x0a\x05", 2, &seq), -EPROTO);
}

/* Ring buffer records: a full one is used in place; a short one (the cgroup hooks' network
 * events) is read as a record with empty exe and path, never past its end; anything else is
 * refused. */
static void ring_records(void **state)
{
	static uint8_t ring[2 * sizeof(struct wd_event)];
	struct wd_event *full = (struct wd_event *)ring, buf;
	const struct wd_event *e;

	(void)state;
	memset(ring, 'X', sizeof(ring)); /* what follows a short record: the next one's bytes */
	full->hdr.version = WD_ABI_VERSION;
	full->hdr.type = WD_EV_CONNECT;
	full->hdr.size = sizeof(*full);
	full->port = 443;
	assert_ptr_equal(wd_event_from_ring(ring, sizeof(*full), &buf), full);

	full->hdr.size = WD_EVENT_SHORT_SIZE;
	memset(&buf, 'Y', sizeof(buf));
	e = wd_event_from_ring(ring, WD_EVENT_SHORT_SIZE, &buf);
	assert_ptr_equal(e, &buf);
	assert_int_equal(e->port, 443);
	assert_int_equal(e->hdr.type, WD_EV_CONNECT);
	assert_string_equal(e->exe, "");
	assert_string_equal(e->path, "");

	assert_null(wd_event_from_ring(ring, WD_EVENT_SHORT_SIZE - 8, &buf)); /* too short */
	full->hdr.size = WD_EVENT_SHORT_SIZE + 8;			      /* neither size */
	assert_null(wd_event_from_ring(ring, WD_EVENT_SHORT_SIZE + 8, &buf));
	full->hdr.size = sizeof(*full); /* says more than the record holds */
	assert_null(wd_event_from_ring(ring, WD_EVENT_SHORT_SIZE, &buf));
	full->hdr.version = WD_ABI_VERSION + 1;
	assert_null(wd_event_from_ring(ring, sizeof(*full), &buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(common_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(file_and_mmap, setup, teardown),
		cmocka_unit_test_setup_teardown(connect_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(socket_and_confinement, setup, teardown),
		cmocka_unit_test_setup_teardown(confinement_details, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_and_unix_send, setup, teardown),
		cmocka_unit_test_setup_teardown(lifecycle_and_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_strings_every_length, setup, teardown),
		cmocka_unit_test_setup_teardown(proc_unknown, setup, teardown),
		cmocka_unit_test(procfs_reader),
		cmocka_unit_test(wire_bytes),
		cmocka_unit_test(varints),
		cmocka_unit_test_setup_teardown(unknown_fields_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_input_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(reader_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(gz_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(json_output, setup, teardown),
		cmocka_unit_test_setup_teardown(packer_same_as_full, setup, teardown),
		cmocka_unit_test_setup_teardown(packer_keeps_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(packer_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(ipv4_text, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_id_long_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(record_seq, setup, teardown),
		cmocka_unit_test(ring_records),
	};

	return cmocka_run_group_tests_name("event_proto", tests, NULL, NULL);
}
