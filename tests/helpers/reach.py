#!/usr/bin/env python3
"""Tries to reach one service of the node, from inside a sandbox, and reports what happened.

The client side of tests/helpers/standin.py. Like attempt.py it prints exactly "ok" or
"errno=NAME" and exits 0 or with the errno number. "ok" means the service answered: a
connection or a datagram that got no answer within 5 s is errno=ETIMEDOUT, an empty answer
errno=ENODATA. The attempts that hold a socket of their own at the address they try print
"own" (exit 0) when that socket got the connection or the datagram and no service answered.
Usage: reach.py WHAT ARGS...

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

The ways around "to: sandbox" a security review found (all but the last hold a socket of their
own where the hooks would look, while the node's service is where the kernel would go):

    tcp-from OWN BIND DEST PORT
                           listen on OWN:PORT, then connect a TCP socket bound to BIND (port 0)
                           to DEST:PORT (0.0.0.0, ::ffff:0.0.0.0 or ::: the unspecified address
                           goes to the source address, a multicast or broadcast one included)
    udp-pktinfo OWN BIND PORT
                           bind a UDP socket at OWN:PORT, then send from a socket bound to BIND
                           to 0.0.0.0:PORT with an IP_PKTINFO whose source (spec_dst) is 0.0.0.0
    udp-late PORT WANT READY
                           bind a UDP socket at 127.0.0.1:PORT, connect a second one to it, close
                           the first, create the file WANT, wait (30 s at most) for the file
                           READY (a node service bound PORT meanwhile), and send on the
                           connected socket
    udp-connected-server PORT
                           a UDP server of its own on 127.0.0.1:PORT that connect()s to its first
                           client; the client sends again (sendto) and the server answers that
                           (prints "ok" when the answer came back)

The node's other ways in from the review (not network):

    shm-find KEY           shmget(KEY, 0, 0): a System V shared memory segment someone made
    msg-find KEY           msgget(KEY, 0): a System V message queue someone made
    shm-own KEY            make a segment of its own with KEY (IPC_CREAT|IPC_EXCL), attach it,
                           write and read it back, remove it
    key-sign SERIAL [SIZE] keyctl(KEYCTL_PKEY_SIGN) a SHA-256 digest with an asymmetric key whose
                           signatures are SIZE bytes (128, the default: standin.py pkey's key)
    request-key DESC       request_key(2) a "user" key DESC that nobody has: the kernel starts
                           /sbin/request-key to make it (ENOKEY when that fails or is absent)
"""
import ctypes
import errno
import os
import select
import socket
import struct
import sys
import time

TIMEOUT = 5

# x86_64 system call numbers and <linux/keyctl.h>
SYS_ADD_KEY, SYS_REQUEST_KEY, SYS_KEYCTL = 248, 249, 250
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_LINK, KEYCTL_SEARCH, KEYCTL_READ = 1, 8, 10, 11
KEYCTL_PKEY_SIGN = 27
IP_PKTINFO = 8
IPC_CREAT, IPC_EXCL, IPC_RMID = 0o1000, 0o2000, 0
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


def answered(s):
    """Whether a service answered on s within TIMEOUT."""
    s.settimeout(TIMEOUT)
    try:
        return bool(s.recv(256))
    except socket.timeout:
        return False


def inet_sock(host, kind):
    s = socket.socket(inet(host), kind)
    if ":" in host and not host.startswith("::ffff:"):
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    return s


