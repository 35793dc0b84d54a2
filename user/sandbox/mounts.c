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
#include <sys/sysmacros.h>
#include <unistd.h>

#include "policy/compile.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"

#define WRITE_DIR_MARK WD_LL_MAKE_REG /* a directory rule with it is a writable tree */

struct minfo {
	unsigned major, minor;
	char *root, *point, *opts;
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

/* Fields 3 (major:minor), 4 (root), 5 (mount point) and 6 (per-mount options) of one line, in
 * place. */
static int parse_line(char *line, struct minfo *m)
{
	char *save = NULL, *tok;
	int field = 0;

	memset(m, 0, sizeof(*m));
	for (tok = strtok_r(line, " \n", &save); tok && field < 6;
	     tok = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 3 && sscanf(tok, "%u:%u", &m->major, &m->minor) != 2)
			return -EINVAL;
		if (field == 4)
			m->root = tok;
		else if (field == 5)
			m->point = tok;
		else if (field == 6)
			m->opts = tok;
	}
	if (field < 6)
		return -EINVAL;
	unescape(m->root);
	unescape(m->point);
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

int wd_mounts_plan(FILE *mountinfo, const struct wd_ll_plan *ll, struct wd_mount_plan *out,
		   char *why, size_t size)
{
	char *line = NULL;
	size_t cap = 0, i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	/* 1. Every mount read-only, noexec and nosuid, keeping its nodev and atime flags. */
	while (!err && getline(&line, &cap, mountinfo) > 0) {
		struct minfo m;
		unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOEXEC | MS_NOSUID;

		if (parse_line(line, &m))
			continue;
		if (has_opt(m.opts, "nodev"))
			flags |= MS_NODEV;
		if (has_opt(m.opts, "noatime"))
			flags |= MS_NOATIME;
		if (has_opt(m.opts, "nodiratime"))
			flags |= MS_NODIRATIME;
		if (has_opt(m.opts, "relatime"))
			flags |= MS_RELATIME;
		if (has_opt(m.opts, "strictatime"))
			flags |= MS_STRICTATIME;
		err = add_op(out, WD_MNT_REMOUNT, m.point, flags);
	}
	free(line);
	/* 2. The trees the job may write or run from, parents first (the rules are sorted):
	 * writable where it may write, executable where it may run, nosuid everywhere. Device
	 * files need no writable mount (writes to them are not file-system writes). */
	for (i = 0; !err && i < ll->n_rules; i++) {
		const struct wd_ll_rule *r = &ll->rules[i];
		bool w = covered(ll, r->path, WRITE_DIR_MARK, WD_LL_WRITE_FILE);
		bool x = covered(ll, r->path, WD_LL_EXECUTE, WD_LL_EXECUTE);
		unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID;
		struct stat st;

		/* Only where a rule of its own starts a writable or executable tree. */
		if (!(r->access & (WRITE_DIR_MARK | WD_LL_WRITE_FILE | WD_LL_EXECUTE)))
			continue;
		if (!r->dir && (lstat(r->path, &st) || !S_ISREG(st.st_mode)))
			continue;
		if (!w)
			flags |= MS_RDONLY;
		if (!x)
			flags |= MS_NOEXEC;
		err = add_op(out, WD_MNT_BIND, r->path, flags);
	}
	/* 3. Names in read-denied directories under a listable tree; a writable one stays (the
	 * job may write there, so an empty mount would break it). */
	for (i = 0; !err && i < ll->n_masks; i++)
		if (!covered(ll, ll->masks[i], WRITE_DIR_MARK, WD_LL_WRITE_FILE))
			err = add_op(out, WD_MNT_MASK, ll->masks[i], 0);
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

static bool under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/* @obj (a denied path, dev @dev): the mount it is seen through is the one with the longest mount
 * point above it; its path in its file system is that mount's root plus the rest. Another mount
 * of the same device whose root is above that path shows it under another name. */
static int alias_of(struct minfo *m, size_t n, const char *obj, dev_t dev, char *other, size_t size)
{
	const struct minfo *seen = NULL;
	char fspath[PATH_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		if (makedev(m[i].major, m[i].minor) == dev && under(obj, m[i].point) &&
		    (!seen || strlen(m[i].point) >= strlen(seen->point)))
			seen = &m[i];
	if (!seen)
		return 0;
	snprintf(fspath, sizeof(fspath), "%s%s", strcmp(seen->root, "/") ? seen->root : "",
		 obj + (strcmp(seen->point, "/") ? strlen(seen->point) : 0));
	for (i = 0; i < n; i++) {
		if (&m[i] == seen || makedev(m[i].major, m[i].minor) != dev ||
		    !under(fspath, m[i].root))
			continue;
		if (strcmp(m[i].point, seen->point) == 0 && strcmp(m[i].root, seen->root) == 0)
			continue; /* the same view stacked twice */
		snprintf(other, size, "%s", m[i].point);
		return 1;
	}
	return 0;
}

int wd_mounts_check_aliases(FILE *mountinfo, const struct wd_compiled *c, char *why, size_t size)
{
	struct minfo *m = NULL;
	char **lines = NULL, *line = NULL, other[PATH_MAX];
	size_t n = 0, cap = 0, lcap = 0, i;
	int err = 0;

	while (getline(&line, &lcap, mountinfo) > 0) {
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			struct minfo *nm = realloc(m, nc * sizeof(*nm));
			char **nl = nm ? realloc(lines, nc * sizeof(*nl)) : NULL;

			if (nm)
				m = nm;
			if (!nl) {
				err = -ENOMEM;
				goto out;
			}
			lines = nl;
			cap = nc;
		}
		lines[n] = line;
		line = NULL;
		lcap = 0;
		if (!parse_line(lines[n], &m[n]))
			n++;
		else
			free(lines[n]);
	}
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
			    !alias_of(m, n, path, st.st_dev, other, sizeof(other)))
				continue;
			rule = wd_compiled_rule_text(c, fr->rule_id[op]);
			snprintf(why, size,
				 "%s: rung 3 (Landlock) cannot enforce this deny: the mount at %s "
				 "shows %s under another name, which Landlock would not deny (BPF "
				 "LSM decides by inode); unmount it, or run where BPF LSM is "
				 "available",
				 rule ? rule : "a deny rule", other, path);
			err = -EPERM;
			break;
		}
	}
out:
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(m);
	free(line);
	return err;
}

/* ---- Applying (in the child: no allocation) ---------------------------------------------------
 */

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
