/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Compiling a parsed policy into the entries of warden's BPF maps (include/warden/abi.h). Pure:
 * no syscalls, no printing; the loader writes the result into the maps. */
#ifndef WD_POLICY_COMPILE_H
#define WD_POLICY_COMPILE_H

#include "policy/policy.h"
#include "policy/path.h"

/* wd_file_exact: the path, zero-filled to the end of the key (BPF hashes the whole key). */
struct wd_exact_entry {
	struct wd_path_key key;
	struct wd_file_rule rule;
};

/* wd_file_prefix: folded, so the entry alone says what applies under that prefix. The kernel's
 * answer for a path is: deny if the exact or the longest-prefix entry denies, else allow if
 * either allows, else nothing allowed it (deny). */
struct wd_prefix_entry {
	struct wd_prefix_key key;
	struct wd_file_rule rule;
};

/* wd_proc_name entries. */
struct wd_proc_entry {
	struct wd_proc_key key;
	struct wd_file_rule rule;
};

/* wd_net: every shorter covering prefix's port rules are folded in, deny rules first, so the
 * first rule that matches the port and protocol decides (and none matching is a deny). */
struct wd_net_entry {
	struct wd_net_key key;
	struct wd_net_rules rules;
};

/* An exact path with a DENY for some op, for the loader to stat and add as a wd_inode_key entry
 * (so hardlinks and bind mounts are denied too). @rule holds the DENY verdicts only: an inode
 * entry must never grant what the path of another link to the file would not. */
struct wd_inode_candidate {
	const char *path; /* points into the exact entries */
	struct wd_file_rule rule;
};

/* A prefix with its own DENY for some op, for the loader to protect the files that exist under
 * it by inode. @rule holds the DENY verdicts only. For the ops in @except_ops (bit 1 << op), the
 * deny does not apply under @except (the workdir; see "The workdir rule" in docs/policy.md). */
struct wd_deny_dir {
	const char *path; /* points into the prefix entries */
	struct wd_file_rule rule;
	const char *except; /* NULL, or a prefix path ending in '/' */
	__u8 except_ops;
};

struct wd_compiled {
	__u32 policy_id;
	struct wd_policy_cfg cfg;

	struct wd_exact_entry *exact;
	size_t n_exact;
	struct wd_prefix_entry *prefix;
	size_t n_prefix;
	struct wd_proc_entry *proc;
	size_t n_proc;
	struct wd_net_entry *net;
	size_t n_net;
	struct wd_inode_candidate *inode;
	size_t n_inode;
	struct wd_deny_dir *deny_dirs;
	size_t n_deny_dirs;
	struct wd_abstract_rule abstract[WD_ABSTRACT_MAX]; /* wd_unix_abstract, in order */
	size_t n_abstract;
	char *workdir; /* the expanded "${workdir}/" when the workdir rule applies, else NULL */
	/* wd_policy_confine_digest of the policy and context it was compiled from (digest.h);
	 * confine_digest_ok false: it could not be computed, equal to nothing. */
	unsigned char confine_digest[32];
	bool confine_digest_ok;

	/* Rule ids first_rule_id .. first_rule_id + n_rules - 1, one per path or network item of
	 * the policy in the order exec, files.read, files.write, network unix (allow, then deny,
	 * each), network allow, network deny, to: sandbox, abstract allow, abstract deny.
	 * rule_text[id - first_rule_id] describes rule id, e.g. "policy.yaml:14:7 files.read deny
	 * /etc/shadow". */
	__u32 first_rule_id;
	__u32 n_rules;
	char **rule_text;
};

/* Compiles @p for slot @policy_id (< WD_POLICIES_MAX) with rule ids from @first_rule_id (> 0).
 * On success *@out is the result (free it with wd_compiled_free) and 0 is returned. On error,
 * *@out is NULL, the errors are in @diags, and -EINVAL (a variable is unknown, a path too long
 * after expansion, too many port rules on one prefix, bad arguments), -ENOSPC (rule ids beyond
 * WD_RULES_MAX) or -ENOMEM is returned. */
int wd_policy_compile(const struct wd_policy *p, const struct wd_policy_ctx *ctx, __u32 policy_id,
		      __u32 first_rule_id, struct wd_compiled **out, struct wd_diags *diags);
void wd_compiled_free(struct wd_compiled *c);

/* Whether @a and @b confine alike (their confinement digests are equal and known): a sandbox
 * whose exec, file and socket rules were fixed at start (rung 3) can switch between them. */
bool wd_compiled_same_confinement(const struct wd_compiled *a, const struct wd_compiled *b);

/* What the kernel decides for @op on the resolved @path (absolute, no trailing '/'; "/" is the
 * root): WD_V_ALLOW or WD_V_DENY, with the rule that decided in *@rule_id (WD_RULE_DEFAULT:
 * nothing allowed it) when @rule_id is not NULL. @is_dir: @path is a directory, which meets its
 * own prefix rule. The kernel's fold (bpf/lsm/file_rules.bpf.h), without inode and /proc rules
 * (decide.c). */
__u8 wd_compiled_decide(const struct wd_compiled *c, const char *path, bool is_dir, enum wd_op op,
			__u32 *rule_id);
/* What the prefix rules decide for @op on an object inside the directory @dir that no rule names
 * itself. */
__u8 wd_compiled_beneath(const struct wd_compiled *c, const char *dir, enum wd_op op,
			 __u32 *rule_id);

/* The description of @rule_id, or NULL when this compilation did not assign it. */
const char *wd_compiled_rule_text(const struct wd_compiled *c, __u32 rule_id);

#endif
