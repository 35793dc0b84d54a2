// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's per-CPU counters, summed: records lost because the ring buffer was full (in all,
 * per CPU, per sandbox) and how often each rule decided. */
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"
#include "wd_cgroup.skel.h"

void wd_enforcer_reset_hits(struct wd_enforcer *e, uint32_t first, uint32_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *zeros = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*zeros)) : NULL;

	for (uint32_t id = first; zeros && id < first + n && id < WD_RULES_MAX; id++)
		bpf_map__update_elem(e->cg->maps.wd_hits, &id, sizeof(id), zeros,
				     (size_t)ncpu * sizeof(*zeros), 0);
	free(zeros);
}

uint64_t wd_enf_percpu_sum(struct bpf_map *map, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *vals;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (bpf_map__lookup_elem(map, &key, sizeof(key), vals, ncpu * sizeof(*vals), 0) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

uint64_t wd_enforcer_lost(struct wd_enforcer *e)
{
	return wd_enf_percpu_sum(e->cg->maps.wd_lost, 0);
}

uint64_t wd_enforcer_lost_cpu(struct wd_enforcer *e, uint64_t *per_cpu, int ncpu)
{
	uint32_t zero = 0;
	uint64_t sum = 0;

	if (bpf_map__lookup_elem(e->cg->maps.wd_lost, &zero, sizeof(zero), per_cpu,
				 ncpu * sizeof(*per_cpu), 0))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += per_cpu[i];
	return sum;
}

void wd_lost_detail(char *buf, size_t size, const uint64_t *per_cpu, int ncpu)
{
	size_t off = (size_t)snprintf(buf, size, "kernel ring buffer full; lost so far per CPU:");

	for (int i = 0; i < ncpu && off < size; i++)
		if (per_cpu[i])
			off += (size_t)snprintf(buf + off, size - off, " cpu%d=%llu", i,
						(unsigned long long)per_cpu[i]);
}

uint64_t wd_enforcer_sandbox_lost(struct wd_enforcer *e, uint64_t cgid)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *vals;

	if (ncpu <= 0 || !(vals = calloc(ncpu, sizeof(*vals))))
		return 0;
	if (bpf_map__lookup_elem(e->cg->maps.wd_sb_lost, &cgid, sizeof(cgid), vals,
				 ncpu * sizeof(*vals), 0) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

uint64_t wd_enforcer_hits(struct wd_enforcer *e, uint32_t rule_id)
{
	return wd_enf_percpu_sum(e->cg->maps.wd_hits, rule_id);
}