def tcp_from(own, bind, dest, port):
    """'ok': a service answered (not ours: our listener never answers); 'own': our listener
    got the connection."""
    port = int(port)
    srv = inet_sock(own, socket.SOCK_STREAM)
    srv.bind((own, port))
    srv.listen(4)
    srv.settimeout(0.3)  # on loopback a connection is in the queue when connect() returns
    s = socket.socket(inet(bind), socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.bind((bind, 0))
    s.connect((dest, port))
    try:
        srv.accept()
        return "own"
    except socket.timeout:
        pass
    if not answered(s):
        fail(errno.ETIMEDOUT)
    return "ok"


def udp_pktinfo(own, bind, port):
    """'ok': a service answered; 'own': our socket at OWN:PORT got the datagram."""
    port = int(port)
    mine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mine.bind((own, port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, 0))
    pktinfo = struct.pack("I4s4s", 0, bytes(4), bytes(4))  # ifindex 0, spec_dst, addr: 0.0.0.0
    s.sendmsg([b"wdtest-pktinfo\n"], [(socket.IPPROTO_IP, IP_PKTINFO, pktinfo)], 0,
              ("0.0.0.0", port))
    got, _, _ = select.select([mine, s], [], [], TIMEOUT)
    if mine in got:
        return "own"
    if not got or not answered(s):
        fail(errno.ETIMEDOUT)
    return "ok"


def await_file(path, secs=30):
    for _ in range(secs * 10):
        if os.path.exists(path):
            return
        time.sleep(0.1)
    fail(errno.ETIME)


def udp_late(port, want, ready):
    """The connected socket's datagram after a node service took the port: 'ok' if it answered."""
    port = int(port)
    mine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mine.bind(("127.0.0.1", port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))  # decided now: the receiving socket is our own
    mine.close()
    with open(want, "w") as f:
        f.write("%d\n" % port)
    await_file(ready)
    s.send(b"wdtest-late\n")
    if not answered(s):
        fail(errno.ETIMEDOUT)
    return "ok"


def udp_connected_server(port):
    port = int(port)
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", port))
    srv.settimeout(TIMEOUT)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind(("127.0.0.1", 0))
    c.sendto(b"hello\n", ("127.0.0.1", port))
    _, peer = srv.recvfrom(256)
    srv.connect(peer)  # from now on the server talks to this client only (socat, DTLS, QUIC)
    c.sendto(b"again\n", ("127.0.0.1", port))
    if srv.recv(256) != b"again\n":
        fail(errno.EBADMSG)
    srv.send(b"answer\n")
    expect_answer(c)
    return "ok"


def libc_call(name, *args):
    """shmget, msgget, shmctl, shmdt (int) or shmat (void *, as a signed number): -1 fails."""
    libc = ctypes.CDLL(None, use_errno=True)
    f = getattr(libc, name)
    f.restype = ctypes.c_ssize_t if name == "shmat" else ctypes.c_int
    rc = f(*args)
    if rc == -1:
        fail(ctypes.get_errno())
    return rc


def shm_own(key):
    sid = libc_call("shmget", int(key, 0), ctypes.c_size_t(4096), IPC_CREAT | IPC_EXCL | 0o600)
    try:
        addr = libc_call("shmat", sid, None, 0)
        data = b"wdtest-own-shm-%d" % os.getpid()
        ctypes.memmove(ctypes.c_void_p(addr), data, len(data))
        if ctypes.string_at(ctypes.c_void_p(addr), len(data)) != data:
            fail(errno.EBADMSG)
        libc_call("shmdt", ctypes.c_void_p(addr))
    finally:
        libc_call("shmctl", sid, IPC_RMID, None)


class PkeyParams(ctypes.Structure):  # struct keyctl_pkey_params
    _fields_ = [("key_id", ctypes.c_int32), ("in_len", ctypes.c_uint32),
                ("out_len", ctypes.c_uint32), ("spare", ctypes.c_uint32 * 7)]


def key_sign(serial, size="128"):
    digest = b"\x11" * 32
    out = ctypes.create_string_buffer(int(size))  # the kernel wants no more than the key's size
    params = PkeyParams(int(serial), len(digest), len(out))
    n = keyctl(KEYCTL_PKEY_SIGN, ctypes.byref(params), b"enc=pkcs1 hash=sha256", digest, out)
    if n <= 0:
        fail(errno.ENODATA)


def request_key(desc):
    syscall(SYS_REQUEST_KEY, b"user", desc.encode(), b"wdtest-callout",
            ctypes.c_long(KEY_SPEC_SESSION_KEYRING))


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
    elif what in ("tcp-from", "udp-pktinfo", "udp-late", "udp-connected-server"):
        print(globals()[what.replace("-", "_")](*args))
        return 0
    elif what == "shm-find":
        libc_call("shmget", int(args[0], 0), ctypes.c_size_t(0), 0)
    elif what == "msg-find":
        libc_call("msgget", int(args[0], 0), 0)
    elif what == "shm-own":
        shm_own(args[0])
    elif what == "key-sign":
        key_sign(*args)
    elif what == "request-key":
        request_key(args[0])
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
