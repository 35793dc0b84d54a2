// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: user/pb/enc.c writes, byte for byte, what protobuf-c packs: for every action kind, with
 * zero, small, large and all-ones values (one-, multi- and ten-byte varints, negative enums),
 * empty and long strings (one- and two-byte lengths), ancestries; then 20,000 random events.
 * A full output buffer is refused, never overrun. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event/event.h"
#include "pb/enc.h"

struct msg {
	Warden__V1__Event ev;
	Warden__V1__Header hdr;
	Warden__V1__Process proc;
	Warden__V1__Ancestor anc[3], *anc_p[3];
	Warden__V1__Exec exec;
	Warden__V1__FileOpen fo;
	Warden__V1__Connect conn;
	Warden__V1__ExecMapping em;
	Warden__V1__SocketCreate sc;
	Warden__V1__Confinement conf;
	char str[12][400];
	uint8_t addr[16];
};

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* A value of the kind that stresses varints: 0, 1, 127, 128, 16383, 16384, huge, random. */
static uint64_t pick(void)
{
	static const uint64_t v[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX};
	uint64_t r = rnd();

	return r % 3 ? v[r % 8] : rnd() >> (rnd() % 64);
}

static char *pick_str(struct msg *m, int i)
{
	static const size_t lens[] = {0, 1, 127, 128, 399};
	size_t n = lens[rnd() % 5];

	for (size_t k = 0; k < n; k++)
		m->str[i][k] = (char)('a' + rnd() % 26);
	m->str[i][n] = '\0';
	/* NULL and "" are both the empty string to protobuf-c */
	return n == 0 && rnd() % 2 ? NULL : m->str[i];
}

static void fill(struct msg *m, int action)
{
	memset(m, 0, sizeof(*m));
	warden__v1__event__init(&m->ev);
	warden__v1__header__init(&m->hdr);
	warden__v1__process__init(&m->proc);
	m->hdr.seq = pick();
	m->hdr.boot_ns = pick();
	m->hdr.wall_ns = pick();
	m->hdr.node = pick_str(m, 0);
	m->hdr.warden_version = pick_str(m, 1);
	m->hdr.sandbox_seq = pick();
	m->ev.header = rnd() % 8 ? &m->hdr : NULL;
	m->proc.pid = (uint32_t)pick();
	m->proc.tid = (uint32_t)pick();
	m->proc.ppid = (uint32_t)pick();
	m->proc.uid = (uint32_t)pick();
	m->proc.gid = (uint32_t)pick();
	m->proc.comm = pick_str(m, 2);
	m->proc.exe = pick_str(m, 3);
	m->proc.exec_id = pick_str(m, 4);
	m->proc.n_ancestry = rnd() % 4;
	for (size_t i = 0; i < m->proc.n_ancestry; i++) {
		warden__v1__ancestor__init(&m->anc[i]);
		m->anc[i].pid = (uint32_t)pick();
		m->anc[i].exe = pick_str(m, 5 + (int)i);
		m->anc[i].comm = rnd() % 2 ? "make" : NULL;
		m->anc_p[i] = &m->anc[i];
	}
	m->proc.ancestry = m->proc.n_ancestry ? m->anc_p : NULL;
	m->ev.process = rnd() % 8 ? &m->proc : NULL;
	m->ev.decision = (Warden__V1__Decision)(rnd() % 4);
	m->ev.hook = pick_str(m, 8);
	if (!m->ev.hook)
		m->ev.hook = (char *)protobuf_c_empty_string;

	switch (action) {
	case 0:
		warden__v1__exec__init(&m->exec);
		m->exec.path = pick_str(m, 9);
		m->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC;
		m->ev.exec = &m->exec;
		break;
	case 1:
		warden__v1__file_open__init(&m->fo);
		m->fo.path = pick_str(m, 9);
		m->fo.read = rnd() % 2;
		m->fo.write = rnd() % 2;
		m->fo.truncate = rnd() % 2;
		m->ev.action_case = WARDEN__V1__EVENT__ACTION_FILE_OPEN;
		m->ev.file_open = &m->fo;
		break;
	case 2:
		warden__v1__connect__init(&m->conn);
		m->conn.family = (Warden__V1__Family)(rnd() % 3 ? (int)(rnd() % 45) : -1);
		for (size_t k = 0; k < 16; k++)
			m->addr[k] = (uint8_t)rnd();
		m->conn.address.data = m->addr;
		m->conn.address.len = rnd() % 3 ? (rnd() % 2 ? 4 : 16) : 0;
		m->conn.address_text = pick_str(m, 9);
		m->conn.port = (uint32_t)pick();
		m->conn.protocol = (Warden__V1__Protocol)(rnd() % 4);
		m->conn.ip_protocol = (uint32_t)pick();
		m->conn.is_send = rnd() % 2;
		m->ev.action_case = WARDEN__V1__EVENT__ACTION_CONNECT;
		m->ev.connect = &m->conn;
		break;
	case 3:
		warden__v1__exec_mapping__init(&m->em);
		m->em.path = pick_str(m, 9);
		m->em.via_mprotect = rnd() % 2;
		m->ev.action_case = WARDEN__V1__EVENT__ACTION_EXEC_MAPPING;
		m->ev.exec_mapping = &m->em;
		break;
	case 4:
		warden__v1__socket_create__init(&m->sc);
		m->sc.family = (Warden__V1__Family)(rnd() % 45);
		m->sc.type = (Warden__V1__SocketType)(rnd() % 11);
		m->ev.action_case = WARDEN__V1__EVENT__ACTION_SOCKET_CREATE;
		m->ev.socket_create = &m->sc;
		break;
	default:
		warden__v1__confinement__init(&m->conf);
		m->conf.what = (Warden__V1__Confinement__What)(rnd() % 20);
		m->conf.path = pick_str(m, 9);
		m->conf.capability = (uint32_t)pick();
		m->conf.bpf_command = (uint32_t)pick();
		m->conf.signal = (uint32_t)pick();
		m->conf.target_pid = (uint32_t)pick();
		m->conf.ptrace_mode = (uint32_t)pick();
		m->conf.socket_option = (uint32_t)pick();
		/* Fields 14 to 17: 16 and 17 take two-byte tags. */
		m->conf.syscall = (uint32_t)pick();
		m->conf.syscall_name = pick_str(m, 9);
		m->conf.error = (uint32_t)pick();
		m->conf.maybe_kernel = rnd() % 2;
		m->ev.action_case = WARDEN__V1__EVENT__ACTION_CONFINEMENT;
		m->ev.confinement = &m->conf;
	}
}

