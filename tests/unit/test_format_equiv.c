// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the sinks' formats do not drift. Thousands of generated events (every action and
 * lifecycle kind, enum values this build does not know, missing parts, numbers at their
 * limits, strings with quotes, backslashes, ']', control bytes, invalid and truncated UTF-8,
 * long ones) are formatted as warden JSON, OCSF JSON and RFC 5424 messages, and each
 * format's digest over all of them must be the one the stdio-based formatters of before the
 * fast paths produced (EXPECT_* below, recorded with this generator from commit 639519d, and
 * again when Confinement's enum gained KEYRING, TERMINAL_INPUT, SHARED_PORT and BROADCAST: the
 * generator draws enum values from the descriptors, so every event after the first such draw
 * changed; and again when it gained SYSCALL and its four fields, which warden JSON writes for
 * every confinement: with SYSCALL left out of the draw, OCSF and syslog were unchanged), so any
 * byte that changes fails. The string escaper of the sinks (wd_json_buf_str) must
 * also write, string by string, what the stdio one of the command line (wd_json_str) writes, and
 * the numbers what printf writes. An event packed and decoded again as the sink threads decode it
 * (wd_pb_arena_unpack) must format exactly as the event it came from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event/ocsf.h"
#include "event/event.h"
#include "lib/json.h"
#include "export/sink_syslog.h"

#define EVENTS 4000

/* Digests (FNV-1a 64 over each output's length and bytes) of the formats of before. */
#define EXPECT_JSON   0x5f4bd9a6ad812b57ull
#define EXPECT_OCSF   0xa020d1a4782a2106ull
#define EXPECT_SYSLOG 0xd09b38e033bfbb9cull

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: the same sequence everywhere, unlike rand(). */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static uint64_t num64(void)
{
	static const uint64_t edge[] = {0,
					1,
					9,
					10,
					99,
					100,
					4294967295ull,
					4294967296ull,
					UINT64_MAX,
					UINT64_MAX - 1,
					1735689600123456789ull};

	return below(3) ? edge[below(sizeof(edge) / sizeof(edge[0]))] : rnd() >> below(64);
}

static uint32_t num32(void)
{
	return below(2) ? (uint32_t)num64() : (uint32_t)below(70000);
}

/* The strings of one event live here until the next. */
static char pool[1 << 20];
static size_t pool_used;

static const char *const pieces[] = {
	"/usr/bin/python3.11",
	"/home/runner/.aws/credentials",
	"a",
	" ",
	"\"",
	"\\",
	"]",
	"[",
	"=",
	"{}",
	"\n",
	"\r",
	"\t",
	"\x01",
	"\x1f",
	"\x7f",
	"\xc3\xa9",	    /* é */
	"\xe4\xb8\xad",	    /* 中 */
	"\xf0\x9f\x98\x80", /* an emoji */
	"\xef\xbb\xbf",	    /* a BOM inside a string */
	"\xff",
	"\x80",
	"\xc0\xaf",	    /* overlong */
	"\xed\xa0\x80",	    /* a surrogate */
	"\xf4\x90\x80\x80", /* beyond U+10FFFF */
	"\xe4\xb8",	    /* truncated */
	"\xc3",
	"127.0.0.1",
	"::1",
	"%s%n",
	"ci:acme/api#8812",
};

static const char *str(void)
{
	unsigned kind = below(10), n;
	char *s = pool + pool_used;
	size_t len = 0;

	if (kind == 0)
		return "";
	/* Mostly short; sometimes over a kernel path's bound or the syslog target. */
	n = kind < 6 ? 1 + below(6) : kind < 9 ? 1 + below(60) : 200 + below(1200);
	for (unsigned i = 0; i < n; i++) {
		const char *p = below(3) ? "x" : pieces[below(sizeof(pieces) / sizeof(pieces[0]))];
		size_t k = strlen(p);

		if (below(4) == 0)
			p = "abcdefghijklmnopqrstuvwxyz/._-0123456789", k = 1 + below(40);
		if (pool_used + len + k + 1 > sizeof(pool))
			break;
		memcpy(s + len, p, k);
		len += k;
	}
	s[len] = '\0';
	pool_used += len + 1;
	return s;
}

static char *sdup(void)
{
	return (char *)str();
}

struct gen {
	Warden__V1__Event ev;
	Warden__V1__Header hdr;
	Warden__V1__Identity id;
	Warden__V1__Identity__LabelsEntry lab[4], *labp[4];
	Warden__V1__Sandbox sb;
	Warden__V1__Process proc;
	Warden__V1__Ancestor anc[3], *ancp[3];
	Warden__V1__Rule rule;
	Warden__V1__Exec exec;
	Warden__V1__FileOpen file;
	Warden__V1__Connect conn;
	uint8_t addr[16];
	Warden__V1__ExecMapping map;
	Warden__V1__SocketCreate sock;
	Warden__V1__Confinement conf;
	Warden__V1__Lifecycle lc;
};

