// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The cgroup object (bpf/wd_cgroup.bpf.c: network, block devices, unix sockets where BPF LSM is
 * missing, and holding new cgroups): it loads on every cgroup v2 kernel (its unix socket
 * programs where the kernel has their hooks), owns the maps both objects share, and its
 * programs are attached to each sandbox's cgroup. */
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
		{lsm->maps.wd_file_exact, cg->maps.wd_file_exact},
		{lsm->maps.wd_file_prefix, cg->maps.wd_file_prefix},
		{lsm->maps.wd_unix_abstract, cg->maps.wd_unix_abstract},
	};

	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		int err = bpf_map__reuse_fd(shared[i].to, bpf_map__fd(shared[i].from));

		if (err)
			return err;
	}
	return 0;
}

/* The attach types of the unix socket hooks (Linux 6.7), by number: the uapi headers and libbpf
 * this builds with may predate them. */
#define WD_CGROUP_UNIX_CONNECT 49
#define WD_CGROUP_UNIX_SENDMSG 50

bool wd_enforcer_unix_hooks(char *why, size_t len)
{
	const struct bpf_insn ret1[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = WD_CGROUP_UNIX_CONNECT);
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "wd_unix_probe", "GPL", ret1, 2, &o);

	if (fd < 0) {
		snprintf(why, len,
			 "this kernel has no cgroup sock_addr hooks for unix sockets "
			 "(Linux 6.7 and later): %s",
			 strerror(errno));
		return false;
	}
	close(fd);
	if (len)
		why[0] = '\0';
	return true;
}

/* Opens and loads the object, its unix socket programs only with @with_unix. */
static int cgroup_load(struct wd_enforcer *e, bool with_unix)
{
	_cleanup_with_(wd_cgroup_bpfp) struct wd_cgroup_bpf *cg = wd_cgroup_bpf__open();
	const struct {
		struct bpf_program *prog;
		enum bpf_attach_type type;
	} unix_progs[] = {
		{cg ? cg->progs.wd_cg_unix_conn : NULL, WD_CGROUP_UNIX_CONNECT},
		{cg ? cg->progs.wd_cg_unix_send : NULL, WD_CGROUP_UNIX_SENDMSG},
	};
	int err;

	if (!cg)
		return -errno;
	/* Sections libbpf 1.1 does not know: their type set here, before the load. */
	for (size_t i = 0; i < sizeof(unix_progs) / sizeof(unix_progs[0]); i++) {
		bpf_program__set_type(unix_progs[i].prog, BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
		bpf_program__set_expected_attach_type(unix_progs[i].prog, unix_progs[i].type);
		bpf_program__set_autoload(unix_progs[i].prog, with_unix);
	}
	err = e->pin_dir[0] ? wd_enf_set_pins(cg->obj, e->pin_dir) : 0;
	if (!err)
		err = wd_cgroup_bpf__load(cg);
	if (err)
		return err;
	e->cg = TAKE_PTR(cg);
	e->cg_unix = with_unix;
	return 0;
}

int wd_enf_cgroup_open(struct wd_enforcer *e)
{
	bool with_unix = wd_enforcer_unix_hooks(e->cg_unix_error, sizeof(e->cg_unix_error));
	int err = cgroup_load(e, with_unix);

	/* The unix socket programs are optional: a kernel that refuses them keeps the rest. */
	if (err && with_unix) {
		snprintf(e->cg_unix_error, sizeof(e->cg_unix_error),
			 "the kernel refused warden's unix socket programs: %s", strerror(-err));
		err = cgroup_load(e, false);
	}
	return err;
}

/* In the order wd_enforcer_attach_cgroup() attaches them; the unix socket programs last. */
static const char *const cg_prog_names[] = {"sock_owner", "connect4",	  "connect6",	 "sendmsg4",
					    "sendmsg6",	  "bind4",	  "bind6",	 "egress",
					    "device",	  "connect_unix", "sendmsg_unix"};
#define CG_UNIX_FIRST 9

int wd_enforcer_attach_cgroup(struct wd_enforcer *e, int cgroup_fd)
{
	/* The owner tag first: a socket made once the gates are attached must carry it. */
	struct bpf_program *progs[] = {
		e->cg->progs.wd_sock_owner,   e->cg->progs.wd_connect4,	   e->cg->progs.wd_connect6,
		e->cg->progs.wd_sendmsg4,     e->cg->progs.wd_sendmsg6,	   e->cg->progs.wd_bind4,
		e->cg->progs.wd_bind6,	      e->cg->progs.wd_egress,	   e->cg->progs.wd_device,
		e->cg->progs.wd_cg_unix_conn, e->cg->progs.wd_cg_unix_send};
	struct bpf_link **links[] = {&e->cg->links.wd_sock_owner,  &e->cg->links.wd_connect4,
				     &e->cg->links.wd_connect6,	   &e->cg->links.wd_sendmsg4,
				     &e->cg->links.wd_sendmsg6,	   &e->cg->links.wd_bind4,
				     &e->cg->links.wd_bind6,	   &e->cg->links.wd_egress,
				     &e->cg->links.wd_device,	   &e->cg->links.wd_cg_unix_conn,
				     &e->cg->links.wd_cg_unix_send};
	/* The unix socket programs decide by path where BPF LSM is missing; where it runs, its
	 * hooks decide on the socket the kernel found, which a path can only second-guess. */
	size_t n = e->cg_unix && !e->lsm ? sizeof(progs) / sizeof(progs[0]) : CG_UNIX_FIRST;

	_Static_assert(sizeof(progs) / sizeof(progs[0]) ==
			       sizeof(cg_prog_names) / sizeof(cg_prog_names[0]),
		       "a pin name for every program");
	for (size_t i = 0; i < n; i++) {
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
