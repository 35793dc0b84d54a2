// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: length-delimited records (user/pb/frame.c). The wire bytes of one small message match
 * protobuf's encoding rules (worked out by hand); fields a newer warden adds are skipped;
 * truncated input is refused; a record's seq reads back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "events_fixture.h"
#include "pb/frame.h"

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

/* Fields a newer warden adds are skipped, in the event and in nested messages. */
static void unknown_fields_skipped(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
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
	assert_string_equal(ev->identity->name, "ci:selftest/api#1");
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
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
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

static void record_seq(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	uint64_t seq = 0;
	size_t len;

	f->node_seq = 41;
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	len = warden__v1__event__pack(&f->pe->ev, f->buf);
	assert_int_equal(wd_pb_record_seq(f->buf, len, &seq), 0);
	assert_int_equal(seq, 42);
	assert_int_equal(wd_pb_record_seq((const uint8_t *)"\x0a\x05", 2, &seq), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wire_bytes),
		cmocka_unit_test_setup_teardown(unknown_fields_skipped, wt_ev_setup,
						wt_ev_teardown),
		cmocka_unit_test_setup_teardown(truncated_input_rejected, wt_ev_setup,
						wt_ev_teardown),
		cmocka_unit_test_setup_teardown(record_seq, wt_ev_setup, wt_ev_teardown),
	};

	return cmocka_run_group_tests_name("pb_frame", tests, NULL, NULL);
}
