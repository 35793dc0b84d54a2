// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the generated protobuf-c code for warden.v1.Event round-trips, and the wire bytes match
 * protobuf's encoding rules (checked by hand for one small message). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "warden/v1/event.pb-c.h"

static void round_trip(void **state)
{
	Warden__V1__Header hdr = WARDEN__V1__HEADER__INIT;
	Warden__V1__Event ev = WARDEN__V1__EVENT__INIT;
	Warden__V1__Event *back;
	uint8_t buf[256];
	size_t len;

	hdr.seq = 42;
	hdr.node = "build-7";
	ev.header = &hdr;
	ev.identity = "ci:acme/api#8812";
	ev.pid = 1234;
	ev.comm = "curl";
	ev.decision = WARDEN__V1__DECISION__DECISION_DENIED;

	len = warden__v1__event__get_packed_size(&ev);
	assert_true(len < sizeof(buf));
	assert_int_equal(warden__v1__event__pack(&ev, buf), len);

	back = warden__v1__event__unpack(NULL, len, buf);
	assert_non_null(back);
	assert_non_null(back->header);
	assert_int_equal(back->header->seq, 42);
	assert_string_equal(back->header->node, "build-7");
	assert_string_equal(back->identity, "ci:acme/api#8812");
	assert_int_equal(back->pid, 1234);
	assert_string_equal(back->comm, "curl");
	assert_int_equal(back->decision, WARDEN__V1__DECISION__DECISION_DENIED);
	warden__v1__event__free_unpacked(back, NULL);
}

/* Field 3 (pid) varint 300 = tag 0x18, then 0xac 0x02; field 5 (decision) = 2: 0x28 0x02. */
static void wire_bytes(void **state)
{
	Warden__V1__Event ev = WARDEN__V1__EVENT__INIT;
	static const uint8_t want[] = {0x18, 0xac, 0x02, 0x28, 0x02};
	uint8_t buf[16];

	ev.pid = 300;
	ev.decision = WARDEN__V1__DECISION__DECISION_DENIED;
	assert_int_equal(warden__v1__event__pack(&ev, buf), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void truncated_input_rejected(void **state)
{
	static const uint8_t bad[] = {0x18, 0xac};

	assert_null(warden__v1__event__unpack(NULL, sizeof(bad), bad));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(wire_bytes),
		cmocka_unit_test(truncated_input_rejected),
	};

	return cmocka_run_group_tests_name("event_proto", tests, NULL, NULL);
}
