// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3's mount plan (see mounts.h). */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/syscall.h"
#include "policy/compile.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"

#define WRITE_DIR_MARK	WD_LL_MAKE_REG /* a directory rule with it is a writable tree */
#define COREDUMP_FILTER "/proc/self/coredump_filter"

struct minfo {
	unsigned major, minor;
	char *root, *point, *opts, *fstype;
};

/* The mount table, in mountinfo's order (a mount stacked on another comes after it). */
struct mtab {
	struct minfo *m;
	char **lines;
	size_t n, cap;
};

static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* Fields 3 (major:minor), 4 (root), 5 (mount point) and 6 (per-mount options) of one line, and
 * the file system type after the "-" that ends the optional fields, in place. */
static int parse_line(char *line, struct minfo *m)
{
	char *save = NULL, *tok;
	int field = 0;
	bool dash = false;

	memset(m, 0, sizeof(*m));
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 3 && sscanf(tok, "%u:%u", &m->major, &m->minor) != 2)
			return -EINVAL;
		if (field == 4)
			m->root = tok;
		else if (field == 5)
			m->point = tok;
		else if (field == 6)
			m->opts = tok;
		else if (field > 6 && dash) {
			m->fstype = tok;
			break;
		} else if (field > 6 && strcmp(tok, "-") == 0)
			dash = true;
	}
	if (field < 6)
		return -EINVAL;
	unescape(m->root);
	unescape(m->point);
	return 0;
}

static void mtab_free(struct mtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i]);
	free(t->lines);
	free(t->m);
	memset(t, 0, sizeof(*t));
}

static int mtab_read(FILE *mountinfo, struct mtab *t)
{
	char *line = NULL;
	size_t lcap = 0;

	memset(t, 0, sizeof(*t));
	while (getline(&line, &lcap, mountinfo) > 0) {
		if (t->n == t->cap) {
			size_t nc = t->cap ? 2 * t->cap : 64;
			struct minfo *nm = realloc(t->m, nc * sizeof(*nm));
			char **nl = nm ? realloc(t->lines, nc * sizeof(*nl)) : NULL;

			if (nm)
				t->m = nm;
			if (!nl) {
				free(line);
				mtab_free(t);
				return -ENOMEM;
			}
			t->lines = nl;
			t->cap = nc;
		}
		t->lines[t->n] = line;
		line = NULL;
		lcap = 0;
		if (!parse_line(t->lines[t->n], &t->m[t->n]))
			t->n++;
		else
			free(t->lines[t->n]);
	}
	free(line);
	return 0;
}

static bool has_opt(const char *opts, const char *o)
{
	size_t len = strlen(o);

	for (const char *s = opts; s && *s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL)
		if (strncmp(s, o, len) == 0 && (s[len] == ',' || s[len] == '\0'))
			return true;
	return false;
}

static bool under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/* The mount @path is on: the longest mount point above it, the top one of a stack. */
static const struct minfo *mount_of(const struct mtab *t, const char *path)
{
	const struct minfo *best = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (under(path, t->m[i].point) &&
		    (!best || strlen(t->m[i].point) >= strlen(best->point)))
			best = &t->m[i];
	return best;
}

static int add_op(struct wd_mount_plan *p, enum wd_mount_kind kind, const char *path,
		  unsigned long flags)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct wd_mount_op *v = realloc(p->ops, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->ops = v;
		p->cap = cap;
	}
	p->ops[p->n].path = strdup(path);
	if (!p->ops[p->n].path)
		return -ENOMEM;
	p->ops[p->n].kind = kind;
	p->ops[p->n].flags = flags;
	p->n++;
	return 0;
}

/* Whether a rule of @ll on @path or a directory above it grants one of @rights (for a file rule:
 * of @file_rights). */
static bool covered(const struct wd_ll_plan *ll, const char *path, __u64 rights, __u64 file_rights)
{
	for (size_t i = 0; i < ll->n_rules; i++) {
		const struct wd_ll_rule *r = &ll->rules[i];
		size_t len = strlen(r->path);

		if (!(r->access & (r->dir ? rights : file_rights)))
			continue;
		if (strncmp(path, r->path, len) == 0 &&
		    (path[len] == '\0' ||
		     (r->dir && (path[len] == '/' || strcmp(r->path, "/") == 0))))
			return true;
	}
	return false;
}

/* Whether @path is at or beneath a guard of @ll with one of @kinds. */
static bool guarded(const struct wd_ll_plan *ll, const char *path, unsigned kinds)
{
	for (size_t i = 0; i < ll->n_guards; i++)
		if ((ll->guards[i].kind & kinds) && under(path, ll->guards[i].path))
			return true;
	return false;
}

