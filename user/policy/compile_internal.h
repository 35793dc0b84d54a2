/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of the policy compiler share and nobody outside sees: the compilation's state
 * and the stages wd_policy_compile (compile.c) runs: folding the path rules (compile_paths.c)
 * and the network rules (compile_net.c). */
#ifndef WD_POLICY_COMPILE_INTERNAL_H
#define WD_POLICY_COMPILE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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

__attribute__((format(printf, 3, 4))) static inline void
cerr(struct comp *cs, const struct wd_loc *loc, const char *fmt, ...)
{
	char msg[WD_DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cs->errors++;
	wd_diags_add(cs->diags, cs->p->source, loc ? loc->line : 0, loc ? loc->col : 0, "%s", msg);
}

static inline char *xasprintf(struct comp *cs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline char *xasprintf(struct comp *cs, const char *fmt, ...)
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

/* ---- The stages ----------------------------------------------------------------------------- */

/* The entries of each kind of path rule, from the items of that kind (sorted in place), into
 * cs->c (compile_paths.c). Each returns 0 or -ENOMEM. wd_compile_anchors runs after
 * wd_compile_exact, on the same items, and adds the names on the way to denied paths. */
int wd_compile_exact(struct comp *cs, struct pitem **v, size_t n);
int wd_compile_anchors(struct comp *cs, struct pitem **ex, size_t n_ex, struct pitem **pre,
		       size_t n_pre);
int wd_compile_prefix(struct comp *cs, struct pitem **v, size_t n);
int wd_compile_proc(struct comp *cs, struct pitem **v, size_t n);

/* A network rule as its description shows it: the address, ports and protocol
 * (compile_net.c). */
void wd_compile_net_text(const struct wd_net_rule *r, char *buf, size_t size);
/* wd_net entries from @v (sorted in place); 0 or -ENOMEM, too many port rules on a prefix is an
 * error through cerr (compile_net.c). */
int wd_compile_net(struct comp *cs, struct nitem *v, size_t n);
/* The abstract socket rules, with their rule ids from *@next_id (compile_net.c). */
void wd_compile_abstract(struct comp *cs, __u32 *next_id);

#endif