/* An enum value: mostly known ones, sometimes one newer than this build. */
static int enum_val(const ProtobufCEnumDescriptor *d)
{
	if (below(8) == 0)
		return below(2) ? 99 : 1000 + (int)below(100);
	return d->values[below(d->n_values)].value;
}

static void gen_event(struct gen *g)
{
	Warden__V1__Event *ev = &g->ev;

	pool_used = 0;
	memset(g, 0, sizeof(*g));
	warden__v1__event__init(ev);
	warden__v1__header__init(&g->hdr);
	warden__v1__identity__init(&g->id);
	warden__v1__sandbox__init(&g->sb);
	warden__v1__process__init(&g->proc);
	warden__v1__rule__init(&g->rule);
	if (below(10)) {
		ev->header = &g->hdr;
		g->hdr.seq = num64();
		g->hdr.boot_ns = num64();
		g->hdr.wall_ns = below(10) ? 1600000000000000000ull + rnd() % 900000000000000000ull
					   : num64();
		g->hdr.node = sdup();
		g->hdr.warden_version = below(2) ? "0.9.0" : sdup();
		g->hdr.sandbox_seq = below(2) ? num64() : 0;
	}
	if (below(5)) {
		ev->identity = &g->id;
		g->id.name = sdup();
		g->id.n_labels = below(4);
		g->id.labels = g->labp;
		for (size_t i = 0; i < g->id.n_labels; i++) {
			warden__v1__identity__labels_entry__init(&g->lab[i]);
			g->lab[i].key = sdup();
			g->lab[i].value = sdup();
			g->labp[i] = &g->lab[i];
		}
	}
	if (below(5)) {
		ev->sandbox = &g->sb;
		g->sb.id = sdup();
		g->sb.cgroup_path = sdup();
		g->sb.cgroup_id = num64();
	}
	if (below(6)) {
		ev->process = &g->proc;
		g->proc.pid = num32();
		g->proc.tid = below(2) ? num32() : 0;
		g->proc.ppid = below(2) ? num32() : 0;
		g->proc.uid = num32();
		g->proc.gid = num32();
		g->proc.comm = sdup();
		g->proc.exe = sdup();
		g->proc.exec_id = below(2) ? sdup() : "";
		g->proc.n_ancestry = below(4);
		g->proc.ancestry = g->ancp;
		for (size_t i = 0; i < g->proc.n_ancestry; i++) {
			warden__v1__ancestor__init(&g->anc[i]);
			g->anc[i].pid = num32();
			g->anc[i].exe = sdup();
			g->anc[i].comm = sdup();
			g->ancp[i] = &g->anc[i];
		}
	}
	if (below(3)) {
		ev->rule = &g->rule;
		g->rule.id = num32();
		g->rule.text = sdup();
	}
	ev->decision = enum_val(&warden__v1__decision__descriptor);
	ev->hook = sdup();
	ev->policy_name = sdup();

	switch (below(8)) {
	case 0:
		warden__v1__exec__init(&g->exec);
		g->exec.path = sdup();
		ev->action_case = WARDEN__V1__EVENT__ACTION_EXEC;
		ev->exec = &g->exec;
		break;
	case 1:
		warden__v1__file_open__init(&g->file);
		g->file.path = sdup();
		g->file.read = below(2);
		g->file.write = below(2);
		g->file.truncate = below(3) == 0;
		g->file.change =
			below(2) ? enum_val(&warden__v1__file_open__change__descriptor) : 0;
		g->file.path_unresolved = below(8) == 0;
		ev->action_case = WARDEN__V1__EVENT__ACTION_FILE_OPEN;
		ev->file_open = &g->file;
		break;
	case 2:
		warden__v1__connect__init(&g->conn);
		g->conn.family = below(3)   ? WARDEN__V1__FAMILY__FAMILY_INET
				 : below(2) ? WARDEN__V1__FAMILY__FAMILY_INET6
					    : enum_val(&warden__v1__family__descriptor);
		for (size_t i = 0; i < sizeof(g->addr); i++)
			g->addr[i] = (uint8_t)rnd();
		g->conn.address.data = g->addr;
		g->conn.address.len = (size_t[]){0, 4, 16, 5}[below(4)];
		g->conn.address_text = below(3) ? (below(2) ? "10.1.2.3" : "2001:db8::1") : sdup();
		g->conn.port = below(4) ? below(65536) : 0;
		g->conn.protocol = enum_val(&warden__v1__protocol__descriptor);
		g->conn.ip_protocol = below(2) ? below(256) : 0;
		g->conn.is_send = below(2);
		ev->action_case = WARDEN__V1__EVENT__ACTION_CONNECT;
		ev->connect = &g->conn;
		break;
	case 3:
		warden__v1__exec_mapping__init(&g->map);
		g->map.path = sdup();
		g->map.via_mprotect = below(2);
		ev->action_case = WARDEN__V1__EVENT__ACTION_EXEC_MAPPING;
		ev->exec_mapping = &g->map;
		break;
	case 4:
		warden__v1__socket_create__init(&g->sock);
		g->sock.family = enum_val(&warden__v1__family__descriptor);
		g->sock.type = enum_val(&warden__v1__socket_type__descriptor);
		ev->action_case = WARDEN__V1__EVENT__ACTION_SOCKET_CREATE;
		ev->socket_create = &g->sock;
		break;
	case 5:
		warden__v1__confinement__init(&g->conf);
		g->conf.what = enum_val(&warden__v1__confinement__what__descriptor);
		g->conf.path = sdup();
		g->conf.capability = num32();
		g->conf.bpf_command = num32();
		g->conf.signal = num32();
		g->conf.target_pid = below(2) ? num32() : 0;
		g->conf.ptrace_mode = num32();
		g->conf.socket_option = num32();
		g->conf.mode = num32();
		ev->action_case = WARDEN__V1__EVENT__ACTION_CONFINEMENT;
		ev->confinement = &g->conf;
		break;
	case 6:
		warden__v1__lifecycle__init(&g->lc);
		g->lc.kind = below(3) ? WARDEN__V1__LIFECYCLE__KIND__EVENTS_LOST
				      : enum_val(&warden__v1__lifecycle__kind__descriptor);
		g->lc.detail = sdup();
		g->lc.lost_count = num64();
		g->lc.lost_first_seq = below(3) ? num64() : 0;
		g->lc.lost_last_seq = below(3) ? num64() : 0;
		g->lc.sink = sdup();
		ev->action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
		ev->lifecycle = &g->lc;
		break;
	default:
		/* No action: what a reader sees of an action newer than itself. */
		break;
	}
}

