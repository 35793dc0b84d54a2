// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: OCSF-shaped JSON. Every action kind lands in its documented class and activity with
 * type_uid = class_uid * 100 + activity_id; denials, audit denials and allowed actions carry
 * the security_control action and disposition OCSF defines for them; the process, file,
 * endpoint and warden's own fields are where docs/events.md says; and whatever bytes a string
 * holds, every line is valid JSON (checked by a strict parser written from RFC 8259,
 * tests/lib/json_check.c). The events are warden.v1.Event messages built field by field, as any
 * producer could make them. Longer than 600 lines: every test shares those messages and the
 * checks of the first 260 lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event/ocsf.h"
#include "json_check.h"

#define SB "sb-0123456789abcdef"

/* The JSON text of the value at @path, or NULL if absent; @s must be valid JSON. */
static char *json_get(const char *s, const char *path)
{
	char *v = NULL;

	assert_int_equal(wt_json_get(s, path, &v), 0);
	return v;
}

/* ---- The events: messages built here field by field, as any producer could ---- */

struct msg {
	Warden__V1__Event e;
	Warden__V1__Header hdr;
	Warden__V1__Identity id;
	Warden__V1__Identity__LabelsEntry label, *labels[1];
	Warden__V1__Sandbox sb;
	Warden__V1__Process proc;
	Warden__V1__Ancestor parent, *ancestry[1];
	Warden__V1__Rule rule;
	Warden__V1__Exec exec;
	Warden__V1__FileOpen file;
	Warden__V1__Connect conn;
	Warden__V1__ExecMapping map;
	Warden__V1__SocketCreate sock;
	Warden__V1__Confinement conf;
	Warden__V1__Lifecycle life;
	uint8_t addr[16];
	char *out; /* the last OCSF line */
};

/* The event of process 12 (sh, running dash, child of make) in sandbox SB, decided by rule 7
 * at @hook; the test sets the action. */
static Warden__V1__Event *event(struct msg *m, Warden__V1__Decision d, const char *hook)
{
	warden__v1__event__init(&m->e);
	warden__v1__header__init(&m->hdr);
	m->hdr.seq = 41;
	m->hdr.sandbox_seq = 3;
	m->hdr.boot_ns = 5000000000ull;
	m->hdr.wall_ns = 1700000005000000000ull;
	m->hdr.node = "build-7";
	m->hdr.warden_version = "0.1.0";
	warden__v1__identity__init(&m->id);
	m->id.name = "ci:acme/api#8812";
	warden__v1__identity__labels_entry__init(&m->label);
	m->label.key = "repo";
	m->label.value = "acme/api";
	m->labels[0] = &m->label;
	m->id.n_labels = 1;
	m->id.labels = m->labels;
	warden__v1__sandbox__init(&m->sb);
	m->sb.id = SB;
	m->sb.cgroup_path = "/sys/fs/cgroup/warden/" SB;
	m->sb.cgroup_id = 4242;
	warden__v1__process__init(&m->proc);
	m->proc.pid = 12;
	m->proc.tid = 13;
	m->proc.ppid = 10;
	m->proc.uid = 1000;
	m->proc.gid = 27;
	m->proc.comm = "sh";
	m->proc.exe = "/usr/bin/dash";
	m->proc.exec_id = "b00t:12:50";
	warden__v1__ancestor__init(&m->parent);
	m->parent.pid = 10;
	m->parent.comm = "make";
	m->parent.exe = "/usr/bin/make";
	m->ancestry[0] = &m->parent;
	m->proc.n_ancestry = 1;
	m->proc.ancestry = m->ancestry;
	warden__v1__rule__init(&m->rule);
	m->rule.id = 7;
	m->rule.text = "p.yaml:3:5 exec deny /tmp/";
	m->e.header = &m->hdr;
	m->e.identity = &m->id;
	m->e.sandbox = &m->sb;
	m->e.process = &m->proc;
	m->e.rule = &m->rule;
	m->e.decision = d;
	m->e.hook = (char *)hook;
	m->e.policy_name = "build";
	return &m->e;
}

