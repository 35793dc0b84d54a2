/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `warden run` without the daemon: the state of one local run, shared by the files of the
 * command (run.c: options; run_local.c: the sandbox's setup and teardown; run_loop.c: its
 * events, reloads and the loop). Internal to user/cli. */
#ifndef WD_CLI_RUN_LOCAL_H
#define WD_CLI_RUN_LOCAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "enforce/enforce.h"
#include "event/event.h"
#include "lib/cgroup.h"
#include "sandbox/confine.h"
#include "sandbox/context.h"
#include "sandbox/guard.h"
#include "sandbox/lifecycle.h"
#include "sandbox/llaudit.h"
#include "sandbox/lost.h"
#include "sandbox/rung3.h"

#define EXIT_WARDEN  125
#define POLICIES_MAX 64 /* one per reload: slots and rule ids are never reused within a run */
#define LABELS_MAX   WD_PB_LABELS_MAX

struct wd_config;
struct wd_compiled;
struct wd_pipeline;

struct run {
	const char *identity;
	const char *policy_path;
	const char *events_path;
	const char *config_path;
	bool config_given;
	struct wd_label labels[LABELS_MAX];
	size_t n_labels;
	uint64_t ttl_ms;
	bool audit, degraded, verbose, stats;
	char **argv;

	char id[WD_SB_ID_MAX]; /* the sandbox's, also its cgroup's name */
	char who[512];
	FILE *events;
	/* Every policy this run has applied, the one in force last. */
	struct wd_compiled *compiled[POLICIES_MAX];
	int n_compiled;
	struct wd_enforcer enf;
	/* Rung 3 (no BPF LSM): the trials' results and, when it enforces, the plan the child
	 * applies. */
	struct wd_rung3 r3;
	struct wd_confine confine;
	bool rung3;
	char enforcement[1024]; /* per feature, what enforces it (wd_rung_summary) */
	struct wd_llaudit *lla; /* rung 3: Landlock's denials from audit records; NULL: none */
	struct wd_cgroup cg;
	unsigned long long n_events, n_denied;
	char procs[PATH_MAX + 16]; /* the sandbox's cgroup.procs, the child's self-check */
	bool self_check_seen;
	int guard_fd; /* write end of the guardian's pipe: closing it means warden is gone */

	/* Export (docs/config.md): events as warden.v1.Event to the configured sinks. */
	struct wd_config *cfg;
	struct wd_guard guard; /* what the sandbox may never write or reach of warden's own */
	struct wd_pipeline *pipe;
	struct wd_sb_node node;
	struct wd_sb_ev ev;
	struct wd_lost lost; /* opened with sinks only: losses are otherwise counted at the end */
	char policy_name[512];
};

/* run_local.c */
/* Runs the command of @r (its options parsed) in a sandbox of this process's own, from the
 * first step to the last; returns the exit status wd_cmd_run returns. */
int wd_run_local(struct run *r);
/* Parses and compiles the policy into the next slot (prints every error). */
int wd_run_prepare_policy(struct run *r, struct wd_compiled **out);
void wd_run_lifecycle(struct run *r, Warden__V1__Lifecycle__Kind kind, const char *detail);

/* run_loop.c */
/* The text of @rule_id in any policy this run applied, or NULL. */
const char *wd_run_rule_text(struct run *r, uint32_t rule_id);
/* The record handler the enforcer calls for every kernel record. */
int wd_run_on_event(void *ctx, const struct wd_event *e);
/* Kernel losses since the last look: a line, and EVENTS_LOST events to the sinks. */
void wd_run_check_lost(struct run *r);
/* Waits for the command (its pidfd), signals (signalfd @sfd) and the TTL (timerfd @tfd, -1:
 * none), collecting events meanwhile; returns the command's exit status. */
int wd_run_loop(struct run *r, int pidfd, int sfd, int tfd);
void wd_run_print_stats(struct run *r);
/* Rung 3: Landlock's denials read from the audit records so far into wd_run_on_event(); with
 * @final, after the sandbox ended, the rest, and the denials the kernel counted but did not
 * record reported as lost. */
void wd_run_landlock_events(struct run *r, bool final);

#endif
