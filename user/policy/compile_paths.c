// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Compiling path rules (exec, files, network's unix:) into map entries. Prefix tries are folded so
 * the kernel needs one lookup per map: rules are sorted, and in sorted order every prefix comes
 * before the prefixes it covers, so one pass with a stack of the current chain of covering prefixes
 * folds everything in O(n log n), whatever the number of rules. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/compile_internal.h"

static int pitem_cmp(const void *a, const void *b)
{
	const struct pitem *x = *(const struct pitem *const *)a,
			   *y = *(const struct pitem *const *)b;
	int d = strcmp(x->path, y->path);

	if (d)
		return d;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void set_verdict(struct wd_file_rule *fr, int op, __u8 v, __u32 id)
{
	fr->verdict[op] = v;
	fr->rule_id[op] = v == WD_V_NONE ? WD_RULE_DEFAULT : id;
}

/* Own rules of one path, over all its items: the first (lowest id) allow and deny per op. */
struct own {
	__u32 allow[WD_OP_NR], deny[WD_OP_NR], deny_fixed[WD_OP_NR];
};

static void own_collect(struct own *o, struct pitem **v, size_t n)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < n; i++) {
		const struct pitem *it = v[i];

		if (it->effect == WD_ALLOW) {
			if (!o->allow[it->op])
				o->allow[it->op] = it->id;
		} else {
			if (!o->deny[it->op])
				o->deny[it->op] = it->id;
			if (it->fixed && !o->deny_fixed[it->op])
				o->deny_fixed[it->op] = it->id;
		}
	}
}

static void own_rule(const struct own *o, struct wd_file_rule *fr)
{
	int op;

	memset(fr, 0, sizeof(*fr));
	for (op = 0; op < WD_OP_NR; op++) {
		if (o->deny[op])
			set_verdict(fr, op, WD_V_DENY, o->deny[op]);
		else if (o->allow[op])
			set_verdict(fr, op, WD_V_ALLOW, o->allow[op]);
	}
}

static void deny_only(const struct wd_file_rule *in, struct wd_file_rule *out)
{
	int op;

	memset(out, 0, sizeof(*out));
	for (op = 0; op < WD_OP_NR; op++)
		if (in->verdict[op] == WD_V_DENY)
			set_verdict(out, op, WD_V_DENY, in->rule_id[op]);
}

static bool any_deny(const struct wd_file_rule *fr)
{
	int op;

	for (op = 0; op < WD_OP_NR; op++)
		if (fr->verdict[op] == WD_V_DENY)
			return true;
	return false;
}

/* The end of the run of equal paths that starts at @i in sorted @v. */
static size_t group_end(struct pitem **v, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && strcmp(v[j]->path, v[i]->path) == 0)
		j++;
	return j;
}

int wd_compile_exact(struct comp *cs, struct pitem **v, size_t n)
{
	struct wd_compiled *c = cs->c;
	size_t i, j, k;

	qsort(v, n, sizeof(*v), pitem_cmp);
	c->exact = calloc(n ? n : 1, sizeof(*c->exact));
	if (!c->exact)
		return -ENOMEM;
	for (i = 0; i < n; i = j) {
		struct wd_exact_entry *e = &c->exact[c->n_exact++];
		struct own o;

		j = group_end(v, n, i);
		own_collect(&o, v + i, j - i);
		e->key.policy_id = c->policy_id;
		strcpy(e->key.path, v[i]->path); /* length checked; the rest stays zero */
		own_rule(&o, &e->rule);
	}
	for (i = 0; i < c->n_exact; i++)
		if (any_deny(&c->exact[i].rule))
			c->n_inode++;
	c->inode = calloc(c->n_inode ? c->n_inode : 1, sizeof(*c->inode));
	if (!c->inode)
		return -ENOMEM;
	for (i = 0, k = 0; i < c->n_exact; i++) {
		if (!any_deny(&c->exact[i].rule))
			continue;
		c->inode[k].path = c->exact[i].key.path;
		deny_only(&c->exact[i].rule, &c->inode[k].rule);
		k++;
	}
	return 0;
}

