#!/usr/bin/env python3
"""Tries one thing an attacker would, from inside a sandbox, and reports what the kernel said.

Prints "ok" or "errno=NAME" and exits 0 or with the errno number, so a test can assert the exact
error a sandboxed process sees. Usage: attempt.py ACTION ARGS...
"""
import ctypes
import errno
import os
import socket
import struct
import sys


def connect(family, addr, port, kind=socket.SOCK_STREAM):
    s = socket.socket(family, kind)
    s.settimeout(5)
    try:
        s.connect((addr, int(port)))
    finally:
        s.close()


def sendto(family, addr, port):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", (addr, int(port)))
    finally:
        s.close()


def tfo(addr, port):
    """TCP Fast Open: the connect happens inside sendto(MSG_FASTOPEN), with no connect()."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.sendto(b"x", socket.MSG_FASTOPEN, (addr, int(port)))
    finally:
        s.close()


def recv_fd(path):
    """Receives a socket created outside the sandbox over a unix socket (SCM_RIGHTS)."""
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(path)
    msg, anc, _, _ = u.recvmsg(1, socket.CMSG_SPACE(4))
    u.close()
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            return struct.unpack("i", data[:4])[0]
    raise OSError(errno.EBADMSG, "no fd received")


def passed_connect(path, addr, port):
    fd = recv_fd(path)
    s = socket.socket(fileno=fd)
    s.settimeout(5)
    try:
        s.connect((addr, int(port)))
    finally:
        s.close()


def memfd_exec(src):
    fd = os.memfd_create("payload", 0)
    with open(src, "rb") as f:
        os.write(fd, f.read())
    os.execve(fd, [src], {})


def clone_into_cgroup(cgdir):
    """clone3(CLONE_INTO_CGROUP) from inside: a way out of the sandbox cgroup."""
    libc = ctypes.CDLL(None, use_errno=True)
    cgfd = os.open(cgdir, os.O_RDONLY | os.O_DIRECTORY)
    # struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
    # tls, set_tid, set_tid_size, cgroup
    args = struct.pack("11Q", 0x200000000, 0, 0, 0, 17, 0, 0, 0, 0, 0, cgfd)
    buf = ctypes.create_string_buffer(args)
    libc.syscall.restype = ctypes.c_long
    pid = libc.syscall(435, buf, ctypes.c_size_t(len(args)))
    if pid == 0:
        os._exit(0)
    if pid < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    os.waitpid(pid, 0)


def mprotect_exec(path):
    """Maps a file without PROT_EXEC, then asks for it: code loaded without mmap(PROT_EXEC)."""
    import mmap
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 4096, flags=mmap.MAP_PRIVATE,
                      prot=mmap.PROT_READ | mmap.PROT_WRITE)
    buf = (ctypes.c_char * 4096).from_buffer(m)
    rc = libc.mprotect(ctypes.addressof(buf), 4096, mmap.PROT_READ | mmap.PROT_EXEC)
    e = ctypes.get_errno()
    del buf
    m.close()
    if rc != 0:
        raise OSError(e, os.strerror(e))


def libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, name)
    fn.restype = ctypes.c_long
    rc = fn(*args)
    if rc == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return rc


def process_vm_read(pid):
    buf = ctypes.create_string_buffer(64)

    class iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
    local = iovec(ctypes.cast(buf, ctypes.c_void_p), 64)
    remote = iovec(0x400000, 64)
    libc_call("process_vm_readv", ctypes.c_int(int(pid)), ctypes.byref(local), ctypes.c_ulong(1),
              ctypes.byref(remote), ctypes.c_ulong(1), ctypes.c_ulong(0))


def mprotect_cow(path):
    """A private mapping of an allowed binary, written to, then made executable."""
    import mmap
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 4096, flags=mmap.MAP_PRIVATE,
                      prot=mmap.PROT_READ | mmap.PROT_WRITE)
    m[0:1] = b"\xcc"
    buf = (ctypes.c_char * 4096).from_buffer(m)
    rc = libc.mprotect(ctypes.addressof(buf), 4096, mmap.PROT_READ | mmap.PROT_EXEC)
    e = ctypes.get_errno()
    del buf
    m.close()
    if rc != 0:
        raise OSError(e, os.strerror(e))


def write_file(path, data):
    with open(path, "w") as f:
        f.write(data)


def main(argv):
    action, args = argv[1], argv[2:]
    if action == "connect4":
        connect(socket.AF_INET, *args)
    elif action == "connect6":
        connect(socket.AF_INET6, *args)
    elif action == "udp4":
        sendto(socket.AF_INET, *args)
    elif action == "udp6":
        sendto(socket.AF_INET6, *args)
    elif action == "tfo":
        tfo(*args)
    elif action == "packet":
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW).close()
    elif action == "raw":
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
    elif action == "unix":
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            u.connect(args[0])
        finally:
            u.close()
    elif action == "passed-connect":
        passed_connect(*args)
    elif action == "read":
        with open(args[0], "rb") as f:
            f.read(1)
    elif action == "write":
        with open(args[0], "ab") as f:
            f.write(b"x")
    elif action == "exec":
        os.execv(args[0], args)
    elif action == "memfd-exec":
        memfd_exec(args[0])
    elif action == "mprotect-exec":
        mprotect_exec(args[0])
    elif action == "mprotect-cow":
        mprotect_cow(args[0])
    elif action == "kill":
        os.kill(int(args[0]), int(args[1]))
    elif action == "bpf":
        attr = ctypes.create_string_buffer(128)
        libc_call("syscall", ctypes.c_long(321), ctypes.c_int(11), attr, ctypes.c_uint(128))
    elif action == "mount-bind":
        libc_call("mount", args[0].encode(), args[1].encode(), None, ctypes.c_ulong(4096), None)
    elif action == "chroot":
        os.chroot(args[0])
    elif action == "unshare-user":
        libc_call("unshare", ctypes.c_int(0x10000000))
    elif action == "vm-read":
        process_vm_read(args[0])
    elif action == "ptrace":
        libc_call("ptrace", ctypes.c_long(16), ctypes.c_long(int(args[0])), None, None)
    elif action == "lsrr":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        hop = socket.inet_aton(args[0])
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([1, 0x83, 7, 4]) + hop)
    elif action == "retopts":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        hop = socket.inet_aton(args[0])
        opt = bytes([1, 0x83, 7, 4]) + hop
        s.sendmsg([b"x"], [(socket.IPPROTO_IP, 7, opt)], 0, ("127.0.0.1", int(args[1])))
    elif action == "sctp":
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()
    elif action == "ip-proto":  # a datagram socket of another IP protocol (UDP-Lite 136, ...)
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM, int(args[0])).close()
    elif action == "broadcast":
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    elif action == "unix-dgram":
        u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        u.sendto(b"x", args[0])
    elif action == "truncate":
        os.truncate(args[0], 0)
    elif action == "link":
        os.link(args[0], args[1])
    elif action == "listdir":
        os.listdir(args[0])
    # Changes to the file system without an open for writing (and two with one).
    elif action == "rename":
        os.rename(args[0], args[1])
    elif action == "exchange":
        libc = ctypes.CDLL(None, use_errno=True)
        # renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
        if libc.renameat2(-100, args[0].encode(), -100, args[1].encode(), 2) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    elif action == "unlink":
        os.unlink(args[0])
    elif action == "rmdir":
        os.rmdir(args[0])
    elif action == "mkdir":
        os.mkdir(args[0])
    elif action == "symlink":
        os.symlink(args[0], args[1])
    elif action == "mkfifo":
        os.mkfifo(args[0])
    elif action == "bind-unix":
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.bind(args[0])
        u.close()
    elif action == "chmod":
        os.chmod(args[0], int(args[1], 8))
    elif action == "chown":
        os.chown(args[0], int(args[1]), int(args[2]))
    elif action == "setxattr":
        os.setxattr(args[0], args[1], args[2].encode())
    elif action == "setacl":
        # system.posix_acl_access: user::rw- group::r-- other::r-- (what the mode says, as an ACL)
        acl = struct.pack("<I", 2) + b"".join(
            struct.pack("<HHI", tag, perm, 0xFFFFFFFF) for tag, perm in ((1, 6), (4, 4), (0x20, 4)))
        os.setxattr(args[0], "system.posix_acl_access", acl)
    elif action == "deep-mkdir":
        # mkdir one 200-byte name below the other from the cwd until the kernel refuses: prints
        # the length of the path refused and the errno ("4xxx errno=EACCES")
        name, depth = "d" * 200, len(os.getcwd())
        while depth < 8192:
            try:
                os.mkdir(name)
            except OSError as e:
                print(depth + 201, "errno=" + errno.errorcode.get(e.errno, str(e.errno)))
                return 0
            os.chdir(name)
            depth += 201
        print(depth, "ok")
        return 0
    elif action == "removexattr":
        os.removexattr(args[0], args[1])
    elif action == "create":
        os.close(os.open(args[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, int(args[1], 8) if len(args) > 1 else 0o644))
    elif action == "tmpfile-link":
        # an unnamed file made with MODE (O_TMPFILE never meets path_mknod), then given a name
        # (nothing written: a write by a task without CAP_FSETID would clear the setuid bit)
        fd = os.open(args[0], os.O_TMPFILE | os.O_WRONLY, int(args[2], 8))
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            # linkat(AT_FDCWD, "/proc/self/fd/N", AT_FDCWD, name, AT_SYMLINK_FOLLOW)
            if libc.linkat(-100, ("/proc/self/fd/%d" % fd).encode(), -100, args[1].encode(), 0x400):
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
        finally:
            os.close(fd)
    elif action == "write-text":
        fd = os.open(args[0], os.O_WRONLY)
        try:
            os.write(fd, args[1].encode())
        finally:
            os.close(fd)
    elif action == "tmpfile-open":
        os.close(os.open(args[0], os.O_TMPFILE | os.O_WRONLY, int(args[1], 8)))
    elif action == "open-trunc":
        os.close(os.open(args[0], os.O_WRONLY | os.O_TRUNC))
    elif action == "ftruncate":
        fd = os.open(args[0], os.O_WRONLY)
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)
    elif action == "tiocsti":
        import fcntl
        import termios
        fcntl.ioctl(0, termios.TIOCSTI, b"x")
    elif action == "join-cgroup":
        write_file(os.path.join(args[0], "cgroup.procs"), str(os.getpid()))
    elif action == "clone-into-cgroup":
        clone_into_cgroup(args[0])
    else:
        print("attempt.py: unknown action " + action, file=sys.stderr)
        return 2
    print("ok")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e.errno))
        print("errno=" + name)
        sys.exit(e.errno if e.errno and e.errno < 125 else 1)
