// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The denies Landlock cannot hold by name alone (see landlock.h): a denied file with other hard
 * links (the policy is refused), and a deny inside a tree the job may write, held by the mount
 * plan instead of by expanding the tree (guards). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/compile.h"
#include "sandbox/landlock.h"
#include "sandbox/landlock_internal.h"

/* ---- Hard links of denied files ------------------------------------------------------------ */

static int refuse_links(struct wd_ll_planner *pl, const char *path, nlink_t nlink, __u32 rule_id)
{
	const char *rule = wd_compiled_rule_text(pl->c, rule_id);

	snprintf(pl->why, pl->size,
		 "%s: rung 3 (Landlock) cannot enforce this deny: %s has %lu hard links, and "
		 "Landlock decides by name, so the other names would stay open (BPF LSM decides "
		 "by inode); remove the other links, or run where BPF LSM is available",
		 rule ? rule : "a deny rule", path, (unsigned long)nlink);
	return -EPERM;
}

struct walk_ctx {
	struct wd_ll_planner *pl;
	const char *dir, *top; /* @top: the denied directory walked */
	__u32 rule_id;
	size_t *n;
};

static int walk_entry(void *arg, const char *name, unsigned char type)
{
	struct walk_ctx *w = arg, sub = *w;
	char path[PATH_MAX];
	mode_t mode;
	nlink_t nlink;
	int err;

	(void)type;
	if (++*w->n > WD_LL_WALK_MAX) {
		const char *rule = wd_compiled_rule_text(w->pl->c, w->rule_id);

		snprintf(w->pl->why, w->pl->size,
			 "%s: rung 3 (Landlock) cannot enforce this deny: %s holds more than %d "
			 "entries, too many to check that none has a hard link elsewhere (Landlock "
			 "decides by name; BPF LSM by inode); deny a smaller directory, or run "
			 "where "
			 "BPF LSM is available",
			 rule ? rule : "a deny rule", w->top, WD_LL_WALK_MAX);
		return -EPERM;
	}
	if (snprintf(path, sizeof(path), "%s/%s", w->dir, name) >= (int)sizeof(path) ||
	    w->pl->fs->lstat(w->pl->fs->arg, path, &mode, &nlink))
		return 0;
	if (S_ISREG(mode) && nlink > 1)
		return refuse_links(w->pl, path, nlink, w->rule_id);
	if (!S_ISDIR(mode))
		return 0;
	sub.dir = path;
	err = w->pl->fs->list(w->pl->fs->arg, path, walk_entry, &sub);
	/* A directory that cannot be listed here cannot be listed by the job either. */
	return err == -EPERM || err == -ENOMEM ? err : 0;
}

/* Files denied by name (read or write) that have other names: Landlock would deny only this one
 * name. Checked for the exact denies and every file in the denied directories (at most
 * WD_LL_WALK_MAX entries each, else the policy is refused). */
int wd_ll_check_links(struct wd_ll_planner *pl)
{
	const struct wd_compiled *c = pl->c;
	size_t i;
	mode_t mode;
	nlink_t nlink;
	int op, err;

	for (i = 0; i < c->n_inode; i++) {
		const struct wd_inode_candidate *ic = &c->inode[i];

		for (op = WD_OP_READ; op <= WD_OP_WRITE; op++)
			if (ic->rule.verdict[op] == WD_V_DENY &&
			    !pl->fs->lstat(pl->fs->arg, ic->path, &mode, &nlink) && S_ISREG(mode) &&
			    nlink > 1)
				return refuse_links(pl, ic->path, nlink, ic->rule.rule_id[op]);
	}
	for (i = 0; i < c->n_deny_dirs; i++) {
		const struct wd_deny_dir *dd = &c->deny_dirs[i];
		char dir[PATH_MAX];
		size_t len = strlen(dd->path), n = 0;

		for (op = WD_OP_READ; op <= WD_OP_WRITE; op++) {
			struct walk_ctx w = {.pl = pl, .dir = dir, .top = dd->path, .n = &n};

			if (dd->rule.verdict[op] != WD_V_DENY || len < 2 || len >= sizeof(dir))
				continue;
			memcpy(dir, dd->path, len - 1); /* without the trailing '/' */
			dir[len - 1] = '\0';
			w.rule_id = dd->rule.rule_id[op];
			err = pl->fs->list(pl->fs->arg, dir, walk_entry, &w);
			if (err == -EPERM || err == -ENOMEM)
				return err;
			break;
		}
	}
	return 0;
}

/* ---- Guards: denies held by mounts ----------------------------------------------------------- */

/* Whether the job may make, remove and rename names in @dir: the write rules grant beneath it. */
static bool writable_dir(const struct wd_compiled *c, const char *dir)
{
	return wd_compiled_beneath(c, dir, WD_OP_WRITE, NULL) == WD_V_ALLOW;
}

/* @path's parent in @out ("/" for "/x"); false for "/". */
static bool parent_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash || strcmp(path, "/") == 0 || (size_t)(slash - path) + 2 > size)
		return false;
	if (slash == path) {
		out[0] = '/';
		out[1] = '\0';
		return true;
	}
	memmove(out, path, (size_t)(slash - path)); /* @out may be @path */
	out[slash - path] = '\0';
	return true;
}

