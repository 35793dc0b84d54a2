// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: a decoded event back into a kernel record (user/event/from_pb.c), as `warden events`
 * prints events read from files. Every synthetic kernel record of tests/lib/events_fixture.c
 * converted, packed and decoded comes back with its type, hook, decision, rule, process,
 * addresses, path and what the kernel put in port and lost; lifecycle events are no records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "events_fixture.h"

static bool ascii(const char *s)
{
	for (; *s; s++)
		if (*s & 0x80)
			return false;
	return true;
}

static void records_come_back(void **state)
{
	struct wt_ev_fixture *f = *state;
	unsigned records = 0;

	for (unsigned i = 0; i < WT_EV_VARIANTS; i++) {
		struct wd_event e, back;
		Warden__V1__Event *ev;

		if (wt_ev_variant(i, &e) || e.hdr.type == WD_EV_LOST)
			continue;
		ev = wt_ev_through_wire(f, &e);
		assert_non_null(ev);
		memset(&back, 0xa5, sizeof(back));
		if (!wd_event_from_pb(ev, &back))
			fail_msg("variant %u: not read back", i);
		records++;
		assert_int_equal(back.hdr.version, WD_ABI_VERSION);
		assert_int_equal(back.hdr.type, e.hdr.type);
		assert_int_equal(back.hdr.ktime_ns, e.hdr.ktime_ns);
		assert_int_equal(back.hook, e.hook);
		assert_int_equal(back.decision, e.decision);
		assert_int_equal(back.rule_id, e.rule_id);
		assert_int_equal(back.cgroup_id, e.cgroup_id);
		assert_int_equal(back.pid, e.pid);
		assert_int_equal(back.tid, e.tid);
		assert_int_equal(back.uid, e.uid);
		/* The kernel's comm fills its 16 bytes; the record's copy keeps a NUL. */
		assert_memory_equal(back.comm, e.comm, WD_COMM_LEN - 1);
		assert_int_equal(back.comm[WD_COMM_LEN - 1], '\0');
		if (e.exe[0])
			assert_string_equal(back.exe, e.exe);
		if (ascii(e.path))
			assert_string_equal(back.path, e.path);
		else /* made valid UTF-8 on the way */
			assert_non_null(strstr(back.path, "\xef\xbf\xbd"));
		assert_int_equal(back.port, e.port);
		assert_int_equal(back.lost, e.lost);
		switch (e.hdr.type) {
		case WD_EV_FILE:
		case WD_EV_MMAP:
			assert_int_equal(back.op, e.op);
			break;
		case WD_EV_CONNECT:
			assert_int_equal(back.family, e.family);
			assert_int_equal(back.proto, e.proto);
			assert_memory_equal(back.addr, e.addr, sizeof(e.addr));
			break;
		case WD_EV_SOCKET:
			assert_int_equal(back.family, e.family);
			assert_int_equal(back.proto, e.proto);
			break;
		}
		warden__v1__event__free_unpacked(ev, NULL);
	}
	assert_int_equal(records, WT_EV_VARIANTS - 4); /* 3 lifecycle events, 1 lost records */
}

static void lifecycle_is_no_record(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event back;

	assert_int_equal(wd_event_lifecycle_to_pb(&f->ctx,
						  WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED,
						  NULL, f->pe),
			 0);
	assert_false(wd_event_from_pb(&f->pe->ev, &back));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(records_come_back, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(lifecycle_is_no_record, wt_ev_setup,
						wt_ev_teardown),
	};

	return cmocka_run_group_tests_name("event_from_pb", tests, NULL, NULL);
}
