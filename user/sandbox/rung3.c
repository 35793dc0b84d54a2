// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3's trials and the per-feature report (see rung3.h). */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/keyctl.h>

#include "enforce/enforce.h"
#include "enforce/probe.h"
#include "lib/mountinfo.h"
#include "policy/compile.h"
#include "sandbox/landlock.h"
#include "sandbox/llaudit.h"
#include "sandbox/mounts.h"
#include "sandbox/pidns.h"
#include "sandbox/rung3.h"
#include "sandbox/seccomp.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_restrict_self  446
#endif

/* What a trial child saw, one bit each. */
enum {
	T_LL_READ = 1 << 0,
	T_LL_EXEC = 1 << 1,
	T_LL_WRITE = 1 << 2,
	T_LL_SIGNAL = 1 << 3,
	T_SC_KEYCTL = 1 << 4,
	T_SC_USERNS = 1 << 5,
	T_SC_PACKET = 1 << 6,
	T_SC_CLONE3 = 1 << 7,
	T_SC_MEMFD = 1 << 8,
	T_SC_UNIX_OK = 1 << 9,
	T_SC_WX = 1 << 15,
	T_MNT_ROFS = 1 << 10,
	T_MNT_NOEXEC = 1 << 11,
	T_PID_SIGNAL = 1 << 12,
	T_PID_PROC = 1 << 13,
	T_PID_ONE = 1 << 14,
	T_RAN = 1 << 30,
};

static _Noreturn void trial_landlock(int abi, int out)
{
	struct {
		__u64 fs, net, scoped;
	} attr = {.fs = WD_LL_EXECUTE | WD_LL_READ_FILE | WD_LL_READ_DIR | WD_LL_WRITE_FILE,
		  .scoped = abi >= 6 ? WD_LL_SCOPE_SIGNAL : 0};
	char *const argv[] = {"true", NULL};
	int bits = T_RAN, fd;

	fd = (int)syscall(__NR_landlock_create_ruleset, &attr, abi >= 6 ? 24 : 8, 0);
	if (fd < 0 || wd_landlock_restrict(fd))
		goto out;
	if (open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) < 0 && errno == EACCES)
		bits |= T_LL_READ;
	if (open("/dev/null", O_WRONLY | O_CLOEXEC) < 0 && errno == EACCES)
		bits |= T_LL_WRITE;
	if (abi >= 6 && kill(getppid(), 0) && errno == EPERM)
		bits |= T_LL_SIGNAL;
	/* Last: if it is not refused, the child is gone with nothing written. */
	if (write(out, &bits, sizeof(bits)) != sizeof(bits))
		_exit(1);
	execv("/proc/self/exe", argv);
	if (errno == EACCES)
		bits |= T_LL_EXEC;
out:
	if (write(out, &bits, sizeof(bits)) != sizeof(bits))
		_exit(1);
	_exit(0);
}

static _Noreturn void trial_seccomp(int out)
{
	const struct wd_seccomp_opts o = {.families = 1ULL << AF_UNIX};
	struct wd_seccomp_prog p;
	struct {
		__u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} ca = {.exit_signal = SIGCHLD};
	int bits = T_RAN, fd;
	long r;

	if (wd_seccomp_build(&o, &p) || wd_seccomp_install(&p))
		goto out;
	if (syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) < 0 &&
	    errno == EPERM)
		bits |= T_SC_KEYCTL;
	if (unshare(CLONE_NEWUSER) && errno == EPERM)
		bits |= T_SC_USERNS;
	if (socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) < 0 && errno == EPERM)
		bits |= T_SC_PACKET;
	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0)
		_exit(0);
	if (r < 0 && errno == ENOSYS)
		bits |= T_SC_CLONE3;
	if (syscall(SYS_memfd_create, "wd-probe", 0) < 0 && errno == EPERM)
		bits |= T_SC_MEMFD;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		bits |= T_SC_UNIX_OK;
	if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED &&
	    errno == EPERM)
		bits |= T_SC_WX;
out:
	if (write(out, &bits, sizeof(bits)) != sizeof(bits))
		_exit(1);
	_exit(0);
}

