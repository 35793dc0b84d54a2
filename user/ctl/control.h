/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's control socket (proto/warden/v1/control.proto): framing (proto.c), the table of
 * operations (ops.c), authorisation of every request from the kernel's view of the caller
 * (proto.c, with the credentials from peer.c), the listening socket (server.c), non-blocking
 * connections for the daemon's epoll loop (conn.c), and the client side the CLI uses (client.c).
 * Nothing here prints: errors come back as -errno plus a sentence for people. */
#ifndef WD_CONTROL_H
#define WD_CONTROL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "warden/v1/control.pb-c.h"

#define WD_CTL_SOCK_PATH "/run/warden/control.sock"
/* The largest message either side accepts, the 4-byte length prefix not included. Checked
 * against the prefix before anything is allocated or read for the message. */
#define WD_CTL_MSG_MAX (1u << 20)
#define WD_CTL_HDR_LEN 4
/* A run request carries the command's stdin, stdout and stderr; nothing else carries any. */
#define WD_CTL_FDS_MAX 3
/* How long a connection may take to deliver a whole request, or to read a response. */
#define WD_CTL_TIMEOUT_MS 5000
#define WD_CTL_MAX_CONNS  64
#define WD_CTL_PROTOCOL	  1
/* Enough for every message this file writes. */
#define WD_CTL_ERR_MAX 512

typedef Warden__V1__Request__OpCase wd_ctl_op;

/* --- Framing --------------------------------------------------------------------------- */

/* The message length a 4-byte big-endian prefix announces (set either way). Returns 0, or
 * -EMSGSIZE when it is over WD_CTL_MSG_MAX. */
int wd_ctl_frame_len(const uint8_t hdr[WD_CTL_HDR_LEN], uint32_t *len);

/* Packs @msg behind its length prefix into a new buffer (free() it). Returns 0, -EMSGSIZE when
 * the message is over WD_CTL_MSG_MAX, or -ENOMEM. */
int wd_ctl_encode(const ProtobufCMessage *msg, uint8_t **buf, size_t *len);

/* Decodes one whole frame (prefix and message, nothing more). Returns 0 (free with
 * warden__v1__request__free_unpacked(*out, NULL)), -EMSGSIZE when the prefix is over the limit
 * (nothing is decoded), or -EPROTO when the frame is truncated, too long for its prefix, or not
 * a valid message. */
int wd_ctl_decode_request(const uint8_t *frame, size_t len, Warden__V1__Request **out);
int wd_ctl_decode_response(const uint8_t *frame, size_t len, Warden__V1__Response **out);

/* --- Operations ------------------------------------------------------------------------ */

/* One row per case of Request's `op` oneof (a unit test walks the descriptor to keep it so). */
struct wd_ctl_op_info {
	wd_ctl_op op;	  /* WARDEN__V1__REQUEST__OP_... */
	const char *name; /* "sandbox list": for messages and the daemon's log */
	bool read_only;	  /* only reads: what the read-only group may use */
};

extern const struct wd_ctl_op_info wd_ctl_ops[];
extern const size_t wd_ctl_n_ops;

/* The row of @op; NULL for WARDEN__V1__REQUEST__OP__NOT_SET and operations this build does not
 * know. */
const struct wd_ctl_op_info *wd_ctl_op_find(wd_ctl_op op);

/* Whether @op only reads (sandbox list and show, policy show, check and diff, status): what
 * the read-only group may use. False for WARDEN__V1__REQUEST__OP__NOT_SET and unknown ones. */
bool wd_ctl_op_is_read(wd_ctl_op op);

/* "sandbox list", "policy apply", ...; "unknown operation" for anything else. */
const char *wd_ctl_op_name(wd_ctl_op op);

/* --- Authorisation --------------------------------------------------------------------- */

/* The caller, as the kernel saw it when it connected (SO_PEERCRED, SO_PEERGROUPS), and its
 * cgroup when its request arrived. */
struct wd_ctl_peer {
	pid_t pid; /* 0 when the caller is in a pid namespace the daemon cannot see into */
	uid_t uid; /* effective ids */
	gid_t gid;
	gid_t *groups; /* supplementary groups (malloc'd; wd_ctl_peer_free) */
	size_t n_groups;
	/* Its cgroup in the unified hierarchy, as /proc/PID/cgroup shows it to the daemon (relative
	 * to the daemon's cgroup namespace, e.g. "/warden/sb-3f2a9c01d4e5b677"); "" when unknown,
	 * which is refused: an unknown cgroup could be a sandbox. */
	char cgroup[PATH_MAX];
};

