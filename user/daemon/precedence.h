/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which policy a sandbox gets (docs/daemon.md, "Which policy a sandbox gets"), as a pure
 * function of where policies can come from: the one given with the sandbox, then one applied
 * to the sandbox, then one applied to its identity, then the first of the config's policy files
 * whose identities match, then the node default applied, then the embedded default. The daemon
 * looks the applied ones up in its state and passes them in; nothing here reads or prints. */
#ifndef WD_DAEMON_PRECEDENCE_H
#define WD_DAEMON_PRECEDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "state/state.h"
#include "warden/v1/control.pb-c.h"

/* Where a sandbox's policy comes from, so a change there reaches it. */
enum pol_from {
	FROM_SPEC = 1, /* given when the sandbox was made */
	FROM_SANDBOX,  /* policy apply --sandbox */
	FROM_IDENTITY, /* policy apply --identity */
	FROM_CONFIG,   /* daemon.policies, by identity glob */
	FROM_NODE,     /* policy apply --node-default */
	FROM_EMBEDDED, /* the embedded default */
	FROM_ADOPT,    /* the policy of the adoption rule that matched its cgroup */
};

/* A policy file of the config: its path, text and parsed form. */
struct cfg_policy {
	char *path, *text;
	size_t len;
	struct wd_policy *p;
};

struct pol_choice {
	enum pol_from from;
	char name[256];
	char *text; /* malloc'd */
	size_t len;
	int64_t row; /* state row of an applied policy, 0 otherwise */
	uint64_t generation;
};

/* Every place a sandbox's policy can come from; NULL (or n_cpol 0) where there is none. */
struct pol_sources {
	const Warden__V1__PolicySource *spec; /* given with the sandbox; an empty text is none */
	const struct wd_state_policy *sandbox, *identity, *node; /* applied and in force */
	const struct cfg_policy *cpol;				 /* daemon.policies, in order */
	size_t n_cpol;
	const char *embedded; /* the embedded default: @embedded_len bytes */
	size_t embedded_len;
};

/* Fills @pc with the policy a sandbox of @identity gets from @src (its text copied, for the
 * caller to free). 0, or -ENOMEM (with @pc->text NULL). */
int wd_policy_choose(const struct pol_sources *src, const char *identity, struct pol_choice *pc);

#endif
