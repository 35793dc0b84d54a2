// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Compiling network rules into map entries: addresses into wd_net LPM entries, each folded with
 * the port rules of the prefixes that cover it (as compile_paths.c folds path prefixes), and the
 * abstract socket rules into a list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/compile_internal.h"

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

void wd_compile_net_text(const struct wd_net_rule *r, char *buf, size_t size)
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

int wd_compile_net(struct comp *cs, struct nitem *v, size_t n)
{
	struct wd_compiled *c = cs->c;
	_cleanup_free_ struct wd_port_rule *tmp = NULL;
	/* stack: entry indexes; starts: entry index -> its first item. */
	_cleanup_free_ size_t *stack = calloc(n ? n : 1, sizeof(*stack));
	_cleanup_free_ size_t *starts = calloc(n ? n : 1, sizeof(*starts));
	_cleanup_free_ bool *overflow = calloc(n ? n : 1, sizeof(*overflow));
	size_t i, j, top = 0, tmp_cap = 0;

	qsort(v, n, sizeof(*v), nitem_cmp);
	c->net = calloc(n ? n : 1, sizeof(*c->net));
	if (!c->net || !stack || !starts || !overflow)
		return -ENOMEM;
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
				return -ENOMEM;
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
	return 0;
}

/* Abstract socket rules: a short list the kernel goes through (deny wins). */
void wd_compile_abstract(struct comp *cs, __u32 *next_id)
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
