// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Compiling a policy into map entries. Prefix tries are folded so the kernel needs one lookup per
 * map: rules are sorted, and in sorted order every prefix comes before the prefixes it covers,
 * so one pass with a stack of the current chain of covering prefixes folds everything in
 * O(n log n), whatever the number of rules. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile.h"

static const char *const op_names[WD_OP_NR] = {"exec", "files.read", "files.write", "network.unix"};
static const char *const effect_names[WD_EFFECT_NR] = {"allow", "deny"};

/* ---- Compilation state ---------------------------------------------------------------------- */

struct pitem {
	char *path; /* expanded */
	__u32 id;
	__u8 op, effect;
	bool fixed; /* written with ${workdir}: the workdir rule never drops it */
	const struct wd_path_rule *r;
};

struct nitem {
	const struct wd_net_rule *r;
	__u32 id;
	__u8 effect;
};

struct comp {
	const struct wd_policy *p;
	const struct wd_policy_ctx *ctx;
	struct wd_diags *diags;
	struct wd_compiled *c;
	int errors;
	bool oom;
	char *workdir_prefix; /* expanded "${workdir}/" when a workdir rule applies */
	__u8 carve_ops;	      /* ops with a "${workdir}/" allow */
};

__attribute__((format(printf, 3, 4))) static void cerr(struct comp *cs, const struct wd_loc *loc,
						       const char *fmt, ...)
{
	char msg[WD_DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cs->errors++;
	wd_diags_add(cs->diags, cs->p->source, loc ? loc->line : 0, loc ? loc->col : 0, "%s", msg);
}

static char *xasprintf(struct comp *cs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *xasprintf(struct comp *cs, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		cs->oom = true;
		return NULL;
	}
	return s;
}

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

static int compile_exact(struct comp *cs, struct pitem **v, size_t n)
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
static int compile_anchors(struct comp *cs, struct pitem **ex, size_t n_ex, struct pitem **pre,
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

static int compile_prefix(struct comp *cs, struct pitem **v, size_t n)
{
	struct wd_compiled *c = cs->c;
	const char *wd = cs->workdir_prefix;
	size_t i, j, top = 0, wdlen = wd ? strlen(wd) : 0;
	size_t *stack;
	struct own *owns;

	qsort(v, n, sizeof(*v), pitem_cmp);
	c->prefix = calloc(n ? n : 1, sizeof(*c->prefix));
	c->deny_dirs = calloc(n ? n : 1, sizeof(*c->deny_dirs));
	owns = calloc(n ? n : 1, sizeof(*owns));
	stack = calloc(n ? n : 1, sizeof(*stack));
	if (!c->prefix || !c->deny_dirs || !owns || !stack) {
		free(owns);
		free(stack);
		return -ENOMEM;
	}
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
	free(owns);
	free(stack);
	return 0;
}

static int compile_proc(struct comp *cs, struct pitem **v, size_t n)
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

/* ---- Network -------------------------------------------------------------------------------- */

static int nitem_cmp(const void *a, const void *b)
{
	const struct nitem *x = a, *y = b;
	int d = memcmp(x->r->addr, y->r->addr, 16);

	if (d)
		return d;
	if (x->r->plen != y->r->plen)
		return x->r->plen < y->r->plen ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool net_covers(const struct wd_net_rule *a, const struct wd_net_rule *b)
{
	unsigned int full = a->plen / 8, rem = a->plen % 8;

	if (a->plen > b->plen || memcmp(a->addr, b->addr, full) != 0)
		return false;
	return rem == 0 || ((a->addr[full] ^ b->addr[full]) & (__u8)(0xff00 >> rem)) == 0;
}

/* Whether port rule @a never decides anything @b would not decide the same way (deny rules come
 * first, so a deny covering an allow makes the allow dead). */
static bool port_rule_subsumed(const struct wd_port_rule *a, const struct wd_port_rule *b)
{
	if (b->port_lo > a->port_lo || b->port_hi < a->port_hi)
		return false;
	if (b->proto != WD_PROTO_ANY && b->proto != a->proto)
		return false;
	return b->verdict == WD_V_DENY || b->verdict == a->verdict;
}

/* Drops subsumed rules from @r (keeping the earlier of two equal ones), then orders denies
 * first; returns the new count. */
static size_t port_rules_reduce(struct wd_port_rule *r, size_t n)
{
	size_t i, j, k = 0;
	int pass;

	for (i = 0; i < n; i++) {
		bool dead = false;

		for (j = 0; j < n && !dead; j++) {
			if (i == j || !port_rule_subsumed(&r[i], &r[j]))
				continue;
			/* Two rules subsuming each other are equal but for the id: keep one. */
			dead = !port_rule_subsumed(&r[j], &r[i]) || j < i;
		}
		if (!dead)
			r[k++] = r[i];
	}
	/* Stable: denies, then allows. */
	for (pass = 0, n = k, k = 0; pass < 2; pass++) {
		__u8 want = pass == 0 ? WD_V_DENY : WD_V_ALLOW;

		for (i = k; i < n; i++) {
			if (r[i].verdict == want) {
				struct wd_port_rule t = r[i];

				memmove(&r[k + 1], &r[k], (i - k) * sizeof(*r));
				r[k++] = t;
			}
		}
	}
	return n;
}

static void net_text(const struct wd_net_rule *r, char *buf, size_t size)
{
	size_t i, off;

	off = (size_t)snprintf(buf, size, "%s", r->text);
	if (!(r->n_ports == 1 && r->ports[0].lo == 0 && r->ports[0].hi == 65535)) {
		for (i = 0; i < r->n_ports && off < size; i++) {
			if (r->ports[i].lo == r->ports[i].hi)
				off += (size_t)snprintf(buf + off, size - off, "%s%u",
							i ? "," : " ports ", r->ports[i].lo);
			else
				off += (size_t)snprintf(buf + off, size - off, "%s%u-%u",
							i ? "," : " ports ", r->ports[i].lo,
							r->ports[i].hi);
		}
	}
	if (off < size && r->proto != WD_PROTO_ANY)
		snprintf(buf + off, size - off, " %s", r->proto == WD_PROTO_TCP ? "tcp" : "udp");
}

static int compile_net(struct comp *cs, struct nitem *v, size_t n)
{
	struct wd_compiled *c = cs->c;
	struct wd_port_rule *tmp = NULL;
	size_t i, j, top = 0, tmp_cap = 0;
	size_t *stack, *starts;
	bool *overflow;
	int ret = -ENOMEM;

	qsort(v, n, sizeof(*v), nitem_cmp);
	c->net = calloc(n ? n : 1, sizeof(*c->net));
	stack = calloc(n ? n : 1, sizeof(*stack));   /* entry indexes */
	starts = calloc(n ? n : 1, sizeof(*starts)); /* entry index -> its first item */
	overflow = calloc(n ? n : 1, sizeof(*overflow));
	if (!c->net || !stack || !starts || !overflow)
		goto out;
	for (i = 0; i < n; i = j) {
		size_t idx = c->n_net++, m = 0, k, own_n = 0;
		struct wd_net_entry *e = &c->net[idx];
		const struct wd_net_rule *r = v[i].r;

		starts[idx] = i;
		for (j = i; j < n && v[j].r->plen == r->plen && !memcmp(v[j].r->addr, r->addr, 16);
		     j++)
			own_n += v[j].r->n_ports;
		if (own_n + WD_NET_RULES_MAX > tmp_cap) {
			struct wd_port_rule *t;

			tmp_cap = own_n + WD_NET_RULES_MAX;
			t = realloc(tmp, tmp_cap * sizeof(*t));
			if (!t)
				goto out;
			tmp = t;
		}
		for (k = i; k < j; k++) {
			size_t q;

			for (q = 0; q < v[k].r->n_ports; q++) {
				struct wd_port_rule *pr = &tmp[m++];

				memset(pr, 0, sizeof(*pr));
				pr->port_lo = v[k].r->ports[q].lo;
				pr->port_hi = v[k].r->ports[q].hi;
				pr->proto = v[k].r->proto;
				pr->verdict = v[k].effect == WD_DENY ? WD_V_DENY : WD_V_ALLOW;
				pr->rule_id = v[k].id;
			}
		}
		/* The chain of covering prefixes is on the stack; its top is the nearest, and its
		 * rules already include those of all the others. */
		while (top > 0 && !net_covers(v[starts[stack[top - 1]]].r, r))
			top--;
		if (top > 0) {
			const struct wd_net_entry *parent = &c->net[stack[top - 1]];

			if (overflow[stack[top - 1]]) {
				overflow[idx] = true; /* reported there */
			} else {
				memcpy(&tmp[m], parent->rules.r, parent->rules.n * sizeof(*tmp));
				m += parent->rules.n;
			}
		}
		stack[top++] = idx;
		e->key.prefixlen = 32 + r->plen;
		e->key.policy_id = c->policy_id;
		memcpy(e->key.addr, r->addr, 16);
		if (overflow[idx])
			continue;
		m = port_rules_reduce(tmp, m);
		if (m > WD_NET_RULES_MAX) {
			overflow[idx] = true;
			cerr(cs, &r->loc,
			     "too many port rules for %s: %zu apply to it (with those of the "
			     "prefixes that cover it); at most %d",
			     r->text, m, WD_NET_RULES_MAX);
			continue;
		}
		memcpy(e->rules.r, tmp, m * sizeof(*tmp));
		e->rules.n = (__u32)m;
	}
	ret = 0;
out:
	free(tmp);
	free(stack);
	free(starts);
	free(overflow);
	return ret;
}

/* Abstract socket rules: a short list the kernel goes through (deny wins). */
static void compile_abstract(struct comp *cs, __u32 *next_id)
{
	const struct wd_policy *p = cs->p;
	struct wd_compiled *c = cs->c;
	int e;

	for (e = 0; e < WD_EFFECT_NR; e++) {
		for (size_t k = 0; k < p->abstract[e].n; k++) {
			const struct wd_abstract_src *r = &p->abstract[e].v[k];
			struct wd_abstract_rule *a;
			__u32 id = (*next_id)++;

			c->rule_text[id - c->first_rule_id] =
				xasprintf(cs, "%s:%d:%d network %s abstract %s", p->source,
					  r->loc.line, r->loc.col, effect_names[e], r->text);
			if (c->n_abstract == WD_ABSTRACT_MAX) {
				cerr(cs, &r->loc,
				     "too many abstract socket rules: at most %d in one policy",
				     WD_ABSTRACT_MAX);
				continue;
			}
			a = &c->abstract[c->n_abstract++];
			memset(a, 0, sizeof(*a));
			memcpy(a->name, r->name, r->len);
			a->len = r->len;
			a->prefix = r->prefix;
			a->verdict = e == WD_DENY ? WD_V_DENY : WD_V_ALLOW;
			a->rule_id = id;
		}
	}
}

/* ---- The whole policy ----------------------------------------------------------------------- */

void wd_compiled_free(struct wd_compiled *c)
{
	__u32 i;

	if (!c)
		return;
	free(c->exact);
	free(c->prefix);
	free(c->proc);
	free(c->net);
	free(c->inode);
	free(c->deny_dirs);
	if (c->rule_text)
		for (i = 0; i < c->n_rules; i++)
			free(c->rule_text[i]);
	free(c->rule_text);
	free(c->workdir);
	free(c);
}

const char *wd_compiled_rule_text(const struct wd_compiled *c, __u32 rule_id)
{
	if (rule_id < c->first_rule_id || rule_id - c->first_rule_id >= c->n_rules)
		return NULL;
	return c->rule_text[rule_id - c->first_rule_id];
}

/* Checks a variable the policy uses: known, absolute, normalised, and (for ${home}) not "/". */
static bool check_var(struct comp *cs, const char *name, const char *val, bool home)
{
	const struct wd_path_rule *first = NULL;
	char out[WD_PATH_EXPAND_MAX], why_buf[160];
	const char *why;
	int op, e;
	size_t i;

	for (op = 0; op < WD_OP_NR && !first; op++)
		for (e = 0; e < WD_EFFECT_NR && !first; e++)
			for (i = 0; i < cs->p->paths[op][e].n && !first; i++) {
				const struct wd_path_rule *r = &cs->p->paths[op][e].v[i];

				if (home ? r->uses_home : r->uses_workdir)
					first = r;
			}
	if (!first)
		return true;
	if (!val) {
		cerr(cs, &first->loc,
		     "the policy uses ${%s} (first here), but the %s is not known; give it to "
		     "compile this policy",
		     name, home ? "home directory" : "workdir");
		return false;
	}
	if (val[0] != '/' ||
	    wd_path_expand(val, NULL, out, sizeof(out), why_buf, sizeof(why_buf), &why)) {
		cerr(cs, &first->loc, "${%s} is \"%.100s\": not a usable absolute path", name, val);
		return false;
	}
	if (home && strcmp(out, "/") == 0) {
		cerr(cs, &first->loc,
		     "${home} is \"/\": rules written with ${home} need a real home directory");
		return false;
	}
	return true;
}

static void rule_text_path(struct comp *cs, const struct pitem *it)
{
	const struct wd_path_rule *r = it->r;
	char **slot = &cs->c->rule_text[it->id - cs->c->first_rule_id];

	if (it->op == WD_OP_UNIX)
		*slot = xasprintf(cs, "%s:%d:%d network %s unix %s%s%s%s", cs->p->source,
				  r->loc.line, r->loc.col, effect_names[it->effect], r->text,
				  strcmp(r->text, it->path) ? " (" : "",
				  strcmp(r->text, it->path) ? it->path : "",
				  strcmp(r->text, it->path) ? ")" : "");
	else if (strcmp(r->text, it->path) != 0 && r->kind != WD_PATH_PROC)
		*slot = xasprintf(cs, "%s:%d:%d %s %s %s (%s)", cs->p->source, r->loc.line,
				  r->loc.col, op_names[it->op], effect_names[it->effect], r->text,
				  it->path);
	else
		*slot = xasprintf(cs, "%s:%d:%d %s %s %s", cs->p->source, r->loc.line, r->loc.col,
				  op_names[it->op], effect_names[it->effect], r->text);
}

static int expand_paths(struct comp *cs, struct pitem *items, struct pitem **by_kind[3],
			size_t nk[3], __u32 *next_id)
{
	const struct wd_policy *p = cs->p;
	char out[WD_PATH_EXPAND_MAX], why_buf[160];
	size_t i, n = 0;
	int op, e;

	for (op = 0; op < WD_OP_NR; op++) {
		for (e = 0; e < WD_EFFECT_NR; e++) {
			for (i = 0; i < p->paths[op][e].n; i++) {
				const struct wd_path_rule *r = &p->paths[op][e].v[i];
				struct pitem *it = &items[n++];
				size_t max = r->kind == WD_PATH_PREFIX
						     ? sizeof(((struct wd_prefix_key *)0)->path)
						     : sizeof(((struct wd_path_key *)0)->path);
				const char *why;
				int ret;

				it->id = (*next_id)++;
				it->op = (__u8)op;
				it->effect = (__u8)e;
				it->fixed = r->uses_workdir;
				it->r = r;
				if (r->kind == WD_PATH_PROC) {
					it->path = strdup(r->text + strlen("/proc/*/"));
				} else {
					ret = wd_path_expand(r->text, cs->ctx, out, sizeof(out),
							     why_buf, sizeof(why_buf), &why);
					if (ret) {
						cerr(cs, &r->loc, "bad path \"%s\" in %s.%s: %s",
						     r->text, op_names[op], effect_names[e], why);
						continue;
					}
					if (strlen(out) > max - 1) {
						cerr(cs, &r->loc,
						     "path \"%.60s...\" in %s.%s is %zu bytes long "
						     "after expansion; at most %zu are allowed",
						     out, op_names[op], effect_names[e],
						     strlen(out), max - 1);
						continue;
					}
					it->path = strdup(out);
				}
				if (!it->path)
					return -ENOMEM;
				rule_text_path(cs, it);
				by_kind[r->kind][nk[r->kind]++] = it;
			}
		}
	}
	return 0;
}

int wd_policy_compile(const struct wd_policy *p, const struct wd_policy_ctx *ctx, __u32 policy_id,
		      __u32 first_rule_id, struct wd_compiled **out, struct wd_diags *diags)
{
	struct comp cs = {.p = p, .ctx = ctx, .diags = diags};
	struct pitem *items = NULL, **by_kind[3] = {NULL, NULL, NULL};
	size_t n_paths = 0, nk[3] = {0, 0, 0}, i, first_diag = diags->n;
	struct nitem *nitems = NULL;
	struct wd_compiled *c;
	__u32 next_id = first_rule_id;
	int op, e, ret = -ENOMEM;
	bool wd_ok, home_ok;

	*out = NULL;
	if (!p || first_rule_id == WD_RULE_DEFAULT || policy_id >= WD_POLICIES_MAX)
		return -EINVAL;
	if (p->n_rules > WD_RULES_MAX || first_rule_id > WD_RULES_MAX - p->n_rules) {
		wd_diags_add(diags, p->source, 0, 0,
			     "the policy has %zu rules; with rule ids from %u they do not fit in "
			     "the %d rule ids there are",
			     p->n_rules, first_rule_id, WD_RULES_MAX);
		return -ENOSPC;
	}
	wd_ok = check_var(&cs, "workdir", ctx ? ctx->workdir : NULL, false);
	home_ok = check_var(&cs, "home", ctx ? ctx->home : NULL, true);
	if (!wd_ok || !home_ok)
		return -EINVAL;

	c = cs.c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->policy_id = policy_id;
	c->first_rule_id = first_rule_id;
	c->n_rules = (__u32)p->n_rules;
	c->rule_text = calloc(p->n_rules ? p->n_rules : 1, sizeof(*c->rule_text));
	c->cfg.flags = WD_POL_VALID | (p->audit ? WD_POL_AUDIT : 0) |
		       (p->allow_fileless ? WD_POL_ALLOW_FILELESS : 0);
	c->cfg.families = p->families;
	c->cfg.raw_families = p->raw_families;
	if (!c->rule_text)
		goto out;

	/* The workdir rule applies to the ops with a "${workdir}/" allow. */
	for (op = 0; op < WD_OP_NR; op++)
		for (i = 0; i < p->paths[op][WD_ALLOW].n; i++)
			if (p->paths[op][WD_ALLOW].v[i].workdir_root)
				cs.carve_ops |= (__u8)(1u << op);
	if (cs.carve_ops) {
		char buf[WD_PATH_EXPAND_MAX], why_buf[160];
		const char *why;

		/* A workdir that does not expand is reported with the rule that uses it. */
		if (!wd_path_expand("${workdir}/", ctx, buf, sizeof(buf), why_buf, sizeof(why_buf),
				    &why)) {
			c->workdir = strdup(buf);
			if (!c->workdir)
				goto out;
		}
		cs.workdir_prefix = c->workdir;
	}

	for (op = 0; op < WD_OP_NR; op++)
		for (e = 0; e < WD_EFFECT_NR; e++)
			n_paths += p->paths[op][e].n;
	items = calloc(n_paths ? n_paths : 1, sizeof(*items));
	for (i = 0; i < 3; i++)
		by_kind[i] = calloc(n_paths ? n_paths : 1, sizeof(*by_kind[i]));
	nitems = calloc(p->net[0].n + p->net[1].n + 1, sizeof(*nitems));
	if (!items || !by_kind[0] || !by_kind[1] || !by_kind[2] || !nitems)
		goto out;
	ret = expand_paths(&cs, items, by_kind, nk, &next_id);
	if (ret)
		goto out;

	for (e = 0, i = 0; e < WD_EFFECT_NR; e++) {
		size_t k;

		for (k = 0; k < p->net[e].n; k++) {
			const struct wd_net_rule *r = &p->net[e].v[k];
			struct nitem *it = &nitems[i++];
			char text[256];

			it->r = r;
			it->id = next_id++;
			it->effect = (__u8)e;
			net_text(r, text, sizeof(text));
			c->rule_text[it->id - first_rule_id] =
				xasprintf(&cs, "%s:%d:%d network %s %s", p->source, r->loc.line,
					  r->loc.col, effect_names[e], text);
		}
	}
	if (p->to_sandbox) {
		c->cfg.sandbox_rule = next_id++;
		c->rule_text[c->cfg.sandbox_rule - first_rule_id] =
			xasprintf(&cs, "%s:%d:%d network allow sandbox (its own listeners)",
				  p->source, p->sandbox_loc.line, p->sandbox_loc.col);
	}
	compile_abstract(&cs, &next_id);
	ret = -ENOMEM;
	if (cs.oom)
		goto out;
	if (cs.errors) {
		ret = -EINVAL;
		goto out;
	}
	if (compile_exact(&cs, by_kind[WD_PATH_EXACT], nk[WD_PATH_EXACT]) ||
	    compile_anchors(&cs, by_kind[WD_PATH_EXACT], nk[WD_PATH_EXACT], by_kind[WD_PATH_PREFIX],
			    nk[WD_PATH_PREFIX]) ||
	    compile_prefix(&cs, by_kind[WD_PATH_PREFIX], nk[WD_PATH_PREFIX]) ||
	    compile_proc(&cs, by_kind[WD_PATH_PROC], nk[WD_PATH_PROC]) ||
	    compile_net(&cs, nitems, i))
		goto out;
	ret = cs.errors ? -EINVAL : 0;
out:
	for (i = 0; items && i < n_paths; i++)
		free(items[i].path);
	free(items);
	for (i = 0; i < 3; i++)
		free(by_kind[i]);
	free(nitems);
	wd_diags_sort(diags, first_diag);
	if (ret) {
		wd_compiled_free(c);
		return ret;
	}
	*out = c;
	return 0;
}