/* The flags of a mount at @path that lies on (or is) the host's mount @m: what the host gave it,
 * never more, and of that only what the rules give at @path. Device files need no writable
 * mount (writes to them are not file-system writes), so a file system of device nodes never
 * gets one: chmod and chown there would reach the host's nodes (/dev/pts/ptmx). Nor do cgroupfs
 * and bpffs, whatever the write rules say, as on rung 1 (bpf/lsm/file.bpf.h): a write to
 * cgroup.procs is how a task would leave its sandbox, and bpffs holds warden's pins. */
static unsigned long flags_at(const struct wd_ll_plan *ll, const struct minfo *m, const char *path)
{
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID;
	const char *fs = m && m->fstype ? m->fstype : "";

	if (!m || has_opt(m->opts, "ro") || strcmp(fs, "devpts") == 0 ||
	    strcmp(fs, "devtmpfs") == 0 || strcmp(fs, "cgroup2") == 0 ||
	    strcmp(fs, "cgroup") == 0 || strcmp(fs, "bpf") == 0 ||
	    !covered(ll, path, WRITE_DIR_MARK, WD_LL_WRITE_FILE) ||
	    guarded(ll, path, WD_LL_GUARD_RO | WD_LL_GUARD_MASK))
		flags |= MS_RDONLY;
	if (!m || has_opt(m->opts, "noexec") || !covered(ll, path, WD_LL_EXECUTE, WD_LL_EXECUTE))
		flags |= MS_NOEXEC;
	if (m && has_opt(m->opts, "nodev"))
		flags |= MS_NODEV;
	if (guarded(ll, path, WD_LL_GUARD_RO))
		flags |= MS_NODEV; /* a device node in a write-denied tree is not written either */
	if (m && has_opt(m->opts, "noatime"))
		flags |= MS_NOATIME;
	if (m && has_opt(m->opts, "nodiratime"))
		flags |= MS_NODIRATIME;
	if (m && has_opt(m->opts, "relatime"))
		flags |= MS_RELATIME;
	if (m && has_opt(m->opts, "strictatime"))
		flags |= MS_STRICTATIME;
	return flags;
}

/* One bind of step 2: a rule's tree or a guard. */
struct bind {
	const char *path;
	bool mask, dir;
};

static int bind_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bind *)a)->path, ((const struct bind *)b)->path);
}

/* The binds of step 2, sorted by path (parents first): each tree the job may write or run from
 * that has a rule of its own, and each guard. */
static int collect_binds(const struct wd_ll_plan *ll, struct bind **out, size_t *n)
{
	struct bind *v = calloc(ll->n_rules + ll->n_guards + 1, sizeof(*v));
	size_t k = 0, i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < ll->n_rules; i++) {
		const struct wd_ll_rule *r = &ll->rules[i];
		struct stat st;

		/* Only where a rule of its own starts a writable or executable tree. */
		if (!(r->access & (WRITE_DIR_MARK | WD_LL_WRITE_FILE | WD_LL_EXECUTE)) ||
		    wd_landlock_plan_guard(ll, r->path))
			continue;
		if (!r->dir && (lstat(r->path, &st) || !S_ISREG(st.st_mode)))
			continue;
		v[k++] = (struct bind){.path = r->path, .dir = r->dir};
	}
	for (i = 0; i < ll->n_guards; i++)
		if (ll->guards[i].kind & ~WD_LL_GUARD_ABSENT)
			v[k++] = (struct bind){.path = ll->guards[i].path,
					       .mask = ll->guards[i].kind & WD_LL_GUARD_MASK,
					       .dir = ll->guards[i].dir};
	qsort(v, k, sizeof(*v), bind_cmp);
	*out = v;
	*n = k;
	return 0;
}

