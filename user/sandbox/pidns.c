// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3's pid namespace: the /proc of the namespace and the init (see pidns.h). Everything
 * here runs in the sandbox's first process, forked from a process that may have threads: no
 * allocation, no stdio. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "lib/mountinfo.h"
#include "sandbox/pidns.h"

#define PROC_FLAGS    (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define PROC_MOUNTS   32 /* other proc mounts covered; more: refused */
#define MOUNTINFO_MAX 8192

/* ---- The mount table, without allocation ---------------------------------------------------- */

/* One line: "id parent major:minor root point options [optional...] - fstype source super". */
static int each_line(char *line, int (*fn)(void *ctx, char *point, const char *fstype), void *ctx)
{
	char *f[5] = {0}, *save = NULL, *tok, *fstype = NULL;
	int n = 0;

	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (n < 5)
			f[n] = tok;
		if (n >= 6 && strcmp(tok, "-") == 0) {
			fstype = strtok_r(NULL, " ", &save);
			break;
		}
		n++;
	}
	if (!f[4] || !fstype)
		return -EINVAL;
	wd_mountinfo_unescape(f[4]);
	return fn(ctx, f[4], fstype);
}

int wd_pidns_each_mount(int (*fn)(void *ctx, char *point, const char *fstype), void *ctx)
{
	char buf[MOUNTINFO_MAX];
	size_t have = 0;
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *nl, *line = buf;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			break;
		}
		have += (size_t)got;
		buf[have] = '\0';
		while (!ret && (nl = strchr(line, '\n'))) {
			*nl = '\0';
			ret = each_line(line, fn, ctx);
			line = nl + 1;
		}
		if (ret)
			break;
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (got == 0) {
			if (have) /* a last line without its newline */
				ret = each_line(buf, fn, ctx);
			break;
		}
		if (have == sizeof(buf) - 1) {
			ret = -E2BIG; /* a line longer than the buffer: refused, not skipped */
			break;
		}
	}
	close(fd);
	return ret;
}

/* ---- /proc of the namespace ---------------------------------------------------------------- */

/* The proc mounts covered besides /proc. Static: PROC_MOUNTS paths do not belong on a child's
 * stack, and there is one sandbox per process. */
static struct proc_mounts {
	char point[PROC_MOUNTS][PATH_MAX];
	size_t n;
} covered;

static int note_proc(void *ctx, char *point, const char *fstype)
{
	struct proc_mounts *pm = ctx;

	if (strcmp(fstype, "proc") || strcmp(point, "/proc") == 0)
		return 0;
	for (size_t i = 0; i < pm->n; i++)
		if (strcmp(pm->point[i], point) == 0)
			return 0;
	if (pm->n == PROC_MOUNTS || strlen(point) >= PATH_MAX)
		return -E2BIG;
	strcpy(pm->point[pm->n++], point);
	return 0;
}

int wd_pidns_proc(char *why, size_t size)
{
	struct proc_mounts *pm = &covered;
	const unsigned long flags = PROC_FLAGS;
	int err;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		err = -errno;
		snprintf(why, size, "a mount namespace for the pid namespace's /proc: %s",
			 strerror(errno));
		return err;
	}
	if (mount("proc", "/proc", "proc", flags, NULL)) {
		err = -errno;
		snprintf(why, size, "mounting the pid namespace's /proc: %s", strerror(errno));
		return err;
	}
	/* Another proc mount (a container's /host/proc, say) would still show the node's
	 * processes: the namespace's /proc goes over each one too. */
	pm->n = 0;
	err = wd_pidns_each_mount(note_proc, pm);
	if (err) {
		snprintf(why, size, "reading the mount table for proc mounts: %s",
			 err == -E2BIG ? "too many proc mounts or too long a line"
				       : strerror(-err));
		return err;
	}
	for (size_t i = 0; i < pm->n; i++)
		if (mount("proc", pm->point[i], "proc", flags, NULL) && errno != ENOENT) {
			err = -errno;
			snprintf(why, size, "covering the proc mount at %s: %s", pm->point[i],
				 strerror(errno));
			return err;
		}
	return 0;
}

static bool beneath(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return strncmp(path, dir, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

bool wd_pidns_covered(const char *path)
{
	if (beneath(path, "/proc"))
		return true;
	for (size_t i = 0; i < covered.n; i++)
		if (beneath(path, covered.point[i]))
			return true;
	return false;
}

/* ---- The init -------------------------------------------------------------------------------- */

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void init_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

void wd_pidns_block(sigset_t *old)
{
	sigset_t set;

	init_set(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

_Noreturn void wd_pidns_init(pid_t job)
{
	sigset_t set;
	siginfo_t si;
	pid_t pid;
	int st;

	/* Nothing of warden's stays open in the sandbox: BPF maps, the guardian's pipe (whose
	 * last writer must be warden, or the guardian would outlive it waiting). */
	close_range(3, ~0U, 0);
	prctl(PR_SET_NAME, "warden-init");
	/* Of its capabilities it keeps CAP_KILL only, to pass signals on to a job that changed its
	 * user (setpriv, su); nothing else, in case the job ever reaches it (Landlock keeps ptrace
	 * and /proc/1/mem away from it already). */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	syscall(SYS_capset,
		&(struct __user_cap_header_struct){.version = _LINUX_CAPABILITY_VERSION_3},
		(struct __user_cap_data_struct[2]){
			{.effective = 1u << CAP_KILL, .permitted = 1u << CAP_KILL}});
	init_set(&set);
	for (;;) {
		if (sigwaitinfo(&set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			kill(job, si.si_signo);
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (pid == job)
				_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}
