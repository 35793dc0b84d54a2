// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit: the adoption rules' glob matcher (include/warden/glob.h), the code the kernel runs
 * when a cgroup is made, against glibc's fnmatch(FNM_PATHNAME | FNM_PERIOD), which is what the
 * daemon's glob(3) scan does with such patterns: the kernel must hold exactly what the daemon
 * then adopts. */
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "warden/glob.h"

static int libc(const char *pat, const char *s)
{
	return fnmatch(pat, s, FNM_PATHNAME | FNM_PERIOD) == 0;
}

static void same(const char *pat, const char *s, int want)
{
	if (wd_glob_match(pat, s) != want || libc(pat, s) != want)
		fail_msg("'%s' on '%s': warden %d, fnmatch %d, expected %d", pat, s,
			 wd_glob_match(pat, s), libc(pat, s), want);
}

static void known(void **state)
{
	(void)state;
	same("/kubepods.slice/kubepods-*.slice/kubepods-*-pod*.slice",
	     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice", 1);
	same("/kubepods.slice/kubepods-*.slice/kubepods-*-pod*.slice",
	     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/x", 0);
	same("/pods/*/c-*", "/pods/p1/c-9", 1);
	same("/pods/*/c-*", "/pods/p1/x/c-9", 0); /* '*' does not cross '/' */
	same("/pods/*", "/pods/", 1);	     /* a star may take nothing (no cgroup path ends so) */
	same("/pods/*", "/pods/.hidden", 0); /* nor take a leading '.' */
	same("/pods/?hidden", "/pods/.hidden", 0);
	same("/pods/.h*", "/pods/.hidden", 1);
	same("/a*b*c", "/abxbyc", 1);
	same("/a*b*c", "/abxbycx", 0);
	same("/*a/b", "/xaa/b", 1); /* the '*' takes more after a mismatch at '/' */
	same("/job-??", "/job-12", 1);
	same("/job-??", "/job-123", 0);
	same("/x", "/x", 1);
	same("/x", "/y", 0);
	same("/**", "/abc", 1);
	same("/*", "/", 1);
}

/* Random patterns over a small alphabet hit the corner cases (leading dots, empty components,
 * stars next to slashes) far more often than real paths. */
static void random_against_fnmatch(void **state)
{
	static const char pc[] = "ab./*?", sc[] = "ab./";
	unsigned seed = 20261123;
	int n_match = 0;

	(void)state;
	for (int i = 0; i < 300000; i++) {
		char pat[16], s[20];
		int pl = 1 + rand_r(&seed) % 10, sl = rand_r(&seed) % 14;

		for (int k = 0; k < pl; k++)
			pat[k] = pc[rand_r(&seed) % (sizeof(pc) - 1)];
		pat[pl] = '\0';
		for (int k = 0; k < sl; k++)
			s[k] = sc[rand_r(&seed) % (sizeof(sc) - 1)];
		s[sl] = '\0';
		if (wd_glob_match(pat, s) != libc(pat, s))
			fail_msg("'%s' on '%s': warden %d, fnmatch %d", pat, s,
				 wd_glob_match(pat, s), libc(pat, s));
		n_match += libc(pat, s);
	}
	/* The draw must have produced matches, or it compared nothing interesting. */
	assert_true(n_match > 1000);
}

/* What the kernel's buffers cannot hold is never a match (the kernel does not hold it). */
static void too_long(void **state)
{
	char pat[WD_ADOPT_PAT_MAX + 8], s[WD_CG_PATH_MAX + 8];

	(void)state;
	memset(pat, 'a', sizeof(pat) - 1);
	pat[0] = '/';
	pat[sizeof(pat) - 1] = '\0';
	assert_int_equal(wd_glob_match(pat, pat), 0);
	memset(s, 'a', sizeof(s) - 1);
	s[0] = '/';
	s[sizeof(s) - 1] = '\0';
	assert_int_equal(wd_glob_match("/*", s), 0);
	s[WD_CG_PATH_MAX - 1] = '\0'; /* the longest the kernel reports */
	assert_int_equal(wd_glob_match("/*", s), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known),
		cmocka_unit_test(random_against_fnmatch),
		cmocka_unit_test(too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
