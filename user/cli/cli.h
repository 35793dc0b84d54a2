/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Every `warden <verb>`: argv[0] is the verb, the return value the exit status. user/main.c
 * dispatches to them from one table. */
#ifndef WD_CLI_H
#define WD_CLI_H

#include "cli/ctl.h"
#include "cli/run.h"

/* `warden daemon [--config FILE] [--check] [--reset] [--verbose]` */
int wd_cmd_daemon(int argc, char **argv);
/* `warden policy check|show ...` */
int wd_cmd_policy(int argc, char **argv);
/* `warden events` */
int wd_cmd_events(int argc, char **argv);
/* `warden config check [FILE]` */
int wd_cmd_config(int argc, char **argv);
/* `warden probe [--json] [--verbose]` */
int wd_cmd_probe(int argc, char **argv);

#endif