static void fnv(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		*h ^= c[i];
		*h *= 0x100000001b3ull;
	}
}

static void digest(uint64_t *h, const char *p, size_t n)
{
	uint64_t len = n;

	fnv(h, &len, sizeof(len));
	fnv(h, p, n);
}

/* @ev through a FILE * formatter, into @out (a static buffer of the caller). */
static size_t via_file(void (*f)(FILE *, const Warden__V1__Event *), const Warden__V1__Event *ev,
		       char **out)
{
	size_t len = 0;
	FILE *fp;

	free(*out);
	*out = NULL;
	fp = open_memstream(out, &len);
	assert_non_null(fp);
	f(fp, ev);
	assert_int_equal(fclose(fp), 0);
	return len;
}

static const struct wd_syslog_opts sys_opts[] = {
	{13, "build-7", "warden"},
	{0, "a-very-long-hostname.example.org", "w"},
	{23, "-", "warden-audit"},
};

/* The syslog message of @ev with options @o, in @buf, as "<rc>" when refused. */
static size_t syslog_msg(const struct wd_syslog_opts *o, const Warden__V1__Event *ev, char *buf)
{
	int n = wd_syslog_format(o, ev, buf, WD_SYSLOG_MSG_MAX);

	if (n < 0)
		return (size_t)snprintf(buf, 32, "<%d>", n);
	return (size_t)n;
}

static void digests_match(void **state)
{
	uint64_t hj = 0xcbf29ce484222325ull, ho = hj, hs = hj;
	static char sbuf[WD_SYSLOG_MSG_MAX + 32];
	static struct gen g;
	char *out = NULL;
	size_t n;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < EVENTS; i++) {
		gen_event(&g);
		n = via_file(wd_pb_event_json, &g.ev, &out);
		digest(&hj, out, n);
		n = via_file(wd_ocsf_event_json, &g.ev, &out);
		digest(&ho, out, n);
		n = syslog_msg(&sys_opts[i % 3], &g.ev, sbuf);
		digest(&hs, sbuf, n);
	}
	free(out);
	printf("# digests: json %#llx ocsf %#llx syslog %#llx\n", (unsigned long long)hj,
	       (unsigned long long)ho, (unsigned long long)hs);
	assert_int_equal(hj, EXPECT_JSON);
	assert_int_equal(ho, EXPECT_OCSF);
	assert_int_equal(hs, EXPECT_SYSLOG);
}

