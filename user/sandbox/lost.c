// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Lost-event accounting: new kernel losses since the last look, split between the sandboxes
 * that lost them and the node. */
#include <errno.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "sandbox/lost.h"

uint64_t wd_lost_since(uint64_t now, uint64_t *seen)
{
	uint64_t d = now > *seen ? now - *seen : 0;

	*seen = now;
	return d;
}

uint64_t wd_lost_take(uint64_t *rest, uint64_t now, uint64_t *seen)
{
	uint64_t d;

	if (now < *seen) {
		/* Its counter started again: what it lost before was reported. */
		*seen = now;
		return 0;
	}
	d = now - *seen;
	if (d > *rest)
		d = *rest;
	*seen += d;
	*rest -= d;
	return d;
}

int wd_lost_open(struct wd_lost *l, struct wd_enforcer *enf)
{
	*l = (struct wd_lost){0};
	l->ncpu = libbpf_num_possible_cpus();
	l->cpu = l->ncpu > 0 ? calloc((size_t)l->ncpu, sizeof(*l->cpu)) : NULL;
	if (!l->cpu)
		return -ENOMEM;
	l->seen = wd_enforcer_lost_cpu(enf, l->cpu, l->ncpu);
	return 0;
}

void wd_lost_close(struct wd_lost *l)
{
	free(l->cpu);
	*l = (struct wd_lost){0};
}

/* Reserve failures in the kernel since the last look. Called after every drain of the ring
 * buffer: one map read when nothing was lost. */
uint64_t wd_lost_poll(struct wd_lost *l, struct wd_enforcer *enf, char *detail, size_t size)
{
	uint64_t n;

	if (!l->cpu)
		return 0;
	n = wd_lost_since(wd_enforcer_lost_cpu(enf, l->cpu, l->ncpu), &l->seen);
	if (n)
		wd_lost_detail(detail, size, l->cpu, l->ncpu);
	return n;
}