static Warden__V1__Event *exec_event(struct msg *m, Warden__V1__Decision d, const char *path)
{
	Warden__V1__Event *e = event(m, d, "bprm_check_security");

	warden__v1__exec__init(&m->exec);
	m->exec.path = (char *)path;
	e->action_case = WARDEN__V1__EVENT__ACTION_EXEC;
	e->exec = &m->exec;
	return e;
}

static Warden__V1__Event *file_event(struct msg *m, Warden__V1__Decision d, const char *path,
				     bool read, bool write, bool truncate)
{
	Warden__V1__Event *e = event(m, d, truncate ? "path_truncate" : "file_open");

	warden__v1__file_open__init(&m->file);
	m->file.path = (char *)path;
	m->file.read = read;
	m->file.write = write;
	m->file.truncate = truncate;
	e->action_case = WARDEN__V1__EVENT__ACTION_FILE_OPEN;
	e->file_open = &m->file;
	return e;
}

/* @addr: 4 or 16 bytes, or NULL for a unix socket named @text. */
static Warden__V1__Event *connect_event(struct msg *m, Warden__V1__Decision d, const char *hook,
					const uint8_t *addr, size_t len, const char *text,
					unsigned port, Warden__V1__Protocol proto, bool send)
{
	Warden__V1__Event *e = event(m, d, hook);

	warden__v1__connect__init(&m->conn);
	m->conn.family = !addr	    ? WARDEN__V1__FAMILY__FAMILY_UNIX
			 : len == 4 ? WARDEN__V1__FAMILY__FAMILY_INET
				    : WARDEN__V1__FAMILY__FAMILY_INET6;
	if (addr) {
		memcpy(m->addr, addr, len);
		m->conn.address.data = m->addr;
		m->conn.address.len = len;
	}
	m->conn.address_text = (char *)text;
	m->conn.port = port;
	m->conn.protocol = proto;
	m->conn.is_send = send;
	e->action_case = WARDEN__V1__EVENT__ACTION_CONNECT;
	e->connect = &m->conn;
	return e;
}

static Warden__V1__Event *confine_event(struct msg *m, Warden__V1__Decision d, const char *hook,
					Warden__V1__Confinement__What what)
{
	Warden__V1__Event *e = event(m, d, hook);

	warden__v1__confinement__init(&m->conf);
	m->conf.what = what;
	m->rule.id = 0;
	m->rule.text = "confinement: refused in every sandbox, whatever the policy";
	e->action_case = WARDEN__V1__EVENT__ACTION_CONFINEMENT;
	e->confinement = &m->conf;
	return e;
}

/* What warden itself makes: no process, rule, hook or decision. */
static Warden__V1__Event *lifecycle_event(struct msg *m, Warden__V1__Lifecycle__Kind kind,
					  const char *detail)
{
	Warden__V1__Event *e = event(m, WARDEN__V1__DECISION__DECISION_UNSPECIFIED, "");

	e->process = NULL;
	e->rule = NULL;
	warden__v1__lifecycle__init(&m->life);
	m->life.kind = kind;
	m->life.detail = (char *)detail;
	e->action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
	e->lifecycle = &m->life;
	return e;
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct msg));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct msg *m = *state;

	free(m->out);
	free(m);
	return 0;
}

/* The OCSF line of @ev; checks that it is valid JSON and one line. */
static const char *ocsf(struct msg *m, const Warden__V1__Event *ev)
{
	size_t len = 0;
	FILE *f;

	free(m->out);
	m->out = NULL;
	f = open_memstream(&m->out, &len);
	assert_non_null(f);
	wd_ocsf_event_json(f, ev);
	assert_int_equal(fclose(f), 0);
	if (!wt_json_valid(m->out))
		fail_msg("not valid JSON: %s", m->out);
	assert_null(strchr(m->out, '\n'));
	return m->out;
}

