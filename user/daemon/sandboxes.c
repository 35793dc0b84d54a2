// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's sandboxes: the table of them (by cgroup id and by id), the policy slots and rule
 * ids their compiled policies take, and a sandbox's life: made (for a command, created or
 * adopted), switched to another policy, ended (its processes killed before its entries go). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "daemon/internal.h"
#include "lib/clock.h"
#include "lib/mountinfo.h"

/* ---- Sandboxes by cgroup id ----------------------------------------------------------------- */

struct dsb *sb_by_cgid(struct daemon *d, uint64_t cgid)
{
	return wd_cgid_hash_get(&d->by_cgid, cgid);
}

/* Cannot fail: the table has room for many more than SB_MAX sandboxes. */
void hash_put(struct daemon *d, struct dsb *s)
{
	wd_cgid_hash_put(&d->by_cgid, s->cg.id, s);
}

static void hash_del(struct daemon *d, uint64_t cgid)
{
	wd_cgid_hash_del(&d->by_cgid, cgid);
}

struct dsb *sb_by_id(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->n_sb; i++)
		if (!strcmp(d->sb[i]->id, id))
			return d->sb[i];
	return NULL;
}

/* ---- Policy slots and rule ids -------------------------------------------------------------- */

int slot_alloc(struct daemon *d)
{
	for (int i = 1; i < WD_POLICIES_MAX; i++)
		if (!d->slot_used[i]) {
			d->slot_used[i] = true;
			return i;
		}
	return -ENOSPC;
}

/* The @k-th policy of the kernel's hold: the rule set in force, the previous one, the next. */
static const struct wd_compiled *hold_policy(const struct daemon *d, size_t k)
{
	if (k < WD_ADOPT_MAX)
		return d->hold[k];
	if (k < 2 * WD_ADOPT_MAX)
		return d->hold_prev[k - WD_ADOPT_MAX];
	return d->hold_next[k - 2 * WD_ADOPT_MAX];
}

/* First fit among the rule id ranges the sandboxes and the hold's policies hold. */
uint32_t rules_alloc(struct daemon *d, uint32_t n, const struct dsb *skip)
{
	uint32_t at = 1;

	for (;;) {
		bool moved = false;

		for (size_t i = 0; i < d->n_sb + 3 * WD_ADOPT_MAX; i++) {
			const struct wd_compiled *c =
				i < d->n_sb ? d->sb[i]->pol : hold_policy(d, i - d->n_sb);

			if ((i < d->n_sb && d->sb[i] == skip) || !c)
				continue;
			if (at < c->first_rule_id + c->n_rules && c->first_rule_id < at + n) {
				at = c->first_rule_id + c->n_rules;
				moved = true;
			}
		}
		if (!moved)
			break;
	}
	return (uint64_t)at + n <= WD_RULES_MAX ? at : 0;
}

/* The policy of a slot no sandbox uses any more: its entries go, its slot and rules are free. */
void policy_release(struct daemon *d, struct wd_compiled *c)
{
	if (!c)
		return;
	wd_enforcer_clear_slot(&d->enf, c->policy_id);
	wd_enforcer_reset_hits(&d->enf, c->first_rule_id, c->n_rules);
	d->slot_used[c->policy_id] = false;
	wd_compiled_free(c);
}

/* ---- Sandbox life --------------------------------------------------------------------------- */

void sb_free(struct dsb *s)
{
	if (!s)
		return;
	free(s->identity);
	for (size_t i = 0; i < s->n_labels; i++) {
		free((char *)s->labels[i].key);
		free((char *)s->labels[i].value);
	}
	if (s->pidfd >= 0)
		close(s->pidfd);
	sb_plan_free(s);
	wd_cgroup_close(&s->cg);
	free(s);
}

void sb_plan_free(struct dsb *s)
{
	if (s->plan)
		wd_rung3_plan_free(s->plan);
	free(s->plan);
	s->plan = NULL;
}

/* Without the LSM programs, a run request's command gets rung 3 when it can express the
 * sandbox's policy and enforce what every policy needs; else it is refused unless degraded was
 * asked (then the network rules only, as before). Returns 0, or -errno with @code and @why. */
