// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `warden probe`. Reading /sys/kernel/security/lsm or kernel versions is not enough: a kernel
 * may list `bpf` and still refuse LSM programs, or load and attach them without ever running
 * them (`bpf` missing from the active LSM list), so every LSM hook warden attaches is seen
 * refusing a test child's action in a throwaway cgroup before it is called enforcing. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/keyctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/json.h"
#include "warden/probe_abi.h"
#include "enforce/libbpf_log.h"
#include "hooks/hooks.h"
#include "lib/mountinfo.h"
#include "enforce/probe.h"
#include "probe_cgroup.skel.h"
#include "probe_lsm.skel.h"
#include "warden/version.h"

static const struct {
	const char *name;
	const char *prog;
} cgroup_hooks[] = {
	{"cgroup/connect4", "wd_p_connect4"},
	{"cgroup/connect6", "wd_p_connect6"},
	{"cgroup/sendmsg4", "wd_p_sendmsg4"},
	{"cgroup/sendmsg6", "wd_p_sendmsg6"},
};

struct wd_feature *wd_probe_add(struct wd_probe *p, const char *name, enum wd_need need,
				bool available, const char *fmt, ...)
{
	struct wd_feature *f;
	va_list ap;

	if (p->n >= WD_PROBE_MAX_FEATURES)
		return NULL;
	f = &p->feats[p->n++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->need = need;
	f->available = available;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return f;
}

const struct wd_feature *wd_probe_get(const struct wd_probe *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->feats[i].name, name) == 0)
			return &p->feats[i];
	return NULL;
}

static void probe_btf(struct wd_probe *p)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int err = libbpf_get_error(btf);

	if (err) {
		wd_probe_add(p, "btf", WD_NEED_CORE, false,
			     "no kernel BTF (%s): warden needs CONFIG_DEBUG_INFO_BTF=y",
			     strerror(-err));
		return;
	}
	wd_probe_add(p, "btf", WD_NEED_CORE, true, "kernel BTF loaded; CO-RE relocations work");
	btf__free(btf);
}

static void probe_mounts(struct wd_probe *p)
{
	char path[PATH_MAX];
	FILE *f;
	bool supported = false;
	int err;

	err = wd_mount_find_self("cgroup2", p->cgroup2, sizeof(p->cgroup2));
	if (err) {
		p->cgroup2[0] = '\0';
		wd_probe_add(p, "cgroup2", WD_NEED_CORE, false,
			     "no cgroup2 mount in /proc/self/mountinfo: mount -t cgroup2 none "
			     "/sys/fs/cgroup");
	} else {
		wd_probe_add(p, "cgroup2", WD_NEED_CORE, true, "mounted at %s", p->cgroup2);
	}

	f = fopen("/proc/filesystems", "re");
	if (f) {
		char line[128];

		while (fgets(line, sizeof(line), f))
			if (strcmp(line, "nodev\tbpf\n") == 0)
				supported = true;
		fclose(f);
	}
	if (wd_mount_find_self("bpf", path, sizeof(path)) == 0)
		wd_probe_add(p, "bpffs", WD_NEED_PINNING, true, "mounted at %s", path);
	else if (supported)
		wd_probe_add(
			p, "bpffs", WD_NEED_PINNING, true,
			"supported, not mounted; warden mounts it at /sys/fs/bpf when it pins");
	else
		wd_probe_add(p, "bpffs", WD_NEED_PINNING, false,
			     "this kernel has no bpf filesystem (CONFIG_BPF_SYSCALL)");
}

static void probe_ringbuf(struct wd_probe *p)
{
	int ret = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);

	if (ret == 1)
		wd_probe_add(p, "ringbuf", WD_NEED_EVENTS, true, "BPF ring buffer map created");
	else
		wd_probe_add(p, "ringbuf", WD_NEED_EVENTS, false, "BPF ring buffer map refused: %s",
			     ret < 0 ? strerror(-ret) : "unsupported map type (needs Linux 5.8+)");
}

/* Attaches each sock_addr program to a throwaway cgroup of its own: attaching to a live cgroup,
 * even an allow-all program, would be a change to the system a probe must not make. */
