// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: `warden probe`'s output (enforce/probe_output.c): the table's rows, verdict and missing
 * list, and the JSON's shape and escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "enforce/probe.h"

static struct wd_probe *healthy(void)
{
	struct wd_probe *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	snprintf(p->kernel, sizeof(p->kernel), "6.1.0 x86_64");
	snprintf(p->cgroup2, sizeof(p->cgroup2), "/sys/fs/cgroup");
	wd_probe_add(p, "btf", WD_NEED_CORE, true, "ok");
	wd_probe_add(p, "cgroup2", WD_NEED_CORE, true, "mounted at %s", "/sys/fs/cgroup");
	wd_probe_add(p, "ringbuf", WD_NEED_EVENTS, true, "ok");
	wd_probe_add(p, "cgroup/connect4", WD_NEED_NETWORK, true, "ok");
	wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, true, "ok");
	wd_probe_add(p, "lsm/file_open", WD_NEED_FILE, true, "ok");
	return p;
}

/* What a print function wrote, NUL-terminated; the caller frees it. */
static char *printed(void (*print)(FILE *, const struct wd_probe *), const struct wd_probe *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print(f, p);
	fclose(f);
	return buf;
}

static void table_full(void **state)
{
	struct wd_probe *p = healthy();
	char *out = printed(wd_probe_print_table, p);

	assert_non_null(strstr(out, " probe on kernel 6.1.0 x86_64\n\n"));
	assert_non_null(strstr(out, "FEATURE                    OK   NEEDED FOR        DETAIL\n"));
	assert_non_null(strstr(out,
			       "\ncgroup2                    yes  core              mounted at "
			       "/sys/fs/cgroup\n"));
	assert_non_null(strstr(out, "\nlsm/file_open              yes  file              ok\n"));
	assert_non_null(strstr(out, "\nverdict: full enforcement: exec, file and network\n"));
	/* Full: nothing after the verdict. */
	assert_string_equal(strstr(out, "\nverdict: "),
			    "\nverdict: full enforcement: exec, file and network\n");
	free(out);
	free(p);
}

static void table_without_lsm(void **state)
{
	struct wd_probe *p = healthy();
	struct wd_feature *absent =
		wd_probe_add(p, "lsm/file_truncate", WD_NEED_FILE, false, "new");
	char *out;

	absent->absent = true;
	p->feats[4].available = false; /* bpf_lsm */
	p->feats[5].available = false; /* lsm/file_open */
	out = printed(wd_probe_print_table, p);
	assert_non_null(strstr(out, "\nbpf_lsm                    no   exec,file,socket  ok\n"));
	assert_non_null(strstr(out, "\nlsm/file_truncate          n/a  file              new\n"));
	assert_non_null(strstr(out, "\nverdict: partial: "));
	assert_non_null(strstr(out, "\nwithout BPF LSM, not enforced: "));
	assert_non_null(strstr(out, "\nstill enforced by the cgroup hooks: "));
	/* An absent hook is not missing. */
	assert_non_null(strstr(out, "\nmissing: bpf_lsm, lsm/file_open\n"));
	free(out);
	free(p);
}

static void json_is_parseable_shape(void **state)
{
	struct wd_probe *p = healthy();
	char *out;

	p->feats[4].available = false;
	snprintf(p->feats[4].detail, sizeof(p->feats[4].detail), "refused \"EPERM\"");
	out = printed(wd_probe_print_json, p);
	assert_non_null(strstr(out, "\"kernel\":\"6.1.0 x86_64\",\"cgroup2\":\"/sys/fs/cgroup\""));
	assert_non_null(strstr(out, "\"verdict\":\"partial\""));
	assert_non_null(strstr(out, "\"full_enforcement\":false"));
	assert_non_null(strstr(out, "\"detail\":\"refused \\\"EPERM\\\"\""));
	assert_non_null(strstr(out,
			       ",\"features\":[{\"name\":\"btf\",\"available\":true,"
			       "\"absent\":false,\"needed_for\":\"core\",\"detail\":\"ok\"},"));
	assert_string_equal(out + strlen(out) - 4, "}]}\n");
	free(out);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_full),
		cmocka_unit_test(table_without_lsm),
		cmocka_unit_test(json_is_parseable_shape),
	};

	return cmocka_run_group_tests_name("enforce_probe_output", tests, NULL, NULL);
}