static int plan_rung3(struct daemon *d, struct dsb *s, bool degraded, Warden__V1__Error__Code *code,
		      char *why, size_t why_size)
{
	char r3why[1024] = "";
	int err;

	s->plan = calloc(1, sizeof(*s->plan));
	if (!s->plan)
		return -ENOMEM;
	/* The seccomp filter's refusals as events: attached lazily, when the first command may
	 * run on rung 3, not at the daemon's start: every system call of the node passes
	 * through the program, and a node whose daemon runs no rung-3 command should not pay
	 * for it: detached again when the last rung-3 sandbox ends (scevents_release). Before
	 * the plan, whose report says whether they are reported. */
	if (d->r3.seccomp)
		wd_rung3_scevents(&d->r3, &d->enf);
	err = wd_rung3_plan(s->pol, &d->r3, degraded, s->plan, r3why, sizeof(r3why));
	if (err) {
		free(s->plan);
		s->plan = NULL;
	}
	if (err && !degraded) {
		*code = err == -EPERM ? WARDEN__V1__ERROR__CODE__POLICY_INVALID
				      : WARDEN__V1__ERROR__CODE__KERNEL_UNSUPPORTED;
		snprintf(why, why_size,
			 "this kernel cannot enforce exec and file rules for this sandbox: BPF LSM "
			 "is not seen enforcing (%s), and rung 3 (Landlock, mount namespace, "
			 "seccomp) cannot either: %s; ask for degraded to enforce only the network "
			 "rules",
			 d->enf.lsm_error, r3why);
		return err;
	}
	if (err) {
		logf_("sandbox %s: DEGRADED: rung 3 refused (%s); network rules only", s->id,
		      r3why);
		return 0;
	}
	s->rung3 = true;
	s->degraded = false;
	return 0;
}

void kv_key(char *buf, size_t size, const struct dsb *s)
{
	snprintf(buf, size, "sandbox/%s", s->id);
}

/* What a restart needs to rebuild the sandbox's compiled policy: slot, rule ids, variables. */
int save_kv(struct daemon *d, const struct dsb *s)
{
	char key[64], val[WD_STATE_TEXT_MAX];

	kv_key(key, sizeof(key), s);
	snprintf(val, sizeof(val), "%u %u %d %d %d %d %d %d\n%s\n%s", s->pol->policy_id,
		 s->pol->first_rule_id, (int)s->from, s->audit, s->degraded, s->has_cmd, s->rung3,
		 s->rung4, s->workdir, s->home);
	return wd_state_kv_set(d->st, key, val);
}

static const char *const lsm_needed_why =
	"this kernel cannot enforce exec and file rules (BPF LSM was not seen enforcing: boot "
	"with lsm=...,bpf and CONFIG_BPF_LSM=y), and degraded was not asked";

static void sb_list_remove(struct daemon *d, struct dsb *s)
{
	for (size_t i = 0; i < d->n_sb; i++)
		if (d->sb[i] == s) {
			d->sb[i] = d->sb[--d->n_sb];
			break;
		}
	hash_del(d, s->cg.id);
}

/* An adopted sandbox that ends while its cgroup is still there and matches an adoption rule
 * the kernel holds by goes back to the hold (the rule's policy), not free: a process moved in
 * before the next adoption stays confined. */
static bool sb_rehold(struct daemon *d, struct dsb *s)
{
	int r;

	if (!d->hold_on || access(s->cg.path, F_OK))
		return false;
	r = rule_of_cgroup(d, s->cg.path);
	if (r < 0 || r >= WD_ADOPT_MAX)
		return false;
	return wd_enforcer_hold(&d->enf, s->cg.id, d->hold[r] ? d->hold[r]->policy_id : 0, false) ==
	       0;
}

/* The sys_exit program costs every system call of the node: detached when the last rung-3
 * sandbox is gone, attached again by the next one (plan_rung3). */