static void probe_cgroup_hooks(struct wd_probe *p)
{
	struct probe_cgroup_bpf *skel = NULL;
	char cg[PATH_MAX + 64] = "";
	const char *why = NULL;
	char whybuf[256];
	int cgfd = -1, err;
	size_t i;

	if (!p->cgroup2[0]) {
		why = "no cgroup2 mount";
		goto fail;
	}
	snprintf(cg, sizeof(cg), "%s/warden-probe.%d", p->cgroup2, getpid());
	if (mkdir(cg, 0700) && errno != EEXIST) {
		snprintf(whybuf, sizeof(whybuf), "cannot create a cgroup under %s: %s", p->cgroup2,
			 strerror(errno));
		why = whybuf;
		cg[0] = '\0';
		goto fail;
	}
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		snprintf(whybuf, sizeof(whybuf), "open %s: %s", cg, strerror(errno));
		why = whybuf;
		goto fail;
	}
	skel = probe_cgroup_bpf__open();
	if (!skel) {
		snprintf(whybuf, sizeof(whybuf), "open BPF object: %s", strerror(errno));
		why = whybuf;
		goto fail;
	}
	err = probe_cgroup_bpf__load(skel);
	if (err) {
		snprintf(whybuf, sizeof(whybuf), "load failed: %s", strerror(-err));
		why = whybuf;
		goto fail;
	}
	for (i = 0; i < sizeof(cgroup_hooks) / sizeof(cgroup_hooks[0]); i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(skel->obj, cgroup_hooks[i].prog);
		struct bpf_link *link = prog ? bpf_program__attach_cgroup(prog, cgfd) : NULL;

		if (link) {
			wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, true,
				     "loaded and attached to a test cgroup");
			bpf_link__destroy(link);
		} else {
			wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, false,
				     "attach failed: %s", strerror(errno));
		}
	}
	goto out;
fail:
	for (i = 0; i < sizeof(cgroup_hooks) / sizeof(cgroup_hooks[0]); i++)
		wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, false, "%s", why);
out:
	probe_cgroup_bpf__destroy(skel);
	if (cgfd >= 0)
		close(cgfd);
	if (cg[0])
		rmdir(cg);
}

/* ---- BPF LSM: each hook seen acting ------------------------------------------------------- */

enum hook_state {
	H_ABSENT,      /* the kernel has no such hook (an optional one) */
	H_LOAD_FAIL,   /* the program was refused */
	H_ATTACH_FAIL, /* loaded, not attached */
	H_ATTACHED,    /* attached; not tried yet */
	H_NOT_SEEN,    /* attached, but the test child's action was not refused by it */
	H_SEEN,	       /* the test child's action got the probe's errno */
};

struct lsm_run {
	struct probe_lsm_bpf *skel;
	struct btf *btf;
	enum hook_state st[sizeof(((struct probe_lsm_bpf__bss *)0)->wd_p_calls) / sizeof(__u64)];
	char why[64][200]; /* per table entry */
	struct bpf_link *links[64];
	char load_why[200]; /* the refusal of the whole object, "" if it loaded */
	int n_seen, n_attached, n_loaded;
	bool thorough; /* each refused hook loaded alone, for its own reason */
	int n_refused; /* hooks refused when loaded alone */
	size_t first_refused;
	char act_why[200]; /* why the actions could not be tried at all, "" if they were */
};

_Static_assert(sizeof(((struct lsm_run *)0)->why) / sizeof(((struct lsm_run *)0)->why[0]) >=
		       WD_ARM_NR,
	       "room for every hook");

static void set_why(struct lsm_run *lr, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_why(struct lsm_run *lr, size_t i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lr->why[i], sizeof(lr->why[i]), fmt, ap);
	va_end(ap);
}

/* libbpf's own words are shown with -v. */
static void load_error(char *buf, size_t len, int err)
{
	snprintf(buf, len, "load failed: %s", strerror(-err));
}

/* Opens the probe object with only the programs @want says (by table index) and the feature
 * program @feature ("*": all of them, NULL: none) set to load, and loads it. */
static struct probe_lsm_bpf *lsm_open_load(const bool *want, const char *feature, int *err)
{
	struct probe_lsm_bpf *skel = probe_lsm_bpf__open();
	struct bpf_program *prog;
	bool store = false;

