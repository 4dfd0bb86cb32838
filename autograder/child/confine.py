"""How a child confines itself on Linux before any submission code exists in it (child side:
the standard library and ctypes only; the system calls that bubblewrap and nsjail make,
made here because a child is forked from a zygote, not executed).

Layers, strongest first (each function returns None when its layer holds, else why not):

* ``unshare_all``: new mount, PID, IPC, network and UTS namespaces (root only). In them,
  ``build_root`` gives the child a root of its own: a read-only tmpfs holding bind mounts
  of exactly the paths ``readable_paths`` lists (the standard library, NumPy and its
  libraries, the C libraries already loaded), one private tmpfs of fixed size for
  ``/tmp``, ``/var/tmp`` and ``/dev/shm``, and a ``/proc`` of its own PID namespace. The
  old root is detached: nothing else of the machine exists for the child.
* ``landlock``: where namespaces are refused (a Docker container's default profile), the
  kernel's Landlock LSM lets the child read only those same paths and write only its
  scratch folder, and (ABI 6+) send no signal and reach no abstract Unix socket outside.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import sys
import sysconfig

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 38, 36
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
SYS_LANDLOCK_CREATE, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT = 444, 445, 446
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
SYSTEM_LIBRARIES = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
ROOT_BYTES = 1 << 20        # the skeleton of the child's root: folders and mount points

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _call(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def readable_paths() -> list[str]:
    """What a child may read, from what this process (the zygote) has loaded: the standard
    library, NumPy's folders, pyseccomp, every shared library mapped now (the C library,
    OpenBLAS, libpython) and the system's library folders that hold them. A student's
    ``import`` of anything else finds nothing."""
    stdlib = sysconfig.get_path("stdlib")
    paths: set[str] = {stdlib, *import_paths()[1:2]}
    numpy = os.path.dirname(sys.modules["numpy"].__file__ or "")
    paths.update(p for p in (numpy, numpy + ".libs") if os.path.isdir(p))
    if os.path.islink(numpy):   # a fresh interpreter's folder of links: the links too
        paths.add(os.path.dirname(numpy))
    seccomp = getattr(sys.modules.get("pyseccomp"), "__file__", None)
    if seccomp:
        paths.add(seccomp)
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                path = fields[5].strip() if len(fields) > 5 else ""
                if ".so" in os.path.basename(path) and os.path.isabs(path):
                    folder = os.path.dirname(path)
                    paths.add(folder if folder in SYSTEM_LIBRARIES
                              or os.path.dirname(folder) in SYSTEM_LIBRARIES else path)
    except OSError:
        pass
    paths.update(p for p in ("/etc/ld.so.cache", *DEVICES) if os.path.exists(p))
    resolved = sorted({os.path.realpath(p) for p in paths if p})
    # a path inside a folder listed is bound with it
    return [p for p in resolved if not any(p.startswith(q + "/") for q in resolved)]


def import_paths() -> list[str]:
    """``sys.path`` for a child: the standard library, its extension modules, and the
    folder NumPy sits in."""
    numpy = os.path.dirname(os.path.dirname(sys.modules["numpy"].__file__ or ""))
    dynload = os.path.dirname(getattr(sys.modules.get("math"), "__file__", "") or "") \
        or os.path.join(sysconfig.get_path("stdlib"), "lib-dynload")
    return [sysconfig.get_path("stdlib"), dynload, numpy]


def unshare_all() -> str | None:
    if not sys.platform.startswith("linux"):
        return "no Linux namespaces on this system"
    if platform.machine() not in SYS_PIVOT_ROOT:     # its own root could not be made
        return f"no namespaces (pivot_root unknown on {platform.machine()})"
    if _libc.unshare(NAMESPACES) != 0:
        code = ctypes.get_errno()
        return f"no namespaces ({os.strerror(code)})"
    return None


def _mount(source, target, fstype, flags, data=None):
    _call(_libc.mount(source and source.encode(), target.encode(),
                      fstype and fstype.encode(), ctypes.c_ulong(flags),
                      data and data.encode()), f"mount {target}")


def _make(path, folder):
    if folder:
        os.makedirs(path, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
        if not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def build_root(mountpoint: str, readable: list[str], scratch_bytes: int) -> None:
    """In new namespaces, as root and PID 1: make the child's root (see the module's doc)
    at ``mountpoint`` and move into it; the machine's root is detached."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", mountpoint, "tmpfs", MS_NOSUID | MS_NODEV, f"size={ROOT_BYTES},mode=0755")
    for name in os.listdir("/"):        # /lib -> usr/lib and the like, as the machine has them
        if os.path.islink("/" + name):
            os.symlink(os.readlink("/" + name), os.path.join(mountpoint, name))
    for folder in ("tmp", "var/tmp", "dev/shm", "proc"):
        _make(os.path.join(mountpoint, folder), True)
    _mount("tmpfs", mountpoint + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={scratch_bytes},mode=1777,nr_inodes=4096")
    for alias in ("/var/tmp", "/dev/shm"):   # one bound for all scratch
        _mount(mountpoint + "/tmp", mountpoint + alias, None, MS_BIND)
    for path in readable:     # after /tmp: a folder of links in /tmp stays visible
        target = mountpoint + path
        _make(target, os.path.isdir(path))
        _mount(path, target, None, MS_BIND | MS_REC)
        device = path.startswith("/dev/")
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
               | (0 if device else MS_NODEV))
    site = os.path.join(mountpoint + sysconfig.get_path("stdlib"), "site-packages")
    if os.path.isdir(site):             # the base interpreter's own packages: not ours to show
        _mount("tmpfs", site, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
    _mount("proc", mountpoint + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(mountpoint)
    _call(_libc.syscall(SYS_PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
    _call(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _libc.sethostname(b"sandbox", 7)


def become_subreaper() -> None:
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def no_new_privs() -> None:
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_ALL_V1 = (1 << 13) - 1           # execute .. make_sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_ALL = 3                          # bind_tcp, connect_tcp
SCOPE_ALL = 3                        # abstract unix sockets, signals


def landlock(readable: list[str], writable: list[str]) -> str | None:
    """Restrict this process and its descendants to reading ``readable`` and reading and
    writing ``writable`` (paths); no TCP (ABI 4+), no signals or abstract Unix sockets
    beyond its own domain (ABI 6+). None if it holds, else why not."""
    abi = _libc.syscall(SYS_LANDLOCK_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return f"no Landlock ({os.strerror(ctypes.get_errno())})"
    handled = FS_ALL_V1 | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0) \
        | (FS_IOCTL_DEV if abi >= 5 else 0)
    attr = _RulesetAttr(handled, NET_ALL if abi >= 4 else 0, SCOPE_ALL if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE, ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        return f"no Landlock ruleset ({os.strerror(ctypes.get_errno())})"
    read = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    try:
        for paths, access in ((readable, read), (writable, handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                folder = os.path.isdir(path)
                rule = _PathBeneath(access if folder else access & (
                    FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE), fd)
                result = _libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                                       ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0))
                os.close(fd)
                if result < 0:
                    return f"a Landlock rule was refused ({os.strerror(ctypes.get_errno())})"
        no_new_privs()
        if _libc.syscall(SYS_LANDLOCK_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            return f"Landlock refused ({os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    return None


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError(errno.EPERM, "could not drop to the sandbox user")