static void scevents_release(struct daemon *d)
{
	for (size_t i = 0; i < d->n_sb; i++)
		if (d->sb[i]->rung3)
			return;
	if (d->r3.sc_events) {
		wd_rung3_scevents_off(&d->r3, &d->enf);
		d->r3.sce_detail[0] =
			'\0'; /* not attached now; the next rung-3 sandbox attaches it */
		logf_("no rung-3 sandbox left: the seccomp events program is detached");
	}
}

/* Ends a sandbox: its processes are killed before its entries go, so nothing of it runs
 * unenforced; adopted cgroups stay (they are someone else's), the ones warden made go. */
void sb_end(struct daemon *d, struct dsb *s, enum wd_sb_state state, const char *detail)
{
	Warden__V1__Lifecycle__Kind kind =
		state == WD_SB_EXPIRED	 ? WARDEN__V1__LIFECYCLE__KIND__SANDBOX_EXPIRED
		: state == WD_SB_REVOKED ? WARDEN__V1__LIFECYCLE__KIND__SANDBOX_REVOKED
					 : WARDEN__V1__LIFECYCLE__KIND__SANDBOX_ENDED;
	bool owned = s->origin == WD_SB_RUN;
	char key[64];
	int err = 0;

	if (owned || state != WD_SB_ENDED)
		err = owned ? wd_cgroup_destroy(&s->cg, 5000) : wd_cgroup_kill(&s->cg, 5000);
	if (err) {
		/* Something survived the kill: the sandbox stays, enforced, and is retried. */
		logf_("sandbox %s: could not empty cgroup %s: %s; it stays enforced", s->id,
		      s->cg.path, strerror(-err));
		return;
	}
	drain_all(d);
	lifecycle(d, s, kind, detail);
	if (!owned && sb_rehold(d, s))
		logf_("sandbox %s: its cgroup %s still matches an adoption rule: held by the "
		      "kernel until it is adopted again",
		      s->id, s->cg.path);
	else
		wd_enforcer_del_sandbox(&d->enf, s->cg.id);
	wd_enforcer_unpin_cgroup(&d->enf, s->cg.id);
	if (wd_state_sandbox_end(d->st, s->id, state, wd_clock_ns(CLOCK_REALTIME), detail) && d->st)
		logf_("sandbox %s: %s", s->id, wd_state_errmsg(d->st));
	kv_key(key, sizeof(key), s);
	wd_state_kv_set(d->st, key, "");
	if (s->run_dc)
		send_run_exited(d, s, -1, 0,
				state == WD_SB_EXPIRED ? WARDEN__V1__RUN_EXITED__REASON__EXPIRED
						       : WARDEN__V1__RUN_EXITED__REASON__REVOKED,
				detail);
	logf_("sandbox %s (%s) %s: %s", s->id, s->identity, wd_sb_state_name(state), detail);
	sb_list_remove(d, s);
	if (s->rung3)
		scevents_release(d);
	rung4_detach(d, s); /* before its policy goes: the decider reads it */
	policy_release(d, s->pol);
	s->pol = NULL;
	if (s->pidfd >= 0)
		epoll_ctl(d->ep, EPOLL_CTL_DEL, s->pidfd, NULL);
	sb_free(s);
}

/* Whether the cgroup at @path (absolute, in cgroupfs) is the daemon's own or an ancestor of
 * it: adopting it would sandbox the daemon. */