int wd_mounts_plan(FILE *mountinfo, const struct wd_ll_plan *ll, struct wd_mount_plan *out,
		   char *why, size_t size)
{
	const struct minfo *proc;
	struct bind *binds = NULL;
	struct mtab t;
	size_t i, n_binds = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = mtab_read(mountinfo, &t);
	if (!err)
		err = collect_binds(ll, &binds, &n_binds);
	/* 1. Every mount as the rules say at its mount point: read-only but where the job may
	 * write, noexec but where it may run, nosuid; never more than the host gave it. */
	for (i = 0; !err && i < t.n; i++)
		err = add_op(out, WD_MNT_REMOUNT, t.m[i].point,
			     flags_at(ll, &t.m[i], t.m[i].point));
	/* 2. The trees the job may write or run from that start below a mount point, parents
	 * first, and the guards: a pinned name or a write-denied tree bound onto itself. */
	for (i = 0; !err && i < n_binds; i++)
		if (!binds[i].mask)
			err = add_op(out, WD_MNT_BIND, binds[i].path,
				     flags_at(ll, mount_of(&t, binds[i].path), binds[i].path));
	/* 3. Masks: the read-denied guards, and the names in read-denied directories under a
	 * listable tree (a writable one stays: the job may write there, so an empty mount would
	 * break it). */
	for (i = 0; !err && i < n_binds; i++)
		if (binds[i].mask)
			err = add_op(out, binds[i].dir ? WD_MNT_MASK : WD_MNT_MASK_FILE,
				     binds[i].path, 0);
	for (i = 0; !err && i < ll->n_masks; i++)
		if (!covered(ll, ll->masks[i], WRITE_DIR_MARK, WD_LL_WRITE_FILE) &&
		    !guarded(ll, ll->masks[i], WD_LL_GUARD_MASK))
			err = add_op(out, WD_MNT_MASK, ll->masks[i], 0);
	/* 4. The job's own /proc/self/coredump_filter, writable (Landlock grants it to the
	 * process's own inode only; wd_landlock_restrict). */
	proc = mount_of(&t, "/proc");
	if (!err && proc && strcmp(proc->point, "/proc") == 0 && proc->fstype &&
	    strcmp(proc->fstype, "proc") == 0)
		err = add_op(out, WD_MNT_BIND, COREDUMP_FILTER,
			     MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	free(binds);
	mtab_free(&t);
	if (err) {
		snprintf(why, size, "planning the sandbox's mounts: %s", strerror(-err));
		wd_mounts_free(out);
	}
	return err;
}

void wd_mounts_free(struct wd_mount_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->ops[i].path);
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

/* ---- Aliases -------------------------------------------------------------------------------- */

/* Where the mount @n shows the object at @fspath of its file system (under its root), in @out. */
static void shown_at(const struct minfo *n, const char *fspath, char *out, size_t size)
{
	const char *rel = fspath + (strcmp(n->root, "/") ? strlen(n->root) : 0);

	snprintf(out, size, "%s%s", strcmp(n->point, "/") ? n->point : (*rel ? "" : "/"), rel);
}

/* A mount of @t that shows some of the file-system tree at @fspath of device @major:@minor (a
 * denied object, with everything beneath it when @dir) outside @obj, the path where the sandbox
 * sees it: its root lies above @fspath and shows it elsewhere, or (@dir) its root lies beneath
 * @fspath and its mount point is elsewhere. Its mount point goes to @other. */
static bool shows_elsewhere(const struct mtab *t, unsigned major, unsigned minor,
			    const char *fspath, bool dir, const char *obj, char *other, size_t size)
{
	char at[PATH_MAX];

	for (size_t i = 0; i < t->n; i++) {
		const struct minfo *n = &t->m[i];

		if (n->major != major || n->minor != minor)
			continue;
		if (under(fspath, n->root))
			shown_at(n, fspath, at, sizeof(at));
		else if (dir && under(n->root, fspath))
			snprintf(at, sizeof(at), "%s", n->point);
		else
			continue;
		if (!under(at, obj)) {
			snprintf(other, size, "%s", n->point);
			return true;
		}
	}
	return false;
}

/* @obj (a denied path, dev @dev): the mount it is seen through is the one with the longest mount
 * point above it; its path in its file system is that mount's root plus the rest. Any mount of
 * the same device that shows that path, or (a directory) something beneath it, somewhere else
 * is an alias; and so is a mount of the device of any mount inside a denied directory (a
 * Kubernetes secret volume) that shows it elsewhere. */
static bool alias_of(const struct mtab *t, const char *obj, dev_t dev, bool dir, char *other,
		     size_t size)
{
	const struct minfo *seen = NULL;
	char fspath[PATH_MAX];
	size_t i;

	for (i = 0; i < t->n; i++)
		if (makedev(t->m[i].major, t->m[i].minor) == dev && under(obj, t->m[i].point) &&
		    (!seen || strlen(t->m[i].point) >= strlen(seen->point)))
			seen = &t->m[i];
	if (seen) {
		snprintf(fspath, sizeof(fspath), "%s%s", strcmp(seen->root, "/") ? seen->root : "",
			 obj + (strcmp(seen->point, "/") ? strlen(seen->point) : 0));
		if (!fspath[0])
			snprintf(fspath, sizeof(fspath), "/");
		if (shows_elsewhere(t, seen->major, seen->minor, fspath, dir, obj, other, size))
			return true;
	}
	for (i = 0; dir && i < t->n; i++)
		if (strcmp(t->m[i].point, obj) && under(t->m[i].point, obj) &&
		    shows_elsewhere(t, t->m[i].major, t->m[i].minor, t->m[i].root, true, obj, other,
				    size))
			return true;
	return false;
}

int wd_mounts_check_aliases(FILE *mountinfo, const struct wd_compiled *c, char *why, size_t size)
{
	char other[PATH_MAX];
	struct mtab t;
	size_t i;
	int err = mtab_read(mountinfo, &t);

	for (i = 0; !err && i < c->n_inode + c->n_deny_dirs; i++) {
		const struct wd_file_rule *fr =
			i < c->n_inode ? &c->inode[i].rule : &c->deny_dirs[i - c->n_inode].rule;
		const char *obj =
			i < c->n_inode ? c->inode[i].path : c->deny_dirs[i - c->n_inode].path;
		char path[PATH_MAX];
		struct stat st;
		int op;

		snprintf(path, sizeof(path), "%s", obj);
		if (strlen(path) > 1 && path[strlen(path) - 1] == '/')
			path[strlen(path) - 1] = '\0';
		for (op = WD_OP_READ; op <= WD_OP_WRITE; op++) {
			const char *rule;

			if (fr->verdict[op] != WD_V_DENY || lstat(path, &st) ||
			    !alias_of(&t, path, st.st_dev, S_ISDIR(st.st_mode), other,
				      sizeof(other)))
				continue;
			rule = wd_compiled_rule_text(c, fr->rule_id[op]);
			snprintf(why, size,
				 "%s: rung 3 (Landlock) cannot enforce this deny: the mount at %s "
				 "shows %s%s under another name, which Landlock would not deny "
				 "(BPF LSM decides by inode); unmount it, or run where BPF LSM is "
				 "available",
				 rule ? rule : "a deny rule", other, path,
				 S_ISDIR(st.st_mode) ? " (or what is in it)" : "");
			err = -EPERM;
			break;
		}
	}
	mtab_free(&t);
	return err;
}

/* ---- The node's sockets ---------------------------------------------------------------------- */

/* Whether @p already covers @path with a file mask. */
static bool masked(const struct wd_mount_plan *p, const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].kind == WD_MNT_MASK_FILE && strcmp(p->ops[i].path, path) == 0)
			return true;
	return false;
}