/* The value at @path is the JSON text @want (NULL: absent). */
static void expect(const char *json, const char *path, const char *want)
{
	char *got = json_get(json, path);

	if (!want && got)
		fail_msg("%s: expected nothing, got %s", path, got);
	if (want && (!got || strcmp(got, want)))
		fail_msg("%s: expected %s, got %s in %s", path, want, got ? got : "nothing", json);
	free(got);
}

static void expect_class(const char *json, const char *cls, const char *cat, const char *act,
			 const char *activity_name)
{
	char type[32];

	expect(json, "class_uid", cls);
	expect(json, "category_uid", cat);
	expect(json, "activity_id", act);
	expect(json, "activity_name", activity_name);
	snprintf(type, sizeof(type), "%ld", atol(cls) * 100 + atol(act));
	expect(json, "type_uid", type);
}

/* security_control: what the control did, and how the activity ended. */
static void expect_outcome(const char *json, const char *action_id, const char *action,
			   const char *disposition_id, const char *disposition, const char *status)
{
	expect(json, "action_id", action_id);
	expect(json, "action", action);
	expect(json, "disposition_id", disposition_id);
	expect(json, "disposition", disposition);
	expect(json, "status_id", status);
}

#define DENIED	    WARDEN__V1__DECISION__DECISION_DENIED
#define ALLOWED	    WARDEN__V1__DECISION__DECISION_ALLOWED
#define AUDIT	    WARDEN__V1__DECISION__DECISION_AUDIT_DENIED
#define IS_DENIED   "2", "\"Denied\"", "2", "\"Blocked\"", "2"
#define IS_ALLOWED  "1", "\"Allowed\"", "1", "\"Allowed\"", "1"
#define IS_DETECTED "1", "\"Allowed\"", "15", "\"Detected\"", "1"

static void exec_denied(void **state)
{
	const char *j = ocsf(*state, exec_event(*state, DENIED, "/tmp/payload"));

	expect_class(j, "1007", "1", "1", "\"Launch\"");
	expect(j, "class_name", "\"Process Activity\"");
	expect(j, "category_name", "\"System Activity\"");
	expect(j, "type_name", "\"Process Activity: Launch\"");
	expect_outcome(j, IS_DENIED);
	expect(j, "severity_id", "3");
	expect(j, "time", "1700000005000");
	expect(j, "message", "\"denied: exec /tmp/payload\"");
	expect(j, "metadata.version", "\"1.1.0\"");
	expect(j, "metadata.product.name", "\"warden\"");
	expect(j, "metadata.product.vendor_name", "\"warden\"");
	expect(j, "metadata.product.version", "\"0.1.0\"");
	expect(j, "metadata.uid", "\"build-7:41\"");
	expect(j, "metadata.original_time", "\"2023-11-14T22:13:25.000000000Z\"");
	expect(j, "metadata.profiles.1", "\"security_control\"");
	expect(j, "device.hostname", "\"build-7\"");
	/* The exec'ing process before, and the same process running the new file. */
	expect(j, "actor.process.pid", "12");
	expect(j, "actor.process.tid", "13");
	expect(j, "actor.process.name", "\"sh\"");
	expect(j, "actor.process.file.path", "\"/usr/bin/dash\"");
	expect(j, "actor.process.uid", "\"b00t:12:50\"");
	expect(j, "actor.process.parent_process.pid", "10");
	expect(j, "actor.process.parent_process.file.path", "\"/usr/bin/make\"");
	expect(j, "actor.process.lineage.0", "\"/usr/bin/make\"");
	expect(j, "actor.user.uid", "\"1000\"");
	expect(j, "actor.user.groups.0.uid", "\"27\"");
	expect(j, "process.pid", "12");
	expect(j, "process.name", "\"payload\"");
	expect(j, "process.file.path", "\"/tmp/payload\"");
	expect(j, "process.file.type_id", "1");
	/* warden's own. */
	expect(j, "unmapped.identity.name", "\"ci:acme/api#8812\"");
	expect(j, "unmapped.identity.labels.repo", "\"acme/api\"");
	expect(j, "unmapped.sandbox.id", "\"" SB "\"");
	expect(j, "unmapped.sandbox.cgroup_id", "\"4242\"");
	expect(j, "unmapped.rule.id", "7");
	expect(j, "unmapped.rule.text", "\"p.yaml:3:5 exec deny /tmp/\"");
	expect(j, "unmapped.policy.name", "\"build\"");
	expect(j, "unmapped.hook", "\"bprm_check_security\"");
	expect(j, "unmapped.decision", "\"DECISION_DENIED\"");
	expect(j, "unmapped.seq", "\"41\"");
	expect(j, "unmapped.sandbox_seq", "\"3\"");
}

