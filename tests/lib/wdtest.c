// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The host and vm test harness: TAP printing, throwaway cgroups, children inside them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/mountinfo.h"
#include "wdtest.h"

static char skip_reason[256];

void wt_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

enum wt_result wt_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
	return WT_SKIP;
}

int wt_main(const struct wt_case *cases, int n)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%d\n", n);
	for (int i = 0; i < n; i++) {
		enum wt_result r;

		skip_reason[0] = '\0';
		r = cases[i].fn();
		if (r == WT_PASS) {
			printf("ok %d - %s\n", i + 1, cases[i].name);
		} else if (r == WT_SKIP) {
			printf("ok %d - %s # SKIP %s\n", i + 1, cases[i].name, skip_reason);
		} else {
			printf("not ok %d - %s\n", i + 1, cases[i].name);
			failed++;
		}
	}
	return failed ? 1 : 0;
}

int wt_cgroup_create(struct wt_cgroup *cg, const char *name)
{
	char root[PATH_MAX];
	struct stat st;
	int err;

	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
	err = wd_mount_find_self("cgroup2", root, sizeof(root));
	if (err)
		return err;
	if (snprintf(cg->path, sizeof(cg->path), "%s/warden-test.%d.%s", root, getpid(), name) >=
	    (int)sizeof(cg->path))
		return -ENAMETOOLONG;
	if (mkdir(cg->path, 0755) && errno != EEXIST)
		goto fail;
	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0 || fstat(cg->fd, &st))
		goto fail;
	/* On cgroup2 the directory's inode number is the cgroup id BPF sees. */
	cg->id = st.st_ino;
	return 0;
fail:
	err = -errno;
	wt_cgroup_destroy(cg);
	return err;
}

void wt_cgroup_destroy(struct wt_cgroup *cg)
{
	char kill_path[PATH_MAX + 16];
	int fd;

	if (!cg->path[0])
		return;
	snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", cg->path);
	fd = open(kill_path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			/* Nothing was left to kill, or the kernel has no cgroup.kill. */
		}
		close(fd);
	}
	/* rmdir fails with EBUSY until killed members are gone; they go quickly. */
	for (int i = 0; i < 100 && rmdir(cg->path) && errno == EBUSY; i++)
		usleep(10000);
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	cg->path[0] = '\0';
}

static int join(struct wt_cgroup *cg)
{
	char procs[PATH_MAX + 16];
	int fd, ok;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->path);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -errno;
}

int wt_run_in(struct wt_cgroup *cg, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (cg && join(cg))
			_exit(255);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status)) {
		wt_diag("child died from signal %d", WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status) == 255)
		wt_diag("child could not join cgroup %s", cg ? cg->path : "-");
	return WEXITSTATUS(status);
}