	if (!skel) {
		*err = -errno;
		return NULL;
	}
	bpf_object__for_each_program (prog, skel->obj) {
		const struct wd_lsm_hook *h = wd_lsm_hook_by_probe(bpf_program__name(prog));
		bool on = h ? want[h - wd_lsm_hooks]
			    : feature && (strcmp(feature, "*") == 0 ||
					  strcmp(feature, bpf_program__name(prog)) == 0);

		bpf_program__set_autoload(prog, on);
		if (on && !h && strcmp(bpf_program__name(prog), "wd_p_task_store") == 0)
			store = true;
	}
	/* The task storage map only for the program that needs it: a kernel without it then
	 * fails just that feature. */
	if (!store)
		bpf_map__set_autocreate(skel->maps.wd_p_task_map, false);
	wd_libbpf_clear();
	*err = probe_lsm_bpf__load(skel);
	if (*err) {
		probe_lsm_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* One load of everything answers a healthy kernel quickly; only a refusal makes us load the
 * programs one by one to tell which hooks are refused, then the ones that load together. */
static void lsm_load_all(struct lsm_run *lr)
{
	bool want[64] = {0}, one[64] = {0};
	int err;

	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		const struct wd_lsm_hook *h = &wd_lsm_hooks[i];

		/* Only hooks the enforcer itself skips when absent are "nothing to enforce";
		 * a hook it needs and the kernel lacks is missing (its load fails below). */
		if (h->optional && !wd_lsm_hook_in_kernel(lr->btf, h)) {
			lr->st[i] = H_ABSENT;
			set_why(lr, i,
				"not in this kernel (Linux 6.2 and later): nothing to enforce");
			continue;
		}
		want[i] = true;
		lr->st[i] = H_ATTACHED;
	}
	lr->skel = lsm_open_load(want, "*", &err);
	if (lr->skel)
		return;
	load_error(lr->load_why, sizeof(lr->load_why), err);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		struct probe_lsm_bpf *s;

		if (!want[i])
			continue;
		/* A quick answer (the daemon, warden run): when the first hook alone is refused
		 * too, so are all of them (our hosts refuse every LSM program). */
		if (!lr->thorough && lr->n_refused) {
			want[i] = false;
			lr->st[i] = H_LOAD_FAIL;
			snprintf(lr->why[i], sizeof(lr->why[i]), "%s", lr->why[lr->first_refused]);
			continue;
		}
		one[i] = true;
		s = lsm_open_load(one, NULL, &err);
		one[i] = false;
		if (s) {
			probe_lsm_bpf__destroy(s);
			continue;
		}
		want[i] = false;
		lr->st[i] = H_LOAD_FAIL;
		load_error(lr->why[i], sizeof(lr->why[i]), err);
		if (!lr->n_refused++)
			lr->first_refused = i;
	}
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		if (want[i])
			break;
		else if (i + 1 == wd_lsm_hooks_n)
			return;
	/* Some load alone: together, without the feature programs (tried on their own). */
	lr->skel = lsm_open_load(want, NULL, &err);
	if (lr->skel)
		return;
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		if (want[i]) {
			lr->st[i] = H_LOAD_FAIL;
			load_error(lr->why[i], sizeof(lr->why[i]), err);
		}
}

static void lsm_attach_all(struct lsm_run *lr)
{
	for (size_t i = 0; lr->skel && i < wd_lsm_hooks_n; i++) {
		struct bpf_program *prog;

		if (lr->st[i] != H_ATTACHED)
			continue;
		lr->n_loaded++;
		prog = bpf_object__find_program_by_name(lr->skel->obj, wd_lsm_hooks[i].probe);
		lr->links[i] = prog ? bpf_program__attach(prog) : NULL;
		if (!lr->links[i]) {
			lr->st[i] = H_ATTACH_FAIL;
			set_why(lr, i, "loaded, attach failed: %s",
				strerror(prog ? errno : ENOENT));
			continue;
		}
		lr->n_attached++;
	}
}

/* The test child's files, all in a temporary directory of the probe's own. */
struct act_paths {
	char dir[64], x[80], t[80], u[80], r[80], r2[80], l[80], nd[80], d0[80], fifo[80], sl[80],
		sock[80], nosock[80], m[80], m2[80];
};

#define ACT_SETUP_FAILED 254 /* a step before the action failed */
#define ACT_NO_ANSWER	 253 /* recvmsg: no descriptor and no MSG_CTRUNC */
#define ACT_NO_COMPAT	 252 /* no 32-bit system calls here (the call was killed) */

/* ioctl(2) as a 32-bit process makes it (int $0x80 reaches the kernel's compat entry from
 * 64-bit code too): -errno or the result. */
static long ioctl32(int fd, unsigned int cmd, unsigned int arg)
{
#if defined(__x86_64__)
	long r;

	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "0"(54L /* __NR_ioctl on i386 */), "b"((long)fd), "c"((long)cmd),
			   "d"((long)arg)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
#else
	(void)fd, (void)cmd, (void)arg;
	return -ENOSYS;
#endif
}

static int res(long r)
{
	return r < 0 ? errno : 0;
}

static int private_mounts(void)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	return 0;
}

/* Runs @arm's action in a grandchild (what would change the caller: namespaces, chroot,
 * tracing); its exit status is the result. */
