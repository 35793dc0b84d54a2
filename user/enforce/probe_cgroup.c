// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The cgroup trial: warden's cgroup hooks (sock_addr for the network, the device hook, the unix
 * socket hooks of Linux 6.7+) each seen refusing a test child's action, not assumed from a load
 * and an attach. The probe's programs (bpf/probe_cgroup.bpf.c) are attached to a throwaway
 * cgroup of the trial's own: attaching to a live cgroup, even an allow-all program, would be a
 * change to the system a probe must not make. The same actions are taken first by a control
 * child outside that cgroup: an action counts as refused by its hook only when the trial child
 * got EPERM and the control did not (a seccomp filter or an LSM of the caller's own refuses
 * both). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/probe.h"
#include "enforce/probe_internal.h"
#include "lib/cleanup.h"
#include "probe_cgroup.skel.h"

WD_DEFINE_FREEP(probe_cgroup_bpf, struct probe_cgroup_bpf, probe_cgroup_bpf__destroy)

/* The attach types of the unix socket hooks, by number (as in cgroup.c). */
#define T_UNIX_CONNECT 49
#define T_UNIX_SENDMSG 50

/* What a child saw: a bit per action refused with EPERM. */
enum {
	A_CONNECT4 = 1 << 0,
	A_CONNECT6 = 1 << 1,
	A_SENDMSG4 = 1 << 2,
	A_SENDMSG6 = 1 << 3,
	A_MKNOD_BLK = 1 << 4,
	A_UNIX_CONNECT = 1 << 5,
	A_UNIX_SEND = 1 << 6,
	A_NO_V6 = 1 << 7, /* no IPv6 socket can be made here */
	A_MOVED = 1 << 8, /* the child is in the test cgroup */
};

/* Whether an action on a fresh socket of @family/@type to @sa failed with EPERM. */
static bool refused(int family, int type, bool send, const void *sa, socklen_t len, bool *nofam)
{
	_cleanup_fd_ int s = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r;

	if (s < 0) {
		if (nofam)
			*nofam = errno == EAFNOSUPPORT;
		return false;
	}
	r = send ? (int)sendto(s, "x", 1, MSG_DONTWAIT, sa, len) : connect(s, sa, len);
	return r < 0 && errno == EPERM;
}

/* The child's actions; what it saw, as A_* bits. @dir: a directory of the trial's own. */
static unsigned act(const char *cgroup_procs, const char *dir, bool with_unix)
{
	struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	char node[PATH_MAX];
	unsigned b = 0;
	bool no6 = false;

	if (cgroup_procs) {
		int fd = open(cgroup_procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1)
			return 0;
		close(fd);
		b |= A_MOVED;
	}
	in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	in6.sin6_addr = in6addr_loopback;
	if (refused(AF_INET, SOCK_STREAM, false, &in4, sizeof(in4), NULL))
		b |= A_CONNECT4;
	if (refused(AF_INET, SOCK_DGRAM, true, &in4, sizeof(in4), NULL))
		b |= A_SENDMSG4;
	if (refused(AF_INET6, SOCK_STREAM, false, &in6, sizeof(in6), &no6))
		b |= A_CONNECT6;
	if (refused(AF_INET6, SOCK_DGRAM, true, &in6, sizeof(in6), NULL))
		b |= A_SENDMSG6;
	if (no6)
		b |= A_NO_V6;
	/* A block device node (loop0's numbers) in the trial's own directory: refused by the
	 * device hook before anything is made; made (and removed) where it does not run. */
	snprintf(node, sizeof(node), "%s/blk", dir);
	if (mknod(node, S_IFBLK | 0600, makedev(7, 0)) == 0)
		unlink(node);
	else if (errno == EPERM)
		b |= A_MKNOD_BLK;
	if (with_unix) {
		/* Nothing listens there: ENOENT where the hooks do not run. */
		snprintf(un.sun_path, sizeof(un.sun_path), "%s/nosock", dir);
		if (refused(AF_UNIX, SOCK_STREAM, false, &un, sizeof(un), NULL))
			b |= A_UNIX_CONNECT;
		if (refused(AF_UNIX, SOCK_DGRAM, true, &un, sizeof(un), NULL))
			b |= A_UNIX_SEND;
	}
	return b;
}

