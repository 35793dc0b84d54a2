// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Taking over after a restart: the sandboxes the state lists as active are rebuilt in memory
 * (their kernel side is pinned and never stopped) or ended, then the events buffered while no
 * daemon ran are drained and the TTLs that passed meanwhile applied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/internal.h"
#include "lib/clock.h"

struct restore_ctx {
	struct daemon *d;
	int n, ended;
};

/* A sandbox the state lists as active: rebuilt in memory (its kernel side is pinned and
 * never stopped), or ended if its cgroup went away or its TTL passed while we were down. */
static int restore_one(const struct wd_state_sandbox *row, void *arg)
{
	struct restore_ctx *rc = arg;
	struct daemon *d = rc->d;
	struct wd_state_policy *sp = NULL;
	struct pol_choice pc = {0};
	struct wd_diags dg = {0};
	char key[64], val[WD_STATE_TEXT_MAX], *nl;
	unsigned slot = 0, first = 0;
	int from = FROM_EMBEDDED, audit = 0, degraded = 0, has_cmd = 0, rung3 = 0, rung4 = 0;
	struct wd_policy *p = NULL;
	struct dsb *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->pidfd = -1;
	snprintf(s->id, sizeof(s->id), "%s", row->id);
	s->identity = strdup(row->identity);
	for (size_t i = 0; i < row->n_labels && i < WD_PB_LABELS_MAX; i++) {
		s->labels[i].key = strdup(row->labels[i].key);
		s->labels[i].value = strdup(row->labels[i].value);
		s->n_labels++;
	}
	s->origin = row->origin;
	s->creator = row->created_by;
	s->created_at = row->created_at;
	s->expires_at = row->expires_at;
	s->policy_row = row->policy_id;
	s->generation = row->policy_generation;
	kv_key(key, sizeof(key), s);
	if (wd_state_kv_get(d->st, key, val, sizeof(val)) ||
	    sscanf(val, "%u %u %d %d %d %d %d %d", &slot, &first, &from, &audit, &degraded,
		   &has_cmd, &rung3, &rung4) < 6 ||
	    !slot || slot >= WD_POLICIES_MAX || d->slot_used[slot]) {
		logf_("sandbox %s: its kernel slot is not recorded; ending it", s->id);
		goto end;
	}
	s->from = (enum pol_from)from;
	s->has_cmd = has_cmd;
	s->audit = audit;
	s->degraded = degraded;
	s->rung3 = rung3;
	/* Its command may still run under the filter: the refusals it marked (WD_SB_SECCOMP,
	 * kept in the pinned map) are reported by this daemon too. */
	if (rung3 && !d->enf.lsm && d->r3.seccomp)
		wd_rung3_scevents(&d->r3, &d->enf);
	if ((nl = strchr(val, '\n'))) {
		char *h = strchr(nl + 1, '\n');

		if (h)
			*h++ = '\0';
		snprintf(s->workdir, sizeof(s->workdir), "%s", nl + 1);
		snprintf(s->home, sizeof(s->home), "%s", h ? h : "");
	}
	/* The text of the policy the sandbox runs: an applied one by its generation; one given at
	 * creation as recorded for the sandbox. A policy from the config (or the embedded default)
	 * is recorded for the sandbox too, as it was at creation; the config is re-read at start,
	 * so such sandboxes are switched to its current text right after (restore()). */
	err = -ENOENT;
	if (s->from == FROM_IDENTITY)
		err = wd_state_policy_get(d->st, WD_TARGET_IDENTITY, s->identity,
					  row->policy_generation, &sp);
	else if (s->from == FROM_NODE)
		err = wd_state_policy_get(d->st, WD_TARGET_NODE, "", row->policy_generation, &sp);
	if (err)
		err = wd_state_policy_get(d->st, WD_TARGET_SANDBOX, s->id, 0, &sp);
	if (err) {
		logf_("sandbox %s: its policy text is not recorded; ending it", s->id);
		goto end;
	}
	err = wd_cgroup_open(&s->cg, row->cgroup_path);
	if (err || s->cg.id != row->cgroup_id) {
		wd_enforcer_del_sandbox(&d->enf, row->cgroup_id);
		wd_enforcer_unpin_cgroup(&d->enf, row->cgroup_id);
		wd_enforcer_clear_slot(&d->enf, slot);
		wd_state_sandbox_end(d->st, s->id, WD_SB_ENDED, wd_clock_ns(CLOCK_REALTIME),
				     "its cgroup went away while the daemon was down");
		logf_("sandbox %s: its cgroup %s went away while the daemon was down; ended", s->id,
		      row->cgroup_path);
		rc->ended++;
		goto out;
	}
	/* The compiled form only for rule texts and the slot's bookkeeping: the kernel maps
	 * hold the policy already, untouched. */
	snprintf(pc.name, sizeof(pc.name), "%s", sp->source);
	snprintf(s->policy_name, sizeof(s->policy_name), "%s", sp->source);
	err = wd_policy_parse_string(sp->source, sp->text, sp->text_len, &p, &dg);
	if (!err) {
		struct wd_policy_ctx ctx = {.workdir = s->workdir[0] ? s->workdir
								     : WD_PLACEHOLDER_WORKDIR,
					    .home = s->home[0] ? s->home : WD_PLACEHOLDER_HOME};

		if (s->audit)
			p->audit = true;
		/* The deny rules it was compiled with: its rule ids name the same rules. */
		err = wd_guard_protect(&d->guard, p);
		if (!err)
			err = wd_policy_compile(p, &ctx, slot, first, &s->pol, &dg);
	}
	if (err) {
		logf_("sandbox %s: its recorded policy no longer compiles; it stays enforced by "
		      "what the kernel holds, without rule texts",
		      s->id);
		wd_diags_print(stderr, &dg);
	}
	d->slot_used[slot] = true;
	if (rung4) {
		Warden__V1__Error__Code code;
		char why[512];

		/* Marked again (the marks went with the daemon before): degraded if it cannot be.
		 */
		rung4_attach(d, s, true, &code, why, sizeof(why));
		if (!s->rung4)
			s->degraded = true;
	}
	sb_ctx(d, s);
	s->ev.lost_seen = wd_enforcer_sandbox_lost(&d->enf, s->cg.id);
	d->sb[d->n_sb++] = s;
	hash_put(d, s);
	rc->n++;
	s = NULL;
	goto out;
end:
	wd_state_sandbox_end(d->st, s->id, WD_SB_ENDED, wd_clock_ns(CLOCK_REALTIME),
			     "could not be taken over after a restart");
	rc->ended++;
out:
	wd_state_policy_free(sp);
	wd_policy_free(p);
	wd_diags_free(&dg);
	sb_free(s);
	return 0;
}

int restore(struct daemon *d)
{
	struct restore_ctx rc = {.d = d};
	int err = wd_state_sandbox_list_active(d->st, restore_one, &rc);

	if (err)
		logf_("reading the sandboxes: %s", wd_state_errmsg(d->st));
	if (rc.n || rc.ended)
		logf_("took over %d sandboxes from before (%d had ended meanwhile)%s", rc.n,
		      rc.ended, d->enf.readopted ? "; kernel programs were still attached" : "");
	if (d->enf.replaced)
		logf_("replaced %d kernel programs of another warden build (the new ones were "
		      "attached before the old ones were removed)",
		      d->enf.replaced);
	/* Events buffered while no daemon ran are theirs: drained now, then TTLs passed. */
	drain_all(d);
	on_tick(d);
	/* Sandboxes on a config policy get the config as it is now. */
	repolicy_config_sandboxes(d);
	return err;
}