/* What @f (a stdio writer of @s) wrote, in @out. */
static size_t file_str(void (*f)(FILE *, const char *), const char *s, char **out)
{
	size_t len = 0;
	FILE *fp;

	free(*out);
	*out = NULL;
	fp = open_memstream(out, &len);
	assert_non_null(fp);
	f(fp, s);
	assert_int_equal(fclose(fp), 0);
	return len;
}

static void strings_as_stdio(void **state)
{
	struct wd_buf b = {0};
	char *out = NULL;

	rng_state = 0x243f6a8885a308d3ull;
	for (unsigned i = 0; i < 50000; i++) {
		const char *s;
		size_t n;

		pool_used = 0;
		s = str();
		b.len = 0;
		wd_json_buf_str(&b, s);
		n = file_str(wd_json_str, s, &out);
		assert_false(b.oom);
		if (b.len != n || memcmp(b.p, out, n))
			fail_msg("string %u: %.*s != %s", i, (int)b.len, b.p, out);
	}
	/* Every byte value alone, and before a NUL-free tail. */
	for (unsigned c = 1; c < 256; c++) {
		char s[4] = {(char)c, 'x', (char)(c ^ 0x40 ? c ^ 0x40 : 1), 0};
		size_t n;

		b.len = 0;
		wd_json_buf_str(&b, s);
		n = file_str(wd_json_str, s, &out);
		assert_true(b.len == n && !memcmp(b.p, out, n));
	}
	free(out);
	wd_buf_free(&b);
}

static void numbers_as_printf(void **state)
{
	struct wd_buf b = {0};
	char want[32];

	rng_state = 0x13198a2e03707344ull;
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t v = num64();
		int64_t sv = (int64_t)v;

		b.len = 0;
		wd_buf_u64(&b, v);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		assert_true(b.len == strlen(want) && !memcmp(b.p, want, b.len));
		b.len = 0;
		wd_buf_i64(&b, sv);
		snprintf(want, sizeof(want), "%lld", (long long)sv);
		assert_true(b.len == strlen(want) && !memcmp(b.p, want, b.len));
	}
	b.len = 0;
	wd_buf_i64(&b, INT64_MIN);
	assert_true(b.len == 20 && !memcmp(b.p, "-9223372036854775808", 20));
	wd_buf_free(&b);
}

/* All three formats of @ev, one after the other, into @out. */
static void all_formats(const Warden__V1__Event *ev, unsigned i, struct wd_buf *out)
{
	static char sbuf[WD_SYSLOG_MSG_MAX + 32];

	out->len = 0;
	wd_pb_event_json_buf(out, ev);
	wd_buf_ch(out, '\n');
	wd_ocsf_event_json_buf(out, ev);
	wd_buf_ch(out, '\n');
	wd_buf_add(out, sbuf, syslog_msg(&sys_opts[i % 3], ev, sbuf));
	assert_false(out->oom);
}

static void arena_decoded_formats_alike(void **state)
{
	struct wd_buf want = {0}, got = {0};
	struct wd_pb_arena a = {0};
	static struct gen g;
	static uint8_t rec[1 << 20];
	static char huge[300 * 1024];
	unsigned spilled = 0;

	rng_state = 0x452821e638d01377ull;
	memset(huge, 'h', sizeof(huge) - 1);
	for (unsigned i = 0; i < EVENTS; i++) {
		Warden__V1__Event *ev;
		size_t len;

		gen_event(&g);
		/* Now and then more than the arena holds: the rest comes from malloc(). */
		if (i % 500 == 7 && g.ev.process)
			g.proc.exe = huge;
		len = warden__v1__event__pack(&g.ev, rec);
		all_formats(&g.ev, i, &want);
		ev = wd_pb_arena_unpack(&a, rec, len);
		assert_non_null(ev);
		spilled += a.spilled != 0;
		all_formats(ev, i, &got);
		if (got.len != want.len || memcmp(got.p, want.p, got.len))
			fail_msg("event %u formats differently once decoded", i);
		wd_pb_arena_put(&a, ev);
	}
	assert_true(spilled > 0);
	/* Not an Event: refused, nothing held. */
	assert_null(wd_pb_arena_unpack(&a, (const uint8_t *)"\x0a\xff\xff", 3));
	wd_pb_arena_free(&a);
	wd_buf_free(&want);
	wd_buf_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digests_match),
		cmocka_unit_test(strings_as_stdio),
		cmocka_unit_test(numbers_as_printf),
		cmocka_unit_test(arena_decoded_formats_alike),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