/* The fields pb/enc.c writes, in the order of the .proto (the tests leave 2, 3, 7 and 8 unset,
 * which the packer copies from parts protobuf-c packed). */
static size_t encode(const Warden__V1__Event *ev, uint8_t *buf, size_t cap, bool *full)
{
	struct wd_pb_out o = {.p = buf, .end = buf + cap};

	wd_pb_enc_header(&o, ev->header);
	wd_pb_enc_process(&o, ev->process);
	wd_pb_enc_decision_hook(&o, ev->decision, ev->hook);
	assert_true(wd_pb_enc_action(&o, ev));
	*full = o.full;
	return (size_t)(o.p - buf);
}

static void same_bytes(const struct msg *m)
{
	static uint8_t want[WD_PB_RECORD_MAX], got[WD_PB_RECORD_MAX + 16];
	size_t n = warden__v1__event__pack(&m->ev, want), g;
	bool full;

	assert_int_equal(n, warden__v1__event__get_packed_size(&m->ev));
	memset(got, 0xa5, sizeof(got));
	g = encode(&m->ev, got, WD_PB_RECORD_MAX, &full);
	assert_false(full);
	assert_int_equal(g, n);
	assert_memory_equal(got, want, n);
	/* One byte short: refused, and nothing written past the end. */
	if (n) {
		memset(got, 0xa5, sizeof(got));
		encode(&m->ev, got, n - 1, &full);
		assert_true(full);
		for (size_t k = n - 1; k < sizeof(got); k++)
			assert_int_equal(got[k], 0xa5);
	}
}

static void every_kind(void **state)
{
	static struct msg m;

	(void)state;
	assert_true(wd_pb_enc_usable());
	for (int round = 0; round < 200; round++)
		for (int action = 0; action < 6; action++) {
			fill(&m, action);
			same_bytes(&m);
		}
}

static void random_events(void **state)
{
	static struct msg m;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		fill(&m, (int)(rnd() % 6));
		same_bytes(&m);
	}
}

/* Lifecycle and no action: not the encoder's (the packer uses protobuf-c for them). */
static void not_encoded(void **state)
{
	static struct msg m;
	Warden__V1__Lifecycle lc;
	uint8_t buf[64];
	struct wd_pb_out o = {.p = buf, .end = buf + sizeof(buf)};

	(void)state;
	fill(&m, 0);
	m.ev.action_case = WARDEN__V1__EVENT__ACTION__NOT_SET;
	assert_false(wd_pb_enc_action(&o, &m.ev));
	warden__v1__lifecycle__init(&lc);
	m.ev.action_case = WARDEN__V1__EVENT__ACTION_LIFECYCLE;
	m.ev.lifecycle = &lc;
	assert_false(wd_pb_enc_action(&o, &m.ev));
	assert_ptr_equal(o.p, buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind),
		cmocka_unit_test(random_events),
		cmocka_unit_test(not_encoded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