static bool holds_daemon(const char *path)
{
	char mnt[PATH_MAX], root[PATH_MAX], self[PATH_MAX], line[PATH_MAX + 8], full[PATH_MAX * 2];
	size_t n;
	FILE *f;

	if (wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return true; /* cannot tell: refuse */
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return true;
	self[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(self, sizeof(self), "%s", line + 3);
		}
	fclose(f);
	if (!self[0])
		return true;
	snprintf(full, sizeof(full), "%s%s", mnt, strcmp(self, "/") ? self : "");
	n = strlen(path);
	return !strncmp(full, path, n) && (full[n] == '/' || !full[n]);
}

/* Per feature, what enforces it in @s: for its SANDBOX_CREATED event and the log. */
static const char *enforcement_summary(const struct daemon *d, const struct dsb *s, char *buf,
				       size_t size)
{
	struct wd_feature_row rows[WD_FEATURES_MAX];
	size_t n;

	if (s->plan) {
		wd_rung_summary(s->plan->rows, s->plan->n_rows, buf, size);
		return buf;
	}
	if (s->rung4)
		n = wd_rung4_report(&d->r4, &d->r3, s->pol, rows, WD_FEATURES_MAX);
	else if (d->enf.lsm)
		n = wd_rung_report(strstr(d->enf.lsm_mechanism, "fmod_ret") ? "fmod_ret"
									    : "bpf-lsm",
				   NULL, false, s->pol, rows, WD_FEATURES_MAX);
	else
		n = wd_rung_report(NULL, &d->r3, false, s->pol, rows, WD_FEATURES_MAX);
	wd_rung_summary(rows, n, buf, size);
	return buf;
}

int sb_create(struct daemon *d, const struct sb_req *q, struct dsb **out,
	      Warden__V1__Error__Code *code, char *why, size_t why_size, struct wd_diags *dg)
{
	Warden__V1__SandboxSpec *spec = q->spec;
	struct pol_choice pc = {0};
	struct wd_state_policy rec = {0};
	uint32_t held_slot = 0;
	struct wd_state_sandbox row = {0};
	char summary[1024];
	struct dsb *s;
	int err;

	*out = NULL;
	*code = WARDEN__V1__ERROR__CODE__INTERNAL;
	if (d->n_sb >= SB_MAX) {
		*code = WARDEN__V1__ERROR__CODE__RESOURCE_EXHAUSTED;
		snprintf(why, why_size, "the daemon governs %d sandboxes already", SB_MAX);
		return -ENOSPC;
	}
	if (wd_identity_valid(q->identity)) {
		*code = WARDEN__V1__ERROR__CODE__INVALID_REQUEST;
		snprintf(why, why_size,
			 "'%s' is not an identity: write kind:name, e.g. ci:acme/api#8812",
			 q->identity);
		return -EINVAL;
	}
	/* A run request's command may still get rung 3 (do_run plans it and refuses, saying
	 * why, when it cannot), a sandbox without one rung 4 (rung4_attach refuses, saying why,
	 * when it cannot). */
	if (!d->enf.lsm && !(q->cmd && d->r3.landlock) && !(!q->cmd && d->fan) &&
	    !(spec && spec->degraded) && !d->cfg->daemon.degraded) {
		*code = WARDEN__V1__ERROR__CODE__KERNEL_UNSUPPORTED;
		snprintf(why, why_size, "%s (%s)", lsm_needed_why, d->enf.lsm_error);
		return -EOPNOTSUPP;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pidfd = -1;
	s->cg.fd = -1;
	s->identity = strdup(q->identity);
	for (size_t i = 0; spec && i < spec->n_labels && i < WD_PB_LABELS_MAX; i++) {
		s->labels[i].key = strdup(spec->labels[i]->key);
		s->labels[i].value = strdup(spec->labels[i]->value);
		s->n_labels++;
	}
	s->origin = q->origin;
	s->audit = spec && spec->audit;
	s->degraded = !d->enf.lsm; /* do_run clears it when rung 3 enforces */
	s->creator = q->uid;
	s->created_at = wd_clock_ns(CLOCK_REALTIME);
	s->expires_at = spec && spec->ttl_ms ? s->created_at + spec->ttl_ms * 1000000ull : 0;
	snprintf(s->workdir, sizeof(s->workdir), "%s", q->workdir ? q->workdir : "");
	snprintf(s->home, sizeof(s->home), "%s", q->home ? q->home : "");
	err = wd_sb_new_id(s->id, sizeof(s->id));
	if (err)
		goto fail;

	err = choose_policy(d, q->identity, NULL, spec ? spec->policy : NULL, &pc);
	if (!err && q->rule_policy)
		pc.from = FROM_ADOPT;
	if (!err)
		err = compile_for(d, &pc, q->identity, s->workdir, s->home, s->audit, NULL, &s->pol,
				  dg);
	if (err) {
		*code = err == -ENOSPC ? WARDEN__V1__ERROR__CODE__RESOURCE_EXHAUSTED
				       : WARDEN__V1__ERROR__CODE__POLICY_INVALID;
		snprintf(why, why_size, "policy %s cannot be applied", pc.name);
		goto fail;
	}
	s->from = pc.from;
	snprintf(s->policy_name, sizeof(s->policy_name), "%s", pc.name);
	if (!d->enf.lsm && q->cmd && d->r3.landlock) {
		err = plan_rung3(d, s, (spec && spec->degraded) || d->cfg->daemon.degraded, code,
				 why, why_size);
		if (err)
			goto fail;
	}

	if (q->adopt_path) {
		err = wd_cgroup_open(&s->cg, q->adopt_path);
		if (!err && sb_by_cgid(d, s->cg.id))
			err = -EEXIST;
		if (!err)
			s->was_held = wd_enforcer_held(&d->enf, s->cg.id, &held_slot);
		if (!err && holds_daemon(s->cg.path)) {
			*code = WARDEN__V1__ERROR__CODE__INVALID_REQUEST;
			snprintf(why, why_size,
				 "cannot adopt cgroup %s: the warden daemon itself runs in it or "
				 "below "
				 "it",
				 q->adopt_path);
			err = -EINVAL;
			goto fail;
		}
		if (err) {
			*code = err == -EEXIST ? WARDEN__V1__ERROR__CODE__ALREADY_EXISTS
					       : WARDEN__V1__ERROR__CODE__NOT_FOUND;
			snprintf(why, why_size, "cannot adopt cgroup %s: %s", q->adopt_path,
				 err == -EEXIST ? "it is a sandbox already" : strerror(-err));
			goto fail;
		}
	} else {
		err = wd_cgroup_create(&s->cg, s->id);
		if (err) {
			snprintf(why, why_size, "cannot create the sandbox cgroup: %s",
				 strerror(-err));
			goto fail;
		}
	}
	if (!d->enf.lsm && !q->cmd && d->fan) {
		err = rung4_attach(d, s, (spec && spec->degraded) || d->cfg->daemon.degraded, code,
				   why, why_size);
		if (err)
			goto fail_cg;
	}
	/* The record first (the policy as applied, then the sandbox): a daemon that dies after
	 * this finds it and cleans up; one that dies before left no kernel state. */
	rec.target_kind = WD_TARGET_SANDBOX;
	rec.target = s->id;
	rec.name = s->pol->n_rules ? pc.name : pc.name;
	rec.source = pc.name;
	rec.text = pc.text;
	rec.text_len = pc.len;
	rec.applied_at = s->created_at;
	rec.applied_by = q->uid;
	err = wd_state_policy_record(d->st, &rec);
	if (err) {
		snprintf(why, why_size, "state: %s", wd_state_errmsg(d->st));
		goto fail_cg;
	}
	s->policy_row = rec.id;
	s->generation = rec.generation;
	row = (struct wd_state_sandbox){
		.id = s->id,
		.identity = s->identity,
		.labels = s->labels,
		.n_labels = s->n_labels,
		.cgroup_path = s->cg.path,
		.cgroup_id = s->cg.id,
		.policy_id = rec.id,
		.created_at = s->created_at,
		.expires_at = s->expires_at,
		.origin = s->origin,
		.audit = s->audit,
		.created_by = q->uid,
	};
	err = wd_state_sandbox_add(d->st, &row);
	if (!err)
		err = save_kv(d, s);
	if (err) {
		snprintf(why, why_size, "state: %s", wd_state_errmsg(d->st));
		goto fail_cg;
	}
	err = wd_sb_enforce(&d->enf, &s->cg, s->pol);
	/* Before its command starts: its refusals are reported from the first. */
	if (!err && s->rung3 && s->plan && s->plan->confine.seccomp && d->r3.sc_events)
		err = wd_enforcer_sandbox_seccomp(&d->enf, s->cg.id);
	if (err) {
		snprintf(why, why_size, "cannot enforce in the kernel: %s", strerror(-err));
		wd_state_sandbox_end(d->st, s->id, WD_SB_ENDED, wd_clock_ns(CLOCK_REALTIME),
				     "could not be enforced");
		/* A cgroup the kernel held goes back to its hold, never free. */
		if (s->was_held)
			wd_enforcer_hold(&d->enf, s->cg.id, held_slot, false);
		else
			wd_enforcer_del_sandbox(&d->enf, s->cg.id);
		wd_enforcer_unpin_cgroup(&d->enf, s->cg.id);
		goto fail_cg;
	}
	sb_ctx(d, s);
	d->sb[d->n_sb++] = s;
	hash_put(d, s);
	lifecycle(d, s, WARDEN__V1__LIFECYCLE__KIND__SANDBOX_CREATED,
		  enforcement_summary(d, s, summary, sizeof(summary)));
	lifecycle(d, s, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, pc.name);
	logf_("sandbox %s (%s) created: policy %s, cgroup %s%s; %s", s->id, s->identity, pc.name,
	      s->cg.path, q->adopt_path ? " (adopted)" : "", summary);
	free(pc.text);
	*out = s;
	return 0;
fail_cg:
	rung4_detach(d, s);
	if (!q->adopt_path)
		wd_cgroup_destroy(&s->cg, 1000);
fail:
	free(pc.text);
	if (s->pol) {
		d->slot_used[s->pol->policy_id] = false;
		wd_enforcer_clear_slot(&d->enf, s->pol->policy_id);
		wd_compiled_free(s->pol);
		s->pol = NULL;
	}
	sb_free(s);
	return err ? err : -EINVAL;
}

/* Switches a running sandbox to the policy its source says now (after apply or reload):
 * compiled and loaded whole into a new slot, then one map update, then the old slot goes. */
/* Switches @s to the compiled @next (loaded whole first, then one map update, then the old slot
 * goes). On error @next is released and the policy in force stays. */
int sb_switch(struct daemon *d, struct dsb *s, struct wd_compiled *next,
	      const struct pol_choice *pc)
{
	struct wd_compiled *prev = s->pol;
	int err;

	if (s->rung3 && !wd_compiled_same_confinement(prev, next)) {
		/* Landlock, the mounts and seccomp were fixed when its command started: only the
		 * network rules (maps) can change; switching a policy whose other rules differ
		 * would claim rules it does not run. */
		logf_("sandbox %s runs on rung 3, where exec, file and socket rules are fixed at "
		      "start, and %s changes them: it keeps policy %s until it ends (run it again "
		      "for the new one)",
		      s->id, pc->name, s->policy_name);
		policy_release(d, next);
		return -EOPNOTSUPP;
	}
	err = wd_sb_switch(&d->enf, &s->cg, next);
	if (err) {
		policy_release(d, next);
		return err;
	}
	s->pol = next;
	if (s->rung4) /* before the old policy goes: the decider reads it */
		fan_sandbox_set(d->fan, s->cg.id, next, s->audit);
	s->from = pc->from;
	snprintf(s->policy_name, sizeof(s->policy_name), "%s", pc->name);
	s->ev.ctx.gen = wd_event_ctx_gen(); /* new rule texts and policy name in its events */
	if (pc->row)
		wd_state_sandbox_set_policy(d->st, s->id, pc->row);
	s->generation = pc->generation;
	save_kv(d, s);
	policy_release(d, prev);
	lifecycle(d, s, WARDEN__V1__LIFECYCLE__KIND__POLICY_APPLIED, pc->name);
	return 0;
}

/* Compiles @pc for @s and switches to it (after apply or reload). */
int sb_repolicy(struct daemon *d, struct dsb *s, const struct pol_choice *pc, struct wd_diags *dg)
{
	struct wd_compiled *next = NULL;
	int err = compile_for(d, pc, s->identity, s->workdir, s->home, s->audit, s, &next, dg);

	return err ? err : sb_switch(d, s, next, pc);
}