/* A name on the way to a denied path, and the deny rule it serves. */
struct anch {
	char *path;
	__u32 id;
};

static int anch_cmp(const void *a, const void *b)
{
	const struct anch *x = a, *y = b;
	int d = strcmp(x->path, y->path);

	return d ? d : x->id < y->id ? -1 : x->id > y->id;
}

static int exact_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct wd_exact_entry *)elem)->key.path);
}

/* Every read or write deny rule's path (without its trailing '/') and each of its ancestors but
 * "/" become anchors (WD_FR_ANCHOR): a job whose write rules cover the home directory must still
 * not rename ~/.ssh, or the home directory around it, away from the rules that protect it. Sorted
 * and merged with the exact entries (sorted by compile_exact), new ones appended. */
int wd_compile_anchors(struct comp *cs, struct pitem **ex, size_t n_ex, struct pitem **pre,
		       size_t n_pre)
{
	struct wd_compiled *c = cs->c;
	size_t n0 = c->n_exact, n = 0, cap = 0, i, k, fresh = 0;
	char path[sizeof(((struct wd_path_key *)0)->path)];
	struct anch *v = NULL;
	int err = -ENOMEM;

	for (k = 0; k < n_ex + n_pre; k++) {
		const struct pitem *it = k < n_ex ? ex[k] : pre[k - n_ex];
		size_t len;

		if (it->effect == WD_ALLOW || it->op == WD_OP_EXEC || it->op == WD_OP_UNIX)
			continue;
		len = strlen(it->path);
		if (len >= sizeof(path))
			continue; /* no exact key can hold it, nor then a name to guard */
		memcpy(path, it->path, len + 1);
		while (len > 1 && path[len - 1] == '/')
			path[--len] = '\0';
		while (len > 1) {
			if (n == cap) {
				struct anch *nv;

				cap = cap ? 2 * cap : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					goto out;
				v = nv;
			}
			v[n].path = strdup(path);
			v[n].id = it->id;
			if (!v[n].path)
				goto out;
			n++;
			while (len > 0 && path[len - 1] != '/')
				len--;
			if (len > 1)
				len--; /* the '/' before the last component */
			path[len] = '\0';
		}
	}
	qsort(v, n, sizeof(*v), anch_cmp);
	for (i = 0; i < n; i++)
		if (!(i && strcmp(v[i].path, v[i - 1].path) == 0) &&
		    !bsearch(v[i].path, c->exact, n0, sizeof(*c->exact), exact_key_cmp))
			fresh++;
	if (fresh) {
		struct wd_exact_entry *ne = realloc(c->exact, (n0 + fresh) * sizeof(*ne));

		if (!ne)
			goto out;
		c->exact = ne;
	}
	for (i = 0; i < n; i++) {
		struct wd_exact_entry *e;

		if (i && strcmp(v[i].path, v[i - 1].path) == 0)
			continue; /* the lowest rule id of a name stands for it */
		e = bsearch(v[i].path, c->exact, n0, sizeof(*c->exact), exact_key_cmp);
		if (!e) {
			e = &c->exact[c->n_exact++];
			memset(e, 0, sizeof(*e));
			e->key.policy_id = c->policy_id;
			strcpy(e->key.path, v[i].path); /* shorter than its rule's own path */
		}
		if (e->rule.verdict[WD_OP_WRITE] == WD_V_NONE)
			e->rule.rule_id[WD_OP_WRITE] = v[i].id;
		e->rule.flags |= WD_FR_ANCHOR;
	}
	/* The protected-file candidates point into c->exact, which may have moved; the entries
	 * they stand for kept their order. */
	for (i = 0, k = 0; i < c->n_exact && k < c->n_inode; i++)
		if (any_deny(&c->exact[i].rule))
			c->inode[k++].path = c->exact[i].key.path;
	err = 0;
out:
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	return err;
}

static bool is_prefix_of(const char *pre, size_t len, const char *s)
{
	return strncmp(pre, s, len) == 0;
}