/* Without exec_id, /proc was not read: gid is unknown and left out. */
static void process_gone(void **state)
{
	struct msg *m = *state;
	Warden__V1__Event *e = exec_event(m, ALLOWED, "/usr/bin/cc");
	const char *j;

	m->proc.exec_id = "";
	m->proc.n_ancestry = 0;
	m->proc.ppid = 0;
	j = ocsf(m, e);
	expect_outcome(j, IS_ALLOWED);
	expect(j, "severity_id", "1");
	expect(j, "actor.process.uid", NULL);
	expect(j, "actor.user.uid", "\"1000\"");
	expect(j, "actor.user.groups", NULL);
	expect(j, "actor.process.parent_process", NULL);
	expect(j, "actor.process.lineage", NULL);
}

static void file_activities(void **state)
{
	struct msg *m = *state;
	const char *j;

	j = ocsf(m, file_event(m, ALLOWED, "/etc/hosts", true, false, false));
	expect_class(j, "1001", "1", "2", "\"Read\"");
	expect(j, "class_name", "\"File System Activity\"");
	expect_outcome(j, IS_ALLOWED);
	expect(j, "file.path", "\"/etc/hosts\"");
	expect(j, "file.name", "\"hosts\"");
	expect(j, "file.type_id", "0");
	expect(j, "actor.process.pid", "12");
	expect(j, "unmapped.file_open.read", "true");

	j = ocsf(m, file_event(m, DENIED, "/etc/passwd", false, true, false));
	expect_class(j, "1001", "1", "3", "\"Update\"");
	expect_outcome(j, IS_DENIED);

	/* A truncate changes the file, whatever else the event says. */
	j = ocsf(m, file_event(m, DENIED, "/etc/hosts", false, false, true));
	expect_class(j, "1001", "1", "3", "\"Update\"");
	expect(j, "unmapped.file_open.truncate", "true");
	expect(j, "unmapped.hook", "\"path_truncate\"");

	j = ocsf(m, file_event(m, DENIED, "/dev/x", false, false, false));
	expect_class(j, "1001", "1", "14", "\"Open\"");
}