static _Noreturn void trial_mounts(int out)
{
	char *const argv[] = {"true", NULL};
	int bits = T_RAN, fd;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("wd-probe", "/tmp", "tmpfs", MS_NOSUID, "size=64k,mode=700"))
		goto out;
	fd = open("/tmp/x", O_WRONLY | O_CREAT | O_CLOEXEC, 0700);
	if (fd < 0 || write(fd, "#!/bin/true\n", 12) != 12 || close(fd))
		goto out;
	if (mount(NULL, "/tmp", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOEXEC | MS_NOSUID,
		  NULL))
		goto out;
	if (open("/tmp/y", O_WRONLY | O_CREAT | O_CLOEXEC, 0600) < 0 && errno == EROFS)
		bits |= T_MNT_ROFS;
	if (write(out, &bits, sizeof(bits)) != sizeof(bits))
		_exit(1);
	execv("/tmp/x", argv);
	if (errno == EACCES)
		bits |= T_MNT_NOEXEC;
out:
	if (write(out, &bits, sizeof(bits)) != sizeof(bits))
		_exit(1);
	_exit(0);
}

/* A pid namespace with its /proc: its pid 1 cannot signal the trial's process outside, nor
 * find it in /proc. */
static _Noreturn void trial_pidns(int out)
{
	const pid_t outside = getpid();
	char why[256], path[32];
	int bits = T_RAN, st;
	pid_t pid;

	if (unshare(CLONE_NEWPID))
		goto out;
	pid = fork();
	if (pid == 0) {
		if (getpid() == 1)
			bits |= T_PID_ONE;
		if (kill(outside, 0) && errno == ESRCH)
			bits |= T_PID_SIGNAL;
		snprintf(path, sizeof(path), "/proc/%d", (int)outside);
		if (bits & T_PID_ONE && wd_pidns_proc(why, sizeof(why)) == 0 &&
		    access("/proc/1/stat", F_OK) == 0 && access(path, F_OK) && errno == ENOENT)
			bits |= T_PID_PROC;
		if (write(out, &bits, sizeof(bits)) != sizeof(bits))
			_exit(1);
		_exit(0);
	}
	if (pid > 0) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		_exit(0);
	}
out:
	if (write(out, &bits, sizeof(bits)) != sizeof(bits))
		_exit(1);
	_exit(0);
}

/* Runs @which in a child; returns the last bits it wrote (0: nothing). */
static int trial(int which, int abi)
{
	int p[2], bits = 0, got, st;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		if (which == 0)
			trial_landlock(abi, p[1]);
		else if (which == 1)
			trial_seccomp(p[1]);
		else if (which == 3)
			trial_pidns(p[1]);
		trial_mounts(p[1]);
	}
	close(p[1]);
	while ((got = (int)read(p[0], &st, sizeof(st))) == sizeof(st) ||
	       (got < 0 && errno == EINTR))
		if (got > 0)
			bits = st;
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return bits;
}

/* WARDEN_DISABLE=landlock,seccomp,mountns,pidns,cgunix,llaudit,scevents (tests): mechanisms
 * taken away, never added (cgunix: the report only; the unix socket programs stay attached;
 * scevents: the seccomp filter's refusals are not reported). */
static bool disabled(const char *mech)
{
	const char *v = getenv("WARDEN_DISABLE");
	size_t len = strlen(mech);

	for (const char *s = v; s && *s; s += strcspn(s, ","), s += *s == ',')
		if (strncmp(s, mech, len) == 0 && (s[len] == ',' || s[len] == '\0'))
			return true;
	return false;
}

bool wd_rung_disabled(const char *mech)
{
	return disabled(mech);
}