static int in_grandchild(unsigned arm, const struct act_paths *ap)
{
	int st, r = 0;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0) {
		alarm(30);
		switch (arm) {
		case WD_ARM_SB_MOUNT:
			/* In a mount namespace of its own, its first mount call is the action. */
			r = unshare(CLONE_NEWNS)
				    ? ACT_SETUP_FAILED
				    : res(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
			break;
		case WD_ARM_SB_UMOUNT:
			if (private_mounts() || mount("none", ap->m, "tmpfs", 0, "size=16k"))
				r = ACT_SETUP_FAILED;
			else
				r = res(umount2(ap->m, 0));
			break;
		case WD_ARM_MOVE_MOUNT:
			if (private_mounts() || mount("none", ap->m, "tmpfs", 0, "size=16k"))
				r = ACT_SETUP_FAILED;
			else
				r = res(syscall(SYS_move_mount, AT_FDCWD, ap->m, AT_FDCWD, ap->m2,
						0));
			break;
		case WD_ARM_PIVOTROOT:
			r = private_mounts() ? ACT_SETUP_FAILED
					     : res(syscall(SYS_pivot_root, ap->dir, ap->dir));
			break;
		case WD_ARM_CHROOT:
			r = res(chroot(ap->dir));
			break;
		case WD_ARM_USERNS:
			r = res(unshare(CLONE_NEWUSER));
			break;
		case WD_ARM_TRACEME:
			r = res(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
			break;
		case WD_ARM_FILE_IOCTL_COMPAT: {
			int p[2];
			long x;

			if (pipe(p))
				r = ACT_SETUP_FAILED;
			else if ((x = ioctl32(p[0], FIONREAD, 0)) == -ENOSYS)
				r = ACT_NO_COMPAT;
			else
				r = x < 0 ? (int)-x : 0;
			break;
		}
		}
		_exit(r & 0xff);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	if (!WIFEXITED(st)) /* a kernel without 32-bit system calls kills the caller */
		return arm == WD_ARM_FILE_IOCTL_COMPAT ? ACT_NO_COMPAT : ACT_SETUP_FAILED;
	return WEXITSTATUS(st);
}

static int act_file_receive(const struct act_paths *ap)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char c = 'x';
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int sv[2], fd, r = ACT_SETUP_FAILED;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return ACT_SETUP_FAILED;
	fd = open(ap->x, O_RDONLY | O_CLOEXEC);
	memset(&u, 0, sizeof(u));
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (fd >= 0 && sendmsg(sv[0], &m, 0) == 1) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		m.msg_flags = 0;
		if (recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC) < 0) {
			r = errno;
		} else if ((cm = CMSG_FIRSTHDR(&m)) && cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(int));
			close(got);
			r = 0;
		} else {
			/* The kernel reports a refused descriptor only as a truncated message. */
			r = (m.msg_flags & MSG_CTRUNC) ? WD_PROBE_ERRNO : ACT_NO_ANSWER;
		}
	}
	if (fd >= 0)
		close(fd);
	close(sv[0]);
	close(sv[1]);
	return r;
}

static int act_unix_connect(const struct act_paths *ap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r = ACT_SETUP_FAILED;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ap->sock);
	if (l >= 0 && c >= 0 && !bind(l, (struct sockaddr *)&sa, sizeof(sa)) && !listen(l, 1))
		r = res(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	if (l >= 0)
		close(l);
	if (c >= 0)
		close(c);
	unlink(ap->sock);
	return r;
}

