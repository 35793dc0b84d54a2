/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Durations as people write them: 90, 90s, 15m, 2h, 1h30m, 1d. */
#ifndef WD_DURATION_H
#define WD_DURATION_H

#include <stdint.h>

/* Parses @s into milliseconds. Returns 0, or -EINVAL (malformed, zero, or over 366 days). */
int wd_duration_parse(const char *s, uint64_t *ms);

#endif
