// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: finding cgroup2 and bpffs in mountinfo text, as proc(5) writes it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/mountinfo.h"

/* Lines from a hybrid host: v1 controllers beside cgroup2 at an unusual place, optional fields,
 * and a mount point with an escaped space. */
static const char hybrid[] =
	"22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime shared:9 master:2 - cgroup cgroup rw,cpu\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	"41 22 0:38 / /my\\040bpf rw,relatime - bpf bpf rw\n";

static int find(const char *text, const char *fstype, char *out, size_t size)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	ret = wd_mount_find(f, fstype, out, size);
	fclose(f);
	return ret;
}

static void finds_cgroup2_not_v1(void **state)
{
	char path[256];

	assert_int_equal(find(hybrid, "cgroup2", path, sizeof(path)), 0);
	assert_string_equal(path, "/sys/fs/cgroup/unified");
}

static void v1_cgroup_is_its_own_type(void **state)
{
	char path[256];

	assert_int_equal(find(hybrid, "cgroup", path, sizeof(path)), 0);
	assert_string_equal(path, "/sys/fs/cgroup/cpu");
}

static void unescapes_octal(void **state)
{
	char path[256];

	assert_int_equal(find(hybrid, "bpf", path, sizeof(path)), 0);
	assert_string_equal(path, "/my bpf");
}

static void missing_type_is_enoent(void **state)
{
	char path[256];

	assert_int_equal(find(hybrid, "securityfs", path, sizeof(path)), -ENOENT);
	assert_int_equal(find("", "cgroup2", path, sizeof(path)), -ENOENT);
}

static void short_buffer_is_enametoolong(void **state)
{
	char path[8];

	assert_int_equal(find(hybrid, "cgroup2", path, sizeof(path)), -ENAMETOOLONG);
}

/* A source or option field equal to the type must not match: only the field after "-" counts. */
static void matches_type_field_only(void **state)
{
	static const char tricky[] = "50 22 0:40 / /mnt/x rw - tmpfs cgroup2 rw\n"
				     "51 22 0:41 / /real rw - cgroup2 none rw\n";
	char path[64];

	assert_int_equal(find(tricky, "cgroup2", path, sizeof(path)), 0);
	assert_string_equal(path, "/real");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_cgroup2_not_v1),
		cmocka_unit_test(v1_cgroup_is_its_own_type),
		cmocka_unit_test(unescapes_octal),
		cmocka_unit_test(missing_type_is_enoent),
		cmocka_unit_test(short_buffer_is_enametoolong),
		cmocka_unit_test(matches_type_field_only),
	};

	return cmocka_run_group_tests_name("mountinfo", tests, NULL, NULL);
}
