// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 4's trial, the caller's cgroup of an event and the report for adopted sandboxes (see
 * rung4.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cgroup.h"
#include "lib/mountinfo.h"
#include "policy/compile.h"
#include "sandbox/rung4.h"

#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD 0x00000080
#endif

int wd_rung4_fanotify_init(bool pidfd)
{
	/* FAN_CLASS_CONTENT: permission events, before the caller gets the file. The event's fd
	 * is opened read-only by the kernel for us, without events of its own. */
	return fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK |
				     (pidfd ? FAN_REPORT_PIDFD : 0),
			     O_RDONLY | O_LARGEFILE | O_CLOEXEC);
}

int wd_rung4_pid_cgroup(pid_t pid, char *buf, size_t size)
{
	char path[64], line[4200];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "%s", line + 3);
			ret = 0;
		}
	fclose(f);
	return ret;
}

/* ---- The trial ------------------------------------------------------------------------------ */

enum { T_READY = 1, T_OPEN = 1 << 1, T_EXEC = 1 << 2, T_OTHER_OK = 1 << 3, T_RAN = 1 << 30 };

/* The child: a mount namespace of its own with a tmpfs on /tmp holding an executable file; once
 * the parent marked that mount, it opens and runs the file (both must be refused) and opens a
 * file on an unmarked mount (must not be). */
static _Noreturn void child(int out, int go)
{
	char *const argv[] = {"true", NULL};
	int bits = T_RAN, fd;
	char c;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("wd-probe", "/tmp", "tmpfs", MS_NOSUID, "size=64k,mode=700"))
		goto out;
	fd = open("/tmp/x", O_WRONLY | O_CREAT | O_CLOEXEC, 0700);
	if (fd < 0 || write(fd, "#!/bin/true\n", 12) != 12 || close(fd))
		goto out;
	bits |= T_READY;
	if (write(out, &bits, sizeof(bits)) != sizeof(bits) || read(go, &c, 1) != 1)
		_exit(1);
	fd = open("/tmp/x", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		bits |= T_OPEN;
	if (fd >= 0)
		close(fd);
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		bits |= T_OTHER_OK;
		close(fd);
	}
	if (write(out, &bits, sizeof(bits)) != sizeof(bits))
		_exit(1);
	execv("/tmp/x", argv);
	if (errno == EPERM)
		bits |= T_EXEC;
out:
	if (write(out, &bits, sizeof(bits)) != sizeof(bits))
		_exit(1);
	_exit(0);
}

/* Answers the events @fan holds: DENY for callers in the cgroup @cg (relative path), ALLOW for
 * any other. Returns the number denied. */
static int answer(int fan, const char *cg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	char who[4200];
	int denied = 0;
	ssize_t n;

	while ((n = read(fan, buf, sizeof(buf))) > 0) {
		const struct fanotify_event_metadata *m = (const void *)buf;

		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			struct fanotify_response r = {.fd = m->fd, .response = FAN_ALLOW};

			if (m->event_len > m->metadata_len) {
				const struct fanotify_event_info_header *h =
					(const void *)((const char *)m + m->metadata_len);

				if (h->info_type == FAN_EVENT_INFO_TYPE_PIDFD)
					close(((const struct fanotify_event_info_pidfd *)h)->pidfd);
			}
			if (m->fd < 0)
				continue;
			if (wd_rung4_pid_cgroup(m->pid, who, sizeof(who)) == 0 &&
			    !strcmp(who, cg)) {
				r.response = FAN_DENY;
				denied++;
			}
			if (write(fan, &r, sizeof(r)) != sizeof(r))
				denied = -1000;
			close(m->fd);
		}
	}
	return denied;
}

