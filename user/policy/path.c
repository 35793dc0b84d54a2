// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Expanding a path rule's variables and normalising the result: the kernel matches resolved
 * paths, so a rule is written, and stored, the way the path resolves. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/path.h"

static int why_fmt(char *buf, size_t size, const char **why, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int why_fmt(char *buf, size_t size, const char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	*why = buf;
	return -EINVAL;
}

int wd_path_expand(const char *text, const struct wd_policy_ctx *ctx, char *out, size_t size,
		   char *why_buf, size_t why_size, const char **why)
{
	char buf[WD_PATH_EXPAND_MAX];
	const char *s = text, *c;
	size_t n = 0, o = 0;

	while (*s) {
		const char *val, *end;
		size_t vlen, nlen;

		if (s[0] != '$' || s[1] != '{') {
			if (n + 1 >= sizeof(buf))
				goto too_long;
			buf[n++] = *s++;
			continue;
		}
		end = strchr(s + 2, '}');
		if (!end) {
			*why = "unterminated \"${\"";
			return -EINVAL;
		}
		nlen = (size_t)(end - (s + 2));
		if (nlen == 7 && strncmp(s + 2, "workdir", 7) == 0) {
			val = ctx ? ctx->workdir : NULL;
		} else if (nlen == 4 && strncmp(s + 2, "home", 4) == 0) {
			val = ctx ? ctx->home : NULL;
		} else {
			return why_fmt(why_buf, why_size, why,
				       "unknown variable \"${%.*s}\"; the variables are ${workdir} "
				       "and ${home}",
				       (int)(nlen > 40 ? 40 : nlen), s + 2);
		}
		if (s != text)
			return why_fmt(why_buf, why_size, why,
				       "${%.*s} stands for an absolute directory, so it may only "
				       "start a path",
				       (int)nlen, s + 2);
		if (!val) {
			why_fmt(why_buf, why_size, why, "${%.*s} is not known here", (int)nlen,
				s + 2);
			return -ENOENT;
		}
		if (val[0] != '/')
			return why_fmt(why_buf, why_size, why,
				       "${%.*s} is \"%.100s\", not an absolute path", (int)nlen,
				       s + 2, val);
		/* Whether a rule is a prefix is up to its text, not to a trailing '/' of the
		 * value. */
		vlen = strlen(val);
		while (vlen > 0 && val[vlen - 1] == '/')
			vlen--;
		if (n + vlen >= sizeof(buf))
			goto too_long;
		memcpy(buf + n, val, vlen);
		n += vlen;
		s = end + 1;
	}
	buf[n] = '\0';
	if (n == 0 && *text) { /* "${workdir}" where the workdir is "/" */
		buf[n++] = '/';
		buf[n] = '\0';
	}
	if (buf[0] != '/') {
		*why = "paths must be absolute (start with \"/\", \"${workdir}\" or \"${home}\")";
		return -EINVAL;
	}
	/* Collapse runs of '/', refuse "." and "..": the kernel matches resolved paths, so a
	 * rule spelled any other way would never match. */
	for (c = buf; *c;) {
		size_t clen;

		while (*c == '/')
			c++;
		if (o + 1 >= size)
			goto too_long;
		out[o++] = '/';
		clen = strcspn(c, "/");
		if ((clen == 1 && c[0] == '.') || (clen == 2 && c[0] == '.' && c[1] == '.')) {
			*why = "\".\" and \"..\" components are not allowed (write the path as it "
			       "resolves)";
			return -EINVAL;
		}
		if (o + clen >= size)
			goto too_long;
		memcpy(out + o, c, clen);
		o += clen;
		c += clen;
	}
	/* The loop ends in '/' exactly when the text did; what makes a rule a prefix is that
	 * trailing '/' of the text (a variable's own trailing '/' was dropped above). */
	if (o > 1 && out[o - 1] == '/')
		o--;
	if (n > 1 && buf[n - 1] == '/') {
		if (o + 1 >= size)
			goto too_long;
		out[o++] = '/';
	}
	out[o] = '\0';
	return 0;
too_long:
	*why = "too long after expansion";
	return -ENAMETOOLONG;
}
