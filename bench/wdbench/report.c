// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wdbench report: the samples of a run into the table: medians, ratios to the baseline (plain,
 * paired by round, and of the fastest samples), noise and warden's CPU per operation. */
#include "wdbench.h"

/* ---- report ------------------------------------------------------------------------------- */

#define MAX_CELLS   512
#define MAX_SAMPLES 256

struct cell {
	char workload[32], config[64], rules[16];
	double ns[MAX_SAMPLES], watch[MAX_SAMPLES], wait[MAX_SAMPLES];
	int round[MAX_SAMPLES], n, n_watch, n_wait;
	unsigned long long ops, bad;
};

static struct cell cells[MAX_CELLS];
static int n_cells;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Linear interpolation between order statistics; the median for q = 0.5. */
static double quantile(double *v, int n, double q)
{
	double pos, frac;
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	pos = q * (n - 1);
	i = (int)pos;
	frac = pos - i;
	return i + 1 < n ? v[i] + frac * (v[i + 1] - v[i]) : v[i];
}

/* "sandboxed:10" + "open-deny" is open, sandboxed-deny, 10 rules. */
static struct cell *cell_for(const char *name, const char *tag)
{
	char config[64], rules[16] = "-", workload[32];
	const char *colon = strchr(tag, ':'), *deny = strstr(name, "-deny");

	snprintf(config, sizeof(config), "%.*s", colon ? (int)(colon - tag) : (int)strlen(tag),
		 tag);
	if (colon)
		snprintf(rules, sizeof(rules), "%s", colon + 1);
	snprintf(workload, sizeof(workload), "%.*s%s",
		 deny ? (int)(deny - name) : (int)strlen(name), name, deny ? deny + 5 : "");
	if (!strcmp(config, "sandboxed"))
		snprintf(config, sizeof(config), deny ? "sandboxed-deny" : "sandboxed-allow");
	for (int i = 0; i < n_cells; i++)
		if (!strcmp(cells[i].workload, workload) && !strcmp(cells[i].config, config) &&
		    !strcmp(cells[i].rules, rules))
			return &cells[i];
	if (n_cells == MAX_CELLS)
		return NULL;
	snprintf(cells[n_cells].workload, sizeof(cells[n_cells].workload), "%s", workload);
	snprintf(cells[n_cells].config, sizeof(cells[n_cells].config), "%s", config);
	snprintf(cells[n_cells].rules, sizeof(cells[n_cells].rules), "%s", rules);
	return &cells[n_cells++];
}

static int config_rank(const char *c)
{
	static const char *const order[] = {"baseline", "loaded-outside", "sandboxed-allow",
					    "sandboxed-deny"};

	for (int i = 0; i < 4; i++)
		if (!strcmp(c, order[i]))
			return i;
	return 9;
}

static int workload_rank(const char *w)
{
	static const char *const order[] = {
		"open",	       "exec",	       "connect",	 "paced-connect", "rename",
		"mkdir-rmdir", "mknod-unlink", "symlink-unlink", "link-unlink",	  "chmod",
		"chown",       "truncate",     "setxattr",
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(w, order[i]))
			return (int)i;
	return 99;
}

static int cmp_cell(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;
	long rx = strcmp(x->rules, "-") ? atol(x->rules) : -1;
	long ry = strcmp(y->rules, "-") ? atol(y->rules) : -1;

	if (workload_rank(x->workload) != workload_rank(y->workload))
		return workload_rank(x->workload) - workload_rank(y->workload);
	if (config_rank(x->config) != config_rank(y->config))
		return config_rank(x->config) - config_rank(y->config);
	return rx < ry ? -1 : rx > ry;
}

/* The median of a cell's samples of one round; 0 when it has none. */
static double round_median(const struct cell *c, int round)
{
	double v[MAX_SAMPLES];
	int n = 0;

	for (int i = 0; i < c->n; i++)
		if (c->round[i] == round)
			v[n++] = c->ns[i];
	return quantile(v, n, 0.5);
}

/* The paired ratio: per round, the cell's median over the baseline's median of the same round
 * (measured minutes apart at most, not across the whole run), then the median of those. A step
 * in the machine's speed during the run (other people's jobs) then spoils one round, not the
 * comparison. */