void wd_rung3_cgroup_trial(struct wd_rung3 *o)
{
	struct wd_cg_trial t;
	char cg2[PATH_MAX];

	o->cg_tried = true;
	if (wd_mount_find_self("cgroup2", cg2, sizeof(cg2)))
		cg2[0] = '\0';
	wd_cgroup_trial(cg2, !disabled("cgroup"), &t);
	o->cg_net = t.ran && t.connect4 && t.sendmsg4 && (t.no_ipv6 || (t.connect6 && t.sendmsg6));
	o->cg_dev = t.ran && t.device;
	if (!t.ran) {
		snprintf(o->cg_detail, sizeof(o->cg_detail), "the cgroup trial did not run: %s",
			 t.why);
		snprintf(o->dev_detail, sizeof(o->dev_detail), "%s", o->cg_detail);
	} else {
		snprintf(
			o->cg_detail, sizeof(o->cg_detail),
			"a test child in a test cgroup: connect %s, send %s, connect6 %s, send6 %s",
			t.connect4 ? "refused" : "NOT refused",
			t.sendmsg4 ? "refused" : "NOT refused",
			t.no_ipv6    ? "n/a (no IPv6)"
			: t.connect6 ? "refused"
				     : "NOT refused",
			t.no_ipv6    ? "n/a"
			: t.sendmsg6 ? "refused"
				     : "NOT refused");
		snprintf(o->dev_detail, sizeof(o->dev_detail),
			 "a test child's mknod of a block device in a test cgroup %s",
			 t.device ? "refused" : "NOT refused");
		if (t.control_refused) {
			const char *c = "; a control child outside it was refused too (something "
					"confines warden itself)";

			strncat(o->cg_detail, c, sizeof(o->cg_detail) - strlen(o->cg_detail) - 1);
			strncat(o->dev_detail, c,
				sizeof(o->dev_detail) - strlen(o->dev_detail) - 1);
		}
	}
	if (disabled("exectp")) {
		snprintf(o->exec_detail, sizeof(o->exec_detail), "disabled by WARDEN_DISABLE");
	} else if (!t.ran) {
		snprintf(o->exec_detail, sizeof(o->exec_detail), "%s", o->cg_detail);
	} else {
		o->exec_tp = t.exec_killed;
		snprintf(o->exec_detail, sizeof(o->exec_detail),
			 "a test child's exec in a test cgroup %s at sched_process_exec%s",
			 t.exec_killed ? "killed" : "NOT killed",
			 t.exec_control ? "" : " (the control child's exec did not run either)");
	}
	if (disabled("cgunix")) {
		snprintf(o->unix_detail, sizeof(o->unix_detail), "disabled by WARDEN_DISABLE");
	} else if (!t.unix_hooks || !t.ran) {
		snprintf(o->unix_detail, sizeof(o->unix_detail), "%s", t.why);
	} else {
		o->cg_unix = t.unix_connect && t.unix_send;
		snprintf(o->unix_detail, sizeof(o->unix_detail),
			 "a test child's unix connect %s, unix send %s (cgroup/connect_unix, "
			 "sendmsg_unix, in a test cgroup)",
			 t.unix_connect ? "refused" : "NOT refused",
			 t.unix_send ? "refused" : "NOT refused");
	}
}