static int run_trial(struct wd_rung4 *o, int fan, const struct wd_cgroup *cg, const char *rel)
{
	int out[2], go[2], bits = 0, got, st, denied = 0;
	char path[PATH_MAX + 16], mark[96];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC))
		return -errno;
	if (pipe2(go, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(out[0]);
		close(go[1]);
		child(out[1], go[0]);
	}
	close(out[1]);
	close(go[0]);
	if (pid < 0) {
		close(out[0]);
		close(go[1]);
		return -errno;
	}
	/* Into the throwaway cgroup before it does anything the trial decides on. */
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->path);
	{
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		char num[16];
		int len = snprintf(num, sizeof(num), "%d", (int)pid);

		if (fd < 0 || write(fd, num, (size_t)len) != len)
			kill(pid, SIGKILL);
		if (fd >= 0)
			close(fd);
	}
	if (read(out[0], &bits, sizeof(bits)) == sizeof(bits) && (bits & T_READY)) {
		snprintf(mark, sizeof(mark), "/proc/%d/root/tmp", (int)pid);
		if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT,
				  FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM, AT_FDCWD, mark))
			snprintf(o->detail, sizeof(o->detail), "fanotify_mark: %s",
				 strerror(errno));
		else if (write(go[1], "g", 1) != 1)
			kill(pid, SIGKILL);
	}
	close(go[1]);
	for (int rounds = 0; rounds < 40; rounds++) {
		struct pollfd p[2] = {{.fd = fan, .events = POLLIN},
				      {.fd = out[0], .events = POLLIN}};

		if (poll(p, 2, 100) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			denied += answer(fan, rel);
		if (p[1].revents & (POLLIN | POLLHUP)) {
			got = (int)read(out[0], &st, sizeof(st));
			if (got == sizeof(st))
				bits = st;
			else if (got == 0)
				break;
		}
	}
	close(out[0]);
	kill(pid, SIGKILL); /* only if still stuck; it has exited otherwise */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return denied < 0 ? -EIO : bits;
}

int wd_rung4_probe(struct wd_rung4 *o)
{
	char name[64], mnt[PATH_MAX], root[PATH_MAX];
	struct wd_cgroup cg = {.fd = -1};
	int fan, bits, err;

	memset(o, 0, sizeof(*o));
	o->tried = true;
	if (wd_rung_disabled("fanotify")) {
		snprintf(o->detail, sizeof(o->detail), "disabled by WARDEN_DISABLE");
		return 0;
	}
	o->pidfd = true;
	fan = wd_rung4_fanotify_init(true);
	if (fan < 0 && errno == EINVAL) {
		o->pidfd = false;
		fan = wd_rung4_fanotify_init(false);
	}
	if (fan < 0) {
		snprintf(o->detail, sizeof(o->detail), "fanotify_init: %s", strerror(errno));
		return 0;
	}
	snprintf(name, sizeof(name), "warden-probe.%d.fan", (int)getpid());
	err = wd_cgroup_create(&cg, name);
	if (err || wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)) ||
	    strncmp(cg.path, mnt, strlen(mnt))) {
		snprintf(o->detail, sizeof(o->detail), "no throwaway cgroup: %s",
			 strerror(err ? -err : ENOENT));
		if (!err)
			wd_cgroup_destroy(&cg, 1000);
		close(fan);
		return 0;
	}
	bits = run_trial(o, fan, &cg, cg.path + strlen(mnt));
	close(fan);
	wd_cgroup_destroy(&cg, 1000);
	if (bits < 0)
		return bits;
	o->fanotify = (bits & (T_OPEN | T_EXEC | T_OTHER_OK)) == (T_OPEN | T_EXEC | T_OTHER_OK);
	if (!o->detail[0])
		snprintf(o->detail, sizeof(o->detail),
			 "a test child in a throwaway cgroup, on a mount of its own namespace the "
			 "trial marked: open %s, exec %s, an unmarked file %s%s",
			 bits & T_OPEN ? "refused" : "NOT refused",
			 bits & T_EXEC ? "refused" : "NOT refused",
			 bits & T_OTHER_OK ? "opened" : "NOT opened",
			 o->pidfd ? "; callers by pidfd"
				  : "; callers by pid (no FAN_REPORT_PIDFD)");
	return 0;
}

/* ---- The report ----------------------------------------------------------------------------- */