static int act_ptrace(void)
{
	int p[2], r;
	char b;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return ACT_SETUP_FAILED;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return ACT_SETUP_FAILED;
	}
	if (pid == 0) {
		close(p[1]);
		alarm(30);
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	r = res(ptrace(PTRACE_SEIZE, pid, NULL, NULL));
	close(p[1]); /* the tracee (if it is one) ends at once */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* The action that meets @arm's hook. Returns 0 or the errno it got. Runs in the test child:
 * system calls only, nothing that allocates. */
static int act(unsigned arm, const struct act_paths *ap)
{
	/* A minimal access ACL (user rwx, group and other nothing): the test file's own mode. */
	static const uint32_t acl[] = {2,	   0x00070001, 0xffffffff, 0x00000004,
				       0xffffffff, 0x00000020, 0xffffffff};
	char *const argv[] = {(char *)ap->x, NULL}, *const envp[] = {NULL};
	union bpf_attr attr;
	int sv[2], fd, r, v = 4096;
	void *p;

	switch (arm) {
	case WD_ARM_BPRM:
		/* Not an executable format: without the hook, ENOEXEC. */
		execve(ap->x, argv, envp);
		return errno;
	case WD_ARM_MMAP_FILE:
		fd = open(ap->x, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ACT_SETUP_FAILED;
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		r = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, 4096);
		close(fd);
		return r;
	case WD_ARM_MPROTECT:
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return ACT_SETUP_FAILED;
		r = res(mprotect(p, 4096, PROT_READ | PROT_EXEC));
		munmap(p, 4096);
		return r;
	case WD_ARM_FILE_OPEN:
		fd = open(ap->x, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		return r;
	case WD_ARM_PATH_LINK:
		return res(link(ap->x, ap->l));
	case WD_ARM_PATH_TRUNCATE:
		return res(truncate(ap->t, 0));
	case WD_ARM_PATH_MKDIR:
		return res(mkdir(ap->nd, 0700));
	case WD_ARM_PATH_UNLINK:
		return res(unlink(ap->u));
	case WD_ARM_PATH_RMDIR:
		return res(rmdir(ap->d0));
	case WD_ARM_PATH_MKNOD:
		return res(mknod(ap->fifo, S_IFIFO | 0600, 0));
	case WD_ARM_PATH_SYMLINK:
		return res(symlink("x", ap->sl));
	case WD_ARM_PATH_RENAME:
		return res(rename(ap->r, ap->r2));
	case WD_ARM_PATH_CHMOD:
		return res(chmod(ap->x, 0700));
	case WD_ARM_PATH_CHOWN:
		return res(chown(ap->x, getuid(), getgid()));
	case WD_ARM_SETXATTR:
		return res(setxattr(ap->x, "user.warden_probe", "1", 1, 0));
	case WD_ARM_REMOVEXATTR:
		return res(removexattr(ap->x, "user.warden_probe"));
	case WD_ARM_FILE_TRUNCATE:
		fd = open(ap->t, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return ACT_SETUP_FAILED;
		r = res(ftruncate(fd, 0));
		close(fd);
		return r;
	case WD_ARM_SET_ACL:
		return res(setxattr(ap->x, "system.posix_acl_access", acl, sizeof(acl), 0));
	case WD_ARM_REMOVE_ACL:
		return res(removexattr(ap->x, "system.posix_acl_access"));
	case WD_ARM_SOCK_CREATE:
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		r = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		return r;
	case WD_ARM_SOCK_CONNECT: {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		/* Nobody listens there: without the hook, ENOENT. */
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ap->nosock);
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return ACT_SETUP_FAILED;
		r = res(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
		close(fd);
		return r;
	}
	case WD_ARM_SOCK_SENDMSG:
	case WD_ARM_UNIX_SEND:
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
			return ACT_SETUP_FAILED;
		r = res(send(sv[0], "x", 1, MSG_DONTWAIT));
		close(sv[0]);
		close(sv[1]);
		return r;
	case WD_ARM_SETSOCKOPT:
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return ACT_SETUP_FAILED;
		r = res(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
		close(fd);
		return r;
	case WD_ARM_UNIX_CONNECT:
		return act_unix_connect(ap);
	case WD_ARM_FILE_RECEIVE:
		return act_file_receive(ap);
	case WD_ARM_TASK_ALLOC: {
		pid_t pid = fork();

		if (pid < 0)
			return errno;
		if (pid == 0)
			_exit(0);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return 0;
	}
	case WD_ARM_CAPABLE:
		/* The child's own UTS namespace, if it is not refused: changes nothing else. */
		return res(unshare(CLONE_NEWUTS));
	case WD_ARM_BPF:
		memset(&attr, 0, sizeof(attr));
		r = res(syscall(SYS_bpf, BPF_MAP_GET_NEXT_ID, &attr, sizeof(attr)));
		return r == ENOENT ? 0 : r;
	case WD_ARM_TASK_KILL:
		return res(kill(getpid(), 0));
	case WD_ARM_PTRACE:
		return act_ptrace();
	case WD_ARM_KEY_ALLOC:
		/* A new session keyring for the child: the one call that passes key_alloc's error
		 * back as it is (lookups turn it into ENOKEY). */
		return res(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL));
	case WD_ARM_KEY_PERMISSION: {
		char d[64];

		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0)
			return ACT_SETUP_FAILED;
		return res(syscall(SYS_keyctl, KEYCTL_DESCRIBE, KEY_SPEC_SESSION_KEYRING, d,
				   sizeof(d)));
	}
	case WD_ARM_KEY_FREE: {
		long k = syscall(SYS_add_key, "user", "warden-probe", "x", 1,
				 KEY_SPEC_PROCESS_KEYRING);

		if (k < 0)
			return ACT_SETUP_FAILED;
		/* Invalidated: the kernel's key collector unlinks it and frees it soon after. */
		return res(syscall(SYS_keyctl, KEYCTL_INVALIDATE, k));
	}
	case WD_ARM_FILE_IOCTL:
		if (pipe2(sv, O_CLOEXEC))
			return ACT_SETUP_FAILED;
		r = res(ioctl(sv[0], FIONREAD, &v));
		close(sv[0]);
		close(sv[1]);
		return r;
	default:
		return in_grandchild(arm, ap);
	}
}

static void act_child(int cmd, int out, const struct act_paths *ap)
{
	unsigned arm;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	while (read(cmd, &arm, sizeof(arm)) == sizeof(arm)) {
		int r = act(arm, ap);

		if (write(out, &r, sizeof(r)) != sizeof(r))
			break;
	}
	_exit(0);
}

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
		set_why(lr, i, "this kernel runs no 32-bit system calls: nothing reaches it");
		return;
	}
	if (h->arm == WD_ARM_KEY_FREE) { /* it cannot refuse: seen running for the child's key */
		lr->st[i] = calls && r == 0 ? H_SEEN : H_NOT_SEEN;
		lr->n_seen += lr->st[i] == H_SEEN;
		if (calls && r == 0)
			set_why(lr, i, "ran when a test child let go of a key it made");
		else
			set_why(lr, i, "did not run for a test child's key (%s, %llu calls)",
				result_text(r, buf, sizeof(buf)), calls);
		return;
	}

	if (calls && (r == WD_PROBE_ERRNO || (h->arm == WD_ARM_CAPABLE && r == EPERM))) {
		lr->st[i] = H_SEEN;
		lr->n_seen++;
		if (counted_only)
			set_why(lr, i,
				"refused a test child's %s (%s reports no errno: seen by its call "
				"count, %llu)",
				h->action, h->arm == WD_ARM_CAPABLE ? "capable()" : "recvmsg",
				calls);
		else
			set_why(lr, i, "refused a test child's %s", h->action);
		return;
	}
	lr->st[i] = H_NOT_SEEN;
	if (!calls)
		set_why(lr, i, "attached, but never ran: a test child's %s %s", h->action,
			result_text(r, buf, sizeof(buf)));
	else
		set_why(lr, i, "ran %llu times, but a test child's %s %s", calls, h->action,
			result_text(r, buf, sizeof(buf)));
}

