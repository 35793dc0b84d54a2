// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Duration parsing for --ttl and approvals. */
#include <ctype.h>
#include <errno.h>

#include "lib/duration.h"

#define MAX_MS (366ULL * 24 * 3600 * 1000)

/* Units from largest to smallest; each may appear once, in this order. */
static const struct {
	char c;
	uint64_t ms;
} units[] = {{'d', 24ULL * 3600 * 1000}, {'h', 3600ULL * 1000}, {'m', 60ULL * 1000}, {'s', 1000}};

int wd_duration_parse(const char *s, uint64_t *ms)
{
	uint64_t total = 0;
	int next = 0; /* index of the smallest unit still allowed */

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		uint64_t n = 0;
		const char *start = s;
		int u;

		while (isdigit((unsigned char)*s)) {
			n = n * 10 + (uint64_t)(*s - '0');
			if (n > MAX_MS)
				return -EINVAL;
			s++;
		}
		if (s == start)
			return -EINVAL;
		if (!*s) {
			/* A bare number means seconds, and only on its own: "1h30" is a typo. */
			if (next)
				return -EINVAL;
			u = 3;
		} else {
			for (u = next; u < 4 && units[u].c != *s; u++)
				;
			if (u == 4)
				return -EINVAL;
			s++;
		}
		if (n > MAX_MS / units[u].ms)
			return -EINVAL;
		total += n * units[u].ms;
		if (total > MAX_MS)
			return -EINVAL;
		next = u + 1;
	}
	if (!total)
		return -EINVAL;
	*ms = total;
	return 0;
}