/* Runs act() in a child (in the test cgroup when @cgroup_procs is set), which then execs
 * /bin/true: *@killed says whether SIGKILL ended it (the exec tracepoint's answer), *@ran_true
 * whether true ran to its end. Returns its bits, or -errno; 5 s at most. */
static int child(const char *cgroup_procs, const char *dir, bool with_unix, bool *killed,
		 bool *ran_true)
{
	int p[2], st, n = -ETIMEDOUT;
	struct pollfd pfd;
	unsigned b = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		n = -errno;
		close(p[0]);
		close(p[1]);
		return n;
	}
	if (pid == 0) {
		close(p[0]);
		b = act(cgroup_procs, dir, with_unix);
		if (write(p[1], &b, sizeof(b)) != sizeof(b))
			_exit(1);
		execl("/bin/true", "true", (char *)NULL);
		_exit(3);
	}
	close(p[1]);
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	if (poll(&pfd, 1, 5000) == 1)
		n = read(p[0], &b, sizeof(b)) == sizeof(b) ? (int)b : -EIO;
	close(p[0]);
	if (n == -ETIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*killed = n >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	*ran_true = n >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	return n;
}

/* Loads the probe programs, the unix socket ones only @with_unix, the exec one for the cgroup
 * @cgid. Returns the skeleton, or NULL with @t->why said. */
static struct probe_cgroup_bpf *load(bool with_unix, uint64_t cgid, struct wd_cg_trial *t)
{
	_cleanup_with_(probe_cgroup_bpfp) struct probe_cgroup_bpf *skel = probe_cgroup_bpf__open();
	struct bpf_program *unix_progs[2];
	int err;

