// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The libbpf print callback shared by every user of libbpf in warden. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "enforce/libbpf_log.h"

static bool verbose_on;
static char last[256]; /* the first warning since the last clear */

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	size_t n;

	if (level == LIBBPF_DEBUG && !verbose_on)
		return 0;
	/* The first warning names the cause; later ones only say that loading failed. */
	if (last[0])
		return verbose_on ? vfprintf(stderr, fmt, ap) : 0;
	va_copy(copy, ap);
	vsnprintf(last, sizeof(last), fmt, copy);
	va_end(copy);
	n = strlen(last);
	if (n && last[n - 1] == '\n')
		last[n - 1] = '\0';
	return verbose_on ? vfprintf(stderr, fmt, ap) : 0;
}

void wd_libbpf_log_init(bool verbose)
{
	verbose_on = verbose;
	libbpf_set_print(print);
}

const char *wd_libbpf_last(void)
{
	return last;
}

void wd_libbpf_clear(void)
{
	last[0] = '\0';
}
