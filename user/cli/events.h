/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the files of `warden events` share: the options, and printing one event. */
#ifndef WD_CLI_EVENTS_H
#define WD_CLI_EVENTS_H

#include <stdbool.h>

#include "warden/v1/event.pb-c.h"

#define FILTERS_MAX 16

enum output {
	OUT_TEXT,
	OUT_JSON, /* the proto3 JSON mapping */
	OUT_OCSF,
};

struct events {
	enum output out;
	bool follow;
	const char *identity[FILTERS_MAX];
	int n_identity;
	Warden__V1__Decision decision[FILTERS_MAX];
	int n_decision;
	Warden__V1__Event__ActionCase kind[FILTERS_MAX];
	int n_kind;
	unsigned long long shown;
};

/* Prints @ev in the chosen format if the filters let it through. */
void wd_events_emit(struct events *x, const Warden__V1__Event *ev);
/* Prints the events of one file; returns 0, or 1 after printing why the rest is unreadable. */
int wd_events_show_file(struct events *x, const char *path);
/* --follow DIR|DIR/NAME.pb: runs until killed; returns 1 on an error that ends it, 2 for a
 * usage error. */
int wd_events_follow(struct events *x, const char *arg);

#endif