static double paired_ratio(const struct cell *c, const struct cell *base)
{
	double r[MAX_SAMPLES];
	int rounds[MAX_SAMPLES], n_rounds = 0, n = 0;

	for (int i = 0; i < c->n; i++) {
		bool seen = false;

		for (int j = 0; j < n_rounds; j++)
			seen |= rounds[j] == c->round[i];
		if (!seen)
			rounds[n_rounds++] = c->round[i];
	}
	for (int j = 0; j < n_rounds; j++) {
		double a = round_median(c, rounds[j]), b = round_median(base, rounds[j]);

		if (a > 0 && b > 0)
			r[n++] = a / b;
	}
	return n ? quantile(r, n, 0.5) : 0;
}

int cmd_report(int argc, char **argv)
{
	char line[1024];
	FILE *f;
	bool invalid = false;

	if (argc < 2)
		die("report needs the samples file");
	f = fopen(argv[1], "r");
	if (!f)
		die("cannot open the samples file: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char tag[64], work[32];
		unsigned long long ops, ns, bad;
		long long watch, wait;
		int rep, round = 0;
		struct cell *c;

		if (line[0] != 'S' ||
		    sscanf(line, "S\t%63s\t%31s\t%d\t%llu\t%llu\t%llu\t%lld\t%lld\t%d", tag, work,
			   &rep, &ops, &ns, &bad, &watch, &wait, &round) < 8 ||
		    !ops)
			continue;
		c = cell_for(work, tag);
		if (!c || c->n == MAX_SAMPLES)
			continue;
		c->round[c->n] = round;
		c->ns[c->n++] = (double)ns / (double)ops;
		if (watch >= 0)
			c->watch[c->n_watch++] = (double)watch / (double)ops;
		if (wait >= 0)
			c->wait[c->n_wait++] = 100.0 * (double)wait / (double)ns;
		c->ops += ops;
		c->bad += bad;
	}
	fclose(f);
	qsort(cells, n_cells, sizeof(cells[0]), cmp_cell);

	printf("%-14s %-15s %6s %9s %10s %6s %6s %6s %5s %3s %9s %5s\n", "workload", "config",
	       "rules", "ops/s", "ns/op", "ratio", "paired", "best", "iqr%", "n", "warden-ns",
	       "wait%");
	for (int i = 0; i < n_cells; i++) {
		struct cell *c = &cells[i];
		double base = 0, base_min = 0, med, p25, p75, pr = 0;
		char ratio[16], paired[16], best[16], wns[24], wait[16];

		for (int j = 0; j < n_cells; j++)
			if (!strcmp(cells[j].workload, c->workload) &&
			    !strcmp(cells[j].config, "baseline")) {
				base = quantile(cells[j].ns, cells[j].n, 0.5);
				base_min = quantile(cells[j].ns, cells[j].n, 0);
				pr = paired_ratio(c, &cells[j]);
			}
		med = quantile(c->ns, c->n, 0.5);
		p25 = quantile(c->ns, c->n, 0.25);
		p75 = quantile(c->ns, c->n, 0.75);
		if (base > 0)
			snprintf(ratio, sizeof(ratio), "%.3f", med / base);
		else
			snprintf(ratio, sizeof(ratio), "-");
		if (pr > 0)
			snprintf(paired, sizeof(paired), "%.3f", pr);
		else
			snprintf(paired, sizeof(paired), "-");
		/* Interference only ever slows a sample down: the fastest is the least disturbed.
		 */
		if (base_min > 0)
			snprintf(best, sizeof(best), "%.3f", quantile(c->ns, c->n, 0) / base_min);
		else
			snprintf(best, sizeof(best), "-");
		if (c->n_watch)
			snprintf(wns, sizeof(wns), "%.0f", quantile(c->watch, c->n_watch, 0.5));
		else
			snprintf(wns, sizeof(wns), "-");
		if (c->n_wait)
			snprintf(wait, sizeof(wait), "%.1f", quantile(c->wait, c->n_wait, 0.5));
		else
			snprintf(wait, sizeof(wait), "-");
		printf("%-14s %-15s %6s %9.0f %10.0f %6s %6s %6s %5.1f %3d %9s %5s%s\n",
		       c->workload, c->config, c->rules, 1e9 / med, med, ratio, paired, best,
		       med > 0 ? 100 * (p75 - p25) / med : 0, c->n, wns, wait,
		       c->bad ? "  INVALID" : "");
		if (c->bad) {
			invalid = true;
			fprintf(stderr,
				"wdbench: %s %s %s: %llu of %llu operations had an unexpected "
				"outcome\n",
				c->workload, c->config, c->rules, c->bad, c->ops);
		}
	}
	return invalid ? 1 : 0;
}
