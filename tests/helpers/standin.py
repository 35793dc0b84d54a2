#!/usr/bin/env python3
"""Stand-ins for the services a node offers its jobs, for the "grant nothing" tests (issue 16).

Started outside a sandbox (the node's services, which a sandbox must not reach) and inside one
(the job's own servers, which it must reach). Servers answer every client with one line, so a
client can tell it really reached them; each signals that it is listening by printing "ready"
and, with --ready FILE, by creating FILE (atomically), and exits on SIGTERM (or after --ttl
seconds, 600 by default, so a test that dies leaves nothing behind for long).

    standin.py tcp HOST PORT [--reuseport]   a credential agent: answers "token=..." and closes
    standin.py udp HOST PORT                 a stub resolver: answers every datagram
    standin.py unix PATH                     a stream API socket (the directory is made)
    standin.py unix-dgram PATH               a datagram unix socket: answers senders with names
    standin.py abstract NAME                 an abstract unix stream socket (NAME without the NUL)
    standin.py key DESC DATA [--ring RING] [--perm HEX]
                                             adds a "user" key; prints its serial and exits
        RING: user (@u, the default), user-session (@us), session (@s), process (@p)
        HEX: its permissions (keyctl setperm), e.g. 0x3f3f0000: everything for the possessor and
        for every process of the user; without it, the kernel's default (the user may only view)
    standin.py key-drop SERIAL               invalidates a key added so (the test cleaning up)

Only the Python standard library: keyctl(1) is not installed where the tests run, so keys are
added with the add_key(2) system call through ctypes.
"""
import ctypes
import os
import signal
import socket
import sys

TOKEN = b"token=wdtest-node-secret-4711\n"
ANSWER = b"wdtest-answer\n"

# x86_64 system call numbers and <linux/keyctl.h>
SYS_ADD_KEY, SYS_KEYCTL = 248, 250
KEYCTL_SETPERM, KEYCTL_INVALIDATE = 5, 21
RINGS = {"thread": -1, "process": -2, "session": -3, "user": -4, "user-session": -5}


def add_key(desc, data, ring):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    payload = data.encode()
    serial = libc.syscall(ctypes.c_long(SYS_ADD_KEY), b"user", desc.encode(), payload,
                          ctypes.c_size_t(len(payload)), ctypes.c_long(RINGS[ring]))
    if serial < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return serial


def keyctl(op, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.syscall(ctypes.c_long(SYS_KEYCTL), ctypes.c_long(op),
                    *[ctypes.c_long(a) for a in args]) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def ready(path):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("ready %d\n" % os.getpid())
        os.rename(tmp, path)
    print("ready", flush=True)


def serve_stream(s, ready_file):
    s.listen(64)
    ready(ready_file)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(TOKEN)
        except OSError:
            pass
        c.close()


def serve_dgram(s, ready_file):
    ready(ready_file)
    while True:
        _, peer = s.recvfrom(4096)
        if not peer:  # an unnamed unix socket cannot be answered
            continue
        try:
            s.sendto(ANSWER, peer)
        except OSError:
            pass


def inet_socket(host, kind):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    return s


def unix_socket(path, kind):
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(path)
    return s


def main(argv):
    args, i = [], 1
    opts = {"ready": None, "ttl": "600", "ring": "user", "perm": None, "reuseport": False}
    while i < len(argv):
        a = argv[i]
        if a == "--reuseport":
            opts["reuseport"] = True
        elif a in ("--ready", "--ttl", "--ring", "--perm"):
            opts[a[2:]] = argv[i + 1]
            i += 1
        else:
            args.append(a)
        i += 1
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    what, args = args[0], args[1:]

    if what == "key":
        serial = add_key(args[0], args[1], opts["ring"])
        if opts["perm"]:
            keyctl(KEYCTL_SETPERM, serial, int(opts["perm"], 16))
        print(serial, flush=True)
        return 0
    if what == "key-drop":
        keyctl(KEYCTL_INVALIDATE, int(args[0]))
        return 0

    cleanup = []

    def bye(*_):
        for p in cleanup:
            try:
                os.unlink(p)
            except OSError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGALRM, bye)
    signal.alarm(int(opts["ttl"]))

    if what == "tcp":
        s = inet_socket(args[0], socket.SOCK_STREAM)
        if opts["reuseport"]:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((args[0], int(args[1])))
        serve_stream(s, opts["ready"])
    elif what == "udp":
        s = inet_socket(args[0], socket.SOCK_DGRAM)
        s.bind((args[0], int(args[1])))
        serve_dgram(s, opts["ready"])
    elif what == "unix":
        s = unix_socket(args[0], socket.SOCK_STREAM)
        cleanup.append(args[0])
        serve_stream(s, opts["ready"])
    elif what == "unix-dgram":
        s = unix_socket(args[0], socket.SOCK_DGRAM)
        cleanup.append(args[0])
        serve_dgram(s, opts["ready"])
    elif what == "abstract":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(b"\0" + args[0].encode())
        serve_stream(s, opts["ready"])
    else:
        print("standin.py: unknown service " + what, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        # A stand-in that cannot start says why in the same words as the clients.
        import errno
        print("standin.py %s: errno=%s" % (" ".join(sys.argv[1:]),
                                           errno.errorcode.get(e.errno, str(e.errno))),
              file=sys.stderr)
        sys.exit(1)
