/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one JSON primitive warden's printers need: a correctly escaped string. */
#ifndef WD_JSON_H
#define WD_JSON_H

#include <stdio.h>

/* Writes @s as a JSON string literal, quotes included (RFC 8259 escaping; bytes that are not
 * valid UTF-8 are written as \u00XX of the byte so the output is always valid JSON). */
void wd_json_str(FILE *f, const char *s);

#endif
