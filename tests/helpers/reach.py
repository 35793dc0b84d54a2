#!/usr/bin/env python3
"""Tries to reach one service of the node, from inside a sandbox, and reports what happened.

The client side of tests/helpers/standin.py. Like attempt.py it prints exactly "ok" or
"errno=NAME" and exits 0 or with the errno number. "ok" means the service answered: a
connection or a datagram that got no answer within 5 s is errno=ETIMEDOUT, an empty answer
errno=ENODATA. Usage: reach.py WHAT ARGS...

    tcp HOST PORT          connect (IPv6 when HOST has a ':'), read the service's line
    udp HOST PORT          sendto a query, read the answer
    unix PATH              connect to a stream unix socket, read its line
    unix-dgram PATH        sendto a datagram unix socket (from an autobound name), read the answer
    abstract NAME          connect to the abstract unix socket NAME (without the NUL), read a line
    reuseport HOST PORT    bind a SO_REUSEPORT TCP socket to HOST:PORT and listen (joins the
                           reuseport group of a listener there, if the kernel lets it)
    key-read SERIAL        keyctl(KEYCTL_READ) a key by its serial
    key-search DESC        keyctl(KEYCTL_SEARCH) the user-session keyring (which links the user
                           keyring) for a "user" key DESC
    key-link SERIAL        keyctl(KEYCTL_LINK) the key into this process's own process keyring
    key-own                join a new session keyring, add a key to it, read it back, find it
                           by searching, link it into the process keyring
    tiocsti                push a byte into the input of the terminal on stdin (TIOCSTI)
"""
import ctypes
import errno
import os
import socket
import sys

TIMEOUT = 5

# x86_64 system call numbers and <linux/keyctl.h>
SYS_ADD_KEY, SYS_KEYCTL = 248, 250
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_LINK, KEYCTL_SEARCH, KEYCTL_READ = 1, 8, 10, 11
KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_SESSION_KEYRING = -2, -3
KEY_SPEC_USER_SESSION_KEYRING = -5


def fail(e):
    raise OSError(e, os.strerror(e))


def expect_answer(s):
    """A line from the service, or the reason there was none."""
    try:
        data = s.recv(256)
    except socket.timeout:
        fail(errno.ETIMEDOUT)
    if not data:
        fail(errno.ENODATA)


def inet(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def stream(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect(addr)
        expect_answer(s)
    finally:
        s.close()


def dgram(family, addr, bind=None):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        if bind is not None:
            s.bind(bind)
        s.sendto(b"wdtest-query\n", addr)
        expect_answer(s)
    finally:
        s.close()


def reuseport(host, port):
    s = socket.socket(inet(host), socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((host, int(port)))
        s.listen(1)
    finally:
        s.close()


def syscall(nr, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    rc = libc.syscall(ctypes.c_long(nr), *args)
    if rc < 0:
        fail(ctypes.get_errno())
    return rc


def keyctl(op, *args):
    return syscall(SYS_KEYCTL, ctypes.c_long(op), *args)


def key_read(serial):
    buf = ctypes.create_string_buffer(4096)
    n = keyctl(KEYCTL_READ, ctypes.c_long(int(serial)), buf, ctypes.c_size_t(len(buf)))
    if n <= 0:
        fail(errno.ENODATA)
    return buf.raw[:n]


def key_search(ring, desc):
    return keyctl(KEYCTL_SEARCH, ctypes.c_long(ring), b"user", desc.encode(), ctypes.c_long(0))


def key_link(serial, ring):
    keyctl(KEYCTL_LINK, ctypes.c_long(int(serial)), ctypes.c_long(ring))


def key_own():
    """A key made by the sandbox, in a session keyring of its own: all of it must work."""
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, None)
    data = b"wdtest-own-%d" % os.getpid()
    desc = b"wdtest-own-key"
    serial = syscall(SYS_ADD_KEY, b"user", desc, data, ctypes.c_size_t(len(data)),
                     ctypes.c_long(KEY_SPEC_SESSION_KEYRING))
    if key_read(serial) != data:
        fail(errno.EBADMSG)
    if key_search(KEY_SPEC_SESSION_KEYRING, desc.decode()) != serial:
        fail(errno.ENOKEY)
    key_link(serial, KEY_SPEC_PROCESS_KEYRING)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    what, args = argv[1], argv[2:]
    if what == "tcp":
        stream(inet(args[0]), (args[0], int(args[1])))
    elif what == "udp":
        dgram(inet(args[0]), (args[0], int(args[1])))
    elif what == "unix":
        stream(socket.AF_UNIX, args[0])
    elif what == "unix-dgram":
        # An empty name autobinds (an abstract name the kernel picks), so the answer can come back.
        dgram(socket.AF_UNIX, args[0], bind="")
    elif what == "abstract":
        stream(socket.AF_UNIX, b"\0" + args[0].encode())
    elif what == "reuseport":
        reuseport(*args)
    elif what == "key-read":
        key_read(args[0])
    elif what == "key-search":
        key_search(KEY_SPEC_USER_SESSION_KEYRING, args[0])
    elif what == "key-link":
        key_link(args[0], KEY_SPEC_PROCESS_KEYRING)
    elif what == "key-own":
        key_own()
    elif what == "tiocsti":
        import fcntl
        import termios
        fcntl.ioctl(0, termios.TIOCSTI, b"x")
    else:
        print("reach.py: unknown action " + what, file=sys.stderr)
        return 2
    print("ok")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        # socket.timeout from connect() carries no errno
        code = e.errno if e.errno else errno.ETIMEDOUT
        print("errno=" + errno.errorcode.get(code, str(code)))
        sys.exit(code if code < 125 else 1)