int wd_compile_prefix(struct comp *cs, struct pitem **v, size_t n)
{
	struct wd_compiled *c = cs->c;
	const char *wd = cs->workdir_prefix;
	size_t i, j, top = 0, wdlen = wd ? strlen(wd) : 0;
	_cleanup_free_ size_t *stack = calloc(n ? n : 1, sizeof(*stack));
	_cleanup_free_ struct own *owns = calloc(n ? n : 1, sizeof(*owns));

	qsort(v, n, sizeof(*v), pitem_cmp);
	c->prefix = calloc(n ? n : 1, sizeof(*c->prefix));
	c->deny_dirs = calloc(n ? n : 1, sizeof(*c->deny_dirs));
	if (!c->prefix || !c->deny_dirs || !owns || !stack)
		return -ENOMEM;
	for (i = 0; i < n; i = j) {
		size_t idx = c->n_prefix++, len = strlen(v[i]->path);
		struct wd_prefix_entry *e = &c->prefix[idx];
		const struct wd_file_rule *parent = NULL;
		struct own *o = &owns[idx];
		struct wd_file_rule mine;
		bool at_wd = wd && strcmp(v[i]->path, wd) == 0;
		int op;

		j = group_end(v, n, i);
		own_collect(o, v + i, j - i);
		e->key.prefixlen = 32 + 8 * (__u32)len;
		e->key.policy_id = c->policy_id;
		strcpy(e->key.path, v[i]->path);

		/* The chain of covering prefixes is on the stack; its top is the nearest. */
		while (top > 0) {
			const struct wd_prefix_entry *t = &c->prefix[stack[top - 1]];

			if (is_prefix_of(t->key.path, (t->key.prefixlen - 32) / 8, e->key.path))
				break;
			top--;
		}
		if (top > 0)
			parent = &c->prefix[stack[top - 1]].rule;
		stack[top++] = idx;

		for (op = 0; op < WD_OP_NR; op++) {
			if (at_wd && (cs->carve_ops & (1u << op))) {
				/* The workdir rule: denies of the directories that contain the
				 * workdir stop here. */
				if (o->deny_fixed[op])
					set_verdict(&e->rule, op, WD_V_DENY, o->deny_fixed[op]);
				else
					set_verdict(&e->rule, op, WD_V_ALLOW, o->allow[op]);
			} else if (o->deny[op]) {
				set_verdict(&e->rule, op, WD_V_DENY, o->deny[op]);
			} else if (parent && parent->verdict[op] == WD_V_DENY) {
				set_verdict(&e->rule, op, WD_V_DENY, parent->rule_id[op]);
			} else if (o->allow[op]) {
				set_verdict(&e->rule, op, WD_V_ALLOW, o->allow[op]);
			} else if (parent) {
				set_verdict(&e->rule, op, parent->verdict[op], parent->rule_id[op]);
			}
		}

		own_rule(o, &mine);
		if (any_deny(&mine)) {
			struct wd_deny_dir *d = &c->deny_dirs[c->n_deny_dirs++];

			d->path = e->key.path;
			deny_only(&mine, &d->rule);
			if (wd && is_prefix_of(e->key.path, len, wd) && len <= wdlen) {
				for (op = 0; op < WD_OP_NR; op++)
					if ((cs->carve_ops & (1u << op)) && o->deny[op] &&
					    !(len == wdlen && o->deny_fixed[op]))
						d->except_ops |= (__u8)(1u << op);
				if (d->except_ops)
					d->except = wd;
			}
		}
	}
	return 0;
}

int wd_compile_proc(struct comp *cs, struct pitem **v, size_t n)
{
	struct wd_compiled *c = cs->c;
	size_t i, j;

	qsort(v, n, sizeof(*v), pitem_cmp);
	c->proc = calloc(n ? n : 1, sizeof(*c->proc));
	if (!c->proc)
		return -ENOMEM;
	for (i = 0; i < n; i = j) {
		struct wd_proc_entry *e = &c->proc[c->n_proc++];
		struct own o;

		j = group_end(v, n, i);
		own_collect(&o, v + i, j - i);
		e->key.policy_id = c->policy_id;
		strcpy(e->key.name, v[i]->path);
		own_rule(&o, &e->rule);
	}
	return 0;
}
