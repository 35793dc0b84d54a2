// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Prometheus text exposition 0.0.4: metric families and their samples written to a stream, names
 * checked, label values and help text escaped, invalid UTF-8 replaced. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics/metrics.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD, for bytes that are not UTF-8 */

/* --- The exposition format -------------------------------------------------------------- */

void wd_prom_init(struct wd_prom *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

int wd_prom_error(const struct wd_prom *w)
{
	return w->err;
}

static bool valid_name(const char *s, bool colons)
{
	size_t n = 0;

	for (const char *p = s; *p; p++, n++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (colons && c == ':');

		if (!alpha && !(p != s && c >= '0' && c <= '9'))
			return false;
	}
	return n > 0 && n <= WD_PROM_NAME_MAX;
}

/* The length of the valid UTF-8 sequence at @s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int wd_prom_write_escaped(FILE *f, const char *s, bool label_value)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '"' && label_value)
			fputs("\\\"", f);
		else if (n)
			fwrite(p, 1, n, f);
		else
			fputs(REPLACEMENT, f);
		p += n ? n : 1;
	}
	return ferror(f) ? -EIO : 0;
}

static int fail(struct wd_prom *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

int wd_prom_family(struct wd_prom *w, const char *name, enum wd_prom_type type, const char *help)
{
	static const char *const types[] = {
		[WD_PROM_COUNTER] = "counter",
		[WD_PROM_GAUGE] = "gauge",
		[WD_PROM_UNTYPED] = "untyped",
	};

	if (w->err)
		return w->err;
	if (!valid_name(name, true) || (unsigned)type > WD_PROM_UNTYPED)
		return fail(w, -EINVAL);
	strcpy(w->family, name);
	fprintf(w->f, "# HELP %s ", name);
	wd_prom_write_escaped(w->f, help ? help : "", false);
	fprintf(w->f, "\n# TYPE %s %s\n", name, types[type]);
	return ferror(w->f) ? fail(w, -EIO) : 0;
}

static int sample(struct wd_prom *w, const struct wd_prom_label *labels, size_t n,
		  const char *value)
{
	if (w->err)
		return w->err;
	if (!w->family[0])
		return fail(w, -EINVAL);
	for (size_t i = 0; i < n; i++) {
		if (!valid_name(labels[i].name, false) || !strncmp(labels[i].name, "__", 2))
			return fail(w, -EINVAL);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(labels[i].name, labels[j].name))
				return fail(w, -EINVAL);
	}
	fputs(w->family, w->f);
	for (size_t i = 0; i < n; i++) {
		fprintf(w->f, "%c%s=\"", i ? ',' : '{', labels[i].name);
		wd_prom_write_escaped(w->f, labels[i].value ? labels[i].value : "", true);
		fputc('"', w->f);
	}
	fprintf(w->f, "%s %s\n", n ? "}" : "", value);
	return ferror(w->f) ? fail(w, -EIO) : 0;
}

int wd_prom_sample(struct wd_prom *w, const struct wd_prom_label *labels, size_t n, double value)
{
	char buf[32];

	if (isnan(value))
		strcpy(buf, "NaN");
	else if (isinf(value))
		strcpy(buf, value > 0 ? "+Inf" : "-Inf");
	else
		snprintf(buf, sizeof(buf), "%.17g", value);
	return sample(w, labels, n, buf);
}

int wd_prom_sample_u64(struct wd_prom *w, const struct wd_prom_label *labels, size_t n,
		       uint64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)value);
	return sample(w, labels, n, buf);
}
