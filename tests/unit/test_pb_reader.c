// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the record reader (user/pb/reader.c). Whole records read back in order; a record cut
 * short, a length over the limit, a record that is no Event and a gzip stream cut short are
 * errors that say where the input breaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "events_fixture.h"
#include "pb/reader.h"

/* Writes @data to a temporary file and opens a reader on it. */
static FILE *tmpfile_with(const void *data, size_t len)
{
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	rewind(fp);
	return fp;
}

static void reader_errors(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
	static const uint8_t garbage[] = {0x03, 0xff, 0xff, 0xff};
	static uint8_t two[2 * (WD_PB_VARINT_MAX + WD_PB_RECORD_MAX)];
	struct wd_pb_reader r;
	Warden__V1__Event *ev;
	const uint8_t *rec;
	size_t len, one, total;
	FILE *fp;

	strcpy(e.path, "/tmp/payload");
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	assert_int_equal(wd_pb_frame(&f->pe->ev, two, sizeof(two), &one), 0);
	assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
	assert_int_equal(wd_pb_frame(&f->pe->ev, two + one, sizeof(two) - one, &total), 0);
	total += one;

	/* Two whole records, then the end. */
	fp = tmpfile_with(two, total);
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_event(&r, &ev), 1);
	assert_int_equal(ev->header->seq, 1);
	warden__v1__event__free_unpacked(ev, NULL);
	assert_int_equal(wd_pb_read_event(&r, &ev), 1);
	assert_int_equal(ev->header->seq, 2);
	warden__v1__event__free_unpacked(ev, NULL);
	assert_int_equal(wd_pb_read_event(&r, &ev), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.offset, total);
	wd_pb_reader_close(&r);
	fclose(fp);

	/* The last one cut short: reported, with where. */
	fp = tmpfile_with(two, total - 5);
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), 1);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), -EBADMSG);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.offset, one);
	wd_pb_reader_close(&r);
	fclose(fp);

	/* Cut inside the second record's length prefix? Our records' prefixes are 1-2 bytes:
	 * one byte of a two-byte prefix. */
	fp = tmpfile_with("\x80", 1);
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), -EBADMSG);
	wd_pb_reader_close(&r);
	fclose(fp);

	/* A length over the limit is refused before anything is allocated for it. */
	fp = tmpfile_with(huge, sizeof(huge));
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_record(&r, &rec, &len), -EMSGSIZE);
	assert_null(r.buf);
	wd_pb_reader_close(&r);
	fclose(fp);

	/* A whole record that is not an Event. */
	fp = tmpfile_with(garbage, sizeof(garbage));
	wd_pb_reader_init_file(&r, fp);
	assert_int_equal(wd_pb_read_event(&r, &ev), -EPROTO);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.offset, 0);
	wd_pb_reader_close(&r);
	fclose(fp);

	assert_non_null(strstr(wd_pb_strerror(-EBADMSG), "truncated"));
	assert_non_null(strstr(wd_pb_strerror(-EMSGSIZE), "limit"));
}

static void gz_reader(void **state)
{
	struct wt_ev_fixture *f = *state;
	struct wd_event e = wt_ev_record(WD_EV_EXEC, WD_DEC_DENY, WD_HOOK_BPRM);
	char path[] = "/tmp/wd-gz-XXXXXX";
	struct wd_pb_reader r;
	Warden__V1__Event *ev;
	size_t len;
	gzFile gz;
	int fd, i;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	gz = gzopen(path, "wb");
	for (i = 0; i < 3; i++) {
		assert_int_equal(wd_event_to_pb(&e, &f->ctx, f->pe), 0);
		assert_int_equal(wd_pb_frame(&f->pe->ev, f->buf, sizeof(f->buf), &len), 0);
		assert_int_equal(gzwrite(gz, f->buf, (unsigned)len), (int)len);
	}
	assert_int_equal(gzclose(gz), Z_OK);

	assert_int_equal(wd_pb_reader_open(&r, path), 0);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(wd_pb_read_event(&r, &ev), 1);
		assert_int_equal(ev->header->seq, i);
		warden__v1__event__free_unpacked(ev, NULL);
	}
	assert_int_equal(wd_pb_read_event(&r, &ev), 0);
	wd_pb_reader_close(&r);

	/* A gzip stream cut short is an error, not a clean end. */
	assert_int_equal(truncate(path, 30), 0);
	assert_int_equal(wd_pb_reader_open(&r, path), 0);
	while ((i = wd_pb_read_event(&r, &ev)) == 1)
		warden__v1__event__free_unpacked(ev, NULL);
	assert_true(i < 0);
	wd_pb_reader_close(&r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reader_errors, wt_ev_setup, wt_ev_teardown),
		cmocka_unit_test_setup_teardown(gz_reader, wt_ev_setup, wt_ev_teardown),
	};

	return cmocka_run_group_tests_name("pb_reader", tests, NULL, NULL);
}