static void lsm_act(struct lsm_run *lr, const char *cgroup2)
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
		act_child(cmd[0], out[1], &ap);
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
			set_why(lr, i, "attached, not tried: the test child stopped answering");
			continue;
		}
		__atomic_store_n(&lr->skel->bss->wd_p_arm, arm, __ATOMIC_SEQ_CST);
		if (write(cmd[1], &arm, sizeof(arm)) != sizeof(arm) ||
		    read_answer(out[0], &r, 30000)) {
			dead = true;
			__atomic_store_n(&lr->skel->bss->wd_p_arm, 0, __ATOMIC_SEQ_CST);
			lr->st[i] = H_NOT_SEEN;
			set_why(lr, i, "attached, but a test child's %s did not come back",
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

/* The active LSM list, for the report; "" if unreadable (*@why says why). */
static void lsm_list(char *buf, size_t len, const char **why)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "re");

	buf[0] = '\0';
	*why = "not readable in";
	if (!f) {
		if (errno == ENOENT)
			*why = "not known (securityfs is not mounted) in";
		return;
	}
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static bool listed(const char *list, const char *name)
{
	char buf[512];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, name) == 0)
			return true;
	return false;
}

/* Detaching a trampoline program waits for a grace period of its own (about 0.2 s each under
 * qemu's TCG): a helper process holds the links and lets go of them once ours are closed, so
 * the caller does not wait. Disarmed, the programs decide nothing meanwhile. */
static void links_free(struct lsm_run *lr)
{
	int p[2] = {-1, -1};
	pid_t pid = lr->n_attached > 1 && !pipe2(p, O_CLOEXEC) ? fork() : -1;

	if (pid == 0) {
		close(p[1]);
		if (fork() == 0) {
			char b;

			while (read(p[0], &b, 1) < 0 && errno == EINTR)
				;
			_exit(0); /* the kernel detaches the programs as the links close */
		}
		_exit(0);
	}
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		bpf_link__destroy(lr->links[i]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
}

static void lsm_run_free(struct lsm_run *lr)
{
	if (lr->skel) {
		lr->skel->bss->wd_p_cgid = 0;
		lr->skel->bss->wd_p_arm = 0;
	}
	links_free(lr);
	probe_lsm_bpf__destroy(lr->skel);
	btf__free(lr->btf);
	free(lr);
}

/* Loads, attaches and sees every hook of the table act; NULL only when out of memory. */
static struct lsm_run *lsm_run(const char *cgroup2, bool thorough)
{
	struct lsm_run *lr = calloc(1, sizeof(*lr));

	if (!lr)
		return NULL;
	lr->thorough = thorough;
	lr->btf = btf__load_vmlinux_btf();
	if (libbpf_get_error(lr->btf))
		lr->btf = NULL;
	lsm_load_all(lr);
	lsm_attach_all(lr);
	if (lr->n_attached)
		lsm_act(lr, cgroup2);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		if (lr->st[i] == H_ATTACHED) { /* the actions could not be tried */
			lr->st[i] = H_NOT_SEEN;
			set_why(lr, i, "attached, not seen acting: %s", lr->act_why);
		}
	return lr;
}

/* Why BPF LSM does not enforce, for the bpf_lsm row and wd_probe_lsm_enforcing(). */
static void lsm_summary(const struct lsm_run *lr, bool *ok, char *buf, size_t len)
{
	char list[256];
	const char *unreadable;
	size_t n_present = 0, n_absent = 0;

	lsm_list(list, sizeof(list), &unreadable);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++)
		lr->st[i] == H_ABSENT ? n_absent++ : n_present++;
	*ok = lr->n_seen > 0;
	if (!lr->n_loaded) {
		snprintf(buf, len,
			 "LSM programs are refused (%s); 'bpf' is %s /sys/kernel/security/lsm. "
			 "Needs CONFIG_BPF_LSM=y and bpf in lsm= on the kernel command line",
			 lr->load_why[0] ? lr->load_why : "none loaded",
			 !list[0]	       ? unreadable
			 : listed(list, "bpf") ? "listed in"
					       : "missing from");
	} else if (!lr->n_seen && list[0] && !listed(list, "bpf")) {
		snprintf(buf, len,
			 "LSM programs load and attach but never run: 'bpf' is missing from the "
			 "active LSM list (%s); boot with lsm=%s,bpf",
			 list, list);
	} else if (!lr->n_seen) {
		snprintf(buf, len,
			 "LSM programs load (%d of %zu hooks) but none was seen refusing a test "
			 "child's action",
			 lr->n_loaded, n_present);
	} else {
		snprintf(buf, len, "LSM programs run and refuse: %d of %zu hooks seen acting%s",
			 lr->n_seen, n_present,
			 n_absent ? "; the others of newer kernels are absent here" : "");
	}
}

