// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: kernel records as warden.v1.Event (user/event/convert.c). Every kernel record type
 * converts and round-trips through the wire format, with the context's identity, sandbox and
 * rule, the process and its ancestry from /proc, and what the kernel put in each field; events
 * warden makes (lifecycle, lost records) are numbered so that gaps are exactly what they
 * report; ring buffer records, full or short, are read as the kernel wrote them. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "events_fixture.h"
#include "warden/version.h"

/* Converts, packs, and unpacks again: what a consumer would see. */
static Warden__V1__Event *through_wire(struct wt_ev_fixture *f, const struct wd_event *e)
{
	Warden__V1__Event *ev = wt_ev_through_wire(f, e);

	assert_non_null(ev);
	return ev;
}

static void common_fields(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	Warden__V1__Event *ev;

	strcpy(e.path, "/tmp/payload");
	ev = through_wire(f, &e);
	assert_non_null(ev);
	assert_int_equal(ev->header->seq, 1);
	assert_int_equal(ev->header->sandbox_seq, 1);
	assert_int_equal(ev->header->boot_ns, 5000000000ull);
	assert_int_equal(ev->header->wall_ns, 1700000000000000000ull + 5000000000ull);
	assert_string_equal(ev->header->node, "selftest-node");
	assert_string_equal(ev->header->warden_version, WARDEN_VERSION);
	assert_string_equal(ev->identity->name, "ci:selftest/api#1");
	assert_int_equal(ev->identity->n_labels, 2);
	assert_string_equal(ev->identity->labels[0]->key, "repo");
	assert_string_equal(ev->identity->labels[0]->value, "acme/api");
	assert_string_equal(ev->sandbox->id, WT_EV_SANDBOX);
	assert_string_equal(ev->sandbox->cgroup_path, "/sys/fs/cgroup/warden/" WT_EV_SANDBOX);
	assert_int_equal(ev->sandbox->cgroup_id, 4343); /* the kernel's, not the context's */
	assert_string_equal(ev->policy_name, "selftest");
	assert_int_equal(ev->decision, WARDEN__V1__DECISION__DECISION_DENIED);
	assert_string_equal(ev->hook, "bprm_check_security");
	assert_int_equal(ev->rule->id, 7);
	assert_string_equal(ev->rule->text, "selftest.yaml:7:7 rule \"7\"");

	assert_int_equal(ev->process->pid, 12);
	assert_int_equal(ev->process->tid, 13);
	assert_int_equal(ev->process->uid, 1000);
	assert_int_equal(ev->process->gid, 27);
	assert_int_equal(ev->process->ppid, 10); /* from /proc: the record had none */
	assert_string_equal(ev->process->comm, "sh");
	assert_string_equal(ev->process->exe, "/usr/bin/dash");
	assert_string_equal(ev->process->exec_id, WT_EV_BOOT_ID ":12:50");
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
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_FILE, WD_DEC_AUDIT_DENY, WD_HOOK_FILE_OPEN);
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

	e = wt_ev_record(WD_EV_MMAP, WD_DEC_ALLOW, WD_HOOK_MMAP);
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
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_CONNECT4);
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

	e = wt_ev_record(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_UNIX_CONNECT);
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
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_SOCKET, WD_DEC_DENY, WD_HOOK_SOCK_CREATE);
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

	e = wt_ev_record(WD_EV_CONFINE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);
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
	struct wt_ev_fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wd_event e = wt_ev_record(WD_EV_CONFINE, WD_DEC_DENY, cases[i].hook);
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
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_TRUNCATE);
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
	e = wt_ev_record(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_PATH_RENAME);
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

	e = wt_ev_record(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_PATH_MKDIR);
	e.op = WD_OP_WRITE;
	e.proto = WD_CH_MKDIR;
	e.port = WD_PATHERR_TOO_LONG;
	ev = through_wire(f, &e);
	assert_int_equal(ev->file_open->change, WARDEN__V1__FILE_OPEN__CHANGE__CHANGE_MKDIR);
	assert_true(ev->file_open->path_unresolved);
	assert_string_equal(ev->file_open->path, "");
	warden__v1__event__free_unpacked(ev, NULL);

	e = wt_ev_record(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_TRUNCATE);
	e.op = WD_OP_WRITE;
	e.proto = WD_CH_TRUNCATE;
	ev = through_wire(f, &e);
	assert_true(ev->file_open->truncate);
	assert_int_equal(ev->file_open->change, WARDEN__V1__FILE_OPEN__CHANGE__CHANGE_TRUNCATE);
	warden__v1__event__free_unpacked(ev, NULL);

	e = wt_ev_record(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_UNIX_SEND);
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
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_LOST, 0, 0);
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
	assert_string_equal(ev->identity->name, "ci:selftest/api#1");
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

static void proc_unknown(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_EXEC, WD_DEC_ALLOW, WD_HOOK_BPRM);
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

/* An exec id whose prefix (a node name when there is no boot id) is too long keeps its
 * numbers: the prefix is cut. */
static void exec_id_long_prefix(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);
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
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_CONNECT, WD_DEC_ALLOW, WD_HOOK_CONNECT4);
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
		cmocka_unit_test_setup_teardown(common_fields, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(file_and_mmap, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(connect_kinds, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(socket_and_confinement, wt_ev_setup,
						wt_ev_teardown),
		cmocka_unit_test_setup_teardown(confinement_details, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(truncate_and_unix_send, wt_ev_setup,
						wt_ev_teardown),
		cmocka_unit_test_setup_teardown(lifecycle_and_lost, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(proc_unknown, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(exec_id_long_prefix, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(ipv4_text, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test(ring_records),
	};

	return cmocka_run_group_tests_name("event_convert", tests, NULL, NULL);
}
