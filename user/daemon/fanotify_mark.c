// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which mounts rung 4 marks: those of the mount namespaces an adopted sandbox's processes run in,
 * never one of the node's. A permission event makes its caller wait for the daemon, so a mark
 * on a mount the node's own processes use would let a stalled daemon freeze the node; a mount
 * namespace other than the daemon's and pid 1's has mount objects of its own (copies, even of
 * the node's file systems), and a mount mark (FAN_MARK_MOUNT, never FAN_MARK_FILESYSTEM) sees
 * only opens through that mount object, i.e. by processes that resolve paths in that namespace.
 * The node's processes opening the same files through the node's mounts raise no event.
 *
 * A namespace is marked only when, besides, no process outside the sandbox's cgroup runs in it
 * (as far as /proc shows): a daemon in a mount namespace of its own (systemd's PrivateTmp and
 * the like) whose pid 1 it cannot read must not take the node's namespace for a sandbox's.
 *
 * Each mount is reached from the namespace's root (/proc/PID/root) with openat2(RESOLVE_IN_ROOT
 * | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), so a symlink the sandbox plants on a mount
 * point's path cannot lead the mark to a node mount, and the mount reached must have the id the
 * namespace's mountinfo gives (statx STATX_MNT_ID), or it is not marked. Pseudo file systems
 * (proc, sysfs, cgroup, ...) are not marked: the decider reads /proc itself. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "daemon/fanotify_internal.h"
#include "sandbox/rung4.h"

static const char *const pseudo_fs[] = {
	"proc",	   "sysfs",   "cgroup",	    "cgroup2",	 "devpts",     "mqueue",    "bpf",
	"tracefs", "debugfs", "securityfs", "pstore",	 "configfs",   "fusectl",   "binfmt_misc",
	"autofs",  "nsfs",    "efivarfs",   "selinuxfs", "rpc_pipefs", "hugetlbfs",
};

static bool is_pseudo(const char *fstype)
{
	for (size_t i = 0; i < sizeof(pseudo_fs) / sizeof(pseudo_fs[0]); i++)
		if (!strcmp(fstype, pseudo_fs[i]))
			return true;
	return false;
}

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static int open_beneath(int root, const char *path, int flags, bool symlinks)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
			   (symlinks ? 0 : RESOLVE_NO_SYMLINKS),
	};

	while (*path == '/')
		path++;
	return (int)syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof(how));
}

/* Marks the mount @id at @mnt_point of the namespace whose root is @root. 1 marked, 0 not a
 * mount we mark, -errno. */