/* @path (a socket, @st) and every other name the mount table gives it: another mount of its file
 * system whose root holds it (a bind of its directory elsewhere), where that name is the same
 * file now. */
static int cover_socket(const struct mtab *t, const char *path, const struct stat *st,
			struct wd_mount_plan *out)
{
	const struct minfo *seen = mount_of(t, path);
	char fspath[PATH_MAX], at[PATH_MAX];
	struct stat ast;
	int err = masked(out, path) ? 0 : add_op(out, WD_MNT_MASK_FILE, path, 0);

	if (err || !seen)
		return err;
	snprintf(fspath, sizeof(fspath), "%s%s", strcmp(seen->root, "/") ? seen->root : "",
		 path + (strcmp(seen->point, "/") ? strlen(seen->point) : 0));
	for (size_t i = 0; !err && i < t->n; i++) {
		const struct minfo *n = &t->m[i];

		if (n == seen || n->major != seen->major || n->minor != seen->minor ||
		    !under(fspath, n->root))
			continue;
		shown_at(n, fspath, at, sizeof(at));
		if (strcmp(at, path) && !lstat(at, &ast) && S_ISSOCK(ast.st_mode) &&
		    ast.st_dev == st->st_dev && ast.st_ino == st->st_ino && !masked(out, at))
			err = add_op(out, WD_MNT_MASK_FILE, at, 0);
	}
	return err;
}

int wd_mounts_plan_sockets(FILE *mountinfo, char *const *paths, size_t n, struct wd_mount_plan *out,
			   char *why, size_t size)
{
	struct mtab t;
	int err = mtab_read(mountinfo, &t);

	for (size_t i = 0; !err && i < n; i++) {
		struct stat st;

		if (!lstat(paths[i], &st) && S_ISSOCK(st.st_mode))
			err = cover_socket(&t, paths[i], &st, out);
	}
	mtab_free(&t);
	if (err)
		snprintf(why, size, "planning the covers of the node's sockets: %s",
			 strerror(-err));
	return err;
}

