/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* UTF-8 validation for text that leaves warden: protobuf strings, JSON, syslog. */
#ifndef WD_UTF8_H
#define WD_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at @s (@n bytes available, at least 1), 0 if there is none:
 * overlong forms, surrogates and values beyond Unicode are not UTF-8. A NUL ends a sequence, so
 * @n may be larger than what is left of a NUL-terminated string. */
size_t wd_utf8_seq(const unsigned char *s, size_t n);

#endif
