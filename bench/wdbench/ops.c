// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wdbench's workloads: the operations, each returning 1 when the outcome is not the expected one,
 * the table of workloads, and what they need set up (the listener, the file-system fixtures). */
#include "wdbench.h"

struct bench_cfg cfg = {
	.exec_bin = "/usr/bin/true",
	.listen_fd = -1,
};

/* ---- the operations: each returns 1 when the outcome is not the expected one --------------- */

static int op_open(void)
{
	int fd = open(cfg.file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

static int op_open_deny(void)
{
	int fd = open(cfg.deny_file, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno != EACCES && errno != EPERM;
}

static char *const exec_env[] = {"PATH=/usr/bin:/bin", NULL};

/* The child exits 0 if the binary ran (true), 126 if execve was refused, 127 otherwise. */
static int spawn_wait(const char *bin)
{
	char *const argv[] = {(char *)bin, NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execve(bin, argv, exec_env);
		_exit(errno == EACCES || errno == EPERM ? 126 : 127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int op_exec(void)
{
	return spawn_wait(cfg.exec_bin) != 0;
}

static int op_exec_deny(void)
{
	return spawn_wait(cfg.deny_bin) != 126;
}

/* connect() to a loopback listener completes the handshake inside the call; the connection
 * is accepted in the same thread and both ends closed. SO_LINGER 0 on the client makes its close
 * an RST, so no TIME_WAIT is left behind to exhaust the ephemeral ports. */
static int op_connect(void)
{
	static const struct linger lin = {.l_onoff = 1, .l_linger = 0};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), a, bad = 0;

	if (s < 0)
		return 1;
	if (connect(s, (struct sockaddr *)&cfg.allow_sa, sizeof(cfg.allow_sa))) {
		close(s);
		return 1;
	}
	a = accept4(cfg.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		bad = 1;
	else
		close(a);
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(s);
	return bad;
}

static int op_connect_deny(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r, e;

	if (s < 0)
		return 1;
	r = connect(s, (struct sockaddr *)&cfg.deny_sa, sizeof(cfg.deny_sa));
	e = errno;
	close(s);
	return r == 0 || (e != EPERM && e != EACCES);
}

/* ---- changes to the file system ---------------------------------------------------------------
 * Allowed forms work in DIR/<pid> under --rw-dir (made here, removed at the end): a file "f", a
 * file "a" renamed to "b" and back, and a name "n" alternately created and removed, so that an
 * even number of operations (every batch is even) leaves the directory as it was. The -deny
 * forms act on what bench/run made in --ro-dir beforehand (a file "f", a directory "d", a free
 * name "n"): creating "n", removing or changing "f" and "d"; nothing there ever changes when
 * warden refuses. */
struct fs_state fs;

static int want_ok(int r)
{
	return r != 0;
}

/* EROFS too: on rung 3 what no write rule allows is a read-only mount in the sandbox, which
 * refuses a change before any LSM (Landlock included) is asked. */
static int want_denied(int r)
{
	return r == 0 || (errno != EACCES && errno != EPERM && errno != EROFS);
}

static int op_rename(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? rename(fs.a, fs.b) : rename(fs.b, fs.a));
}

static int op_rename_deny(void)
{
	return want_denied(rename(fs.ro_f, fs.ro_n));
}

static int op_mkdir_rmdir(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? mkdir(fs.n, 0755) : rmdir(fs.n));
}

static int op_mkdir_rmdir_deny(void)
{
	static unsigned i;

	return want_denied(++i & 1 ? mkdir(fs.ro_n, 0755) : rmdir(fs.ro_d));
}

static int op_mknod_unlink(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? mknod(fs.n, S_IFREG | 0644, 0) : unlink(fs.n));
}

static int op_mknod_unlink_deny(void)
{
	static unsigned i;

	return want_denied(++i & 1 ? mknod(fs.ro_n, S_IFREG | 0644, 0) : unlink(fs.ro_f));
}

static int op_symlink_unlink(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? symlink("f", fs.n) : unlink(fs.n));
}

static int op_symlink_unlink_deny(void)
{
	static unsigned i;

	return want_denied(++i & 1 ? symlink("f", fs.ro_n) : unlink(fs.ro_f));
}

static int op_link_unlink(void)
{
	static unsigned i;

	return want_ok(++i & 1 ? link(fs.f, fs.n) : unlink(fs.n));
}

static int op_link_unlink_deny(void)
{
	static unsigned i;

	return want_denied(++i & 1 ? link(fs.ro_f, fs.ro_n) : unlink(fs.ro_f));
}

static int op_chmod(void)
{
	static unsigned i;

	return want_ok(chmod(fs.f, ++i & 1 ? 0600 : 0644));
}

static int op_chmod_deny(void)
{
	return want_denied(chmod(fs.ro_f, 0600));
}

static int op_chown(void)
{
	return want_ok(chown(fs.f, geteuid(), getegid()));
}

static int op_chown_deny(void)
{
	return want_denied(chown(fs.ro_f, geteuid(), getegid()));
}

static int op_truncate(void)
{
	static unsigned i;

	return want_ok(truncate(fs.f, ++i & 1 ? 4096 : 0));
}

static int op_truncate_deny(void)
{
	return want_denied(truncate(fs.ro_f, 0));
}

/* A file system without user.* attributes (tmpfs before Linux 6.6, the test bed's /tmp) refuses
 * with EOPNOTSUPP only after the LSM hook ran: that still measures the hook. */
static int op_setxattr(void)
{
	static unsigned i;
	int r = setxattr(fs.f, "user.wdbench", ++i & 1 ? "1" : "0", 1, 0);

	return r != 0 && errno != EOPNOTSUPP;
}

static int op_setxattr_deny(void)
{
	return want_denied(setxattr(fs.ro_f, "user.wdbench", "1", 1, 0));
}

static void fs_path(char *buf, const char *dir, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		die("path too long under %s", dir);
}

static void fs_cleanup(void)
{
	if (!fs.made)
		return;
	unlink(fs.n);
	rmdir(fs.n);
	unlink(fs.a);
	unlink(fs.b);
	unlink(fs.f);
	rmdir(fs.dir);
	fs.made = false;
}

void setup_fs(bool rw, bool ro)
{
	int fd;

	if (ro) {
		fs_path(fs.ro_f, fs.ro_dir, "f");
		fs_path(fs.ro_d, fs.ro_dir, "d");
		fs_path(fs.ro_n, fs.ro_dir, "n");
	}
	if (!rw)
		return;
	if (snprintf(fs.dir, sizeof(fs.dir), "%s/%d", fs.rw_dir, (int)getpid()) >=
	    (int)sizeof(fs.dir))
		die("path too long under %s", fs.rw_dir);
	fs_path(fs.f, fs.dir, "f");
	fs_path(fs.a, fs.dir, "a");
	fs_path(fs.b, fs.dir, "b");
	fs_path(fs.n, fs.dir, "n");
	if (mkdir(fs.dir, 0755) && errno != EEXIST)
		die("cannot make the workload's directory: %s", strerror(errno));
	fs.made = true;
	atexit(fs_cleanup);
	unlink(fs.n);
	rmdir(fs.n);
	unlink(fs.b);
	for (int i = 0; i < 2; i++) {
		fd = open(i ? fs.a : fs.f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			die("cannot make the workload's files: %s", strerror(errno));
		close(fd);
	}
}

static const struct workload workloads[] = {
	{"open", op_open, 32, false, N_FILE},
	{"open-deny", op_open_deny, 32, false, N_DENY_FILE},
	{"exec", op_exec, 1, false, N_NONE},
	{"exec-deny", op_exec_deny, 1, false, N_DENY_EXEC},
	{"connect", op_connect, 4, false, N_LISTEN},
	{"connect-deny", op_connect_deny, 16, false, N_DENY_PORT},
	{"paced-connect", op_connect, 1, true, N_LISTEN},
	{"paced-connect-deny", op_connect_deny, 1, true, N_DENY_PORT},
	{"rename", op_rename, 16, false, N_RW},
	{"rename-deny", op_rename_deny, 16, false, N_RO},
	{"mkdir-rmdir", op_mkdir_rmdir, 16, false, N_RW},
	{"mkdir-rmdir-deny", op_mkdir_rmdir_deny, 16, false, N_RO},
	{"mknod-unlink", op_mknod_unlink, 16, false, N_RW},
	{"mknod-unlink-deny", op_mknod_unlink_deny, 16, false, N_RO},
	{"symlink-unlink", op_symlink_unlink, 16, false, N_RW},
	{"symlink-unlink-deny", op_symlink_unlink_deny, 16, false, N_RO},
	{"link-unlink", op_link_unlink, 16, false, N_RW},
	{"link-unlink-deny", op_link_unlink_deny, 16, false, N_RO},
	{"chmod", op_chmod, 16, false, N_RW},
	{"chmod-deny", op_chmod_deny, 16, false, N_RO},
	{"chown", op_chown, 16, false, N_RW},
	{"chown-deny", op_chown_deny, 16, false, N_RO},
	{"truncate", op_truncate, 16, false, N_RW},
	{"truncate-deny", op_truncate_deny, 16, false, N_RO},
	{"setxattr", op_setxattr, 16, false, N_RW},
	{"setxattr-deny", op_setxattr_deny, 16, false, N_RO},
};

const struct workload *find_workload(const char *name)
{
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return NULL;
}

/* The listener: the first free port of the allowed range (the policy allows the range). */
void setup_net(bool need_listener)
{
	cfg.allow_sa.sin_family = AF_INET;
	cfg.allow_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg.deny_sa = cfg.allow_sa;
	cfg.deny_sa.sin_port = htons(cfg.deny_port);
	if (!need_listener)
		return;
	for (int p = cfg.port_lo; p && p <= cfg.port_hi; p++) {
		int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		cfg.allow_sa.sin_port = htons(p);
		if (bind(fd, (struct sockaddr *)&cfg.allow_sa, sizeof(cfg.allow_sa)) == 0 &&
		    listen(fd, 4096) == 0) {
			cfg.listen_fd = fd;
			cfg.port = p;
			return;
		}
		close(fd);
	}
	die("no free port to listen on in --ports %d-%d", cfg.port_lo, cfg.port_hi);
}
