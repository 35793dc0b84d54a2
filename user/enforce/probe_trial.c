// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Each attached LSM hook on trial: a test child (probe_act.c) in a throwaway cgroup takes the
 * hook's action while the probe programs are armed for it, and the hook is judged by the
 * child's result and its program's call count. A hook is called enforcing only when seen so. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enforce/probe_internal.h"
#include "hooks/hooks.h"
#include "warden/probe_abi.h"

static int make_paths(struct act_paths *ap)
{
	static const char garbage[] = "\x7fWD-probe: not an executable format\n";
	const struct {
		char *p;
		const char *name;
	} files[] = {
		{ap->x, "x"},	 {ap->t, "t"},	 {ap->u, "u"},	  {ap->r, "r"},
		{ap->r2, "r2"},	 {ap->l, "l"},	 {ap->nd, "nd"},  {ap->d0, "d0"},
		{ap->fifo, "p"}, {ap->sl, "sl"}, {ap->sock, "s"}, {ap->nosock, "ns"},
		{ap->m, "m"},	 {ap->m2, "m2"},
	};
	int fd;

	snprintf(ap->dir, sizeof(ap->dir), "/tmp/warden-probe.XXXXXX");
	if (!mkdtemp(ap->dir))
		return -errno;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		snprintf(files[i].p, sizeof(ap->x), "%s/%s", ap->dir, files[i].name);
	fd = open(ap->x, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (fd < 0 || write(fd, garbage, sizeof(garbage) - 1) != sizeof(garbage) - 1) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	for (size_t i = 1; i < 4; i++) {
		fd = open(files[i].p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, "x", 1) != 1) {
			if (fd >= 0)
				close(fd);
			return -EIO;
		}
		close(fd);
	}
	if (mkdir(ap->d0, 0700) || mkdir(ap->m, 0700) || mkdir(ap->m2, 0700))
		return -errno;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* Waits up to @ms for the child's answer. */
static int read_answer(int fd, int *r, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int n;

	do
		n = poll(&pfd, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -ETIMEDOUT;
	return read(fd, r, sizeof(*r)) == sizeof(*r) ? 0 : -EPIPE;
}

static const char *result_text(int r, char *buf, size_t len)
{
	if (r == 0)
		return "succeeded";
	if (r == ACT_SETUP_FAILED)
		return "could not be set up";
	if (r == ACT_NO_ANSWER)
		return "got neither the descriptor nor a refusal";
	snprintf(buf, len, "failed with %s", strerror(r));
	return buf;
}

/* Judges hook @i by the child's result @r and its program's call count. */
static void judge(struct lsm_run *lr, size_t i, int r, unsigned long long calls)
{
	const struct wd_lsm_hook *h = &wd_lsm_hooks[i];
	bool counted_only = h->arm == WD_ARM_CAPABLE || h->arm == WD_ARM_FILE_RECEIVE;
	char buf[96];

	if (h->arm == WD_ARM_FILE_IOCTL_COMPAT && r == ACT_NO_COMPAT) {
		lr->st[i] = H_ABSENT;
		wd_probe_set_why(lr, i,
				 "this kernel runs no 32-bit system calls: nothing reaches it");
		return;
	}
	if (h->arm == WD_ARM_KEY_FREE) { /* it cannot refuse: seen running for the child's key */
		lr->st[i] = calls && r == 0 ? H_SEEN : H_NOT_SEEN;
		lr->n_seen += lr->st[i] == H_SEEN;
		if (calls && r == 0)
			wd_probe_set_why(lr, i, "ran when a test child let go of a key it made");
		else
			wd_probe_set_why(lr, i,
					 "did not run for a test child's key (%s, %llu calls)",
					 result_text(r, buf, sizeof(buf)), calls);
		return;
	}

	if (calls && (r == WD_PROBE_ERRNO || (h->arm == WD_ARM_CAPABLE && r == EPERM))) {
		lr->st[i] = H_SEEN;
		lr->n_seen++;
		if (counted_only)
			wd_probe_set_why(
				lr, i,
				"refused a test child's %s (%s reports no errno: seen by its call "
				"count, %llu)",
				h->action, h->arm == WD_ARM_CAPABLE ? "capable()" : "recvmsg",
				calls);
		else
			wd_probe_set_why(lr, i, "refused a test child's %s", h->action);
		return;
	}
	lr->st[i] = H_NOT_SEEN;
	if (!calls)
		wd_probe_set_why(lr, i, "attached, but never ran: a test child's %s %s", h->action,
				 result_text(r, buf, sizeof(buf)));
	else
		wd_probe_set_why(lr, i, "ran %llu times, but a test child's %s %s", calls,
				 h->action, result_text(r, buf, sizeof(buf)));
}

void wd_probe_lsm_act(struct lsm_run *lr, const char *cgroup2)
{
	struct act_paths ap;
	char cg[PATH_MAX + 64] = "", procs[PATH_MAX + 80];
	int cmd[2] = {-1, -1}, out[2] = {-1, -1}, err, fd, st;
	bool dead = false, have_dir = false;
	size_t key_free_i = wd_lsm_hooks_n;
	int key_free_r = 0;
	struct stat sb;
	pid_t pid = -1;

	memset(&ap, 0, sizeof(ap));
	if (!cgroup2 || !cgroup2[0]) {
		snprintf(lr->act_why, sizeof(lr->act_why), "no cgroup2 mount for a test cgroup");
		return;
	}
	snprintf(cg, sizeof(cg), "%s/warden-probe.%d.lsm", cgroup2, getpid());
	if ((mkdir(cg, 0700) && errno != EEXIST) || stat(cg, &sb)) {
		snprintf(lr->act_why, sizeof(lr->act_why), "cannot create a test cgroup %s: %s", cg,
			 strerror(errno));
		cg[0] = '\0';
		goto out;
	}
	err = make_paths(&ap);
	have_dir = ap.dir[0] && !strstr(ap.dir, "XXXXXX");
	if (err) {
		snprintf(lr->act_why, sizeof(lr->act_why), "cannot make test files in /tmp: %s",
			 strerror(-err));
		goto out;
	}
	if (pipe2(cmd, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		snprintf(lr->act_why, sizeof(lr->act_why), "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(lr->act_why, sizeof(lr->act_why), "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(cmd[1]);
		close(out[0]);
		wd_probe_act_child(cmd[0], out[1], &ap);
	}
	close(cmd[0]);
	close(out[1]);
	cmd[0] = out[1] = -1;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%d\n", (int)pid) < 0) {
		snprintf(lr->act_why, sizeof(lr->act_why),
			 "cannot move the test child into its cgroup: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	lr->skel->bss->wd_p_cgid = sb.st_ino; /* on cgroup2 the inode number is the id */
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_lsm_hook *h = &wd_lsm_hooks[i];
		unsigned arm = h->arm;
		int r = 0;

		if (lr->st[i] != H_ATTACHED)
			continue;
		if (dead) {
			lr->st[i] = H_NOT_SEEN;
			wd_probe_set_why(lr, i,
					 "attached, not tried: the test child stopped answering");
			continue;
		}
		__atomic_store_n(&lr->skel->bss->wd_p_arm, arm, __ATOMIC_SEQ_CST);
		if (write(cmd[1], &arm, sizeof(arm)) != sizeof(arm) ||
		    read_answer(out[0], &r, 30000)) {
			dead = true;
			__atomic_store_n(&lr->skel->bss->wd_p_arm, 0, __ATOMIC_SEQ_CST);
			lr->st[i] = H_NOT_SEEN;
			wd_probe_set_why(lr, i, "attached, but a test child's %s did not come back",
					 h->action);
			continue;
		}
		__atomic_store_n(&lr->skel->bss->wd_p_arm, 0, __ATOMIC_SEQ_CST);
		/* The key collector runs on its own, some time after the child let go of its key:
		 * judged once the other hooks are done (the probe programs know the key without
		 * the arm). */
		if (arm == WD_ARM_KEY_FREE) {
			key_free_i = i;
			key_free_r = r;
			continue;
		}
		judge(lr, i, r, __atomic_load_n(&lr->skel->bss->wd_p_calls[arm], __ATOMIC_SEQ_CST));
	}
	if (key_free_i < wd_lsm_hooks_n) {
		unsigned long long *calls = &lr->skel->bss->wd_p_calls[WD_ARM_KEY_FREE];

		for (int ms = 0; key_free_r == 0 && ms < 10000; ms += 10) {
			if (__atomic_load_n(calls, __ATOMIC_SEQ_CST))
				break;
			usleep(10000);
		}
		judge(lr, key_free_i, key_free_r, __atomic_load_n(calls, __ATOMIC_SEQ_CST));
	}
out:
	if (lr->skel)
		lr->skel->bss->wd_p_cgid = 0;
	if (cmd[1] >= 0)
		close(cmd[1]);
	if (cmd[0] >= 0)
		close(cmd[0]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (pid > 0) {
		if (dead)
			kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	if (cg[0]) {
		/* Whatever the child left (a grandchild that hung) goes with the cgroup. */
		snprintf(procs, sizeof(procs), "%s/cgroup.kill", cg);
		for (int i = 0; i < 100 && rmdir(cg) && errno == EBUSY; i++) {
			fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				(void)!write(fd, "1", 1);
				close(fd);
			}
			usleep(10000);
		}
	}
	if (have_dir)
		nftw(ap.dir, rm_one, 8, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