int wd_rung3_probe(struct wd_rung3 *o)
{
	int b;

	memset(o, 0, sizeof(*o));
	o->tried = true;
	o->ll_abi = disabled("landlock") ? -EPERM : wd_landlock_abi();
	if (disabled("landlock")) {
		snprintf(o->ll_detail, sizeof(o->ll_detail), "disabled by WARDEN_DISABLE");
	} else if (o->ll_abi <= 0) {
		snprintf(o->ll_detail, sizeof(o->ll_detail), "not available (%s)",
			 strerror(-o->ll_abi));
	} else {
		b = trial(0, o->ll_abi);
		if (b < 0)
			return b;
		o->landlock = (b & (T_LL_READ | T_LL_EXEC | T_LL_WRITE)) ==
			      (T_LL_READ | T_LL_EXEC | T_LL_WRITE);
		o->ll_scope = o->landlock && (b & T_LL_SIGNAL);
		snprintf(o->ll_detail, sizeof(o->ll_detail),
			 "ABI %d: a test child's read %s, exec %s, write %s, signal out %s",
			 o->ll_abi, b & T_LL_READ ? "refused" : "NOT refused",
			 b & T_LL_EXEC ? "refused" : "NOT refused",
			 b & T_LL_WRITE ? "refused" : "NOT refused",
			 o->ll_abi < 6	   ? "n/a (ABI < 6)"
			 : b & T_LL_SIGNAL ? "refused"
					   : "NOT refused");
	}
	if (disabled("llaudit"))
		snprintf(o->la_detail, sizeof(o->la_detail), "disabled by WARDEN_DISABLE");
	else if (o->landlock)
		o->ll_audit =
			wd_llaudit_available(o->ll_abi, o->la_detail, sizeof(o->la_detail)) == 0;
	b = disabled("seccomp") ? 0 : trial(1, 0);
	if (b < 0)
		return b;
	o->seccomp = (b & (T_SC_KEYCTL | T_SC_USERNS | T_SC_PACKET | T_SC_CLONE3 | T_SC_MEMFD |
			   T_SC_UNIX_OK | T_SC_WX)) ==
		     (T_SC_KEYCTL | T_SC_USERNS | T_SC_PACKET | T_SC_CLONE3 | T_SC_MEMFD |
		      T_SC_UNIX_OK | T_SC_WX);
	snprintf(o->sc_detail, sizeof(o->sc_detail),
		 "warden's filter in a test child: keyctl %s, user namespace %s, packet socket "
		 "%s, clone3 %s, memfd %s, unix socket %s, anonymous executable memory %s",
		 b & T_SC_KEYCTL ? "refused" : "NOT refused",
		 b & T_SC_USERNS ? "refused" : "NOT refused",
		 b & T_SC_PACKET ? "refused" : "NOT refused",
		 b & T_SC_CLONE3 ? "ENOSYS" : "NOT refused",
		 b & T_SC_MEMFD ? "refused" : "NOT refused",
		 b & T_SC_UNIX_OK ? "allowed" : "REFUSED", b & T_SC_WX ? "refused" : "NOT refused");
	if (disabled("scevents"))
		snprintf(o->sce_detail, sizeof(o->sce_detail), "disabled by WARDEN_DISABLE");
	wd_rung3_cgroup_trial(o);
	b = disabled("mountns") ? 0 : trial(2, 0);
	if (b < 0)
		return b;
	o->mount_ns = (b & (T_MNT_ROFS | T_MNT_NOEXEC)) == (T_MNT_ROFS | T_MNT_NOEXEC);
	snprintf(o->mnt_detail, sizeof(o->mnt_detail),
		 "a test child's own mount namespace: write on a read-only remount %s, exec on "
		 "noexec %s",
		 b & T_MNT_ROFS ? "refused" : "NOT refused",
		 b & T_MNT_NOEXEC ? "refused" : "NOT refused");
	b = disabled("pidns") ? 0 : trial(3, 0);
	if (b < 0)
		return b;
	o->pid_ns = (b & (T_PID_ONE | T_PID_SIGNAL | T_PID_PROC)) ==
		    (T_PID_ONE | T_PID_SIGNAL | T_PID_PROC);
	snprintf(o->pid_detail, sizeof(o->pid_detail),
		 "pid 1 of a test child's pid namespace: %s, a signal out %s, the process outside "
		 "in its /proc %s",
		 !(b & T_RAN)	 ? "not made"
		 : b & T_PID_ONE ? "made"
				 : "NOT pid 1",
		 b & T_PID_SIGNAL ? "refused (ESRCH)" : "NOT refused",
		 b & T_PID_PROC ? "not found" : "FOUND (or no /proc)");
	return 0;
}

void wd_rung3_scevents(struct wd_rung3 *r3, struct wd_enforcer *e)
{
	__u32 nrs[WD_SC_NR_MAX];
	struct wd_sc_refusal how[WD_SC_NR_MAX];
	size_t n;
	int err;

	if (r3->sc_events)
		return;
	if (disabled("scevents")) {
		snprintf(r3->sce_detail, sizeof(r3->sce_detail), "disabled by WARDEN_DISABLE");
		return;
	}
	n = wd_seccomp_refusals(nrs, how, WD_SC_NR_MAX);
	if (n <= WD_SC_NR_MAX) {
		/* And the read-only mounts' refusals (EROFS) of changes to the file system. */
		unsigned rofs[64];
		size_t k = wd_mounts_rofs_calls(rofs, sizeof(rofs) / sizeof(rofs[0]));

		for (size_t i = 0; i < k && n < WD_SC_NR_MAX; i++, n++) {
			nrs[n] = rofs[i];
			how[n] = (struct wd_sc_refusal){.flags = WD_SC_ROFS};
		}
	}
	err = n > WD_SC_NR_MAX ? -E2BIG : wd_enforcer_attach_scevents(e, nrs, how, n);
	if (err) {
		snprintf(r3->sce_detail, sizeof(r3->sce_detail),
			 "the raw_syscalls:sys_exit program did not attach: %s", strerror(-err));
		return;
	}
	r3->sc_events = true;
	r3->sce_detail[0] = '\0';
}