static int add_guard(struct wd_ll_planner *pl, const char *path, unsigned kind, bool dir)
{
	struct wd_ll_plan *p = pl->p;

	for (size_t i = 0; i < p->n_guards; i++)
		if (strcmp(p->guards[i].path, path) == 0) {
			p->guards[i].kind |= kind;
			return 0;
		}
	if (wd_ll_grow((void **)&p->guards, &p->cap_guards, p->n_guards, sizeof(*p->guards)))
		return -ENOMEM;
	p->guards[p->n_guards].path = strdup(path);
	if (!p->guards[p->n_guards].path)
		return -ENOMEM;
	p->guards[p->n_guards].kind = kind;
	p->guards[p->n_guards].dir = dir;
	p->n_guards++;
	return 0;
}

/* A deny of @op on @rpath (a prefix's path ends in '/'): held by a mount when the path exists as
 * what the rule names (a file for an exact rule, a directory for a prefix) and some directory
 * above it is one the job may write, where expanding the tree for Landlock would leave it no
 * rights for the names the job makes. A read deny of a path absent there is waived (a job that
 * makes it reads its own file). A write deny of an absent path stays with Landlock (making it is
 * the attack: ~/.bash_profile), at the price of no new names in its directory; so does a deny
 * the workdir rule lifts beneath (@except): a mount would cover the workdir too. */
static int guard_deny(struct wd_ll_planner *pl, const char *rpath, int op, bool except)
{
	char path[PATH_MAX], up[PATH_MAX];
	size_t len = strlen(rpath);
	bool prefix = len > 1 && rpath[len - 1] == '/';
	unsigned kind = op == WD_OP_READ ? WD_LL_GUARD_MASK : WD_LL_GUARD_RO;
	mode_t mode;
	nlink_t nlink;

	if (except || len >= sizeof(path) || strcmp(rpath, "/") == 0)
		return 0;
	memcpy(path, rpath, len + 1);
	if (prefix)
		path[len - 1] = '\0';
	if (pl->fs->lstat(pl->fs->arg, path, &mode, &nlink) == -ENOENT) {
		if (op != WD_OP_READ)
			return 0;
		kind = WD_LL_GUARD_ABSENT;
	} else if (pl->fs->lstat(pl->fs->arg, path, &mode, &nlink) ||
		   !(prefix ? S_ISDIR(mode) : S_ISREG(mode))) {
		return 0;
	}
	snprintf(up, sizeof(up), "%s", path);
	while (parent_of(up, up, sizeof(up)))
		if (writable_dir(pl->c, up))
			return add_guard(pl, path, kind, prefix);
	return 0;
}

/* With mounts: the guarded denies, then every existing name a deny keeps in place (the anchors:
 * each denied path and the directories on the way to it) whose directory the job may write, as
 * a mount point of its own: rename(2), rmdir(2) and unlink(2) of a mount point fail (EBUSY). */
int wd_ll_plan_guards(struct wd_ll_planner *pl)
{
	const struct wd_compiled *c = pl->c;
	char up[PATH_MAX];
	size_t i;
	int op, err = 0;

	for (i = 0; !err && i < c->n_exact; i++)
		for (op = WD_OP_READ; !err && op <= WD_OP_WRITE; op++)
			if (c->exact[i].rule.verdict[op] == WD_V_DENY)
				err = guard_deny(pl, c->exact[i].key.path, op, false);
	for (i = 0; !err && i < c->n_deny_dirs; i++) {
		const struct wd_deny_dir *dd = &c->deny_dirs[i];

		for (op = WD_OP_READ; !err && op <= WD_OP_WRITE; op++)
			if (dd->rule.verdict[op] == WD_V_DENY)
				err = guard_deny(pl, dd->path, op,
						 dd->except && (dd->except_ops & (1u << op)));
	}
	for (i = 0; !err && i < c->n_exact; i++) {
		const char *path = c->exact[i].key.path;
		mode_t mode;
		nlink_t nlink;

		if (!(c->exact[i].rule.flags & WD_FR_ANCHOR) || !parent_of(path, up, sizeof(up)) ||
		    !writable_dir(c, up) || pl->fs->lstat(pl->fs->arg, path, &mode, &nlink) ||
		    !(S_ISDIR(mode) || S_ISREG(mode)))
			continue;
		err = add_guard(pl, path, WD_LL_GUARD_PIN, S_ISDIR(mode));
	}
	return err;
}

static int guard_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wd_ll_guard *)a)->path, ((const struct wd_ll_guard *)b)->path);
}

const struct wd_ll_guard *wd_landlock_plan_guard(const struct wd_ll_plan *p, const char *path)
{
	struct wd_ll_guard key = {.path = (char *)path};

	return p->n_guards ? bsearch(&key, p->guards, p->n_guards, sizeof(key), guard_cmp) : NULL;
}

void wd_ll_sort_guards(struct wd_ll_plan *p)
{
	if (p->n_guards)
		qsort(p->guards, p->n_guards, sizeof(*p->guards), guard_cmp);
}

bool wd_ll_guarded(const struct wd_ll_planner *pl, const char *path, int op)
{
	const struct wd_ll_plan *p = pl->p;
	unsigned want = op == WD_OP_READ ? WD_LL_GUARD_MASK | WD_LL_GUARD_ABSENT
					 : WD_LL_GUARD_RO | WD_LL_GUARD_MASK;

	if (op == WD_OP_EXEC)
		return false;
	for (size_t i = 0; i < p->n_guards; i++) {
		const char *g = p->guards[i].path;
		size_t len = strlen(g);

		if ((p->guards[i].kind & want) && strncmp(path, g, len) == 0 &&
		    (path[len] == '\0' || path[len] == '/'))
			return true;
	}
	return false;
}