void wd_ctl_peer_free(struct wd_ctl_peer *p);

/* Who may do what; the daemon builds it from its config. */
struct wd_ctl_auth {
	/* May do everything, like root. NULL name: only root may change things. */
	const char *admin_group;
	gid_t admin_gid;
	/* May use the read operations. NULL name: no such group. */
	const char *read_group;
	gid_t read_gid;
	/* The cgroup holding the sandboxes the daemon creates, as /proc/PID/cgroup shows paths
	 * (NULL: "/warden"): its children named "sb-*" and everything below them are sandboxes. */
	const char *sandbox_root;
	/* Other sandboxes (adopted cgroups): true when @cgroup, a path as in wd_ctl_peer.cgroup,
	 * is one or lies below one. NULL: none. */
	bool (*is_sandboxed)(const char *cgroup, void *arg);
	void *arg;
};

/* Whether @cgroup is a sandbox or lies inside one, by the sandbox root and the callback. */
bool wd_ctl_in_sandbox(const struct wd_ctl_auth *a, const char *cgroup);

/* Decides whether @p may use @op. Returns 0, or -EACCES with the reason in @why, e.g.
 * "permission denied: uid 1000 is neither root nor in group warden-admin". Processes inside a
 * sandbox are refused whatever their uid, and so is a caller whose cgroup is unknown. */
int wd_ctl_authorize(const struct wd_ctl_auth *a, const struct wd_ctl_peer *p, wd_ctl_op op,
		     char *why, size_t size);

/* The unified hierarchy's path in the text of a /proc/PID/cgroup file (its "0::" line).
 * Returns 0, -ENOENT when there is no such line, -ENAMETOOLONG when it does not fit. */
int wd_ctl_parse_proc_cgroup(const char *text, char *path, size_t size);

/* --- Server ---------------------------------------------------------------------------- */

struct wd_ctl_server;
struct wd_ctl_conn;

struct wd_ctl_server_opts {
	const char *path; /* NULL: WD_CTL_SOCK_PATH; its directory is created if missing */
	/* The socket's group, normally the admin group, so that its members can connect (mode
	 * 0660). 0: left as created (the daemon's group). */
	gid_t group;
	/* A second group that must be able to connect (the read-only group), granted through a
	 * POSIX ACL entry on the socket. 0: none. */
	gid_t read_group;
	unsigned timeout_ms; /* 0: WD_CTL_TIMEOUT_MS */
	unsigned max_conns;  /* 0: WD_CTL_MAX_CONNS; more are answered with an error and closed */
	/* For tests: find the caller's process with pidfd_open() and check that it holds the
	 * connection, even where the kernel has SO_PEERPIDFD (Linux 6.5), to exercise the path
	 * older kernels take. */
	bool no_peer_pidfd;
};

/* Creates the listening socket: mode 0660, group and ACL as asked, made under a temporary name
 * and renamed into place so it is never reachable with other permissions. Refuses (-EEXIST)
 * when the path exists and is not a socket, and (-EADDRINUSE) when another daemon listens on
 * it; a stale socket is replaced. The socket's directory gets search permission for everyone
 * (not read or write) so that the groups can reach the socket. Returns 0 or -errno with @err. */
int wd_ctl_server_open(struct wd_ctl_server **out, const struct wd_ctl_server_opts *o, char *err,
		       size_t size);

/* Removes the socket (if it is still this server's) and frees. Connections must be closed. */
void wd_ctl_server_close(struct wd_ctl_server *s);

/* The listening socket, for epoll (EPOLLIN: call wd_ctl_accept until -EAGAIN). */
int wd_ctl_server_fd(const struct wd_ctl_server *s);

/* The socket's path. */
const char *wd_ctl_server_path(const struct wd_ctl_server *s);

/* Takes one pending connection and records who is on the other end. Returns 0, -EAGAIN when
 * none is pending, -EBUSY when max_conns are open (the caller was told so and closed), or
 * another -errno with @err (the connection was closed). */
int wd_ctl_accept(struct wd_ctl_server *s, struct wd_ctl_conn **out, char *err, size_t size);

/* Wraps a connected unix stream socket (made non-blocking and owned from now on, closed on
 * failure) as a connection of @s: what wd_ctl_accept does after accept4(). @s may be NULL (a
 * socketpair in tests): default options. Returns 0 or -errno with @err. */
int wd_ctl_conn_open(struct wd_ctl_server *s, int fd, struct wd_ctl_conn **out, char *err,
		     size_t size);

