// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* evbench's report: a row per step, the per-thread and per-sink table, the least disturbed round
 * of each step, and the summary (where loss starts, the file sink's baselines, CPU per event). */
#include "evbench.h"

const char *fmt_rate(char *buf, size_t size, double v)
{
	if (v >= 1e6)
		snprintf(buf, size, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, size, "%.0fk", v / 1e3);
	else
		snprintf(buf, size, "%.0f", v);
	return buf;
}

void print_header(void)
{
	printf("%-9s %7s %9s %10s %10s %9s %9s %5s %9s %8s %8s %6s %6s %6s\n", "config", "target",
	       "offered/s", "produced", "delivered", "lost-kern", "lost-pipe", "check", "deliv/s",
	       "lag-ms", "cons-ns", "x-rb", "cons%", "other%");
}

void print_row(const struct result *r, const struct result *rb)
{
	char t[16], off[16], dl[16], ratio[16] = "-";
	double handled = (double)(r->produced - r->klost);
	double ns = handled > 0 ? r->cons_cpu_s * 1e9 / handled : 0;

	if (rb && rb->produced > rb->klost) {
		double rbns = rb->cons_cpu_s * 1e9 / (double)(rb->produced - rb->klost);

		if (rbns > 0)
			snprintf(ratio, sizeof(ratio), "%.1f", ns / rbns);
	}
	printf("%-9s %7s %9s %10" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64
	       " %5s %9s %8.1f %8.0f %6s %6.0f %6.0f\n",
	       mode_name[r->m], r->target ? fmt_rate(t, sizeof(t), (double)r->target) : "max",
	       fmt_rate(off, sizeof(off), (double)r->produced / r->run_s), r->produced,
	       r->delivered, r->klost, r->lost_pipe, r->ok ? "ok" : "FAIL",
	       fmt_rate(dl, sizeof(dl), (double)r->delivered / r->total_s), r->lag_ms, ns, ratio,
	       100.0 * r->cons_cpu_s / r->total_s, 100.0 * r->other_s / r->total_s);
	fflush(stdout);
}

void print_sinks(const struct result *res, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		const struct result *r = &res[i];
		double handled = (double)(r->produced - r->klost);
		char t[16];

		if (!r->n_sinks || handled <= 0)
			continue;
		if (!any) {
			printf("\nper thread of the consumer's CPU: ns of CPU per event taken from "
			       "the "
			       "ring buffer; per sink: records written, lost (queue full or "
			       "refused), "
			       "reported lost to it, what its reader got back\n");
			printf("%-7s %-9s %-8s %8s %10s %10s %10s %10s %s\n", "target", "config",
			       "thread", "ns/ev", "written", "lost", "reported", "read", "check");
			any = true;
		}
		fmt_rate(t, sizeof(t), (double)r->target);
		printf("%-7s %-9s %-8s %8.0f\n", r->target ? t : "max", mode_name[r->m], "consumer",
		       r->main_cpu_s * 1e9 / handled);
		for (int k = 0; k < BG_NR; k++) {
			bool any_k = false;

			for (size_t j = 0; j < r->n_bg; j++)
				any_k |= r->bg_kind[j] == (enum bg_kind)k;
			if (any_k)
				printf("%-7s %-9s %-8s %8.0f   (%s, on the other CPUs)\n",
				       r->target ? t : "max", mode_name[r->m], bg_name[k],
				       r->bg_cpu_s[k] * 1e9 / handled, bg_what[k]);
		}
		for (size_t k = 0; k < r->n_sinks; k++) {
			const struct sink_result *s = &r->sink[k];
			char ns[16] = "?";

			if (s->tid)
				snprintf(ns, sizeof(ns), "%.0f", (double)s->cpu_ns / handled);
			printf("%-7s %-9s %-8s %8s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			       " %10" PRIu64 " %s%s%s\n",
			       r->target ? t : "max", mode_name[r->m], s->st.name, ns,
			       s->st.written, s->st.lost, s->st.lost_reported, s->seen,
			       s->ok ? "ok" : "FAIL", s->ok ? "" : ": ", s->ok ? "" : s->why);
		}
	}
}

/* The rb-only row of the same target (and round: the latest before @r), for x-rb. */
const struct result *find_rb(const struct result *res, size_t n, const struct result *r)
{
	const struct result *rb = NULL;

	for (size_t i = 0; i < n && &res[i] != r; i++)
		if (res[i].m == M_RB && res[i].target == r->target)
			rb = &res[i];
	if (!rb)
		for (size_t i = 0; i < n; i++)
			if (res[i].m == M_RB && res[i].target == r->target)
				rb = &res[i];
	return r->m == M_RB ? NULL : rb;
}

/* For each step (target, configuration), the round where the consumer's CPU did the least
 * other work: interference only slows a step down. In rate, then configuration, order. */
