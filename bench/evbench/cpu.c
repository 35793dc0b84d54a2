// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench's CPU accounting: the consumer CPU's busy time, the time of each of our threads, and
 * which of the process's threads are the sinks' (and their background threads'). */
#include "evbench.h"

/* Busy time of CPU @cpu from /proc/stat (every process's, the kernel's, and steal). */
uint64_t cpu_busy_ns(int cpu)
{
	unsigned long long v[8] = {0};
	char line[512], name[16];
	uint64_t busy = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name))) {
			sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu",
			       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
			busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
			break;
		}
	fclose(f);
	return hz > 0 ? busy * (1000000000ull / (uint64_t)hz) : 0;
}

/* CPU time of one of our threads (/proc/self/task/TID/schedstat: it may be another library's). */
uint64_t thread_cpu_ns(pid_t tid)
{
	unsigned long long run = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &run) != 1)
		run = 0;
	fclose(f);
	return run;
}

static int cmp_tid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

/* Which background thread of a sink @tid is, by name; BG_NR: none. */
static enum bg_kind bg_thread(pid_t tid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return BG_NR;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	for (int k = 0; k < BG_NR; k++)
		if (!strcmp(comm, bg_name[k]))
			return (enum bg_kind)k;
	return BG_NR;
}

/* The sinks' background threads' CPU time since find_sink_threads(), of one kind (BG_NR: all). */
uint64_t bg_cpu(const struct result *r, enum bg_kind kind)
{
	uint64_t t = 0;

	for (size_t i = 0; i < r->n_bg; i++)
		if (kind == BG_NR || r->bg_kind[i] == kind)
			t += thread_cpu_ns(r->bg_tid[i]) - r->bg_cpu_ns[i];
	return t;
}

/* The pipeline's threads, one per sink in the order of the sinks: the threads of this process
 * that are none of ours, by creation (tid) order. Leaves every tid 0 if they do not match. The
 * background threads (wd-gzip, wd-wb, wd-sync) are set apart. */
void find_sink_threads(struct bench *b, struct result *r)
{
	pid_t tids[SINKS_MAX + 1];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");

	r->n_bg = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t t = (pid_t)atoi(de->d_name);
		bool ours = t <= 0 || t == getpid() || t == b->col.tid;

		for (unsigned i = 0; i < o.producers && !ours; i++)
			ours = t == b->prod[i].tid;
		enum bg_kind k = ours ? BG_NR : bg_thread(t);

		if (k != BG_NR) {
			if (r->n_bg < BG_MAX) {
				r->bg_tid[r->n_bg] = t;
				r->bg_kind[r->n_bg] = k;
				r->bg_cpu_ns[r->n_bg++] = thread_cpu_ns(t);
			}
			continue;
		}
		if (!ours && n < SINKS_MAX + 1)
			tids[n++] = t;
	}
	closedir(d);
	if (n != r->n_sinks)
		return;
	qsort(tids, n, sizeof(tids[0]), cmp_tid);
	for (size_t i = 0; i < n; i++) {
		r->sink[i].tid = tids[i];
		r->sink[i].cpu_ns = thread_cpu_ns(tids[i]);
	}
}

uint64_t consumer_cpu(struct bench *b, uint64_t *prod)
{
	uint64_t all = cpu_ns(CLOCK_PROCESS_CPUTIME_ID), p = 0;

	for (unsigned i = 0; i < o.producers; i++)
		p += cpu_ns(b->prod[i].clk);
	*prod = p;
	if (b->col.started)
		all -= cpu_ns(b->col.clk);
	return all - p;
}
