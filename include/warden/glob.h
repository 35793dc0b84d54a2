/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The glob matcher of adoption rules, one source for the kernel and for userspace: the BPF
 * program that holds a new cgroup runs it under bpf_loop(), the daemon and the tests in a plain
 * loop, so both sides agree on every path by construction.
 *
 * The language is fnmatch(3) with FNM_PATHNAME | FNM_PERIOD restricted to literals, '?' and
 * '*' (what glob(3) does with such a pattern, component by component): neither '?' nor '*'
 * matches '/', nor a '.' that starts a component. Brackets and backslashes are refused by the
 * config parser, not matched here.
 *
 * One step compares one character; a mismatch goes back to the last '*' and lets it take one
 * more character. Since no wildcard crosses a '/', the n-th '/' of the pattern always meets
 * the n-th '/' of the path, so going back to the last '*' alone is complete. */
#ifndef WARDEN_GLOB_H
#define WARDEN_GLOB_H

#include "warden/abi.h"

#define WD_GLOB_NOSTAR 0xffffffffu

struct wd_glob {
	__u32 p, s;	      /* next character of the pattern and of the path */
	__u32 star_p, star_s; /* the last '*' and where the text it takes ends; NOSTAR: none */
	int result;	      /* 0: undecided, 1: match, -1: no match */
};

static inline void wd_glob_init(struct wd_glob *g)
{
	g->p = g->s = 0;
	g->star_p = WD_GLOB_NOSTAR;
	g->star_s = 0;
	g->result = 0;
}

/* Whether path position @s starts a component (its '.' is a leading period). */
static inline int wd_glob_comp_start(const char *str, __u32 s)
{
	return s == 0 || str[(s - 1) & (WD_CG_PATH_MAX - 1)] == '/';
}

/* @pat: WD_ADOPT_PAT_MAX bytes, @str: WD_CG_PATH_MAX bytes, both NUL-terminated (indexes are
 * masked to the buffers' sizes, so a missing NUL costs a wrong answer, never a stray read).
 * Returns g->result. */
static inline int wd_glob_step(struct wd_glob *g, const char *pat, const char *str)
{
	char pc = pat[g->p & (WD_ADOPT_PAT_MAX - 1)];
	char sc = str[g->s & (WD_CG_PATH_MAX - 1)];
	int leading_dot = sc == '.' && wd_glob_comp_start(str, g->s);
	char c;

	if (pc == '*' && !leading_dot) {
		g->star_p = g->p++;
		g->star_s = g->s;
		return 0;
	}
	if (!pc && !sc)
		return g->result = 1;
	if (pc && sc && pc != '*' && (pc == sc || (pc == '?' && sc != '/' && !leading_dot))) {
		g->p++;
		g->s++;
		return 0;
	}
	/* Mismatch: the last '*' takes one more character, if it may. */
	if (g->star_p == WD_GLOB_NOSTAR)
		return g->result = -1;
	c = str[g->star_s & (WD_CG_PATH_MAX - 1)];
	if (!c || c == '/' || (c == '.' && wd_glob_comp_start(str, g->star_s)))
		return g->result = -1;
	g->s = ++g->star_s;
	g->p = g->star_p + 1;
	return 0;
}

#ifndef __bpf__
#include <string.h>

/* Userspace: 1 if @str matches @pat as the kernel decides it, 0 if not (or if either is too
 * long for the kernel's buffers, or the steps ran out: the kernel does not hold such a path). */
static inline int wd_glob_match(const char *pat, const char *str)
{
	char p[WD_ADOPT_PAT_MAX] = "", s[WD_CG_PATH_MAX] = "";
	struct wd_glob g;

	if (strlen(pat) >= sizeof(p) || strlen(str) >= sizeof(s))
		return 0;
	strcpy(p, pat);
	strcpy(s, str);
	wd_glob_init(&g);
	for (__u32 i = 0; i < WD_GLOB_STEPS_MAX && !g.result; i++)
		wd_glob_step(&g, p, s);
	return g.result == 1;
}
#endif

#endif
