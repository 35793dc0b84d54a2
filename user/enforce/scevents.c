// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 3's seccomp refusals as events: the table of refused calls the sys_exit program of the
 * cgroup object reads, its attachment, and the mark of the sandboxes it reports for (see
 * enforce.h and bpf/cgroup/scevents.bpf.h). */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "wd_cgroup.skel.h"

int wd_enforcer_attach_scevents(struct wd_enforcer *e, const uint32_t *nrs,
				const struct wd_sc_refusal *how, size_t n)
{
	struct wd_sc_refusal table[WD_SC_NR_MAX];
	struct bpf_link *l;

	if (!e->cg)
		return -EINVAL;
	memset(table, 0, sizeof(table));
	for (size_t i = 0; i < n; i++) {
		/* The filter's errors are EPERM and ENOSYS; an entry without one is a call whose
		 * EROFS alone is reported (WD_SC_ROFS). A call may come twice: merged. */
		if (nrs[i] >= WD_SC_NR_MAX || (how[i].err != EPERM && how[i].err != ENOSYS &&
					       !(how[i].err == 0 && (how[i].flags & WD_SC_ROFS))))
			return -EINVAL;
		if (how[i].err)
			table[nrs[i]].err = how[i].err;
		table[nrs[i]].flags |= how[i].flags;
	}
	for (uint32_t nr = 0; nr < WD_SC_NR_MAX; nr++)
		if (bpf_map__update_elem(e->cg->maps.wd_sc_refused, &nr, sizeof(nr), &table[nr],
					 sizeof(table[nr]), BPF_ANY))
			return -errno;
	if (e->cg->links.wd_sc_exit)
		return 0;
	l = bpf_program__attach(e->cg->progs.wd_sc_exit);
	if (!l)
		return -errno;
	e->cg->links.wd_sc_exit = l; /* the skeleton destroys it on close */
	return 0;
}

void wd_enforcer_detach_scevents(struct wd_enforcer *e)
{
	if (!e->cg || !e->cg->links.wd_sc_exit)
		return;
	bpf_link__destroy(e->cg->links.wd_sc_exit);
	e->cg->links.wd_sc_exit = NULL;
}

bool wd_enforcer_scevents_attached(const struct wd_enforcer *e)
{
	return e->cg && e->cg->links.wd_sc_exit;
}

int wd_enforcer_sandbox_seccomp(struct wd_enforcer *e, uint64_t cgid)
{
	struct wd_sandbox sb;

	if (bpf_map__lookup_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), &sb, sizeof(sb), 0))
		return -errno;
	sb.flags |= WD_SB_SECCOMP;
	return bpf_map__update_elem(e->cg->maps.wd_sandboxes, &cgid, sizeof(cgid), &sb, sizeof(sb),
				    BPF_EXIST)
		       ? -errno
		       : 0;
}
