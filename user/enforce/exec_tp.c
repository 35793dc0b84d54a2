// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The exec second line where the LSM programs are not loaded (rungs 3 and 4): the LSM object's
 * tracepoint program alone (bpf/lsm/exec.bpf.h, wd_exec_tp), on the same maps, deciding each
 * exec of a sandbox with the same rules after the fact and killing a denied one before its first
 * instruction. Pinned in the daemon, as the rest of its enforcement; in warden run it lives with
 * the process (and its guardian). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"
#include "enforce/libbpf_log.h"
#include "hooks/hooks.h"
#include "lib/cleanup.h"
#include "wd_cgroup.skel.h"
#include "wd_lsm.skel.h"

WD_DEFINE_FREEP(wd_lsm_bpf, struct wd_lsm_bpf, wd_lsm_bpf__destroy)

int wd_enf_exec_tp_open(struct wd_enforcer *e)
{
	_cleanup_with_(wd_lsm_bpfp) struct wd_lsm_bpf *tp = wd_lsm_bpf__open();
	struct bpf_program *prog;
	struct bpf_link *l;
	char path[PATH_MAX];
	int err;

	if (!tp)
		return -errno;
	bpf_object__for_each_program (prog, tp->obj)
		bpf_program__set_autoload(prog, prog == tp->progs.wd_exec_tp);
	/* No LSM or fmod_ret program here: the walk, never bpf_d_path. */
	tp->rodata->wd_mech = WD_MECH_FMODRET;
	err = e->pin_dir[0] ? wd_enf_set_pins(tp->obj, e->pin_dir) : wd_enf_share_maps(tp, e->cg);
	if (!err)
		err = wd_lsm_bpf__load(tp);
	if (err) {
		snprintf(e->exec_tp_error, sizeof(e->exec_tp_error), "load failed: %s%s%s%s",
			 strerror(-err), wd_libbpf_last()[0] ? " (" : "", wd_libbpf_last(),
			 wd_libbpf_last()[0] ? ")" : "");
		return err;
	}
	l = bpf_program__attach(tp->progs.wd_exec_tp);
	if (!l) {
		err = -errno;
		snprintf(e->exec_tp_error, sizeof(e->exec_tp_error), "attach failed: %s",
			 strerror(-err));
		return err;
	}
	if (e->pin_dir[0]) {
		/* The pin holds the link (and the handle is gone): it outlives the daemon. */
		snprintf(path, sizeof(path), "%s/links/tp_exec", e->pin_dir);
		err = wd_enf_pin_replace(l, path);
		if (err) {
			snprintf(e->exec_tp_error, sizeof(e->exec_tp_error), "pin %s: %s", path,
				 strerror(-err));
			return err;
		}
	} else {
		tp->links.wd_exec_tp = l; /* destroyed with the skeleton */
	}
	e->exec_tp = TAKE_PTR(tp);
	e->exec_tp_error[0] = '\0';
	return 0;
}
