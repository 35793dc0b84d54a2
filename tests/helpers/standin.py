#!/usr/bin/env python3
"""Stand-ins for the services a node offers its jobs, for the "grant nothing" tests (issue 16).

Started outside a sandbox (the node's services, which a sandbox must not reach) and inside one
(the job's own servers, which it must reach). Servers answer every client with one line, so a
client can tell it really reached them; each signals that it is listening by printing "ready"
and, with --ready FILE, by creating FILE (atomically), and exits on SIGTERM (or after --ttl
seconds, 600 by default, so a test that dies leaves nothing behind for long).

    standin.py tcp HOST PORT [--reuseport]   a credential agent: answers "token=..." and closes
    standin.py udp HOST PORT                 a stub resolver: answers every datagram
        --log FILE (tcp, udp): appends a line for every client served ("tcp HOST:PORT from PEER",
        "udp HOST:PORT from PEER got DATA"), so that a test can tell that nobody reached it
    standin.py unix PATH                     a stream API socket (the directory is made)
    standin.py unix-dgram PATH               a datagram unix socket: answers senders with names
    standin.py abstract NAME                 an abstract unix stream socket (NAME without the NUL)
    standin.py key DESC DATA [--ring RING] [--perm HEX]
                                             adds a "user" key; prints its serial and exits
        RING: user (@u, the default), user-session (@us), session (@s), process (@p)
        HEX: its permissions (keyctl setperm), e.g. 0x3f3f0000: everything for the possessor and
        for every process of the user; without it, the kernel's default (the user may only view)
    standin.py key-drop SERIAL               invalidates a key added so (the test cleaning up)
    standin.py pkey DESC [--ring RING] [--perm HEX]
                                             adds an "asymmetric" key holding a private RSA key
        made for the occasion (1024 bits, PKCS#8: the kernel needs its pkcs8_key_parser module),
        as an agent's signing key; prints its serial and exits
    standin.py shm KEY | msgq KEY            makes a System V shared memory segment (one page)
        or message queue with the IPC key KEY (decimal or 0x hex), mode 0600; prints its id
    standin.py ipc-drop shm|msgq ID          removes it (IPC_RMID)

Only the Python standard library: keyctl(1) is not installed where the tests run, so keys are
added with the add_key(2) system call through ctypes, and the RSA key is made here (no openssl).
"""
import ctypes
import math
import os
import random
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


def rsa_pkcs8(bits=1024):
    """A new RSA private key, DER-encoded PKCS#8 (PrivateKeyInfo around an RSAPrivateKey). Only
    for a test: made with the system's randomness, but protects nothing."""
    rnd = random.SystemRandom()
    small = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p ** 0.5) + 1, 2))]

    def probable_prime(n):
        if any(n % p == 0 for p in small):
            return False
        d, r = n - 1, 0
        while d % 2 == 0:
            d, r = d // 2, r + 1
        for _ in range(32):  # Miller-Rabin
            x = pow(rnd.randrange(2, n - 2), d, n)
            if x in (1, n - 1):
                continue
            for _ in range(r - 1):
                x = pow(x, 2, n)
                if x == n - 1:
                    break
            else:
                return False
        return True

    def prime(nbits):
        while True:
            # the top two bits set, so that the product has exactly 2 * nbits bits (the kernel
            # takes RSA keys of a few sizes only)
            n = rnd.getrandbits(nbits) | (3 << (nbits - 2)) | 1
            if probable_prime(n) and math.gcd(e, n - 1) == 1:
                return n

    e = 65537
    p = prime(bits // 2)
    q = prime(bits // 2)
    while q == p:
        q = prime(bits // 2)
    d = pow(e, -1, (p - 1) * (q - 1))

    def tlv(tag, body):
        n = len(body)
        if n < 0x80:
            return bytes([tag, n]) + body
        ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return bytes([tag, 0x80 | len(ln)]) + ln + body

    def integer(x):  # unsigned: a leading zero byte when the top bit is set
        return tlv(0x02, x.to_bytes(x.bit_length() // 8 + 1, "big"))

    rsa = tlv(0x30, b"".join(integer(x) for x in (0, p * q, e, d, p, q, d % (p - 1), d % (q - 1),
                                                  pow(q, -1, p))))
    rsa_encryption = bytes.fromhex("06092a864886f70d0101010500")  # OID 1.2.840.113549.1.1.1, NULL
    return tlv(0x30, integer(0) + tlv(0x30, rsa_encryption) + tlv(0x04, rsa))


def add_pkey(desc, ring):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    der = rsa_pkcs8()
    serial = libc.syscall(ctypes.c_long(SYS_ADD_KEY), b"asymmetric", desc.encode(), der,
                          ctypes.c_size_t(len(der)), ctypes.c_long(RINGS[ring]))
    if serial < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return serial


# <sys/ipc.h>, <sys/shm.h>, <sys/msg.h>
IPC_CREAT, IPC_RMID = 0o1000, 0


def ipc(what, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    rc = getattr(libc, what)(*args)
    if rc < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return rc


def ready(path):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("ready %d\n" % os.getpid())
        os.rename(tmp, path)
    print("ready", flush=True)


def where(a):
    return ("[%s]:%d" if ":" in a[0] else "%s:%d") % a[:2]


def note(log, line):
    with open(log, "a") as f:
        f.write(line + "\n")


def serve_stream(s, ready_file, log=None):
    s.listen(64)
    ready(ready_file)
    while True:
        c, peer = s.accept()
        if log:
            note(log, "tcp %s from %s" % (where(s.getsockname()), where(peer)))
        try:
            c.sendall(TOKEN)
        except OSError:
            pass
        c.close()


def serve_dgram(s, ready_file, log=None):
    ready(ready_file)
    while True:
        data, peer = s.recvfrom(4096)
        if log:
            note(log, "udp %s from %s got %r" % (where(s.getsockname()), where(peer), data))
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
    opts = {"ready": None, "ttl": "600", "ring": "user", "perm": None, "reuseport": False,
            "log": None}
    while i < len(argv):
        a = argv[i]
        if a == "--reuseport":
            opts["reuseport"] = True
        elif a in ("--ready", "--ttl", "--ring", "--perm", "--log"):
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
    if what == "pkey":
        serial = add_pkey(args[0], opts["ring"])
        if opts["perm"]:
            keyctl(KEYCTL_SETPERM, serial, int(opts["perm"], 16))
        print(serial, flush=True)
        return 0
    if what == "shm":
        print(ipc("shmget", int(args[0], 0), ctypes.c_size_t(4096), IPC_CREAT | 0o600), flush=True)
        return 0
    if what == "msgq":
        print(ipc("msgget", int(args[0], 0), IPC_CREAT | 0o600), flush=True)
        return 0
    if what == "ipc-drop":
        ctl = {"shm": "shmctl", "msgq": "msgctl"}[args[0]]
        ipc(ctl, int(args[1]), IPC_RMID, None)
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
        serve_stream(s, opts["ready"], opts["log"])
    elif what == "udp":
        s = inet_socket(args[0], socket.SOCK_DGRAM)
        s.bind((args[0], int(args[1])))
        serve_dgram(s, opts["ready"], opts["log"])
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
