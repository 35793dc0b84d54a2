// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Adoption rules' identity templates (identity.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/identity.h"

void wd_identity_from_template(const char *tpl, const char *rel, char *out, size_t size)
{
	char comp[64][256], base[256] = "";
	size_t n = 0, o = 0;
	const char *p = rel;

	if (!size)
		return;
	while (*p && n < 64) {
		size_t l;

		while (*p == '/')
			p++;
		l = strcspn(p, "/");
		if (!l)
			break;
		snprintf(comp[n], sizeof(comp[n]), "%.*s", (int)l, p);
		snprintf(base, sizeof(base), "%s", comp[n]);
		n++;
		p += l;
	}
	for (const char *t = tpl; *t && o + 1 < size;) {
		const char *v = NULL;
		char *end;

		if (*t == '{') {
			if (!strncmp(t, "{base}", 6)) {
				v = base;
				t += 6;
			} else if (!strncmp(t, "{0}", 3)) {
				v = rel;
				t += 3;
			} else {
				unsigned long k = strtoul(t + 1, &end, 10);

				if (end != t + 1 && *end == '}' && k >= 1 && k <= n) {
					v = comp[k - 1];
					t = end + 1;
				}
			}
		}
		if (v) {
			o += (size_t)snprintf(out + o, size - o, "%s", v);
			continue;
		}
		out[o++] = *t++;
	}
	out[o < size ? o : size - 1] = '\0';
}
