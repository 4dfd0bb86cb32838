"""What the sandbox does where the grader runs as root on Linux (Gradescope, batch grading,
PrairieLearn): POSIX- and Linux-only, imported only on that path, never by a student's
notebook check.

* Sandbox users: each grading claims users of its own from a pool (a root-only lock file
  each), so concurrent gradings never share one.
* Processes: the grader becomes the subreaper of its children's orphans (double-forked
  daemons stay its descendants) and kills them, and every process of its users.
* Files: everything its users own in the machine's scratch folders is deleted.
"""

import contextlib
import ctypes
import fcntl
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from .sandbox import SandboxBroken

# Children run as one of these users, each held by one grading at a time (a lock file in
# LOCKS): concurrent gradings, whoever starts them, never share one.
SANDBOX_USERS = tuple(f"olab-sandbox-{i}" for i in range(16))   # two per grading
LOCKS = Path("/var/lib/olab-sandbox")
CLAIM_WAIT = 120.0             # seconds to wait for a free sandbox user
# World-writable places a sandbox user can leave files in; emptied of them after a grading.
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
PROC = Path("/proc")


def claim_user():
    """(a sandbox user no other grading on this machine holds, its lock's file descriptor);
    the lock lasts until the descriptor is closed, or this process ends."""
    LOCKS.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(LOCKS)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxBroken(f"{LOCKS} must be a folder of root's that others cannot write")
    deadline = time.monotonic() + CLAIM_WAIT
    while True:
        for name in SANDBOX_USERS:
            fd = os.open(LOCKS / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return name, fd
            except BlockingIOError:
                os.close(fd)
        if time.monotonic() > deadline:
            raise SandboxBroken(f"all {len(SANDBOX_USERS)} sandbox users stayed busy for "
                                f"{CLAIM_WAIT:.0f} s: too many gradings at once")
        time.sleep(0.1)


def sandbox_identity(user):
    """(uid, gid) of a sandbox user, created if it does not exist yet (we are root)."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", user], check=False, capture_output=True)
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            raise SandboxBroken(f"the sandbox user {user} does not exist and could not be "
                                "created (useradd)") from None
    return entry.pw_uid, entry.pw_gid


_INTERPRETER = []


def child_interpreter(identity):
    """A Python of our version a sandbox user may execute (ours may sit in root's home);
    the users are all alike, so one of them is asked, once per process. None if none."""
    if not _INTERPRETER:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        env = {k: v for k, v in os.environ.items() if k == "LD_LIBRARY_PATH"}
        found = None
        for exe in (sys.executable, f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"):
            try:
                done = subprocess.run([exe, "-I", "-S", "-c", "import sys; print(sys.version[:5])"],
                                      capture_output=True, text=True, timeout=10, cwd="/",
                                      env=env, user=identity[0], group=identity[1],
                                      extra_groups=[])
            except (OSError, subprocess.SubprocessError):
                continue
            if done.returncode == 0 and done.stdout.startswith(version):
                found = exe
                break
        _INTERPRETER.append(found)
    return _INTERPRETER[0]


def user_process_count():
    return len(processes_of(os.getuid()))


def _owner(proc_dir):
    try:
        return proc_dir.stat().st_uid
    except OSError:
        return None


def kill_processes_of(identity, python):
    """Kill every process of a sandbox user (``identity``: (uid, gid)), as that user."""
    uid, gid = identity
    for _ in range(10):
        if not processes_of(uid):
            return
        subprocess.run([python, "-I", "-S", "-c",
                        "import os, signal; os.kill(-1, signal.SIGKILL)"],
                       user=uid, group=gid, extra_groups=[], check=False)
        time.sleep(0.05)


def remove_files_of(uid, top):
    """Delete everything below ``top`` that ``uid`` owns. It can only have written into
    folders anyone may write to, so only those are searched (not the thousands of files
    below other users' folders); links are removed, never followed, and none of its
    processes is left to race us."""
    folders = [top]
    while folders:
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid == uid:
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002:
                folders.append(entry.path)


def processes_of(uid):
    return [int(p.name) for p in PROC.iterdir()
            if p.name.isdigit() and _owner(p) == uid]


def become_subreaper():
    """Orphans of our children (double forks) become our children, so we can find them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill_orphans(keep=()):
    """Kill and reap every process adopted by us, but the children in ``keep`` (spare
    children, which have run no submission code)."""
    me = os.getpid()
    for _ in range(50):
        adopted = []
        for p in PROC.iterdir():
            try:
                fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if p.name.isdigit() and int(fields[1]) == me and fields[0] != "Z" \
                    and int(p.name) not in keep:
                adopted.append(int(p.name))
        for pid in adopted:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    break
            except ChildProcessError:
                break
        if not adopted:
            return
        time.sleep(0.02)

