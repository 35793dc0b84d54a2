// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's fold of a compiled policy, in C: what the BPF programs decide for a resolved path
 * (bpf/lsm/file_rules.bpf.h), for mechanisms that are planned in userspace (Landlock, mounts).
 * Linear scans: a compiled policy has tens of path entries, and planners ask per directory. */
#include <string.h>

#include "policy/compile.h"

static const struct wd_file_rule *exact_rule(const struct wd_compiled *c, const char *path)
{
	for (size_t i = 0; i < c->n_exact; i++)
		if (strcmp(c->exact[i].key.path, path) == 0)
			return &c->exact[i].rule;
	return NULL;
}

/* The longest prefix entry covering @path; @as_dir: a directory meets its own prefix rule
 * ("/home/u/.ssh" meets "/home/u/.ssh/"), as in the kernel. */
static const struct wd_file_rule *prefix_rule(const struct wd_compiled *c, const char *path,
					      bool as_dir)
{
	const struct wd_prefix_entry *best = NULL;
	size_t plen = strlen(path), best_len = 0;

	for (size_t i = 0; i < c->n_prefix; i++) {
		const struct wd_prefix_entry *e = &c->prefix[i];
		size_t len = strlen(e->key.path);

		if (len <= best_len && best)
			continue;
		if (strncmp(e->key.path, path, len < plen ? len : plen) != 0)
			continue;
		if (len <= plen || (as_dir && len == plen + 1 && e->key.path[plen] == '/'))
			best = e, best_len = len;
	}
	return best ? &best->rule : NULL;
}

static __u8 fold(const struct wd_file_rule *ex, const struct wd_file_rule *pre, enum wd_op op,
		 __u32 *rule_id)
{
	__u8 ve = ex ? ex->verdict[op] : WD_V_NONE, vp = pre ? pre->verdict[op] : WD_V_NONE;
	__u32 id = WD_RULE_DEFAULT;
	__u8 v = WD_V_DENY;

	if (ve == WD_V_DENY)
		id = ex->rule_id[op];
	else if (vp == WD_V_DENY)
		id = pre->rule_id[op];
	else if (ve == WD_V_ALLOW)
		v = WD_V_ALLOW, id = ex->rule_id[op];
	else if (vp == WD_V_ALLOW)
		v = WD_V_ALLOW, id = pre->rule_id[op];
	if (rule_id)
		*rule_id = id;
	return v;
}

__u8 wd_compiled_decide(const struct wd_compiled *c, const char *path, bool is_dir, enum wd_op op,
			__u32 *rule_id)
{
	return fold(exact_rule(c, path), prefix_rule(c, path, is_dir), op, rule_id);
}

__u8 wd_compiled_beneath(const struct wd_compiled *c, const char *dir, enum wd_op op,
			 __u32 *rule_id)
{
	return fold(NULL, prefix_rule(c, dir, true), op, rule_id);
}
