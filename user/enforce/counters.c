// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's counters, summed: records lost because the ring buffer was full (in all, per CPU,
 * per sandbox), how often each rule decided, and how often the kernel skipped warden's LSM
 * programs (recursion misses). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce/enforce.h"
#include "enforce/internal.h"
#include "wd_cgroup.skel.h"
#include "wd_lsm.skel.h"

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

/* The recursion misses of one program (bpf_prog_info), added to *@sum. */
static int add_misses(int prog_fd, uint64_t *sum)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	*sum += info.recursion_misses;
	return 0;
}

/* Pinned (the daemon): the programs its pinned links run, which may be an earlier build's. */
static int pinned_misses(const char *pin_dir, uint64_t *sum, int *n)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;
	int err = 0;

	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	d = opendir(dir);
	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		struct bpf_link_info li;
		__u32 len = sizeof(li);
		int lfd, pfd;

		if (strncmp(de->d_name, "fmr_", 4) && strncmp(de->d_name, "lsm_", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		lfd = bpf_obj_get(path);
		if (lfd < 0)
			continue; /* unpinned meanwhile */
		memset(&li, 0, sizeof(li));
		if (bpf_obj_get_info_by_fd(lfd, &li, &len) == 0 &&
		    (pfd = bpf_prog_get_fd_by_id(li.prog_id)) >= 0) {
			err = add_misses(pfd, sum);
			(*n)++;
			close(pfd);
		}
		close(lfd);
	}
	closedir(d);
	return err;
}

int wd_enforcer_recursion_misses(const struct wd_enforcer *e, uint64_t *sum, int *n)
{
	struct bpf_program *prog;
	int err = 0;

	*sum = 0;
	*n = 0;
	if (!e->lsm)
		return -ENOENT;
	if (e->pin_dir[0])
		return pinned_misses(e->pin_dir, sum, n);
	bpf_object__for_each_program (prog, e->lsm->obj) {
		if (bpf_program__fd(prog) < 0)
			continue; /* not loaded: a hook this kernel lacks */
		err = add_misses(bpf_program__fd(prog), sum);
		if (err)
			break;
		(*n)++;
	}
	return err;
}
