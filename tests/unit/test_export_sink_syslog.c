// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the syslog sink's RFC 5424 messages (user/export/sink_syslog*.c). Whole messages compared
 * byte for byte (PRI, timestamp, fields, structured data, BOM and text); SD-PARAM escaping of '"',
 * '\' and ']'; control characters and invalid UTF-8 replaced; severities and MSGIDs of every kind;
 * long messages cut in the free text only, at a character boundary; the backend refuses bad
 * settings with a message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "export/sink.h"
#include "export/sink_syslog.h"
#include "event_parts.h"

#define BOM  "\xef\xbb\xbf"
#define FFFD "\xef\xbf\xbd"
#define WALL 1735689600123456789ull /* 2025-01-01T00:00:00.123456789Z */

static const struct wd_syslog_opts opts = {13, "build-7", "warden"};

/* A denied exec of /tmp/payload by pid 12, with everything set. */
static void base(struct wt_ev *e)
{
	wt_ev_init(e);
	e->hdr.seq = 42;
	e->hdr.sandbox_seq = 3;
	e->hdr.wall_ns = WALL;
	e->hdr.node = "build-7";
	e->id.name = "ci:acme/api#8812";
	e->sb.id = "sb-0123456789abcdef";
	e->proc.pid = 12;
	e->proc.uid = 1000;
	e->proc.comm = "sh";
	e->proc.exe = "/usr/bin/dash";
	e->rule.id = 7;
	e->rule.text = "p.yaml:3:5 exec deny /tmp/";
	e->exec.path = "/tmp/payload";
	e->ev.decision = WARDEN__V1__DECISION__DECISION_DENIED;
	e->ev.hook = "bprm_check_security";
	e->ev.policy_name = "build";
	e->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC;
	e->ev.exec = &e->exec;
}

static void lifecycle(struct wt_ev *e, Warden__V1__Lifecycle__Kind kind)
{
	e->ev.process = NULL;
	e->ev.rule = NULL;
	e->ev.hook = "";
	e->ev.decision = WARDEN__V1__DECISION__DECISION_UNSPECIFIED;
	e->ev.action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
	e->ev.lifecycle = &e->lc;
	e->lc.kind = kind;
}

