// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the proto3 JSON mapping (user/pb/json.c) of a converted event: field names, 64-bit
 * numbers as strings, enums as names, bytes as base64, maps as objects, only the action set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "events_fixture.h"
#include "pb/json.h"

static void json_output(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_CONNECT, WD_DEC_DENY, WD_HOOK_CONNECT4);
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
	assert_non_null(strstr(buf, "\"labels\":{\"repo\":\"acme/api\","
				    "\"note\":\"tab\\there \\\"quoted\\\" back\\\\slash\"}"));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(json_output, wt_ev_setup, wt_ev_teardown),
	};

	return cmocka_run_group_tests_name("pb_json", tests, NULL, NULL);
}
