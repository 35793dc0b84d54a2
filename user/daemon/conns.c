// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Control connections: accepting them, reading their requests, flushing their answers, closing
 * them (a run request's command runs on without its client). */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "daemon/internal.h"

void conn_close(struct daemon *d, struct dconn *dc)
{
	for (size_t i = 0; i < d->n_sb; i++)
		if (d->sb[i]->run_dc == dc)
			d->sb[i]->run_dc = NULL; /* the command runs on; its client is gone */
	for (size_t i = 0; i < WD_CTL_MAX_CONNS; i++)
		if (d->conns[i] == dc)
			d->conns[i] = NULL;
	epoll_ctl(d->ep, EPOLL_CTL_DEL, wd_ctl_conn_fd(dc->c), NULL);
	wd_ctl_conn_close(dc->c);
	free(dc);
}

static void conn_rearm(struct daemon *d, struct dconn *dc)
{
	uint32_t ev = wd_ctl_conn_events(dc->c) | EPOLLRDHUP;

	if (ev != dc->events) {
		dc->events = ev;
		epoll_ctl(d->ep, EPOLL_CTL_MOD, wd_ctl_conn_fd(dc->c),
			  &(struct epoll_event){.events = ev, .data.ptr = &dc->tag});
	}
}

void on_conn(struct daemon *d, struct dconn *dc, uint32_t events)
{
	char err[WD_CTL_ERR_MAX];
	int ret;

	if (events & EPOLLOUT) {
		ret = wd_ctl_conn_flush(dc->c);
		if (ret && ret != -EAGAIN) {
			conn_close(d, dc);
			return;
		}
	}
	for (;;) {
		Warden__V1__Request *rq = NULL;

		ret = wd_ctl_conn_read(dc->c, &rq, err, sizeof(err));
		if (ret < 0) {
			if (ret != -ESHUTDOWN)
				logf_("control connection closed: %s", err);
			conn_close(d, dc);
			return;
		}
		if (ret == 0)
			break;
		handle_request(d, dc, rq);
		warden__v1__request__free_unpacked(rq, NULL);
	}
	conn_rearm(d, dc);
}

void on_accept(struct daemon *d)
{
	char err[WD_CTL_ERR_MAX];

	for (;;) {
		struct wd_ctl_conn *c;
		struct dconn *dc;
		size_t i;
		int ret = wd_ctl_accept(d->ctl, &c, err, sizeof(err));

		if (ret == -EAGAIN)
			return;
		if (ret) {
			if (ret != -EBUSY)
				logf_("control socket: %s", err);
			continue;
		}
		for (i = 0; i < WD_CTL_MAX_CONNS && d->conns[i]; i++)
			;
		dc = calloc(1, sizeof(*dc));
		if (!dc || i == WD_CTL_MAX_CONNS) {
			free(dc);
			wd_ctl_conn_close(c);
			continue;
		}
		dc->c = c;
		dc->tag = (struct ep_tag){EP_CONN};
		dc->events = wd_ctl_conn_events(c) | EPOLLRDHUP;
		d->conns[i] = dc;
		epoll_ctl(d->ep, EPOLL_CTL_ADD, wd_ctl_conn_fd(c),
			  &(struct epoll_event){.events = dc->events, .data.ptr = &dc->tag});
		on_conn(d, dc, EPOLLIN);
	}
}
