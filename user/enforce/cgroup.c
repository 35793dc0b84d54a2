// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The cgroup object (bpf/wd_cgroup.bpf.c: network, and holding new cgroups): it loads on every
 * cgroup v2 kernel, owns the maps both objects share, and its sock_addr programs are attached
 * to each sandbox's cgroup. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"
#include "lib/cleanup.h"
#include "wd_cgroup.skel.h"
#include "wd_lsm.skel.h"

WD_DEFINE_FREEP(wd_cgroup_bpf, struct wd_cgroup_bpf, wd_cgroup_bpf__destroy)

/* The LSM object's copies of the shared maps become the cgroup object's. */
int wd_enf_share_maps(struct wd_lsm_bpf *lsm, struct wd_cgroup_bpf *cg)
{
	const struct {
		struct bpf_map *to, *from;
	} shared[] = {
		{lsm->maps.wd_sandboxes, cg->maps.wd_sandboxes},
		{lsm->maps.wd_policies, cg->maps.wd_policies},
		{lsm->maps.wd_net, cg->maps.wd_net},
		{lsm->maps.wd_hits, cg->maps.wd_hits},
		{lsm->maps.wd_events, cg->maps.wd_events},
		{lsm->maps.wd_lost, cg->maps.wd_lost},
		{lsm->maps.wd_sb_lost, cg->maps.wd_sb_lost},
		{lsm->maps.wd_levels, cg->maps.wd_levels},
	};

	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		int err = bpf_map__reuse_fd(shared[i].to, bpf_map__fd(shared[i].from));

		if (err)
			return err;
	}
	return 0;
}

int wd_enf_cgroup_open(struct wd_enforcer *e)
{
	_cleanup_with_(wd_cgroup_bpfp) struct wd_cgroup_bpf *cg = wd_cgroup_bpf__open();
	int err;

	if (!cg)
		return -errno;
	err = e->pin_dir[0] ? wd_enf_set_pins(cg->obj, e->pin_dir) : 0;
	if (!err)
		err = wd_cgroup_bpf__load(cg);
	if (err)
		return err;
	e->cg = TAKE_PTR(cg);
	return 0;
}

/* In the order wd_enforcer_attach_cgroup() attaches them. */
static const char *const cg_prog_names[] = {"sock_owner", "connect4", "connect6",
					    "sendmsg4",	  "sendmsg6", "bind4",
					    "bind6",	  "egress",   "device"};

int wd_enforcer_attach_cgroup(struct wd_enforcer *e, int cgroup_fd)
{
	/* The owner tag first: a socket made once the gates are attached must carry it. */
	struct bpf_program *progs[] = {
		e->cg->progs.wd_sock_owner, e->cg->progs.wd_connect4, e->cg->progs.wd_connect6,
		e->cg->progs.wd_sendmsg4,   e->cg->progs.wd_sendmsg6, e->cg->progs.wd_bind4,
		e->cg->progs.wd_bind6,	    e->cg->progs.wd_egress,   e->cg->progs.wd_device};
	struct bpf_link **links[] = {
		&e->cg->links.wd_sock_owner, &e->cg->links.wd_connect4, &e->cg->links.wd_connect6,
		&e->cg->links.wd_sendmsg4,   &e->cg->links.wd_sendmsg6, &e->cg->links.wd_bind4,
		&e->cg->links.wd_bind6,	     &e->cg->links.wd_egress,	&e->cg->links.wd_device};

	_Static_assert(sizeof(progs) / sizeof(progs[0]) ==
			       sizeof(cg_prog_names) / sizeof(cg_prog_names[0]),
		       "a pin name for every program");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *l;

		if (e->pin_dir[0]) {
			char path[PATH_MAX];
			struct stat st;
			int err;

			/* Pinned per sandbox cgroup, so enforcement outlives the daemon. */
			if (fstat(cgroup_fd, &st))
				return -errno;
			snprintf(path, sizeof(path), "%s/links/cg_%llu_%s", e->pin_dir,
				 (unsigned long long)st.st_ino, cg_prog_names[i]);
			err = wd_enf_attach_cgroup_pinned(progs[i], cgroup_fd, path);
			if (err)
				return err;
			continue;
		}
		l = bpf_program__attach_cgroup(progs[i], cgroup_fd);
		if (!l)
			return -errno;
		/* The skeleton destroys its links on close. */
		bpf_link__destroy(*links[i]);
		*links[i] = l;
	}
	return 0;
}

void wd_enforcer_unpin_cgroup(struct wd_enforcer *e, uint64_t cgid)
{
	char path[PATH_MAX];

	if (!e->pin_dir[0])
		return;
	for (size_t i = 0; i < sizeof(cg_prog_names) / sizeof(cg_prog_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/links/cg_%llu_%s", e->pin_dir,
			 (unsigned long long)cgid, cg_prog_names[i]);
		unlink(path);
	}
}