size_t pick_best(const struct result *res, size_t n, struct result *best)
{
	size_t nb = 0;

	for (size_t k = 0; k < o.n_rates; k++)
		for (int m = 0; m < M_NR; m++) {
			const struct result *pick = NULL;

			for (size_t i = 0; i < n; i++) {
				const struct result *r = &res[i];

				if (r->m != (enum mode)m || r->target != o.rates[k])
					continue;
				if (!pick ||
				    r->other_s / r->total_s < pick->other_s / pick->total_s)
					pick = r;
			}
			if (pick)
				best[nb++] = *pick;
		}
	return nb;
}

double ceiling_before[2], ceiling_after[2];

static void print_ceiling(const char *when, const double bps[2], double rec_bytes)
{
	static const char *const how[2] = {"plain", "written behind"};
	char a[16];

	for (int i = 0; i < 2; i++) {
		printf("  %-6s %-14s ", when, how[i]);
		if (bps[i] <= 0) {
			printf("could not be measured\n");
			continue;
		}
		printf("%6.0f MB/s", bps[i] / 1e6);
		if (rec_bytes > 0)
			printf(" = %s events/s of %.0f bytes",
			       fmt_rate(a, sizeof(a), bps[i] / rec_bytes), rec_bytes);
		printf("\n");
	}
}

void print_summary(const struct result *res, size_t n)
{
	printf("\n");
	for (int m = 0; m < M_NR; m++) {
		double best_free = 0, best_free_deliv = 0, first_loss = 0, max_deliv = 0;
		double prod_ns = 0;

		if (!o.mode[m])
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct result *r = &res[i];
			double off = (double)r->produced / r->run_s;
			double deliv = (double)r->delivered / r->total_s;

			if (r->m != (enum mode)m)
				continue;
			if (deliv > max_deliv)
				max_deliv = deliv;
			if (r->klost || r->lost_pipe) {
				if (!first_loss || off < first_loss)
					first_loss = off;
			} else if (off > best_free) {
				best_free = off;
				best_free_deliv = deliv;
			}
			if (!r->target && m == M_RB)
				prod_ns = r->prod_cpu_s * 1e9 / (double)r->produced;
		}
		char a[16], b2[16], c[16], d[16];

		if (best_free > 0)
			printf("%-9s no loss up to %s events/s offered (%s/s delivered); ",
			       mode_name[m], fmt_rate(a, sizeof(a), best_free),
			       fmt_rate(b2, sizeof(b2), best_free_deliv));
		else
			printf("%-9s loss at every step; ", mode_name[m]);
		if (first_loss)
			printf("loss from %s/s offered; ", fmt_rate(c, sizeof(c), first_loss));
		else
			printf("no loss at any step; ");
		printf("most delivered: %s/s\n", fmt_rate(d, sizeof(d), max_deliv));
		if (prod_ns > 0)
			printf("%-9s producer cost, unpaced: %.0f ns CPU per event (getppid + "
			       "tracepoint "
			       "+ BPF program), per producer thread\n",
			       "", prod_ns);
	}
	if (ceiling_before[0] > 0 || ceiling_after[0] > 0 || ceiling_before[1] > 0 ||
	    ceiling_after[1] > 0) {
		uint64_t fb = 0, fr = 0;

		for (size_t i = 0; i < n; i++) {
			fb += res[i].file_bytes;
			fr += res[i].file_records;
		}
		printf("baselines for the file sink: write()s of %u MiB into a new file in the "
		       "scratch directory",
		       o.ceiling_mib);
		if (fr)
			printf(" (the file sink's records: %.0f bytes each on average)",
			       (double)fb / fr);
		printf("\n");
		print_ceiling("before", ceiling_before, fr ? (double)fb / fr : 0);
		print_ceiling("after", ceiling_after, fr ? (double)fb / fr : 0);
	}
	/* The stages' costs where the consumer is busiest: the unpaced step. */
	double prev = 0;
	bool any = false;

	for (int m = 0; m < M_NR; m++)
		for (size_t i = 0; i < n; i++) {
			const struct result *r = &res[i];
			double ns;

			if (r->m != (enum mode)m || r->target || r->produced <= r->klost)
				continue;
			ns = r->cons_cpu_s * 1e9 / (double)(r->produced - r->klost);
			if (!any)
				printf("CPU per event on the consumer's CPU, unpaced step "
				       "(capacity at "
				       "100%%):\n");
			printf("  %-9s %6.0f ns", mode_name[m], ns);
			if (any)
				printf(" (%+6.0f)", ns - prev);
			else
				printf("%9s", "");
			printf("  %.2fM/s\n", 1e3 / ns);
			prev = ns;
			any = true;
		}
}
