/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's handlers of control requests, keyed by the case of warden.v1.Request's `op`
 * oneof. Which operations there are, their names and who may use them is ctl's one table,
 * wd_ctl_ops (ctl/ops.c); this only says which handler serves each (requests.c). An operation
 * without a handler is answered UNSUPPORTED_OPERATION; tests/unit/test_daemon_requests.c fails
 * if wd_ctl_ops or the protocol has one. */
#ifndef WD_DAEMON_REQUESTS_H
#define WD_DAEMON_REQUESTS_H

#include "ctl/control.h"

struct daemon;
struct dconn;

/* Serves @rq, whose op_case is the handler's operation, answering on @dc. */
typedef void wd_daemon_handler(struct daemon *d, struct dconn *dc, Warden__V1__Request *rq);

/* The handler of @op; NULL for an operation wd_ctl_ops does not list or the daemon does not
 * serve (and for WARDEN__V1__REQUEST__OP__NOT_SET). */
wd_daemon_handler *wd_daemon_handler_of(wd_ctl_op op);

#endif
