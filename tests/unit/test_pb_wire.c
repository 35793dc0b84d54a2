// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: base-128 varints (user/pb/wire.c), at their limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pb/wire.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(varints),
	};

	return cmocka_run_group_tests_name("pb_wire", tests, NULL, NULL);
}