void wd_rung3_scevents_off(struct wd_rung3 *r3, struct wd_enforcer *e)
{
	wd_enforcer_detach_scevents(e);
	if (r3->sc_events)
		snprintf(r3->sce_detail, sizeof(r3->sce_detail), "rung 3 does not run");
	r3->sc_events = false;
}

void wd_rung3_exec_tp_loaded(struct wd_rung3 *r3, bool loaded, const char *why)
{
	if (loaded || !r3->exec_tp)
		return;
	r3->exec_tp = false;
	snprintf(r3->exec_detail, sizeof(r3->exec_detail), "warden's program: %s", why);
}

void wd_rung3_unix_loaded(struct wd_rung3 *r3, bool loaded, const char *why)
{
	if (loaded || !r3->cg_unix)
		return;
	r3->cg_unix = false;
	snprintf(r3->unix_detail, sizeof(r3->unix_detail), "%s", why);
}

/* ---- The report --------------------------------------------------------------------------- */

void wd_feature_row_add(struct wd_feature_row *rows, size_t *n, size_t max, const char *feature,
			const char *mech, const char *fmt, ...)
{
	struct wd_feature_row *r;
	va_list ap;

	if (*n >= max)
		return;
	r = &rows[(*n)++];
	memset(r, 0, sizeof(*r));
	r->feature = feature;
	snprintf(r->mech, sizeof(r->mech), "%s", mech ? mech : "not enforced");
	r->enforced = mech != NULL;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

void wd_feature_rows_cgroup(const struct wd_rung3 *r3, struct wd_feature_row *rows, size_t *n,
			    size_t max, bool devices)
{
	const bool tried = r3 && r3->cg_tried, ok = devices ? r3 && r3->cg_dev : r3 && r3->cg_net;

	if (tried && !ok)
		wd_feature_row_add(rows, n, max, devices ? "block devices" : "network", NULL,
				   "warden's cgroup %s not seen refusing: %s",
				   devices ? "device program was" : "sock_addr programs were",
				   devices ? r3->dev_detail : r3->cg_detail);
	else if (devices)
		wd_feature_row_add(rows, n, max, "block devices", "cgroup",
				   "open and mknod of every block device refused (cgroup device "
				   "program); char devices are the file rules'%s%s",
				   tried ? "; " : "", tried ? r3->dev_detail : "");
	else
		wd_feature_row_add(rows, n, max, "network", "cgroup",
				   "cgroup sock_addr and skb programs: connect, sendmsg, bind, the "
				   "sandbox's own listeners%s%s",
				   tried ? "; " : "", tried ? r3->cg_detail : "");
	if (tried && !ok)
		rows[*n - 1].required = true;
}

static void lsm_rows(struct wd_feature_row *rows, size_t *n, size_t max, const char *mech,
		     bool jit_ok)
{
	static const char *const f[] = {"exec",	      "executable mappings", "file read",
					"file write", "socket families",     "unix sockets",
					"confinement"};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		wd_feature_row_add(rows, n, max, f[i], mech,
				   strstr(mech, "fmod_ret")
					   ? "the LSM programs as fmod_ret on the security_* "
					     "functions, each seen refusing a test child"
					   : "BPF LSM hooks, each seen refusing a test child");
	wd_feature_row_add(rows, n, max, "executable anonymous memory",
			   jit_ok ? "policy allows" : NULL,
			   jit_ok ? "jit: allow"
				  : "jit: deny (W^X) is enforced on rung 3 only (seccomp); here "
				    "anonymous and writable executable memory is allowed");
}

/* Unix sockets: by path (and abstract name) through the cgroup hooks where the kernel has them;
 * abstract ones made outside through Landlock's scope; with a mount namespace, the sockets there
 * at the start covered by mounts (sockets.h; rung3_plan.c adds what the scan found). Required:
 * every policy refuses the node's unix sockets it does not name (docker.sock, D-Bus), unless it
 * allows no unix socket at all. */
static void unix_row(const struct wd_rung3 *r3, const struct wd_compiled *c, bool sc, bool scope,
		     bool mnt, struct wd_feature_row *rows, size_t *n, size_t max)
{
	const char *abs = scope ? "; abstract sockets made outside the sandbox refused (Landlock "
				  "scope)"
				: "; NOT ENFORCED: abstract sockets made outside the sandbox "
				  "(Landlock ABI < 6)";

	if (sc && c && !(c->cfg.families & (1ULL << AF_UNIX))) {
		wd_feature_row_add(rows, n, max, "unix sockets", "seccomp",
				   "no unix socket can be made (sockets: allow has no unix)");
	} else if (r3 && r3->cg_unix && mnt) {
		wd_feature_row_add(
			rows, n, max, "unix sockets",
			scope ? "mount-ns + cgroup + landlock" : "mount-ns + cgroup",
			"sockets there at the start that no unix: rule allows, found by a bounded "
			"scan "
			"(/run, /tmp, /var/tmp, /dev/shm, /var/lib/{docker,containerd,kubelet}, "
			"homes, "
			"the workdir, write rules' trees, unix deny rules' paths, /proc/net/unix), "
			"are "
			"covered by a mount: no name, symlink, relative path, /proc/self/root or "
			"hard "
			"link reaches them; others by the path as written (connect_unix, "
			"sendmsg_unix): "
			"unix: rules, deny wins; unnamed ones only where the write rules allow a "
			"bind "
			"(to: sandbox); '..', /proc and /dev/fd refused; nscd's silently; "
			"abstract: "
			"rules%s; NOT ENFORCED for sockets made after the start, replaced by their "
			"service or outside the scan: a symlink the sandbox makes leads to them, a "
			"relative path (after cd) and others' sockets under the write rules pass "
			"as "
			"the "
			"sandbox's own",
			abs);
	} else if (r3 && r3->cg_unix) {
		wd_feature_row_add(
			rows, n, max, "unix sockets", scope ? "cgroup + landlock" : "cgroup",
			"connect and sendto by the path as written (connect_unix, sendmsg_unix): "
			"unix: "
			"rules, deny wins; unnamed ones only where the write rules allow a bind "
			"(to: "
			"sandbox); '..', /proc and /dev/fd paths refused; nscd's socket refused "
			"silently; abstract: rules%s; NOT ENFORCED: paths are not resolved: a "
			"symlink "
			"the sandbox makes where it may write leads to any socket, a relative path "
			"(after cd) and others' sockets under the write rules (an ssh agent's in "
			"/tmp) "
			"pass as the sandbox's own (no mount namespace to cover them)",
			abs);
	} else {
		wd_feature_row_add(rows, n, max, "unix sockets", NULL,
				   "NOT ENFORCED: unix sockets by path and abstract name (%s)%s",
				   r3 && r3->unix_detail[0] ? r3->unix_detail
							    : "no cgroup hooks for them",
				   abs);
	}
	rows[*n - 1].required = true;
}

size_t wd_rung_report(const char *lsm, const struct wd_rung3 *r3, bool rung3_ok,
		      const struct wd_compiled *c, struct wd_feature_row *rows, size_t max)
{
	const bool ll = !lsm && rung3_ok && r3 && r3->landlock;
	const bool mnt = ll && r3->mount_ns, sc = ll && r3->seccomp, scope = ll && r3->ll_scope;
	const bool pidns = ll && r3->pid_ns;
	const bool la = ll && r3->ll_audit;
	const bool sce_on = sc && r3->sc_events;
	const bool xtp = !lsm && r3 && r3->exec_tp;
	const bool fileless_ok = c && (c->cfg.flags & WD_POL_ALLOW_FILELESS);
	const bool jit_ok = c && (c->cfg.flags & WD_POL_ALLOW_JIT);
	char abi[32];
	size_t n = 0;

	snprintf(abi, sizeof(abi), "Landlock ABI %d", r3 ? r3->ll_abi : 0);
	if (lsm) {
		lsm_rows(rows, &n, max, lsm, jit_ok);
	} else {
		wd_feature_row_add(
			rows, &n, max, "exec",
			ll    ? (xtp ? "landlock + exec tracepoint" : "landlock")
			: xtp ? "exec tracepoint"
			      : NULL,
			"%s%s%s%s", ll ? abi : "Landlock unavailable or refused",
			ll ? ": execve outside the exec rules refused" : "",
			xtp ? "; every exec decided again at sched_process_exec by the exec rules "
			      "(the file's walked path, exact denies by device and inode: a hard "
			      "link is the same file), a denied one killed (SIGKILL) before its "
			      "first instruction"
			    : "; no exec tracepoint: ",
			xtp ? "" : (r3 ? r3->exec_detail : "not tried"));
		rows[n - 1].required = true;
		wd_feature_row_add(
			rows, &n, max, "executable mappings", mnt ? "mount-ns" : NULL,
			mnt ? "every mount noexec but the exec rules' trees: ld.so, LD_PRELOAD and "
			      "mmap(PROT_EXEC) of files outside them refused"
			    : "mmap(PROT_EXEC) of a file the exec rules deny is not refused (no "
			      "mount namespace)");
		rows[n - 1].required = true;
		wd_feature_row_add(
			rows, &n, max, "executable anonymous memory",
			jit_ok ? "policy allows"
			: sc   ? "seccomp"
			       : NULL,
			jit_ok ? "jit: allow"
			: sc ? "jit: deny, W^X: mmap of anonymous executable memory, mappings both "
			       "writable and executable, mprotect(PROT_EXEC) and executable SysV "
			       "shm "
			       "refused; code comes only from files"
			     : "W^X is not enforced (no seccomp filter)");
		wd_feature_row_add(
			rows, &n, max, "fileless exec",
			fileless_ok ? "policy allows"
			: sc	    ? "seccomp"
				    : NULL,
			fileless_ok ? "fileless_exec: allow"
			: sc ? "memfd_create only with MFD_NOEXEC_SEAL; NOT ENFORCED: exec of a "
			       "deleted file in a tree both writable and executable (the workdir)"
			     : "memfd and deleted files run");
		wd_feature_row_add(
			rows, &n, max, "file read", ll ? "landlock" : NULL,
			ll ? "%s: opens outside the read rules refused; denies inside an allowed "
			     "tree "
			     "by "
			     "expanding it around them (files made there later are refused)%s"
			   : "%s",
			ll ? abi : "BPF LSM and Landlock unavailable or refused",
			!ll   ? ""
			: mnt ? "; names in read-denied directories made after start can be "
				"listed; "
				"inside trees the job may write, denies are mounts over the denied "
				"paths "
				"(NOT ENFORCED there: a read-denied path absent at the start, or "
				"replaced "
				"from outside during the run)"
			      : "; names in read-denied directories can be listed");
		rows[n - 1].required = true;
		wd_feature_row_add(
			rows, &n, max, "file write",
			ll ? (mnt ? "landlock + mount-ns" : "landlock") : NULL,
			ll ? "%s: writes, creates, renames, links, removes and truncates outside "
			     "the "
			     "write rules refused%s"
			   : "%s",
			ll ? abi : "BPF LSM and Landlock unavailable or refused",
			!ll   ? ""
			: mnt ? "; chmod, chown and xattrs there: read-only mounts (EROFS); a "
				"write "
				"deny of a path absent at the start leaves its directory without "
				"new "
				"names"
			      : "; NOT ENFORCED: chmod, chown and xattrs outside the write rules");
		rows[n - 1].required = true;
	}
	wd_feature_rows_cgroup(r3, rows, &n, max, false);
	if (!lsm) {
		wd_feature_row_add(
			rows, &n, max, "socket families", sc ? "seccomp" : NULL,
			sc ? "socket and socketpair by family, raw types only in raw families"
			   : "any family and raw sockets can be made");
		wd_feature_rows_cgroup(r3, rows, &n, max, true);
		unix_row(r3, c, sc, scope, mnt, rows, &n, max);
		/* B2, B4: without a pid namespace a root names any process of the node (prlimit
		 * kills by SIGXCPU), and below Landlock ABI 6 signals it too. */
		wd_feature_row_add(
			rows, &n, max, "signals and ptrace", pidns ? "pid-ns + landlock" : NULL,
			pidns ? "a pid namespace and /proc of its own: no process outside is named "
				"(kill, prlimit, setpriority, sched_set*, ioprio_set, pidfd_open, "
				"/proc/PID) on every Landlock ABI; ptrace and /proc/PID/mem only "
				"within "
				"the sandbox (Landlock)%s"
			: ll  ? "no pid namespace: processes outside are named (prlimit, "
				"setpriority, "
				"sched_set*, ioprio_set, /proc/PID%s); ptrace and /proc/PID/mem "
				"only "
				"within the sandbox (Landlock)"
			      : "signals and ptrace reach outside the sandbox%s",
			pidns	? (scope ? "; signals also by Landlock's scope" : "")
			: scope ? ""
			: ll	? ", signals: Landlock ABI < 6"
				: "");
		rows[n - 1].required = true;
		wd_feature_row_add(
			rows, &n, max, "confinement", sc ? "seccomp + capabilities" : NULL,
			sc ? "%s; capabilities that undo enforcement dropped; cgroup.procs %s"
			   : "%s",
			sc ? WD_SECCOMP_REFUSES
			   : "namespaces, mounts, bpf, keyrings are not refused",
			mnt ? "read-only" : "outside the write rules");
		rows[n - 1].required = true;
		wd_feature_row_add(
			rows, &n, max, "sockets passed in", NULL,
			"sockets received over SCM_RIGHTS are not checked (no file_receive hook)");
		char sce[512];

		/* Seccomp refusals: by the sys_exit program where it is attached (the call's number
		 * and return value, no argument read). */
		if (sc && r3->sc_events)
			snprintf(sce, sizeof(sce),
				 "seccomp refusals from the raw_syscalls:sys_exit tracepoint, by "
				 "the call's return value (calls refused only for some arguments, "
				 "as 'seccomp filter or the kernel'; 32-bit calls, killed, are "
				 "not)%s",
				 mnt ? "; changes to the file system the read-only mounts refused "
				       "(EROFS: mkdir, unlink, rename, links, chmod, chown, "
				       "truncate, xattrs, times), by the call, without its path; "
				       "NOT REPORTED: opens for writing they refused"
				     : "");
		else if (sc && !r3->sce_detail[0])
			snprintf(sce, sizeof(sce),
				 "seccomp refusals from the raw_syscalls:sys_exit tracepoint, "
				 "attached by warden run, and by the daemon, while a sandbox of "
				 "rung 3 runs (not attached now)");
		else
			snprintf(sce, sizeof(sce), "NOT REPORTED: seccomp refusals (%s)",
				 !sc		     ? "no seccomp filter"
				 : r3->sce_detail[0] ? r3->sce_detail
						     : "not attached");
		wd_feature_row_add(
			rows, &n, max, "denial events",
			la ? (sce_on ? "landlock audit + cgroup + sys_exit"
				     : "landlock audit + cgroup")
			   : (sce_on ? "network + sys_exit" : "network only"),
			la ? "exec and file denials from Landlock's audit records (%s), network "
			     "denials from the cgroup programs; %s; NOT REPORTED: "
			     "Landlock signal, abstract socket and ptrace denials"
			   : "network denials are reported; %s; NOT REPORTED: "
			     "Landlock refusals (%s)",
			la ? (r3->la_detail[0] ? r3->la_detail : "Landlock unavailable") : sce,
			la		   ? sce
			: !r3		   ? ""
			: r3->la_detail[0] ? r3->la_detail
					   : "Landlock unavailable");
		wd_feature_row_add(
			rows, &n, max, "exec events", xtp ? "exec tracepoint" : NULL,
			xtp ? "every exec of the sandbox reported, allowed or denied, with "
			      "the rule that decided (sched_process_exec)"
			    : "allowed execs are not reported (no exec tracepoint: %s)",
			r3 ? r3->exec_detail : "not tried");
	}
	return n;
}

void wd_rung_report_print(FILE *f, const char *prefix, const struct wd_feature_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s%s: %s (%s)\n", prefix,
			rows[i].enforced ? "" : "NOT ENFORCED: ", rows[i].feature, rows[i].mech,
			rows[i].detail);
}
