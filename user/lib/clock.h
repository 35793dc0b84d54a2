/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A clock's reading in nanoseconds. */
#ifndef WD_CLOCK_H
#define WD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* The time of clock @id in ns (CLOCK_REALTIME: since the epoch), or 0 if it cannot be read. */
static inline uint64_t wd_clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