/* --- Connections ----------------------------------------------------------------------- */
/*
 * A connection alternates between reading a request (with a deadline), the daemon working on
 * it (no deadline: a run request waits for its command), and writing the response (with a
 * deadline). After every call, give the fd the epoll events wd_ctl_conn_events() names; at
 * wd_ctl_conn_deadline() call wd_ctl_conn_expire().
 */

int wd_ctl_conn_fd(const struct wd_ctl_conn *c);
const struct wd_ctl_peer *wd_ctl_conn_peer(const struct wd_ctl_conn *c);

/* EPOLLIN, EPOLLOUT or 0 (the daemon is working on a request). */
uint32_t wd_ctl_conn_events(const struct wd_ctl_conn *c);

/* CLOCK_MONOTONIC ns by which the current read or write must finish; 0 for none. */
uint64_t wd_ctl_conn_deadline(const struct wd_ctl_conn *c);

/* Reads what has arrived without waiting. Returns 1 with a whole request in @req (free with
 * warden__v1__request__free_unpacked(*req, NULL)), 0 when more is needed or the daemon is
 * working on the previous request, or a -errno with @err after which the caller closes the
 * connection: -ESHUTDOWN when the client closed it between requests, -EMSGSIZE for a length over
 * WD_CTL_MSG_MAX, -EPROTO for a truncated or malformed request or file descriptors sent with
 * anything but run, -ECONNRESET and others for a broken connection. The client is told the
 * reason before it is closed where it can still be told. */
int wd_ctl_conn_read(struct wd_ctl_conn *c, Warden__V1__Request **req, char *err, size_t size);

/* Moves the file descriptors that came with the last request into @fds (the caller owns them
 * now). Returns how many. */
unsigned wd_ctl_conn_take_fds(struct wd_ctl_conn *c, int fds[WD_CTL_FDS_MAX]);

/* Decides whether the caller may make @req, re-reading its cgroup now (through its pidfd, so a
 * reused pid cannot stand in for it). Returns 0 or -EACCES with the reason in @why. */
int wd_ctl_conn_authorize(struct wd_ctl_conn *c, const struct wd_ctl_auth *a,
			  const Warden__V1__Request *req, char *why, size_t size);

/* Answers the request being worked on. @last is false only for RunStarted, after which the
 * connection still waits for the daemon. Returns 0 when the response is written whole, -EAGAIN
 * when the rest waits for EPOLLOUT and wd_ctl_conn_flush(), or a -errno after which the caller
 * closes the connection. */
int wd_ctl_conn_send(struct wd_ctl_conn *c, const Warden__V1__Response *resp, bool last);

/* A Response with only an error: wd_ctl_conn_send(c, {code, message}, true). */
int wd_ctl_conn_send_error(struct wd_ctl_conn *c, Warden__V1__Error__Code code,
			   const char *message);

/* Writes what is left of a response. Returns 0 when done, -EAGAIN, or a -errno. */
int wd_ctl_conn_flush(struct wd_ctl_conn *c);

/* Returns -ETIMEDOUT with @err (the client is told, as far as it still can be) when the
 * deadline passed by @now_ns (CLOCK_MONOTONIC); then the caller closes the connection. 0
 * otherwise. */
int wd_ctl_conn_expire(struct wd_ctl_conn *c, uint64_t now_ns, char *err, size_t size);

/* Closes the connection and frees it, with any file descriptors not taken. */
void wd_ctl_conn_close(struct wd_ctl_conn *c);

/* --- Client ---------------------------------------------------------------------------- */

/* Connects to the daemon at @path (NULL: WD_CTL_SOCK_PATH), waiting up to @timeout_ms.
 * Returns 0 with a close-on-exec socket in @fd, or -errno with @err, e.g. "cannot reach the
 * warden daemon at /run/warden/control.sock: No such file or directory: is it running?". */
int wd_ctl_connect(const char *path, unsigned timeout_ms, int *fd, char *err, size_t size);

/* Sends @req (with @n_fds file descriptors, for run) and reads the response, each within
 * @timeout_ms (0: wait as long as it takes). Returns 0 with @resp (free with
 * warden__v1__response__free_unpacked(*resp, NULL); it may carry an error from the daemon), or
 * -errno with @err when the exchange itself failed. */
int wd_ctl_call(int fd, const Warden__V1__Request *req, const int *fds, unsigned n_fds,
		Warden__V1__Response **resp, unsigned timeout_ms, char *err, size_t size);

/* Reads one more response (RunExited after RunStarted), as wd_ctl_call does. */
int wd_ctl_recv(int fd, Warden__V1__Response **resp, unsigned timeout_ms, char *err, size_t size);

#endif