static void network_activities(void **state)
{
	static const uint8_t v4[4] = {169, 254, 169, 254};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct msg *m = *state;
	const char *j;

	j = ocsf(m, connect_event(m, DENIED, "cgroup/connect4", v4, 4, "169.254.169.254", 80,
				  WARDEN__V1__PROTOCOL__PROTOCOL_TCP, false));
	expect_class(j, "4001", "4", "1", "\"Open\"");
	expect(j, "category_name", "\"Network Activity\"");
	expect_outcome(j, IS_DENIED);
	expect(j, "dst_endpoint.ip", "\"169.254.169.254\"");
	expect(j, "dst_endpoint.port", "80");
	expect(j, "connection_info.protocol_name", "\"tcp\"");
	expect(j, "connection_info.protocol_num", "6");
	expect(j, "connection_info.protocol_ver_id", "4");
	expect(j, "connection_info.direction_id", "2");

	/* Audit mode: the datagram went out, and the violation was detected. The address is
	 * taken from its bytes, not from the text. */
	j = ocsf(m, connect_event(m, AUDIT, "cgroup/sendmsg6", v6, 16, "bogus", 53,
				  WARDEN__V1__PROTOCOL__PROTOCOL_UDP, true));
	expect_class(j, "4001", "4", "6", "\"Traffic\"");
	expect_outcome(j, IS_DETECTED);
	expect(j, "severity_id", "2");
	expect(j, "dst_endpoint.ip", "\"2001:db8::1\"");
	expect(j, "connection_info.protocol_name", "\"udp\"");
	expect(j, "connection_info.protocol_num", "17");
	expect(j, "connection_info.protocol_ver_id", "6");
	expect(j, "unmapped.decision", "\"DECISION_AUDIT_DENIED\"");
	expect(j, "unmapped.connect.is_send", "true");

	j = ocsf(m, connect_event(m, DENIED, "unix_stream_connect", NULL, 0, "docker.sock", 0,
				  WARDEN__V1__PROTOCOL__PROTOCOL_UNSPECIFIED, false));
	expect_class(j, "4001", "4", "1", "\"Open\"");
	expect(j, "dst_endpoint.name", "\"docker.sock\"");
	expect(j, "dst_endpoint.ip", NULL);
	expect(j, "dst_endpoint.port", NULL);
	expect(j, "unmapped.connect.family", "\"FAMILY_UNIX\"");
	expect(j, "message", "\"denied: connect to unix socket docker.sock\"");

	event(m, DENIED, "socket_create");
	warden__v1__socket_create__init(&m->sock);
	m->sock.family = WARDEN__V1__FAMILY__FAMILY_PACKET;
	m->sock.type = WARDEN__V1__SOCKET_TYPE__SOCKET_TYPE_RAW;
	m->e.action_case = WARDEN__V1__EVENT__ACTION_SOCKET_CREATE;
	m->e.socket_create = &m->sock;
	j = ocsf(m, &m->e);
	expect_class(j, "4001", "4", "99", "\"Socket Create\"");
	expect_outcome(j, IS_DENIED);
	expect(j, "unmapped.socket_create.family", "\"FAMILY_PACKET\"");
	expect(j, "unmapped.socket_create.type", "\"SOCKET_TYPE_RAW\"");
}

static void module_activity(void **state)
{
	struct msg *m = *state;
	const char *j;

	event(m, ALLOWED, "mmap_file");
	warden__v1__exec_mapping__init(&m->map);
	m->map.path = "/usr/lib/libc.so.6";
	m->e.action_case = WARDEN__V1__EVENT__ACTION_EXEC_MAPPING;
	m->e.exec_mapping = &m->map;
	j = ocsf(m, &m->e);
	expect_class(j, "1005", "1", "1", "\"Load\"");
	expect(j, "class_name", "\"Module Activity\"");
	expect_outcome(j, IS_ALLOWED);
	expect(j, "module.file.path", "\"/usr/lib/libc.so.6\"");

	/* mprotect: the kernel gives the file's name only, which is no path. */
	m->e.decision = DENIED;
	m->map.path = "payload.so";
	m->map.via_mprotect = true;
	j = ocsf(m, &m->e);
	expect_class(j, "1005", "1", "1", "\"Load\"");
	expect(j, "module.file.name", "\"payload.so\"");
	expect(j, "module.file.path", NULL);
	expect(j, "unmapped.exec_mapping.via_mprotect", "true");
}

