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
	/* Full: nothing after the verdict; before it, what enforces each feature (no exec hook
	 * in this table: not enforced). */
	assert_string_equal(strstr(out, "\nverdict: "),
			    "\nverdict: full enforcement: exec, file and network\n");
	assert_non_null(strstr(out, "\nenforced by: exec NOT ENFORCED, file bpf-lsm, socket NOT "
				    "ENFORCED, confinement NOT ENFORCED, network cgroup\n"));
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
	assert_non_null(strstr(
		out,
		",\"features\":[{\"name\":\"btf\",\"available\":true,"
		"\"absent\":false,\"fallback\":false,\"needed_for\":\"core\",\"detail\":\"ok\"},"));
	assert_non_null(strstr(
		out, "}],\"enforcement\":{\"exec\":\"none\",\"file\":\"bpf-lsm\","
		     "\"socket\":\"none\",\"confinement\":\"none\",\"network\":\"cgroup\"}}\n"));
	assert_string_equal(out + strlen(out) - 3, "}}\n");
	free(out);
	free(p);
}

/* Rung 2: BPF LSM does not run, the same hooks refuse as fmod_ret. Each lsm/ row says it is not
 * available and who enforces it instead; the fallback's own rows count only through those. */
static struct wd_probe *rung2(void)
{
	struct wd_probe *p = healthy();
	struct wd_feature *f;

	p->feats[4].available = false; /* bpf_lsm */
	snprintf(p->feats[4].by, sizeof(p->feats[4].by), "fmod_ret");
	p->feats[5].available = false; /* lsm/file_open */
	snprintf(p->feats[5].by, sizeof(p->feats[5].by), "fmod_ret");
	f = wd_probe_add(p, "lsm/bprm_check_security", WD_NEED_EXEC, false, "never ran");
	snprintf(f->by, sizeof(f->by), "fmod_ret");
	f = wd_probe_add(p, "fmod_ret", WD_NEED_LSM, true, "rung 2");
	f->alt = true;
	wd_probe_add(p, "fmod_ret/security_file_open", WD_NEED_FILE, true, "ok")->alt = true;
	wd_probe_add(p, "fmod_ret/security_bprm_check", WD_NEED_EXEC, true, "ok")->alt = true;
	return p;
}

static void table_rung2(void **state)
{
	struct wd_probe *p = rung2();
	char *out = printed(wd_probe_print_table, p);

	assert_int_equal(wd_probe_verdict(p), WD_PROBE_FULL);
	assert_string_equal(wd_probe_mechanism(p, WD_NEED_FILE), "fmod_ret");
	assert_string_equal(wd_probe_mechanism(p, WD_NEED_EXEC), "fmod_ret");
	assert_null(wd_probe_mechanism(p, WD_NEED_SOCKET));
	assert_non_null(strstr(out, "\nenforced by: exec fmod_ret, file fmod_ret, "));
	assert_non_null(strstr(out, "\nverdict: full enforcement: exec, file and network (exec, "
				    "file, socket and confinement hooks by fmod_ret"));
	assert_null(strstr(out, "missing:"));
	assert_null(strstr(out, "without BPF LSM"));
	free(out);
	out = printed(wd_probe_print_json, p);
	assert_non_null(strstr(
		out, "\"name\":\"lsm/file_open\",\"available\":false,\"absent\":false,"
		     "\"fallback\":false,\"needed_for\":\"file\",\"enforced_by\":\"fmod_ret\""));
	assert_non_null(
		strstr(out, "\"enforcement\":{\"exec\":\"fmod_ret\",\"file\":\"fmod_ret\","));
	free(out);
	/* One hook neither way: not enforced, and named as missing; the mix is named too. */
	p->feats[6].by[0] = '\0';
	p->feats[5].available = true;
	out = printed(wd_probe_print_table, p);
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_PARTIAL);
	assert_null(wd_probe_mechanism(p, WD_NEED_EXEC));
	assert_non_null(strstr(out, "\nenforced by: exec NOT ENFORCED, file bpf-lsm, "));
	assert_non_null(strstr(out, "\nmissing: lsm/bprm_check_security\n"));
	free(out);
	snprintf(wd_probe_add(p, "lsm/path_link", WD_NEED_FILE, false, "x")->by, 16, "fmod_ret");
	assert_string_equal(wd_probe_mechanism(p, WD_NEED_FILE), "bpf-lsm+fmod_ret");
	/* A fallback row that failed leaves nothing unenforced that BPF LSM enforces. */
	p->feats[6].available = true;
	wd_probe_add(p, "fmod_ret/security_path_mkdir", WD_NEED_FILE, false, "refused")->alt = true;
	assert_int_equal(wd_probe_verdict(p), WD_PROBE_FULL);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_full),
		cmocka_unit_test(table_without_lsm),
		cmocka_unit_test(json_is_parseable_shape),
		cmocka_unit_test(table_rung2),
	};

	return cmocka_run_group_tests_name("enforce_probe_output", tests, NULL, NULL);
}