	if (!skel) {
		snprintf(t->why, sizeof(t->why), "open BPF object: %s", strerror(errno));
		return NULL;
	}
	unix_progs[0] = skel->progs.wd_p_cg_uconn;
	unix_progs[1] = skel->progs.wd_p_cg_usend;
	for (int i = 0; i < 2; i++) {
		bpf_program__set_type(unix_progs[i], BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
		bpf_program__set_expected_attach_type(unix_progs[i],
						      i ? T_UNIX_SENDMSG : T_UNIX_CONNECT);
		bpf_program__set_autoload(unix_progs[i], with_unix);
	}
	skel->rodata->wd_p_trial_cgid = cgid;
	err = probe_cgroup_bpf__load(skel);
	if (err) {
		snprintf(t->why, sizeof(t->why), "load failed: %s", strerror(-err));
		return NULL;
	}
	return TAKE_PTR(skel);
}

/* Attaches every program the object loaded to the cgroup @cgfd; the exec tracepoint to the
 * node. */
static int attach_cgroup_progs(struct probe_cgroup_bpf *skel, int cgfd, struct bpf_link **links,
			       size_t max, size_t *n)
{
	struct bpf_program *prog;

	*n = 0;
	bpf_object__for_each_program (prog, skel->obj) {
		if (!bpf_program__autoload(prog) || *n >= max)
			continue;
		links[*n] = prog == skel->progs.wd_p_exec_kill
				    ? bpf_program__attach(prog)
				    : bpf_program__attach_cgroup(prog, cgfd);
		if (!links[*n])
			return -errno;
		(*n)++;
	}
	return 0;
}

int wd_cgroup_trial(const char *cgroup2, bool attach, struct wd_cg_trial *t)
{
	char cg[PATH_MAX], procs[PATH_MAX + 16], dir[] = "/tmp/warden-cgtrial.XXXXXX";
	_cleanup_with_(probe_cgroup_bpfp) struct probe_cgroup_bpf *skel = NULL;
	struct bpf_link *links[10];
	bool ctl_killed, ctl_true, got_killed, got_true;
	struct stat st;
	size_t nlinks = 0;
	int cgfd = -1, ctl = -EIO, got = -EIO, err = 0;
	char unix_why[160];

	memset(t, 0, sizeof(*t));
	t->unix_hooks = wd_enforcer_unix_hooks(unix_why, sizeof(unix_why));
	if (!cgroup2 || !cgroup2[0]) {
		snprintf(t->why, sizeof(t->why), "no cgroup2 mount");
		return -ENOENT;
	}
	snprintf(cg, sizeof(cg), "%s/warden-cgtrial.%d", cgroup2, getpid());
	if (mkdir(cg, 0700) && errno != EEXIST) {
		err = -errno;
		snprintf(t->why, sizeof(t->why), "cannot create a cgroup under %s: %s", cgroup2,
			 strerror(errno));
		return err;
	}
	if (!mkdtemp(dir)) {
		err = -errno;
		snprintf(t->why, sizeof(t->why), "mkdtemp %s: %s", dir, strerror(errno));
		rmdir(cg);
		return err;
	}
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		err = -errno;
		snprintf(t->why, sizeof(t->why), "open %s: %s", cg, strerror(errno));
		goto out;
	}
	if (fstat(cgfd, &st)) {
		err = -errno;
		snprintf(t->why, sizeof(t->why), "stat %s: %s", cg, strerror(errno));
		goto out;
	}
	skel = load(t->unix_hooks, st.st_ino, t);
	if (!skel) {
		err = -EINVAL;
		goto out;
	}
	if (attach) {
		err = attach_cgroup_progs(skel, cgfd, links, sizeof(links) / sizeof(links[0]),
					  &nlinks);
		if (err) {
			snprintf(t->why, sizeof(t->why), "attach to a test cgroup failed: %s",
				 strerror(-err));
			goto out;
		}
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	ctl = child(NULL, dir, t->unix_hooks, &ctl_killed, &ctl_true);
	got = child(procs, dir, t->unix_hooks, &got_killed, &got_true);
	if (ctl < 0 || got < 0 || !(got & A_MOVED)) {
		err = ctl < 0 ? ctl : got < 0 ? got : -EPERM;
		snprintf(t->why, sizeof(t->why), "the test child %s: %s",
			 got >= 0 && !(got & A_MOVED) ? "could not enter the test cgroup"
						      : "did not answer",
			 strerror(-err));
		goto out;
	}
	t->ran = true;
	t->control_refused = ctl & ~(A_NO_V6 | A_MOVED);
	got &= ~ctl; /* what the control saw refused is not the hooks' doing */
	t->connect4 = got & A_CONNECT4;
	t->sendmsg4 = got & A_SENDMSG4;
	t->connect6 = got & A_CONNECT6;
	t->sendmsg6 = got & A_SENDMSG6;
	t->no_ipv6 = ctl & A_NO_V6;
	t->device = got & A_MKNOD_BLK;
	t->unix_connect = got & A_UNIX_CONNECT;
	t->unix_send = got & A_UNIX_SEND;
	t->exec_killed = got_killed && ctl_true;
	t->exec_control = ctl_true;
	if (!t->unix_hooks)
		snprintf(t->why, sizeof(t->why), "%s", unix_why);
out:
	for (size_t i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	if (cgfd >= 0)
		close(cgfd);
	rmdir(cg);
	rmdir(dir);
	return err;
}

void wd_probe_cgroup_hooks(struct wd_probe *p)
{
	struct wd_cg_trial t;
	const struct {
		const char *name;
		bool v6;
		const char *what;
	} rows[] = {
		{"cgroup/connect4", false, "a TCP connect to 127.0.0.1"},
		{"cgroup/connect6", true, "a TCP connect to ::1"},
		{"cgroup/sendmsg4", false, "a UDP send to 127.0.0.1"},
		{"cgroup/sendmsg6", true, "a UDP send to ::1"},
	};
	bool seen[4];

	wd_cgroup_trial(p->cgroup2, true, &t);
	seen[0] = t.connect4;
	seen[1] = t.connect6;
	seen[2] = t.sendmsg4;
	seen[3] = t.sendmsg6;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!t.ran)
			wd_probe_add(p, rows[i].name, WD_NEED_NETWORK, false, "%s", t.why);
		else if (rows[i].v6 && t.no_ipv6)
			wd_probe_add(p, rows[i].name, WD_NEED_NETWORK, true,
				     "no IPv6 sockets on this kernel: nothing to refuse");
		else
			wd_probe_add(p, rows[i].name, WD_NEED_NETWORK, seen[i],
				     "%s in a test cgroup: %s", rows[i].what,
				     seen[i] ? "refused" : "NOT refused by the hook");
	}
}