static void confinement(void **state)
{
	struct msg *m = *state;
	const char *j;

	confine_event(m, DENIED, "task_kill", WARDEN__V1__CONFINEMENT__WHAT__KILL);
	m->conf.signal = 9;
	m->conf.target_pid = 800;
	j = ocsf(m, &m->e);
	expect_class(j, "1007", "1", "99", "\"Signal\"");
	expect_outcome(j, IS_DENIED);
	expect(j, "severity_id", "4");
	expect(j, "process.pid", "800");
	expect(j, "actor.process.pid", "12");
	expect(j, "unmapped.confinement.what", "\"KILL\"");
	expect(j, "unmapped.confinement.signal", "9");
	expect(j, "unmapped.confinement.target_pid", "800");
	expect(j, "unmapped.rule.id", "0");

	confine_event(m, DENIED, "ptrace_access_check", WARDEN__V1__CONFINEMENT__WHAT__PTRACE);
	m->conf.ptrace_mode = 0x11;
	m->conf.target_pid = 800;
	j = ocsf(m, &m->e);
	expect_class(j, "1007", "1", "3", "\"Open\"");
	expect(j, "process.pid", "800");
	expect(j, "unmapped.confinement.ptrace_mode", "17");

	/* The others are reflexive: the acting process is the process. */
	confine_event(m, AUDIT, "file_open", WARDEN__V1__CONFINEMENT__WHAT__CGROUP_WRITE);
	m->conf.path = "/sys/fs/cgroup/cgroup.procs";
	j = ocsf(m, &m->e);
	expect_class(j, "1007", "1", "99", "\"Cgroup Write\"");
	expect_outcome(j, IS_DETECTED);
	expect(j, "severity_id", "3");
	expect(j, "process.pid", "12");
	expect(j, "unmapped.confinement.path", "\"/sys/fs/cgroup/cgroup.procs\"");

	/* A kind newer than this code: still Process Activity, Other. */
	confine_event(m, DENIED, "new_hook", 99);
	j = ocsf(m, &m->e);
	expect_class(j, "1007", "1", "99", "\"Confinement\"");
	expect(j, "unmapped.confinement.what", "99");
}

static void lifecycle(void **state)
{
	struct msg *m = *state;
	const char *j;

	j = ocsf(m, lifecycle_event(m, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED, ""));
	expect_class(j, "6002", "6", "3", "\"Start\"");
	expect(j, "class_name", "\"Application Lifecycle\"");
	expect(j, "app.uid", "\"" SB "\"");
	expect(j, "action_id", NULL);
	expect(j, "disposition_id", NULL);
	expect(j, "actor", NULL);
	expect(j, "metadata.profiles.1", NULL);
	expect(j, "severity_id", "1");

	j = ocsf(m,
		 lifecycle_event(m, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED, "exit status 0"));
	expect_class(j, "6002", "6", "4", "\"Stop\"");
	expect(j, "unmapped.lifecycle.detail", "\"exit status 0\"");
	expect(j, "message", "\"sandbox " SB " ended: exit status 0\"");

	j = ocsf(m, lifecycle_event(m, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, ""));
	expect_class(j, "6002", "6", "99", "\"Policy Applied\"");
}

/* Events lost must come out, with how many and which seq range. */
static void events_lost(void **state)
{
	struct msg *m = *state;
	const char *j;

	lifecycle_event(m, WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST, "kernel ring buffer full");
	m->life.lost_count = 3;
	m->life.lost_first_seq = 38;
	m->life.lost_last_seq = 40;
	j = ocsf(m, &m->e);
	expect_class(j, "0", "0", "99", "\"Events Lost\"");
	expect(j, "class_name", "\"Base Event\"");
	expect(j, "severity_id", "4");
	expect(j, "unmapped.lifecycle.kind", "\"EVENTS_LOST\"");
	expect(j, "unmapped.lifecycle.lost_count", "\"3\"");
	expect(j, "unmapped.lifecycle.lost_first_seq", "\"38\"");
	expect(j, "unmapped.lifecycle.lost_last_seq", "\"40\"");
	expect(j, "metadata.uid", "\"build-7:41\"");
	expect(j, "message", "\"3 events lost (seq 38-40): kernel ring buffer full\"");

	/* One sink's own loss carries seq 0: no uid that would collide. */
	m->hdr.seq = 0;
	m->life.sink = "siem";
	j = ocsf(m, &m->e);
	expect(j, "metadata.uid", NULL);
	expect(j, "unmapped.lifecycle.sink", "\"siem\"");
	expect(j, "message", "\"3 events lost by sink siem (seq 38-40): kernel ring buffer full\"");
}

/* Whatever the bytes, the line is valid JSON: quotes, backslashes, control characters and
 * bytes that are not UTF-8 (a message warden's encoder did not make). */
