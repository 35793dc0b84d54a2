// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The cgroup sock_addr hooks warden's network enforcement needs, each loaded and attached to a
 * throwaway cgroup of the probe's own: attaching to a live cgroup, even an allow-all program,
 * would be a change to the system a probe must not make. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "enforce/probe.h"
#include "enforce/probe_internal.h"
#include "lib/cleanup.h"
#include "probe_cgroup.skel.h"

WD_DEFINE_FREEP(probe_cgroup_bpf, struct probe_cgroup_bpf, probe_cgroup_bpf__destroy)

static const struct {
	const char *name;
	const char *prog;
} cgroup_hooks[] = {
	{"cgroup/connect4", "wd_p_connect4"},
	{"cgroup/connect6", "wd_p_connect6"},
	{"cgroup/sendmsg4", "wd_p_sendmsg4"},
	{"cgroup/sendmsg6", "wd_p_sendmsg6"},
};

/* Loads the probe programs and attaches each to the cgroup @cg, a row for each; NULL, or why
 * none could be tried (in @why). */
static const char *attach_all(struct wd_probe *p, const char *cg, char *why, size_t len)
{
	_cleanup_with_(probe_cgroup_bpfp) struct probe_cgroup_bpf *skel = NULL;
	_cleanup_fd_ int cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;

	if (cgfd < 0) {
		snprintf(why, len, "open %s: %s", cg, strerror(errno));
		return why;
	}
	skel = probe_cgroup_bpf__open();
	if (!skel) {
		snprintf(why, len, "open BPF object: %s", strerror(errno));
		return why;
	}
	err = probe_cgroup_bpf__load(skel);
	if (err) {
		snprintf(why, len, "load failed: %s", strerror(-err));
		return why;
	}
	for (size_t i = 0; i < sizeof(cgroup_hooks) / sizeof(cgroup_hooks[0]); i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(skel->obj, cgroup_hooks[i].prog);
		struct bpf_link *link = prog ? bpf_program__attach_cgroup(prog, cgfd) : NULL;

		if (link) {
			wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, true,
				     "loaded and attached to a test cgroup");
			bpf_link__destroy(link);
		} else {
			wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, false,
				     "attach failed: %s", strerror(errno));
		}
	}
	return NULL;
}

void wd_probe_cgroup_hooks(struct wd_probe *p)
{
	char cg[PATH_MAX + 64], whybuf[256];
	const char *why = "no cgroup2 mount";

	if (p->cgroup2[0]) {
		snprintf(cg, sizeof(cg), "%s/warden-probe.%d", p->cgroup2, getpid());
		if (mkdir(cg, 0700) && errno != EEXIST) {
			snprintf(whybuf, sizeof(whybuf), "cannot create a cgroup under %s: %s",
				 p->cgroup2, strerror(errno));
			why = whybuf;
		} else {
			why = attach_all(p, cg, whybuf, sizeof(whybuf));
			rmdir(cg);
		}
	}
	if (why)
		for (size_t i = 0; i < sizeof(cgroup_hooks) / sizeof(cgroup_hooks[0]); i++)
			wd_probe_add(p, cgroup_hooks[i].name, WD_NEED_NETWORK, false, "%s", why);
}
