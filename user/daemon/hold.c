// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Holding new matching cgroups in the kernel. Adoption (adopt.c) is the daemon's and comes
 * moments after a cgroup is made. The kernel closes the moment between: bpf/wd_cgroup.bpf.c
 * holds a new cgroup an adoption rule matches as a sandbox under the rule's policy (compiled
 * here into a slot of its own) from the instant it exists, and adoption then takes it over. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/internal.h"
#include "lib/mountinfo.h"
#include "warden/glob.h"

/* Rule @ar's pattern as the kernel sees cgroup paths, and the level such cgroups are at. The
 * kernel's paths are below the hierarchy's root: the rule's (below the cgroup2 mount) only when
 * the mount shows that root (its directory is cgroup 1), not a cgroup namespace's or a
 * subtree's (-EXDEV). */
static int kernel_pattern(const struct wd_adopt_rule *ar, char *out, size_t size, unsigned *level)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	struct stat st;
	int n;

	if (wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return -ENOENT;
	if (stat(mnt, &st) || st.st_ino != 1)
		return -EXDEV;
	n = snprintf(out, size, "%s", ar->cgroup);
	if (n < 0 || (size_t)n >= size || (size_t)n >= WD_ADOPT_PAT_MAX)
		return -ENAMETOOLONG;
	*level = wd_cgroup_level("/", out);
	return *level && *level < WD_LEVELS_MAX ? 0 : -ERANGE;
}

/* The adoption rule (index) a cgroup (its path, the cgroup2 mount's included) matches first,
 * or -1. */
int rule_of_cgroup(struct daemon *d, const char *cg_path)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	size_t m;

	if (wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)))
		return -1;
	m = strlen(mnt);
	if (strncmp(cg_path, mnt, m) || cg_path[m] != '/')
		return -1;
	for (size_t r = 0; r < d->cfg->daemon.n_adopt; r++)
		if (wd_glob_match(d->cfg->daemon.adopt[r].cgroup, cg_path + m))
			return (int)r;
	return -1;
}

static bool in_set(struct wd_compiled *const *v, uint32_t slot)
{
	for (size_t r = 0; r < WD_ADOPT_MAX; r++)
		if (v[r] && v[r]->policy_id == slot)
			return true;
	return false;
}

/* The rule text of an event of a held cgroup (no sandbox of ours yet). */
const char *hold_rule_text(const struct daemon *d, const struct wd_event *e)
{
	for (size_t r = 0; r < WD_ADOPT_MAX; r++) {
		if (d->hold[r] && d->hold[r]->policy_id == e->policy_id)
			return wd_compiled_rule_text(d->hold[r], e->rule_id);
		if (d->hold_prev[r] && d->hold_prev[r]->policy_id == e->policy_id)
			return wd_compiled_rule_text(d->hold_prev[r], e->rule_id);
	}
	return e->policy_id ? NULL : "held: nothing is allowed until the daemon adopts it";
}

/* Before anything takes a slot: the slots a daemon before this one held cgroups under, or
 * left in the kernel's rules, stay taken until hold_install() has moved those cgroups off
 * them, and one rule set longer (a mkdir may have read the old rules). */
void hold_reserve(struct daemon *d)
{
	static uint64_t cgids[2 * WD_SANDBOXES_MAX];
	static uint32_t slots[2 * WD_SANDBOXES_MAX + 2 * WD_ADOPT_MAX];
	int n = wd_enforcer_held_list(&d->enf, cgids, slots, 2 * WD_SANDBOXES_MAX);

	if (n < 0)
		n = 0;
	n += wd_enforcer_adopt_slots(&d->enf, slots + n, 2 * WD_ADOPT_MAX);
	for (int i = 0; i < n; i++) {
		if (!slots[i] || slots[i] >= WD_POLICIES_MAX)
			continue;
		d->hold_old[slots[i]] = true;
		d->slot_used[slots[i]] = true;
	}
}

/* Without BPF LSM only the sock_addr programs enforce, per cgroup: the hold's ones sit at the
 * hierarchy's root (a directory nearer the matches could be removed and made again, without
 * them), deciding for held cgroups only; without rules in force, nowhere. */
static void hold_anchor(struct daemon *d)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	uint64_t keep = 0;
	int fd, err = 0;

	if (!d->enf.lsm && d->n_hold &&
	    wd_mount_find_self_root("cgroup2", mnt, sizeof(mnt), root, sizeof(root)) == 0) {
		struct stat st;

		fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = fd < 0 || fstat(fd, &st) ? -errno
					       : wd_enforcer_attach_hold_cgroup(&d->enf, fd);
		if (fd >= 0)
			close(fd);
		if (err) {
			logf_("cannot attach the hold's network programs to %s: %s; without BPF "
			      "LSM "
			      "a new matching cgroup's network is unconfined until it is adopted",
			      mnt, strerror(-err));
			return; /* what was attached before stays */
		}
		keep = st.st_ino;
	}
	wd_enforcer_unpin_hold_cgroups(&d->enf, &keep, keep ? 1 : 0);
}

/* Gives the kernel the adoption rules in force, each with its policy compiled into a slot of
 * its own (slot 0, nothing allowed, for a rule without one or one that does not load): every
 * policy is loaded first, then the rules go into the bank not in force, which is then put in
 * force in one write. Held cgroups on slots of other rule sets are then held with nothing
 * allowed (adoption gives them their policy moments later); the slots of the set before the
 * previous one are freed (a mkdir that read the previous set may still use its slots). At
 * start (after restore) and after each reload. */