/* ---- Applying (in the child: no allocation) ---------------------------------------------------
 */

int wd_mounts_apply_self(const struct wd_mount_plan *p, char *why, size_t size)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct wd_mount_op *o = &p->ops[i];

		if (o->kind != WD_MNT_BIND || strncmp(o->path, "/proc/self/", 11) != 0)
			continue;
		if (mount(o->path, o->path, NULL, MS_BIND, NULL) ||
		    mount(NULL, o->path, NULL, o->flags, NULL)) {
			if (errno == ENOENT)
				continue;
			snprintf(why, size, "bind-mounting %s: %s", o->path, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

int wd_mounts_apply(const struct wd_mount_plan *p, char *why, size_t size)
{
	char cwd[PATH_MAX];

	/* The working directory is a (mount, dentry) pair: taken again at the end, so that it is
	 * seen through the new mounts. */
	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(why, size, "getcwd: %s", strerror(errno));
		return -errno;
	}
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		snprintf(why, size, "a mount namespace of its own: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct wd_mount_op *o = &p->ops[i];
		int r = 0;

		switch (o->kind) {
		case WD_MNT_REMOUNT:
			r = mount(NULL, o->path, NULL, o->flags, NULL);
			/* A mount point hidden under a later mount, or gone: nothing to remount. */
			if (r && (errno == ENOENT || errno == EINVAL))
				r = 0;
			break;
		case WD_MNT_BIND:
			r = mount(o->path, o->path, NULL, MS_BIND | MS_REC, NULL);
			if (!r)
				r = mount(NULL, o->path, NULL, o->flags, NULL);
			else if (errno == ENOENT)
				r = 0; /* gone since planning: nothing to grant */
			break;
		case WD_MNT_MASK:
			r = mount("warden-mask", o->path, "tmpfs",
				  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000,size=4k");
			if (r && errno == ENOENT)
				r = 0;
			break;
		case WD_MNT_MASK_FILE:
			/* A device node on a nodev mount: every open of it fails (EACCES). */
			r = mount("/dev/null", o->path, NULL, MS_BIND, NULL);
			if (!r)
				r = mount(NULL, o->path, NULL,
					  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
						  MS_NOEXEC,
					  NULL);
			else if (errno == ENOENT)
				r = 0;
			break;
		}
		if (r) {
			int err = -errno;

			snprintf(why, size, "%s %s: %s",
				 o->kind == WD_MNT_REMOUNT ? "remounting"
				 : o->kind == WD_MNT_BIND  ? "binding"
							   : "masking",
				 o->path, strerror(errno));
			return err;
		}
	}
	if (chdir(cwd)) {
		snprintf(why, size, "returning to %s: %s", cwd, strerror(errno));
		return -errno;
	}
	return 0;
}

size_t wd_mounts_rofs_calls(unsigned *nrs, size_t max)
{
	/* Every change to names, modes, owners, times, attributes and sizes: what the kernel
	 * refuses with EROFS on a read-only mount. Not opens for writing: their EROFS has no path
	 * to tell a job's write to /etc from a JVM's harmless one to its own
	 * /proc/PID/coredump_filter (read-only there for every process but the first,
	 * docs/policy.md), which every Java start would report. */
	static const unsigned calls[] = {
		__NR_mkdir,	   __NR_mkdirat,      __NR_mknod,     __NR_mknodat,
		__NR_rmdir,	   __NR_unlink,	      __NR_unlinkat,  __NR_rename,
		__NR_renameat,	   __NR_renameat2,    __NR_link,      __NR_linkat,
		__NR_symlink,	   __NR_symlinkat,    __NR_chmod,     __NR_fchmod,
		__NR_fchmodat,	   __NR_fchmodat2,    __NR_chown,     __NR_fchown,
		__NR_lchown,	   __NR_fchownat,     __NR_truncate,  __NR_ftruncate,
		__NR_utime,	   __NR_utimes,	      __NR_utimensat, __NR_futimesat,
		__NR_setxattr,	   __NR_lsetxattr,    __NR_fsetxattr, __NR_removexattr,
		__NR_lremovexattr, __NR_fremovexattr, __NR_fallocate, __NR_copy_file_range,
	};
	const size_t n = sizeof(calls) / sizeof(calls[0]);

	for (size_t i = 0; i < n && i < max; i++)
		nrs[i] = calls[i];
	return n;
}