size_t wd_rung4_report(const struct wd_rung4 *r4, const struct wd_rung3 *r3,
		       const struct wd_compiled *c, struct wd_feature_row *rows, size_t max)
{
	const bool fan = r4 && r4->fanotify, xtp = r3 && r3->exec_tp;
	size_t n = 0;

	(void)c;
	wd_feature_row_add(
		rows, &n, max, "exec",
		fan   ? (xtp ? "fanotify + exec tracepoint" : "fanotify")
		: xtp ? "exec tracepoint"
		      : NULL,
		"%s%s",
		fan ? "FAN_OPEN_EXEC_PERM on the mounts of the sandbox's own mount namespaces "
		      "(never "
		      "the node's): execve and ld.so's open of the interpreter decided by the exec "
		      "rules, (device, inode) of exact denies, fileless files"
		    : (r4 && r4->detail[0] ? r4->detail
					   : "fanotify permission events not seen refusing"),
		xtp ? "; every exec, on any mount, decided again at sched_process_exec by the exec "
		      "rules (walked path, exact denies by device and inode), a denied one killed "
		      "(SIGKILL) before its first instruction"
		: fan ? "; NOT ENFORCED: mounts and mount namespaces the sandbox makes until the "
			"daemon's next look (250 ms), processes in the node's mount namespace"
		      : "");
	rows[n - 1].required = true;
	wd_feature_row_add(rows, &n, max, "executable mappings", NULL,
			   "mmap(PROT_EXEC) of a file already open (ld.so /path, LD_PRELOAD) is "
			   "decided by the "
			   "read rules only");
	wd_feature_row_add(
		rows, &n, max, "file read", fan ? "fanotify" : NULL,
		fan ? "FAN_OPEN_PERM on the same mounts: every open (read or write: the open mode "
		      "is "
		      "not in the event) decided by the read rules and (device, inode) of exact "
		      "denies; NOT ENFORCED: /proc rules (proc is not marked), the same gaps as "
		      "exec"
		    : "%s",
		r4 && r4->detail[0] ? r4->detail : "fanotify permission events not seen refusing");
	rows[n - 1].required = true;
	wd_feature_row_add(
		rows, &n, max, "file write", NULL,
		"fanotify has no permission event for writes, renames, links, removes, chmod, "
		"chown "
		"or xattrs: the container runtime's mounts and capabilities decide them");
	wd_feature_rows_cgroup(r3, rows, &n, max, false);
	wd_feature_row_add(rows, &n, max, "socket families", NULL,
			   "any family and raw sockets can be made");
	if (r3 && r3->cg_unix)
		wd_feature_row_add(
			rows, &n, max, "unix sockets", "cgroup",
			"connect and sendto by the path as written (connect_unix, sendmsg_unix): "
			"unix: rules, deny wins; NOT ENFORCED: paths are not resolved");
	else
		wd_feature_row_add(rows, &n, max, "unix sockets", NULL, "NOT ENFORCED: %s",
				   r3 && r3->unix_detail[0] ? r3->unix_detail
							    : "no cgroup hooks for them");
	rows[n - 1].required = true;
	wd_feature_row_add(rows, &n, max, "signals and ptrace", NULL,
			   "the container runtime's namespaces decide them");
	wd_feature_row_add(
		rows, &n, max, "confinement", NULL,
		"namespaces, mounts, bpf, keyrings and cgroup moves: the container runtime's "
		"(a root that can write cgroup.procs leaves the sandbox); so rung 4 runs only "
		"where degraded is asked");
	rows[n - 1].required = true;
	wd_feature_row_add(
		rows, &n, max, "denial events",
		fan   ? (xtp ? "fanotify + exec tracepoint + cgroup" : "fanotify + cgroup")
		: xtp ? "exec tracepoint + cgroup"
		      : "network only",
		"%s%s",
		fan ? "exec and file denials from the decider, network denials from the cgroup "
		      "programs"
		    : "network denials",
		xtp ? "; every exec, allowed or denied, from the exec tracepoint; allowed file "
		      "opens are not reported"
		    : "; allowed exec and file events are not reported");
	wd_feature_row_add(
		rows, &n, max, "daemon death", NULL,
		fan ? "fails OPEN: when the daemon dies the kernel answers its pending events "
		      "ALLOW "
		      "and its marks go with it: nothing is decided until a daemon starts again "
		      "and "
		      "marks the mounts; a stalled decider is answered DENY for sandbox processes "
		      "after 2 s (watchdog)"
		    : "n/a");
	return n;
}