static void probe_lsm(struct wd_probe *p)
{
	struct lsm_run *lr = lsm_run(p->cgroup2, true);
	char detail[240];
	bool ok;

	if (!lr) {
		wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, false, "out of memory");
		return;
	}
	lsm_summary(lr, &ok, detail, sizeof(detail));
	wd_probe_add(p, "bpf_lsm", WD_NEED_LSM, ok, "%s", detail);
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		char name[48];
		struct wd_feature *f;

		snprintf(name, sizeof(name), "lsm/%s", wd_lsm_hooks[i].hook);
		f = wd_probe_add(p, name, wd_lsm_hooks[i].need, lr->st[i] == H_SEEN, "%s",
				 lr->why[i]);
		if (f)
			f->absent = lr->st[i] == H_ABSENT;
	}
	/* Features: helpers and maps, loaded and attached (there is nothing for them to refuse). */
	for (size_t i = 0; i < wd_lsm_features_n; i++) {
		const struct wd_lsm_feature *ft = &wd_lsm_features[i];
		struct probe_lsm_bpf *one = NULL;
		struct bpf_program *prog = NULL;
		struct bpf_link *link = NULL;
		char why[200] = "";
		int err = 0;

		if (lr->skel)
			prog = bpf_object__find_program_by_name(lr->skel->obj, ft->probe);
		if (!prog || !bpf_program__autoload(prog)) {
			bool none[64] = {0};

			/* Not in the object that loaded: on its own. */
			one = lsm_open_load(none, ft->probe, &err);
			prog = one ? bpf_object__find_program_by_name(one->obj, ft->probe) : NULL;
			if (!one)
				load_error(why, sizeof(why), err);
		}
		if (prog && !(link = bpf_program__attach(prog)))
			snprintf(why, sizeof(why), "attach failed: %s", strerror(errno));
		if (link && !ok)
			snprintf(why, sizeof(why),
				 "loads and attaches, but LSM programs do not run on this kernel");
		wd_probe_add(p, ft->name, WD_NEED_LSM, link && ok, "%s",
			     link && ok ? ft->yes : why);
		bpf_link__destroy(link);
		probe_lsm_bpf__destroy(one);
	}
	lsm_run_free(lr);
}

bool wd_probe_lsm_enforcing(bool verbose, char *why, size_t len, char *missing, size_t mlen)
{
	char cgroup2[PATH_MAX] = "", absent[256] = "";
	struct lsm_run *lr;
	size_t off = 0, aoff = 0, n_missing = 0;
	bool ok, all = true;

	wd_libbpf_log_init(verbose);
	if (wd_mount_find_self("cgroup2", cgroup2, sizeof(cgroup2)))
		cgroup2[0] = '\0';
	lr = lsm_run(cgroup2, false);
	if (!lr) {
		snprintf(why, len, "out of memory");
		snprintf(missing, mlen, "all");
		return false;
	}
	lsm_summary(lr, &ok, why, len);
	missing[0] = '\0';
	for (size_t i = 0; i < wd_lsm_hooks_n; i++) {
		if (lr->st[i] == H_ABSENT && aoff < sizeof(absent))
			aoff += (size_t)snprintf(absent + aoff, sizeof(absent) - aoff, "%s%s",
						 aoff ? ", " : "", wd_lsm_hooks[i].hook);
		if (lr->st[i] == H_SEEN || lr->st[i] == H_ABSENT)
			continue;
		all = false;
		n_missing++;
		if (off < mlen)
			off += (size_t)snprintf(missing + off, mlen - off, "%s%s", off ? ", " : "",
						wd_lsm_hooks[i].hook);
		if (verbose)
			fprintf(stderr, "warden: lsm/%s: %s\n", wd_lsm_hooks[i].hook, lr->why[i]);
	}
	if (ok && !all)
		snprintf(
			why, len,
			"BPF LSM runs, but %zu hooks warden attaches were not seen refusing a test "
			"child's action (warden probe says why)",
			n_missing);
	else if (ok && absent[0])
		snprintf(why, len,
			 "every LSM hook seen refusing a test child; absent on this kernel (newer "
			 "hooks, nothing to enforce): %s",
			 absent);
	else if (ok)
		snprintf(why, len, "every LSM hook seen refusing a test child");
	lsm_run_free(lr);
	return ok && all;
}

