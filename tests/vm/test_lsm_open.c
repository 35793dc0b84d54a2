// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* vm tier: proves the BPF LSM test bed denies for real. An lsm/file_open program refuses one
 * inode to one throwaway cgroup; a child inside sees EACCES (through a hardlink too), while other
 * files inside and the same file outside open. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "t_deny_open.skel.h"
#include "wdtest.h"

static int do_open(void *arg)
{
	int fd = open(arg, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static enum wt_result file_open_denied_inside_allowed_outside(void)
{
	struct t_deny_open_bpf *skel = NULL;
	struct wt_cgroup cg = {.fd = -1};
	struct bpf_link *lsm_link = NULL;
	enum wt_result ret = WT_FAIL;
	char secret[64], other[64], hard[64];
	struct stat st;
	int err;

	snprintf(secret, sizeof(secret), "/tmp/wt-secret.%d", getpid());
	snprintf(other, sizeof(other), "/tmp/wt-other.%d", getpid());
	snprintf(hard, sizeof(hard), "/tmp/wt-hardlink.%d", getpid());
	WT_CHECK(make_file(secret) == 0 && make_file(other) == 0, "create files: %s",
		 strerror(errno));
	WT_CHECK(link(secret, hard) == 0, "hardlink: %s", strerror(errno));
	WT_CHECK(stat(secret, &st) == 0, "stat: %s", strerror(errno));

	err = wt_cgroup_create(&cg, "lsm-open");
	WT_CHECK(err == 0, "create cgroup: %s", strerror(-err));

	skel = t_deny_open_bpf__open();
	WT_CHECK(skel, "open skeleton: %s", strerror(errno));
	skel->rodata->target_cgid = cg.id;
	skel->rodata->target_ino = st.st_ino;
	skel->rodata->target_dev = major(st.st_dev) << 20 | minor(st.st_dev);
	/* In the test bed BPF LSM must work: a refusal here is a failure, not a skip. */
	err = t_deny_open_bpf__load(skel);
	WT_CHECK(err == 0, "load LSM program: %s", strerror(-err));
	lsm_link = bpf_program__attach_lsm(skel->progs.wd_t_deny_open);
	WT_CHECK(lsm_link, "attach LSM program: %s", strerror(errno));

	WT_CHECK_INT(wt_run_in(&cg, do_open, secret), EACCES);
	WT_CHECK_INT(wt_run_in(&cg, do_open, hard), EACCES);
	WT_CHECK_INT(wt_run_in(&cg, do_open, other), 0);
	WT_CHECK_INT(wt_run_in(NULL, do_open, secret), 0);
	WT_CHECK_INT(skel->bss->denied, 2);
	ret = WT_PASS;
out:
	bpf_link__destroy(lsm_link);
	t_deny_open_bpf__destroy(skel);
	wt_cgroup_destroy(&cg);
	unlink(secret);
	unlink(other);
	unlink(hard);
	return ret;
}

int main(void)
{
	static const struct wt_case cases[] = {
		WT_CASE(file_open_denied_inside_allowed_outside),
	};

	return wt_main(cases, sizeof(cases) / sizeof(cases[0]));
}