void hold_install(struct daemon *d)
{
	static uint64_t cgids[2 * WD_SANDBOXES_MAX];
	static uint32_t slots[2 * WD_SANDBOXES_MAX];
	struct wd_compiled *next[WD_ADOPT_MAX] = {0};
	char pat[WD_ADOPT_MAX][WD_ADOPT_PAT_MAX];
	unsigned level[WD_ADOPT_MAX];
	bool ok[WD_ADOPT_MAX] = {0};
	size_t na = d->cfg->daemon.n_adopt;
	uint32_t bank = 0;
	unsigned n_ok = 0;
	int n, err;

	if (!d->hold_on)
		return;
	if (na > WD_ADOPT_MAX)
		logf_("only the first %d adoption rules are held by the kernel when a cgroup is "
		      "made; matches of the others are unconfined until adopted",
		      WD_ADOPT_MAX);
	for (size_t r = 0; r < na && r < WD_ADOPT_MAX; r++) {
		const struct wd_adopt_rule *ar = &d->cfg->daemon.adopt[r];
		struct wd_diags dg = {0};

		err = kernel_pattern(ar, pat[r], sizeof(pat[r]), &level[r]);
		if (err) {
			logf_("adoption rule at %s:%d: the kernel cannot match %s (%s); its "
			      "matches "
			      "are unconfined until adopted",
			      d->config_path, ar->line, ar->cgroup,
			      err == -ERANGE  ? "deeper than 15 levels"
			      : err == -EXDEV ? "the cgroup2 mount is not the hierarchy's root: a "
						"cgroup namespace? mount the host's"
					      : strerror(-err));
			continue;
		}
		ok[r] = true;
		if (!d->apol || !d->apol[r].text)
			continue;
		{
			struct pol_choice pc = {
				.from = FROM_ADOPT, .text = d->apol[r].text, .len = d->apol[r].len};

			snprintf(pc.name, sizeof(pc.name), "%s", d->apol[r].path);
			/* Kept in next[] as it goes, so the next rule's ids are not these. */
			memcpy(d->hold_next, next, sizeof(next));
			err = compile_for(d, &pc, "", NULL, NULL, false, NULL, &next[r], &dg);
			if (!err)
				err = wd_enforcer_load_policy(&d->enf, next[r]);
		}
		if (err) {
			wd_diags_print(stderr, &dg);
			logf_("adoption rule at %s:%d: its policy cannot be loaded for the "
			      "kernel's "
			      "hold (%s): new matches are held with nothing allowed until adopted",
			      d->config_path, ar->line, strerror(-err));
			policy_release(d, next[r]);
			next[r] = NULL;
		}
		wd_diags_free(&dg);
	}
	memset(d->hold_next, 0, sizeof(d->hold_next));

	/* The new set into the other bank, its levels first, then in force at once. */
	err = wd_enforcer_adopt_bank(&d->enf, &bank);
	bank = err ? 0 : bank ^ 1;
	for (size_t r = 0; !err && r < WD_ADOPT_MAX; r++) {
		if (ok[r])
			err = wd_enforcer_add_level(&d->enf, level[r]);
		if (!err)
			err = wd_enforcer_set_adopt(&d->enf, bank, (uint32_t)r,
						    ok[r] ? pat[r] : NULL, ok[r] ? level[r] : 0,
						    next[r] ? next[r]->policy_id : 0);
		n_ok += ok[r];
	}
	if (!err)
		err = wd_enforcer_adopt_switch(&d->enf, bank);
	if (err) {
		/* The set in force stays, with its slots: the new policies go. */
		logf_("the kernel's copy of the adoption rules could not be replaced (%s): the "
		      "previous rules stay held",
		      strerror(-err));
		for (size_t r = 0; r < WD_ADOPT_MAX; r++)
			policy_release(d, next[r]);
		return;
	}
	for (size_t r = 0; r < WD_ADOPT_MAX; r++)
		wd_enforcer_set_adopt(&d->enf, bank ^ 1, (uint32_t)r, NULL, 0, 0);

	/* Held cgroups on other sets' slots: nothing allowed until adopted (moments later). */
	n = wd_enforcer_held_list(&d->enf, cgids, slots, 2 * WD_SANDBOXES_MAX);
	for (int i = 0; i < n; i++)
		if (slots[i] && !in_set(next, slots[i]))
			wd_enforcer_hold(&d->enf, cgids[i], 0, true);
	/* The set before the previous one goes; the previous one waits a set longer. */
	for (size_t r = 0; r < WD_ADOPT_MAX; r++) {
		policy_release(d, d->hold_prev[r]);
		d->hold_prev[r] = d->hold[r];
		d->hold[r] = next[r];
	}
	for (uint32_t s = 1; s < WD_POLICIES_MAX; s++) {
		if (d->hold_old_prev[s]) {
			wd_enforcer_clear_slot(&d->enf, s);
			d->slot_used[s] = false;
		}
		d->hold_old_prev[s] = d->hold_old[s];
		d->hold_old[s] = false;
	}
	d->n_hold = n_ok;
	hold_anchor(d);
}
