/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Policies: YAML text (docs/policy.md) parsed and validated into an in-memory model. Errors are
 * collected as diagnostics with the file, line and column they point at; nothing here prints. */
#ifndef WD_POLICY_H
#define WD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "lib/diag.h"
#include "warden/abi.h"

/* ---- The model ------------------------------------------------------------------------------ */

/* A place in the policy text, 1-based. */
struct wd_loc {
	int line, col;
};

enum wd_effect {
	WD_ALLOW = 0,
	WD_DENY = 1,
	WD_EFFECT_NR = 2,
};

enum wd_path_kind {
	WD_PATH_EXACT,	/* the file itself */
	WD_PATH_PREFIX, /* ends in '/': the directory and everything under it */
	WD_PATH_PROC,	/* "/proc/ * /NAME": that file of every process but the caller */
};

/* One path rule as written; variables are expanded by the compiler. */
struct wd_path_rule {
	char *text; /* as written, e.g. "${home}/.ssh/" */
	struct wd_loc loc;
	enum wd_path_kind kind;
	bool uses_workdir, uses_home;
	bool workdir_root; /* exactly "${workdir}/" (see docs/policy.md, "The workdir rule") */
};

struct wd_path_list {
	struct wd_path_rule *v;
	size_t n;
};

struct wd_port_range {
	__u16 lo, hi; /* host order, lo <= hi; 0-65535 is any port */
};

struct wd_net_rule {
	char *text; /* the address as written */
	struct wd_loc loc;
	__u8 addr[16];	   /* IPv6, or IPv4 as ::ffff:a.b.c.d; host bits are zero */
	unsigned int plen; /* prefix length in IPv6 bits: 0..128 (an IPv4 /n is 96 + n) */
	__u8 proto;	   /* enum wd_proto */
	struct wd_port_range *ports;
	size_t n_ports; /* at least 1: a missing ports list is stored as 0-65535 */
};

struct wd_net_list {
	struct wd_net_rule *v;
	size_t n;
};

/* An abstract unix socket rule ("abstract: NAME", "abstract: PREFIX*"). */
struct wd_abstract_src {
	char *text; /* as written */
	struct wd_loc loc;
	char name[WD_ABSTRACT_NAME_MAX + 1];
	__u8 len; /* bytes of name */
	bool prefix;
};

struct wd_abstract_list {
	struct wd_abstract_src *v;
	size_t n;
};

struct wd_policy {
	char *source; /* the file name diagnostics name */
	char *name;
	char **identities; /* fnmatch(3) globs */
	size_t n_identities;
	bool audit;	     /* mode: audit */
	bool allow_fileless; /* fileless_exec: allow */
	bool allow_jit;	     /* jit: allow (code made at run time: JITs, libffi closures) */
	/* exec, files.read, files.write, and network's unix: rules */
	struct wd_path_list paths[WD_OP_NR][WD_EFFECT_NR];
	struct wd_net_list net[WD_EFFECT_NR];
	struct wd_abstract_list abstract[WD_EFFECT_NR];
	bool to_sandbox;	   /* network.allow has "to: sandbox" */
	struct wd_loc sandbox_loc; /* where */
	__u64 families;		   /* bit N: AF_N sockets allowed */
	__u64 raw_families;	   /* bit N: SOCK_RAW/SOCK_PACKET in AF_N allowed too */
	bool uses_workdir, uses_home;
	size_t n_rules; /* path and network items: the rule ids compiling it takes */
};

/* Parses and validates a policy. On success, *@out is the policy (free it with wd_policy_free)
 * and 0 is returned. On any error, *@out is NULL, every error found is in @diags, and -EINVAL
 * (invalid policy), -ENOMEM, or the -errno of reading @path is returned. @name is what
 * diagnostics and rule descriptions call the text (a file name, "<stdin>"). @diags must not be
 * NULL; errors are appended to what it holds. */
int wd_policy_parse_file(const char *path, struct wd_policy **out, struct wd_diags *diags);
/* The same on what is left to read from @fd (e.g. stdin), called @name in diagnostics. */
int wd_policy_parse_fd(int fd, const char *name, struct wd_policy **out, struct wd_diags *diags);
int wd_policy_parse_string(const char *name, const char *yaml, size_t len, struct wd_policy **out,
			   struct wd_diags *diags);
void wd_policy_free(struct wd_policy *p);

/* Whether one of the policy's identity globs matches @identity; false when @identity is not a
 * valid identity name (wd_identity_valid). */
bool wd_policy_applies_to(const struct wd_policy *p, const char *identity);

/* Identity names are "kind:name": kind [a-z][a-z0-9-]{0,31}, name 1..200 printable non-space
 * ASCII characters. Returns 0 or -EINVAL. */
int wd_identity_valid(const char *id);

/* Socket family names as policies spell them ("unix", "inet", ...): the AF_ number, or -ENOENT. */
int wd_family_by_name(const char *name);
/* The name of AF_@af, or NULL when policies have no name for it. */
const char *wd_family_name(int af);

/* ---- The embedded default policy and the CLI ------------------------------------------------ */

/* policies/default.yaml, embedded by the Makefile (not NUL-terminated). */
extern const char wd_default_policy[];
extern const unsigned int wd_default_policy_len;

#endif