int wd_probe_run(struct wd_probe *p, bool verbose)
{
	struct utsname u;

	memset(p, 0, sizeof(*p));
	if (uname(&u) == 0)
		snprintf(p->kernel, sizeof(p->kernel), "%s %s", u.release, u.machine);
	wd_libbpf_log_init(verbose);

	probe_btf(p);
	probe_mounts(p);
	probe_ringbuf(p);
	probe_cgroup_hooks(p);
	probe_lsm(p);
	return 0;
}

enum wd_probe_verdict wd_probe_verdict(const struct wd_probe *p)
{
	bool core = true, net = true, all = true;

	for (int i = 0; i < p->n; i++) {
		const struct wd_feature *f = &p->feats[i];

		/* A hook this kernel does not have leaves nothing unenforced. */
		if (f->available || f->absent)
			continue;
		all = false;
		if (f->need == WD_NEED_CORE)
			core = false;
		if (f->need == WD_NEED_NETWORK)
			net = false;
	}
	if (p->n == 0 || !core || !net)
		return WD_PROBE_NONE;
	return all ? WD_PROBE_FULL : WD_PROBE_PARTIAL;
}

const char *wd_probe_verdict_name(enum wd_probe_verdict v)
{
	switch (v) {
	case WD_PROBE_FULL:
		return "full";
	case WD_PROBE_PARTIAL:
		return "partial";
	default:
		return "none";
	}
}

const char *wd_need_name(enum wd_need need)
{
	switch (need) {
	case WD_NEED_CORE:
		return "core";
	case WD_NEED_NETWORK:
		return "network";
	case WD_NEED_EVENTS:
		return "events";
	case WD_NEED_LSM:
		return "exec,file,socket";
	case WD_NEED_PINNING:
		return "daemon state";
	case WD_NEED_EXEC:
		return "exec";
	case WD_NEED_FILE:
		return "file";
	case WD_NEED_SOCKET:
		return "socket";
	case WD_NEED_CONFINE:
		return "confinement";
	}
	return "?";
}

static const char *verdict_text(enum wd_probe_verdict v)
{
	switch (v) {
	case WD_PROBE_FULL:
		return "full enforcement: exec, file and network";
	case WD_PROBE_PARTIAL:
		return "partial: network enforcement through cgroup hooks works; features marked "
		       "'no' above are not enforced (warden run refuses policies that need them "
		       "unless --degraded)";
	default:
		return "none: warden cannot enforce here (see the features marked 'no')";
	}
}

void wd_probe_print_table(FILE *f, const struct wd_probe *p)
{
	enum wd_probe_verdict v = wd_probe_verdict(p);

	fprintf(f, "warden %s probe on kernel %s\n\n", WARDEN_VERSION, p->kernel);
	fprintf(f, "%-26s %-4s %-17s %s\n", "FEATURE", "OK", "NEEDED FOR", "DETAIL");
	for (int i = 0; i < p->n; i++)
		fprintf(f, "%-26s %-4s %-17s %s\n", p->feats[i].name,
			p->feats[i].absent	? "n/a"
			: p->feats[i].available ? "yes"
						: "no",
			wd_need_name(p->feats[i].need), p->feats[i].detail);
	fprintf(f, "\nverdict: %s\n", verdict_text(v));
	if (v == WD_PROBE_FULL)
		return;
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->feats[i].name, "bpf_lsm") && !p->feats[i].available)
			fprintf(f,
				"without BPF LSM, not enforced: %s\n"
				"still enforced by the cgroup hooks: %s\n",
				WD_DEGRADED_NOT_ENFORCED, WD_DEGRADED_ENFORCED);
	fputs("missing:", f);
	for (int i = 0, n = 0; i < p->n; i++)
		if (!p->feats[i].available && !p->feats[i].absent)
			fprintf(f, "%s %s", n++ ? "," : "", p->feats[i].name);
	fputc('\n', f);
}

void wd_probe_print_json(FILE *f, const struct wd_probe *p)
{
	enum wd_probe_verdict v = wd_probe_verdict(p);

	fputs("{\"warden_version\":", f);
	wd_json_str(f, WARDEN_VERSION);
	fputs(",\"kernel\":", f);
	wd_json_str(f, p->kernel);
	fputs(",\"cgroup2\":", f);
	wd_json_str(f, p->cgroup2);
	fprintf(f, ",\"verdict\":\"%s\",\"full_enforcement\":%s,\"features\":[",
		wd_probe_verdict_name(v), v == WD_PROBE_FULL ? "true" : "false");
	for (int i = 0; i < p->n; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		wd_json_str(f, p->feats[i].name);
		fprintf(f, ",\"available\":%s,\"absent\":%s,\"needed_for\":",
			p->feats[i].available ? "true" : "false",
			p->feats[i].absent ? "true" : "false");
		wd_json_str(f, wd_need_name(p->feats[i].need));
		fputs(",\"detail\":", f);
		wd_json_str(f, p->feats[i].detail);
		fputc('}', f);
	}
	fputs("]}\n", f);
}