static void escaping(void **state)
{
	struct msg *m = *state;
	const char *j;

	exec_event(m, DENIED, "/tmp/a\"b\\c\n\x01\x7f\xff\xfe.sh");
	m->hdr.node = "n\"1";
	m->proc.comm = "x\ty";
	m->proc.exe = "/bin/\xc3\xa9";
	m->label.key = "k\"ey";
	m->label.value = "v\\al\r";
	m->id.name = "ci:\x1b[31mred";
	j = ocsf(m, &m->e);
	assert_non_null(strstr(j, "\"path\":\"/tmp/a\\\"b\\\\c\\n\\u0001\x7f\\u00ff\\u00fe.sh\""));
	assert_non_null(strstr(j, "\"name\":\"x\\ty\""));
	assert_non_null(strstr(j, "\"path\":\"/bin/\xc3\xa9\""));
	assert_non_null(strstr(j, "\"k\\\"ey\":\"v\\\\al\\r\""));
	assert_non_null(strstr(j, "\"name\":\"ci:\\u001b[31mred\""));
	expect(j, "metadata.uid", "\"n\\\"1:41\"");
}

/* An action newer than this code, and an event without a header, are still valid lines. */
static void unknown_and_bare(void **state)
{
	struct msg *m = *state;
	Warden__V1__Event ev = WARDEN__V1__EVENT__INIT;
	const char *j;

	j = ocsf(m, &ev);
	expect_class(j, "0", "0", "0", "\"Unknown\"");
	expect(j, "metadata.version", "\"1.1.0\"");
	expect(j, "time", "0");
	expect(j, "device", NULL);
}

/* classify() and the line agree, and the parser used here does catch bad JSON. */
static void classify_agrees(void **state)
{
	static const uint8_t v4[4] = {10, 0, 0, 1};
	struct msg *m = *state;
	struct wd_ocsf_class c;
	char want[32];

	for (int i = 0; i < 5; i++) {
		Warden__V1__Event *e =
			i == 0	 ? exec_event(m, DENIED, "/x")
			: i == 1 ? file_event(m, ALLOWED, "/y", false, true, false)
			: i == 2 ? connect_event(m, AUDIT, "cgroup/connect4", v4, 4, "", 22,
						 WARDEN__V1__PROTOCOL__PROTOCOL_TCP, false)
			: i == 3 ? confine_event(m, DENIED, "bpf",
						 WARDEN__V1__CONFINEMENT__WHAT__BPF)
				 : lifecycle_event(m, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_EXPIRED,
						   "");
		const char *j = ocsf(m, e);

		wd_ocsf_classify(e, &c);
		snprintf(want, sizeof(want), "%u", c.class_uid * 100 + c.activity_id);
		expect(j, "type_uid", want);
		snprintf(want, sizeof(want), "\"%s\"", c.class_name);
		expect(j, "class_name", want);
		snprintf(want, sizeof(want), "%u", c.category_uid);
		expect(j, "category_uid", want);
	}
	assert_false(wt_json_valid("{\"a\":\"\x01\"}"));
	assert_false(wt_json_valid("{\"a\":\"\xff\"}"));
	assert_false(wt_json_valid("{\"a\":1,}"));
	assert_false(wt_json_valid("{\"a\":\"\\x\"}"));
	assert_false(wt_json_valid("{\"a\":1}{"));
	assert_true(wt_json_valid("{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\"}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(exec_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(process_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(file_activities, setup, teardown),
		cmocka_unit_test_setup_teardown(network_activities, setup, teardown),
		cmocka_unit_test_setup_teardown(module_activity, setup, teardown),
		cmocka_unit_test_setup_teardown(confinement, setup, teardown),
		cmocka_unit_test_setup_teardown(lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(events_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_and_bare, setup, teardown),
		cmocka_unit_test_setup_teardown(classify_agrees, setup, teardown),
	};

	return cmocka_run_group_tests_name("event_ocsf", tests, NULL, NULL);
}