static const char *fmt(const struct wd_syslog_opts *o, const struct wt_ev *e)
{
	static char buf[WD_SYSLOG_MSG_MAX + 1];
	int n = wd_syslog_format(o, &e->ev, buf, WD_SYSLOG_MSG_MAX);

	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static void denied_exec_whole(void **state)
{
	struct wt_ev e;

	base(&e);
	assert_string_equal(
		fmt(&opts, &e),
		"<108>1 2025-01-01T00:00:00.123456Z build-7 warden 12 exec [warden@32473 "
		"seq=\"42\" sandbox_seq=\"3\" identity=\"ci:acme/api#8812\" "
		"sandbox=\"sb-0123456789abcdef\" decision=\"denied\" rule=\"7\" policy=\"build\" "
		"hook=\"bprm_check_security\" pid=\"12\" uid=\"1000\" exe=\"/usr/bin/dash\" "
		"path=\"/tmp/payload\"] " BOM "DENY exec /tmp/payload identity=ci:acme/api#8812 "
		"sandbox=sb-0123456789abcdef pid=12 exe=/usr/bin/dash rule=7 (p.yaml:3:5 exec "
		"deny /tmp/)");
}

static void escaping(void **state)
{
	struct wt_ev e;
	const char *m;

	base(&e);
	/* '"', '\' and ']' escaped in SD values; a newline, a tab and a lone 0xff byte become
	 * U+FFFD; UTF-8 passes through. In the free text only the replacement applies. */
	e.exec.path = "/tmp/a\"b\\c]d\ne\tf\xff-\xc3\xa9t\xc3\xa9";
	e.id.name = "agent:x]\"";
	m = fmt(&opts, &e);
	assert_non_null(strstr(m, " identity=\"agent:x\\]\\\"\" "));
	assert_non_null(strstr(m, " path=\"/tmp/a\\\"b\\\\c\\]d" FFFD "e" FFFD "f" FFFD
				  "-\xc3\xa9t\xc3\xa9\"]"));
	assert_non_null(strstr(m, BOM "DENY exec /tmp/a\"b\\c]d" FFFD "e" FFFD "f" FFFD
				      "-\xc3\xa9t\xc3\xa9 identity=agent:x]\" "));
	/* Nothing raw that would end a line or a field early. */
	assert_null(strchr(m, '\n'));
	assert_null(strchr(m, '\t'));
}

static void severities_and_kinds(void **state)
{
	struct wt_ev e;

	base(&e);
	e.ev.decision = WARDEN__V1__DECISION__DECISION_ALLOWED;
	assert_int_equal(wd_syslog_severity(&e.ev), 6);
	assert_true(!strncmp(fmt(&opts, &e), "<110>1 ", 7));
	e.ev.decision = WARDEN__V1__DECISION__DECISION_AUDIT_DENIED;
	assert_int_equal(wd_syslog_severity(&e.ev), 5);
	assert_non_null(strstr(fmt(&opts, &e), " decision=\"audit-denied\" "));
	assert_non_null(strstr(fmt(&opts, &e), BOM "AUDIT-DENY exec "));
	e.ev.decision = WARDEN__V1__DECISION__DECISION_DENIED;
	assert_int_equal(wd_syslog_severity(&e.ev), 4);

	/* The facility is the PRI's upper part: local4 (20) * 8 + warning (4). */
	{
		struct wd_syslog_opts o = {20, "h", "app"};

		assert_true(!strncmp(fmt(&o, &e), "<164>1 ", 7));
	}

	assert_string_equal(wd_syslog_msgid(&e.ev), "exec");
	e.ev.action_case = WARDEN__V1__EVENT__ACTION_FILE_OPEN;
	e.ev.file_open = &e.file;
	e.file.path = "/etc/shadow";
	e.file.read = true;
	assert_string_equal(wd_syslog_msgid(&e.ev), "file");
	assert_non_null(strstr(fmt(&opts, &e), " path=\"/etc/shadow\" access=\"read\"] " BOM
					       "DENY open-read /etc/shadow "));
	e.file.write = true;
	e.file.truncate = true;
	assert_non_null(strstr(fmt(&opts, &e), " access=\"truncate\"] " BOM "DENY truncate "));

	e.ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC_MAPPING;
	e.ev.exec_mapping = &e.map;
	e.map.path = "payload.so";
	e.map.via_mprotect = true;
	assert_string_equal(wd_syslog_msgid(&e.ev), "mmap");
	assert_non_null(strstr(fmt(&opts, &e), " path=\"payload.so\" mprotect=\"true\"] " BOM
					       "DENY mmap-exec payload.so (mprotect) "));

	e.ev.action_case = WARDEN__V1__EVENT__ACTION_SOCKET_CREATE;
	e.ev.socket_create = &e.sock;
	e.sock.family = WARDEN__V1__FAMILY__FAMILY_PACKET;
	e.sock.type = WARDEN__V1__SOCKET_TYPE__SOCKET_TYPE_RAW;
	assert_string_equal(wd_syslog_msgid(&e.ev), "socket");
	assert_non_null(strstr(fmt(&opts, &e),
			       " family=\"packet\" type=\"raw\"] " BOM "DENY socket packet/raw "));
	e.sock.family = (Warden__V1__Family)99; /* a family this build does not name */
	assert_non_null(strstr(fmt(&opts, &e), " family=\"99\" "));

	e.ev.action_case = WARDEN__V1__EVENT__ACTION_CONFINEMENT;
	e.ev.confinement = &e.conf;
	e.conf.what = WARDEN__V1__CONFINEMENT__WHAT__CAPABILITY;
	e.conf.capability = 21;
	assert_string_equal(wd_syslog_msgid(&e.ev), "confine");
	assert_non_null(strstr(fmt(&opts, &e), " what=\"capability\" capability=\"21\"] " BOM
					       "DENY confine capability "));
	e.conf.what = WARDEN__V1__CONFINEMENT__WHAT__KILL;
	e.conf.signal = 9;
	e.conf.target_pid = 1;
	assert_non_null(strstr(fmt(&opts, &e), " what=\"kill\" signal=\"9\" target_pid=\"1\"]"));

	e.ev.action_case = WARDEN__V1__EVENT__ACTION__NOT_SET;
	assert_string_equal(wd_syslog_msgid(&e.ev), "-");
	assert_non_null(strstr(fmt(&opts, &e), " 12 - [warden@32473 "));
}

static void connect_forms(void **state)
{
	static uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct wt_ev e;

	base(&e);
	e.ev.hook = "cgroup/connect6";
	e.ev.action_case = WARDEN__V1__EVENT__ACTION_CONNECT;
	e.ev.connect = &e.conn;
	e.conn.family = WARDEN__V1__FAMILY__FAMILY_INET6;
	e.conn.address.data = v6;
	e.conn.address.len = 16;
	e.conn.address_text = "2001:db8::1";
	e.conn.port = 443;
	e.conn.protocol = WARDEN__V1__PROTOCOL__PROTOCOL_TCP;
	e.conn.ip_protocol = 6;
	assert_non_null(strstr(fmt(&opts, &e),
			       " 12 connect [warden@32473 seq=\"42\" sandbox_seq=\"3\" "
			       "identity=\"ci:acme/api#8812\" sandbox=\"sb-0123456789abcdef\" "
			       "decision=\"denied\" rule=\"7\" policy=\"build\" "
			       "hook=\"cgroup/connect6\" pid=\"12\" uid=\"1000\" "
			       "exe=\"/usr/bin/dash\" family=\"inet6\" addr=\"2001:db8::1\" "
			       "port=\"443\" proto=\"tcp\"] " BOM
			       "DENY connect [2001:db8::1]:443/tcp identity="));

	e.conn.family = WARDEN__V1__FAMILY__FAMILY_INET;
	e.conn.address_text = "169.254.169.254";
	e.conn.port = 53;
	e.conn.protocol = WARDEN__V1__PROTOCOL__PROTOCOL_UDP;
	e.conn.is_send = true;
	assert_non_null(strstr(fmt(&opts, &e), " family=\"inet\" addr=\"169.254.169.254\" "
					       "port=\"53\" proto=\"udp\" send=\"true\"] " BOM
					       "DENY send 169.254.169.254:53/udp "));

	e.conn.family = WARDEN__V1__FAMILY__FAMILY_UNIX;
	e.conn.address_text = "docker.sock";
	e.conn.port = 0;
	e.conn.protocol = WARDEN__V1__PROTOCOL__PROTOCOL_UNSPECIFIED;
	e.conn.is_send = false;
	assert_non_null(strstr(fmt(&opts, &e), " family=\"unix\" addr=\"docker.sock\"] " BOM
					       "DENY connect unix:docker.sock "));
}

static void lifecycle_events(void **state)
{
	struct wt_ev e;

	base(&e);
	lifecycle(&e, WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST);
	e.ev.identity = NULL;
	e.ev.sandbox = NULL;
	e.hdr.sandbox_seq = 0;
	e.ev.policy_name = "";
	e.lc.lost_count = 12;
	e.lc.lost_first_seq = 100;
	e.lc.lost_last_seq = 111;
	e.lc.detail = "ring buffer full";
	assert_int_equal(wd_syslog_severity(&e.ev), 3);
	assert_string_equal(fmt(&opts, &e),
			    "<107>1 2025-01-01T00:00:00.123456Z build-7 warden - lifecycle "
			    "[warden@32473 seq=\"42\" lifecycle=\"events-lost\" lost=\"12\" "
			    "lost_first=\"100\" lost_last=\"111\"] " BOM
			    "events-lost 12 events (seq 100-111) (ring buffer full)");

	base(&e);
	lifecycle(&e, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED);
	assert_int_equal(wd_syslog_severity(&e.ev), 5);
	assert_string_equal(fmt(&opts, &e),
			    "<109>1 2025-01-01T00:00:00.123456Z build-7 warden - lifecycle "
			    "[warden@32473 seq=\"42\" sandbox_seq=\"3\" "
			    "identity=\"ci:acme/api#8812\" sandbox=\"sb-0123456789abcdef\" "
			    "policy=\"build\" lifecycle=\"sandbox-created\"] " BOM
			    "sandbox-created identity=ci:acme/api#8812 sandbox=sb-0123456789abcdef "
			    "policy=build");
}

static void unknown_time_and_header(void **state)
{
	struct wt_ev e;

	base(&e);
	e.hdr.wall_ns = 0;
	assert_true(!strncmp(fmt(&opts, &e), "<108>1 - build-7 warden 12 exec ", 32));
	e.ev.header = NULL;
	assert_non_null(strstr(fmt(&opts, &e), "[warden@32473 seq=\"0\" identity="));
	/* Microseconds, zero-padded; the nanoseconds beyond are dropped, not rounded. */
	base(&e);
	e.hdr.wall_ns = 1735689600000001999ull;
	assert_true(!strncmp(fmt(&opts, &e), "<108>1 2025-01-01T00:00:00.000001Z ", 35));
}

static void long_messages(void **state)
{
	static char path[4097];
	struct wt_ev e;
	const char *m, *sd_end;
	size_t len;
	int n;

	/* 1500 two-byte characters in exe and path: the SD holds both whole; the free text,
	 * which repeats them, is cut to keep the message at 8 KiB, between two characters. */
	for (int i = 0; i < 2000; i++)
		memcpy(path + 2 * i, "\xc3\xa9", 2);
	path[3000] = '\0';
	base(&e);
	e.exec.path = path;
	e.proc.exe = path;
	m = fmt(&opts, &e);
	len = strlen(m);
	assert_true(len <= WD_SYSLOG_MSG_TARGET);
	assert_true(len > WD_SYSLOG_MSG_TARGET - 2);
	sd_end = strstr(m, "\"] " BOM);
	assert_non_null(sd_end);
	assert_true(strstr(m, path) < sd_end);			    /* exe, whole */
	assert_true(strstr(strstr(m, path) + 3000, path) < sd_end); /* path, whole */
	assert_int_equal((unsigned char)m[len - 2], 0xc3);
	assert_int_equal((unsigned char)m[len - 1], 0xa9);

	/* Structured data over 8 KiB on its own stays whole; the text keeps its start. */
	path[3000] = (char)0xc3;
	path[4000] = '\0';
	m = fmt(&opts, &e);
	len = strlen(m);
	sd_end = strstr(m, "\"] " BOM);
	assert_non_null(sd_end);
	assert_true(len > WD_SYSLOG_MSG_TARGET);
	assert_int_equal(len, (size_t)(sd_end - m) + 3 + 3 + 64);
	assert_true(!strncmp(sd_end + 6, "DENY exec ", 10));

	/* A buffer too small is refused, never written past. */
	{
		char small[64];

		memset(small, 'x', sizeof(small));
		n = wd_syslog_format(&opts, &e.ev, small, 32);
		assert_int_equal(n, -ENOBUFS);
		assert_int_equal(small[32], 'x');
	}
}

static void field_rules(void **state)
{
	assert_true(wd_syslog_field_valid("build-7.example", 255));
	assert_false(wd_syslog_field_valid("", 255));
	assert_false(wd_syslog_field_valid("has space", 255));
	assert_false(wd_syslog_field_valid("caf\xc3\xa9", 255));
	assert_false(wd_syslog_field_valid("abc", 2));
	assert_false(wd_syslog_field_valid(NULL, 255));
}

/* @c is refused with a message containing @want. */
static void backend_refuses(const struct wd_sink_cfg *c, const char *want)
{
	const struct wd_sink_ops *ops = NULL;
	void *impl = NULL;
	char err[512] = "";
	int ret = wd_sink_syslog_backend(c, "node", &ops, &impl, err, sizeof(err));

	if (ret != -EINVAL || !strstr(err, want))
		fail_msg("got %d \"%s\", want -EINVAL and \"%s\"", ret, err, want);
}

static void backend_settings(void **state)
{
	struct wd_sink_cfg c = {.name = "siem", .kind = WD_SINK_SYSLOG};
	const struct wd_sink_ops *ops = NULL;
	void *impl = NULL;
	char err[512] = "", desc[256];

	backend_refuses(&c, "needs address");
	c.address = "unix:/dev/log";
	backend_refuses(&c, "a syslog sink speaks TCP");
	c.address = "tcp:localhost";
	backend_refuses(&c, "no port");
	c.address = "tcp:127.0.0.1:9";
	c.facility = 24;
	backend_refuses(&c, "facility 24: expected a number from 0 to 23");
	c.facility = 0;
	c.app_name = "my app";
	backend_refuses(&c, "app_name \"my app\"");
	c.app_name = "a-very-long-application-name-that-is-over-48-chars";
	backend_refuses(&c, "1 to 48");
	c.app_name = NULL;
	c.hostname = "host\x01";
	backend_refuses(&c, "hostname");
	c.hostname = NULL;
	c.reconnect_min_ns = 2000000000;
	c.reconnect_max_ns = 1000000000;
	backend_refuses(&c, "reconnect.min is longer than reconnect.max");
	c.reconnect_min_ns = 0;

	/* A good one: nothing is connected before the first tick. */
	assert_int_equal(wd_sink_syslog_backend(&c, "node", &ops, &impl, err, sizeof(err)), 0);
	assert_string_equal(ops->kind, "syslog");
	assert_true(ops->wants_event);
	ops->describe(impl, desc, sizeof(desc));
	assert_string_equal(desc, "not connected yet to tcp:127.0.0.1:9");
	ops->close(impl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(denied_exec_whole),	cmocka_unit_test(escaping),
		cmocka_unit_test(severities_and_kinds), cmocka_unit_test(connect_forms),
		cmocka_unit_test(lifecycle_events),	cmocka_unit_test(unknown_time_and_header),
		cmocka_unit_test(long_messages),	cmocka_unit_test(field_rules),
		cmocka_unit_test(backend_settings),
	};

	return cmocka_run_group_tests_name("sink_syslog", tests, NULL, NULL);
}