static int mark_one(struct wd_fan *f, int root, uint64_t id, const char *mnt_point)
{
	struct statx sx;
	char self[64];
	int fd, ret = 0;

	fd = open_beneath(root, mnt_point, O_PATH, false);
	if (fd < 0)
		return -errno;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) || !(sx.stx_mask & STATX_MNT_ID) ||
	    sx.stx_mnt_id != id) {
		ret = -ESTALE; /* not the mount the namespace lists there: never marked */
	} else {
		/* The O_PATH fd's own mount, through its magic link. */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		if (fanotify_mark(f->fd, FAN_MARK_ADD | FAN_MARK_MOUNT,
				  FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM, AT_FDCWD, self))
			ret = -errno;
		else
			ret = 1;
	}
	close(fd);
	return ret;
}

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Reads all of /proc/PID/mountinfo into a new buffer; NULL on error. */
static char *read_all(const char *path, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (!buf || fd < 0)
		goto fail;
	while ((k = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)k;
		if (cap - n < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
	}
	if (k < 0)
		goto fail;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* The exact denies of @cgid's policy, found by (device, inode) in the namespace at @root. */
static void find_inodes(struct wd_fan *f, uint64_t cgid, int root)
{
	struct fan_sb *s;

	pthread_mutex_lock(&f->mu);
	s = fan_sb_find(f, cgid);
	if (s)
		s->inodes_stale = false;
	for (size_t i = 0; s && s->c && i < s->c->n_inode; i++) {
		struct stat st;
		bool dup = false;
		int fd;

		if (s->n_inode >= FAN_INODE_MAX)
			break;
		/* O_PATH: no open event, and symlinks resolve inside the namespace's root. */
		fd = open_beneath(root, s->c->inode[i].path, O_PATH, true);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0) {
			for (size_t k = 0; k < s->n_inode; k++)
				dup |= s->inode[k].dev == st.st_dev && s->inode[k].ino == st.st_ino;
			if (!dup)
				s->inode[s->n_inode++] =
					(struct fan_inode){.dev = st.st_dev,
							   .ino = st.st_ino,
							   .rule = s->c->inode[i].rule};
		}
		close(fd);
	}
	pthread_mutex_unlock(&f->mu);
}

static bool inodes_stale(struct wd_fan *f, uint64_t cgid)
{
	struct fan_sb *s;
	bool stale;

	pthread_mutex_lock(&f->mu);
	s = fan_sb_find(f, cgid);
	stale = s && s->inodes_stale;
	pthread_mutex_unlock(&f->mu);
	return stale;
}

/* Whether every process /proc shows in mount namespace @ns is in the cgroup @cg_path (absolute)
 * or below. *@other: one that is not. */
static bool exclusive(struct wd_fan *f, ino_t ns, const char *cg_path, pid_t *other)
{
	size_t mlen = strlen(f->cgmnt), clen = strlen(cg_path);
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool ok = d != NULL;

	while (ok && (de = readdir(d))) {
		char path[64], rel[PATH_MAX];
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		if (pid <= 0 || stat(path, &st) || st.st_ino != ns ||
		    wd_rung4_pid_cgroup(pid, rel, sizeof(rel)))
			continue;
		/* cgmnt + rel must be cg_path or below it. */
		if (strncmp(cg_path, f->cgmnt, mlen) || strncmp(rel, cg_path + mlen, clen - mlen) ||
		    (rel[clen - mlen] != '\0' && rel[clen - mlen] != '/')) {
			*other = pid;
			ok = false;
		}
	}
	if (d)
		closedir(d);
	return ok;
}

/* Marks the mounts of @pid's namespace @ns unless marked as they are now. */
static int mark_ns(struct wd_fan *f, uint64_t cgid, const char *cg_path, pid_t pid, ino_t ns,
		   char *why, size_t len)
{
	char path[64], *buf, *line, *save = NULL;
	size_t n = 0, slot = f->n_ns;
	uint64_t h;
	pid_t other = 0;
	int root, marked = 0;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	buf = read_all(path, &n);
	if (!buf)
		return -errno;
	h = fnv(buf, n);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		free(buf);
		return -errno;
	}
	for (size_t i = 0; i < f->n_ns; i++)
		if (f->ns[i].ns == ns) {
			if (f->ns[i].hash == h) {
				/* Marked as it is; a new policy's files are looked up still. */
				if (inodes_stale(f, cgid))
					find_inodes(f, cgid, root);
				close(root);
				free(buf);
				return 0;
			}
			slot = i;
		}
	if (!exclusive(f, ns, cg_path, &other)) {
		if (!why[0])
			snprintf(why, len,
				 "the mount namespace of process %d is shared with process %d, "
				 "which is not in the sandbox: not marked",
				 (int)pid, (int)other);
		close(root);
		free(buf);
		return -EBUSY;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mp[PATH_MAX], fstype[64];
		unsigned long long id;
		const char *dash = strstr(line, " - ");
		int r;

		if (!dash || sscanf(line, "%llu %*u %*u:%*u %*s %4095s", &id, mp) != 2 ||
		    sscanf(dash + 3, "%63s", fstype) != 1 || is_pseudo(fstype))
			continue;
		unescape(mp);
		r = mark_one(f, root, id, mp);
		if (r > 0)
			marked++;
		else if (r < 0 && !why[0])
			snprintf(why, len, "mount %llu at %s (%s): %s", id, mp, fstype,
				 strerror(-r));
	}
	find_inodes(f, cgid, root);
	close(root);
	free(buf);
	if (slot == f->n_ns && f->n_ns == FAN_NS_MAX)
		f->n_ns = slot = 0; /* forget all: marking again is harmless */
	if (slot == f->n_ns)
		f->n_ns++;
	f->ns[slot].ns = ns;
	f->ns[slot].hash = h;
	return marked;
}

static int walk(struct wd_fan *f, uint64_t cgid, const char *cg_path_top, const char *dir,
		int depth, pid_t *node_pid, char *why, size_t len)
{
	char path[PATH_MAX], line[32];
	int marked = 0, r;
	FILE *procs;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	procs = fopen(path, "re");
	if (!procs)
		return depth ? 0 : -errno;
	while (fgets(line, sizeof(line), procs)) {
		pid_t pid = (pid_t)strtol(line, NULL, 10);
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		if (pid <= 0 || stat(path, &st))
			continue;
		if (st.st_ino == f->node_ns[0] || st.st_ino == f->node_ns[1]) {
			if (!*node_pid)
				*node_pid = pid;
			continue;
		}
		r = mark_ns(f, cgid, cg_path_top, pid, st.st_ino, why, len);
		if (r > 0)
			marked += r;
		else if (r == -EBUSY && !*node_pid)
			*node_pid =
				pid; /* shared with the node's processes: as good as the node's */
	}
	fclose(procs);
	if (depth < 16) {
		/* Sub-cgroups (a pod's containers): their directories. */
		DIR *d = opendir(dir);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			marked += walk(f, cgid, cg_path_top, path, depth + 1, node_pid, why, len);
		}
		if (d)
			closedir(d);
	}
	return marked;
}

int fan_mark_cgroup(struct wd_fan *f, uint64_t cgid, const char *cg_path, pid_t *node_pid,
		    char *why, size_t len)
{
	*node_pid = 0;
	if (len)
		why[0] = '\0';
	return walk(f, cgid, cg_path, cg_path, 0, node_pid, why, len);
}
