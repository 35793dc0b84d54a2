/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A small harness for warden's host and vm tests (root, real cgroups, real BPF): TAP output, checks
 * that return so a failed step jumps to cleanup, and cgroup helpers for throwaway cgroups. */
#ifndef WDTEST_H
#define WDTEST_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum wt_result { WT_PASS, WT_FAIL, WT_SKIP };

struct wt_case {
	const char *name;
	enum wt_result (*fn)(void);
};

#define WT_CASE(fn)                                                                                \
	{                                                                                          \
#fn, fn                                                                            \
	}

/* Runs every case, prints TAP ("ok N - name", "not ok N - name", "ok N - name # SKIP why") and
 * returns the process exit status (1 if any case failed). */
int wt_main(const struct wt_case *cases, int n);

/* Reasons are printed as TAP diagnostics. */
void wt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
enum wt_result wt_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checks: on failure, say where and what, then `goto out` so the test cleans up. The test
 * function declares `enum wt_result ret = WT_FAIL;` and sets ret = WT_PASS at the end. */
#define WT_CHECK(cond, fmt, ...)                                                                   \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			wt_diag("%s:%d: check failed: %s: " fmt, __FILE__, __LINE__, #cond,        \
				##__VA_ARGS__);                                                    \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

#define WT_CHECK_INT(got, want)                                                                    \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_) {                                                               \
			wt_diag("%s:%d: %s is %lld, want %lld", __FILE__, __LINE__, #got, got_,    \
				want_);                                                            \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/* A throwaway cgroup under the cgroup2 mount (found in mountinfo). */
struct wt_cgroup {
	char path[PATH_MAX];
	int fd;
	uint64_t id;
};

/* Creates <cgroup2>/warden-test.<pid>.<name>; returns 0 or -errno. */
int wt_cgroup_create(struct wt_cgroup *cg, const char *name);
/* Kills whatever is left in it and removes it; safe on a zeroed or destroyed one. */
void wt_cgroup_destroy(struct wt_cgroup *cg);

/* Forks a child that joins @cg (if not NULL), then runs @fn and exits with its return value.
 * Returns that value (use errno numbers: 0 success, else the errno the child saw), or -1 if the
 * child could not start or died from a signal. */
int wt_run_in(struct wt_cgroup *cg, int (*fn)(void *), void *arg);

#endif
