/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Self-protection: what a sandbox may never write or reach of warden's own, the same for
 * `warden run` and the daemon. Two kinds of objects, two treatments:
 *
 * - warden's private places (the daemon's state, run and bpffs directories, the node's event
 *   counter): every sandbox's policy gets deny rules for reading and writing them, whatever its
 *   author wrote (docs/daemon.md). No job has business there, so nothing is refused for them.
 * - the record (the files the sinks write, `warden run --events FILE`): a policy that lets the
 *   sandbox write one of them is refused, with the rule that allows it (docs/config.md). The
 *   operator chose where the record goes; a policy that opens it up is a mistake to show, not
 *   to paper over with a deny the author never sees. */
#ifndef WD_SANDBOX_GUARD_H
#define WD_SANDBOX_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wd_config;
struct wd_policy;
struct wd_compiled;

enum wd_guard_kind {
	WD_GUARD_DIR,	 /* a private directory: denied, read and write */
	WD_GUARD_FILE,	 /* a private file outside those directories: denied, read and write */
	WD_GUARD_EVENTS, /* the --events file: a policy that may write it is refused */
	WD_GUARD_SINK,	 /* a file a sink writes: the same */
};

struct wd_guard_obj {
	enum wd_guard_kind kind;
	char *path; /* as configured; directories without their trailing '/' */
};

/* The node's facts, in the order they are protected and checked. */
struct wd_guard {
	struct wd_guard_obj *v;
	size_t n;
};

/* Collects what @cfg names (daemon.state_dir, run_dir, bpf_dir; the file and jsonl sinks'
 * files), the node's counter @seq_file (NULL: none; not repeated when it is inside run_dir) and
 * @events_file (NULL: none). Returns 0 or -ENOMEM; free it with wd_guard_free either way. */
int wd_guard_init(struct wd_guard *g, const struct wd_config *cfg, const char *seq_file,
		  const char *events_file);
void wd_guard_free(struct wd_guard *g);

/* Adds the deny rules for the private objects to @p, read then write (each a directory prefix
 * or an exact file), as the last rules of those lists: call it before compiling @p (it adds to
 * p->n_rules, so it comes before rule ids are allocated). Returns 0 or -ENOMEM. */
int wd_guard_protect(const struct wd_guard *g, struct wd_policy *p);

/* 0 when the compiled @c lets the sandbox write none of the record's files; else -EPERM with
 * @err saying which file and which rule allows it (the first one found). Meaningful only where
 * file rules are enforced (BPF LSM): without, callers warn instead. */
int wd_guard_check(const struct wd_guard *g, const struct wd_compiled *c, char *err, size_t errlen);

/* Whether @c lets the sandbox write @path (symlinks resolved when it exists): the exact entry
 * and the longest prefix entry, deny winning, as the kernel decides. With true, *@rule_id (if
 * not NULL) is the rule that allows it. */
bool wd_guard_may_write(const struct wd_compiled *c, const char *path, uint32_t *rule_id);

#endif
