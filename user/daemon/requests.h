/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's registry of control operations: one row per case of warden.v1.Request's `op`
 * oneof, with the handler that serves it (requests.c). A case without a row is answered
 * UNSUPPORTED_OPERATION; tests/unit/test_daemon_requests.c fails if the protocol has one. */
#ifndef WD_DAEMON_REQUESTS_H
#define WD_DAEMON_REQUESTS_H

#include <stddef.h>

#include "warden/v1/control.pb-c.h"

struct daemon;
struct dconn;

struct wd_daemon_op {
	Warden__V1__Request__OpCase op;
	void (*handle)(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq);
};

extern const struct wd_daemon_op wd_daemon_ops[];
extern const size_t wd_daemon_n_ops;

#endif
