// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the strings of a converted event (user/event/str.c). Kernel strings are bounded, maybe
 * without a NUL, and hold any bytes; out come valid UTF-8 strings, whole up to their bound. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "events_fixture.h"

/* Kernel strings: bounded, maybe without a NUL, any bytes; out come valid UTF-8 strings. */
static void kernel_strings(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);
	Warden__V1__Event *ev;

	memset(e.comm, 'c', sizeof(e.comm));
	memset(e.path, 'p', sizeof(e.path));
	memset(e.exe, 'x', sizeof(e.exe));
	ev = wt_ev_through_wire(f, &e);
	assert_non_null(ev);
	assert_int_equal(strlen(ev->process->comm), WD_COMM_LEN);
	assert_int_equal(strlen(ev->file_open->path), WD_PATH_MAX);
	assert_int_equal(strlen(ev->process->exe), WD_PATH_MAX);
	warden__v1__event__free_unpacked(ev, NULL);

	strcpy(e.path, "/tmp/a\xff"
		       "b\xc3"
		       "c\xe2\x82\xac");
	ev = wt_ev_through_wire(f, &e);
	assert_non_null(ev);
	assert_string_equal(ev->file_open->path, "/tmp/a\xef\xbf\xbd"
						 "b\xef\xbf\xbd"
						 "c\xe2\x82\xac");
	warden__v1__event__free_unpacked(ev, NULL);

	/* Records of another ABI or of no known type are refused. */
	e.hdr.version = WD_ABI_VERSION + 1;
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), -EINVAL);
	e.hdr.version = WD_ABI_VERSION;
	e.hdr.type = 99;
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), -EINVAL);
}

/* Kernel strings of every short length, ASCII or with an invalid byte at each position, with
 * high-bit garbage after the NUL (a reserved ring buffer record is not zeroed): the copy eight
 * bytes at a time must end at the NUL and judge only the bytes before it. */
static void kernel_strings_every_length(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_FILE, WD_DEC_DENY, WD_HOOK_FILE_OPEN);

	for (int len = 0; len <= 40; len++) {
		for (int bad = -1; bad < len; bad++) {
			char want[64];
			int w = 0;

			memset(e.path, 0xc8, sizeof(e.path));
			for (int i = 0; i < len; i++) {
				e.path[i] = (char)(i == bad ? 0xff : 'a' + i % 26);
				if (i == bad)
					w += sprintf(want + w, "\xef\xbf\xbd");
				else
					want[w++] = (char)('a' + i % 26);
			}
			want[w] = '\0';
			e.path[len] = '\0';
			assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
			assert_string_equal(f->pe->act.file_open.path, want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kernel_strings, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(kernel_strings_every_length, wt_ev_setup,
						wt_ev_teardown),
	};

	return cmocka_run_group_tests_name("event_str", tests, NULL, NULL);
}
