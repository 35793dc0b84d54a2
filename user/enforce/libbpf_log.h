/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* libbpf explains failures on its print callback: keep the first line for our own messages and
 * show everything only when asked. */
#ifndef WD_LIBBPF_LOG_H
#define WD_LIBBPF_LOG_H

#include <stdbool.h>

void wd_libbpf_log_init(bool verbose);
/* The first warning libbpf printed since the last clear ("" if none): the one with the cause. */
const char *wd_libbpf_last(void);
void wd_libbpf_clear(void);

#endif
