// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Holding new cgroups adoption rules match (bpf/wd_cgroup.bpf.c): the cgroup_mkdir and
 * cgroup_rmdir programs, the two banks of adoption rules, held cgroups, and (without BPF LSM)
 * the sock_addr programs that decide for held sandboxes. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"
#include "wd_cgroup.skel.h"

int wd_enforcer_attach_hold(struct wd_enforcer *e)
{
	struct bpf_program *progs[] = {e->cg->progs.wd_cgroup_mkdir, e->cg->progs.wd_cgroup_rmdir};
	const char *names[] = {"hold_mkdir", "hold_rmdir"};

	if (!e->pin_dir[0])
		return -EINVAL;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char path[PATH_MAX];
		struct bpf_link *l = bpf_program__attach(progs[i]);
		int err;

		if (!l)
			return -errno;
		snprintf(path, sizeof(path), "%s/links/%s", e->pin_dir, names[i]);
		err = wd_enf_pin_replace(l, path);
		if (err)
			return err;
	}
	return 0;
}

int wd_enforcer_adopt_bank(struct wd_enforcer *e, uint32_t *bank)
{
	uint32_t zero = 0;

	if (bpf_map__lookup_elem(e->cg->maps.wd_adopt_bank, &zero, sizeof(zero), bank,
				 sizeof(*bank), 0))
		return -errno;
	*bank &= 1;
	return 0;
}

int wd_enforcer_set_adopt(struct wd_enforcer *e, uint32_t bank, uint32_t idx, const char *pat,
			  unsigned level, uint32_t policy_id)
{
	struct wd_adopt_pat ap = {.level = level, .policy_id = policy_id};
	uint32_t key = (bank & 1) * WD_ADOPT_MAX + idx;

	if (idx >= WD_ADOPT_MAX)
		return -ERANGE;
	if (!pat)
		return bpf_map__delete_elem(e->cg->maps.wd_adopt, &key, sizeof(key), 0) &&
				       errno != ENOENT
			       ? -errno
			       : 0;
	if (strlen(pat) >= sizeof(ap.pat) || level == 0 || level >= WD_LEVELS_MAX)
		return -ENAMETOOLONG;
	strcpy(ap.pat, pat);
	return wd_enf_update(e->cg->maps.wd_adopt, &key, &ap);
}

int wd_enforcer_adopt_switch(struct wd_enforcer *e, uint32_t bank)
{
	uint32_t zero = 0;

	bank &= 1;
	return wd_enf_update(e->cg->maps.wd_adopt_bank, &zero, &bank);
}

int wd_enforcer_adopt_slots(struct wd_enforcer *e, uint32_t *slots, size_t max)
{
	size_t n = 0;

	for (uint32_t key = 0; key < 2 * WD_ADOPT_MAX && n < max; key++) {
		struct wd_adopt_pat ap;

		if (bpf_map__lookup_elem(e->cg->maps.wd_adopt, &key, sizeof(key), &ap, sizeof(ap),
					 0) == 0)
			slots[n++] = ap.policy_id;
	}
	return (int)n;
}

uint64_t wd_enforcer_hold_failures(struct wd_enforcer *e)
{
	return wd_enf_percpu_sum(e->cg->maps.wd_hold_fail, 0);
}

int wd_enforcer_held(struct wd_enforcer *e, uint64_t cgid, uint32_t *policy_id)
{
	struct wd_sandbox sb;

	if (bpf_map__lookup_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), &sb, sizeof(sb),
				 0) ||
	    !(sb.flags & WD_SB_HELD))
		return 0;
	if (policy_id)
		*policy_id = sb.policy_id;
	return 1;
}

int wd_enforcer_held_list(struct wd_enforcer *e, uint64_t *cgids, uint32_t *policy_ids, size_t max)
{
	struct bpf_map *m = e->cg->maps.wd_sandboxes;
	uint64_t key, next;
	void *prev = NULL;
	size_t n = 0;

	while (n < max && bpf_map__get_next_key(m, prev, &next, sizeof(next)) == 0) {
		uint32_t pid;

		key = next;
		prev = &key;
		if (wd_enforcer_held(e, key, &pid)) {
			cgids[n] = key;
			policy_ids[n++] = pid;
		}
	}
	return (int)n;
}

int wd_enforcer_hold(struct wd_enforcer *e, uint64_t cgid, uint32_t policy_id, bool only_held)
{
	struct wd_sandbox sb = {.policy_id = policy_id, .flags = WD_SB_HELD};

	if (only_held && !wd_enforcer_held(e, cgid, NULL))
		return -ENOENT;
	/* Never a new entry: one for a cgroup removed meanwhile would never go. */
	return bpf_map__update_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), &sb, sizeof(sb),
				    BPF_EXIST)
		       ? -errno
		       : 0;
}

static const char *const hold_prog_names[] = {"hold_sock_owner", "hold_connect4", "hold_connect6",
					      "hold_sendmsg4",	 "hold_sendmsg6", "hold_bind4",
					      "hold_bind6",	 "hold_egress"};

int wd_enforcer_attach_hold_cgroup(struct wd_enforcer *e, int cgroup_fd)
{
	/* The owner tag is the same program as for adopted sandboxes: it tags for any sandbox. */
	struct bpf_program *progs[] = {e->cg->progs.wd_sock_owner, e->cg->progs.wd_hold_conn4,
				       e->cg->progs.wd_hold_conn6, e->cg->progs.wd_hold_send4,
				       e->cg->progs.wd_hold_send6, e->cg->progs.wd_hold_bind4,
				       e->cg->progs.wd_hold_bind6, e->cg->progs.wd_hold_egress};
	struct stat st;

	_Static_assert(sizeof(progs) / sizeof(progs[0]) ==
			       sizeof(hold_prog_names) / sizeof(hold_prog_names[0]),
		       "a pin name for every program");
	if (!e->pin_dir[0])
		return -EINVAL;
	if (fstat(cgroup_fd, &st))
		return -errno;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char path[PATH_MAX];
		int err;

		snprintf(path, sizeof(path), "%s/links/%s_%llu", e->pin_dir, hold_prog_names[i],
			 (unsigned long long)st.st_ino);
		err = wd_enf_attach_cgroup_pinned(progs[i], cgroup_fd, path);
		if (err)
			return err;
	}
	return 0;
}

void wd_enforcer_unpin_hold_cgroups(struct wd_enforcer *e, const uint64_t *keep, size_t n)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/links", e->pin_dir);
	d = e->pin_dir[0] ? opendir(dir) : NULL;
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *us = strrchr(de->d_name, '_');
		unsigned long long ino;
		bool kept = false;

		if (strncmp(de->d_name, "hold_", 5) || !us || sscanf(us + 1, "%llu", &ino) != 1)
			continue;
		for (size_t i = 0; i < n; i++)
			kept |= keep[i] == ino;
		if (kept)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}
