// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rung 2: the programs of an LSM hook (warden's and the probe's) attached as fmod_ret to the
 * security_* function that calls the hook (fentry where it returns nothing), chosen per program
 * between open and load; and the one attach step for every kind of program the LSM object has.
 * bpf_program__attach() is not that step: once a program's type is changed, newer libbpf forgets
 * its section's attach function (bpf_program__set_type() resets it), and a skeleton's attach then
 * skips the program without an error. */
#include <errno.h>

#include <bpf/libbpf.h>

#include "enforce/internal.h"
#include "hooks/hooks.h"

int wd_enf_retarget(struct bpf_program *prog, const struct wd_lsm_hook *h)
{
	int err;

	if (!h->fn)
		return -ENOENT;
	err = bpf_program__set_type(prog, BPF_PROG_TYPE_TRACING);
	if (!err)
		err = bpf_program__set_expected_attach_type(prog, h->fentry ? BPF_TRACE_FENTRY
									    : BPF_MODIFY_RETURN);
	/* After the type: which BTF name libbpf looks up depends on it ("bpf_lsm_" only for
	 * LSM programs). */
	if (!err)
		err = bpf_program__set_attach_target(prog, 0, h->fn);
	return err;
}

struct bpf_link *wd_enf_attach_prog(struct bpf_program *prog)
{
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_LSM:
		return bpf_program__attach_lsm(prog);
	case BPF_PROG_TYPE_TRACING:
		return bpf_program__attach_trace(prog);
	default:
		return bpf_program__attach(prog);
	}
}
