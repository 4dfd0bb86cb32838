"""What the sandbox does on Linux outside the children (trusted side): imported only on
that path, never by a student's notebook check.

* Sandbox users: as root, each grading claims a user of its own from a pool (a root-only
  lock file each), so concurrent gradings never share one.
* Cgroups: every process of a grading in one cgroup, bounded in memory and count as a
  whole, and killed as a whole.
* Where there is no PID namespace to end, every process of the grading's user is killed
  with that user's own rights.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import signal
import stat
import time
from pathlib import Path

from .errors import SandboxBroken

# Children run as one of these users, each held by one grading at a time (a lock file in
# LOCKS): concurrent gradings, whoever starts them, never share one.
SANDBOX_USERS = tuple(f"olab-sandbox-{i}" for i in range(16))
LOCKS = Path("/var/lib/olab-sandbox")
CLAIM_WAIT = 120.0             # seconds to wait for a free sandbox user
PROC = Path("/proc")
CGROUP = Path("/sys/fs/cgroup")


def claim_user() -> tuple[str, int]:
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


def sandbox_identity(user: str) -> tuple[int, int]:
    """(uid, gid) of a sandbox user, created if it does not exist yet (we are root)."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        import subprocess

        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", user], check=False, capture_output=True)
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            raise SandboxBroken(f"the sandbox user {user} does not exist and could not be "
                                "created (useradd)") from None
    return entry.pw_uid, entry.pw_gid


def processes_of(uid: int) -> list[int]:
    """The pids of every process of ``uid`` (its own per-user process limit counts them)."""
    found = []
    for entry in PROC.iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


class Cgroup:
    """One cgroup (v2) or one per controller (v1) holding every process of one grading:
    memory (tmpfs scratch included) and the process count bound as a whole, every process
    found to kill, the peak and out-of-memory kills read back."""

    counter = 0

    def __init__(self, dirs, version):
        self.dirs, self.version = dirs, version

    @property
    def procs(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in dict.fromkeys(self.dirs.values())]

    @classmethod
    def make(cls, memory: int, pids: int) -> tuple[Cgroup | None, str | None]:
        """(a new Cgroup, None), or (None, why not)."""
        cls.counter += 1
        name = f"olab-{os.getpid()}-{cls.counter}"
        try:
            if (CGROUP / "cgroup.controllers").exists():
                return cls._v2(name, memory, pids), None
            return cls._v1(name, memory, pids), None
        except (OSError, ValueError, KeyError) as exc:
            return None, f"no cgroup for the grading ({exc})"

    @classmethod
    def _v2(cls, name, memory, pids):
        own = Path("/proc/self/cgroup").read_text().splitlines()[0].split("::", 1)[1]
        parent = CGROUP / own.strip("/")
        wanted = {"memory", "pids"} - set((parent / "cgroup.subtree_control").read_text().split())
        if wanted:
            (parent / "cgroup.subtree_control").write_text(" ".join("+" + c for c in wanted))
        folder = parent / name
        folder.mkdir()
        group = cls({"memory": folder, "pids": folder}, 2)
        group._write("memory", "memory.max", memory)
        group._write("memory", "memory.swap.max", 0, optional=True)
        group._write("pids", "pids.max", pids)
        return group

    @classmethod
    def _v1(cls, name, memory, pids):
        mounts = {}
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            fields = line.split(" - ")
            if len(fields) == 2 and fields[1].startswith("cgroup "):
                for option in fields[1].split()[-1].split(","):
                    mounts.setdefault(option, Path(fields[0].split()[4]))
        own = {}
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(","):
                own[controller] = path
        dirs = {}
        group = cls(dirs, 1)
        try:
            for controller in ("memory", "pids"):
                folder = mounts[controller] / own[controller].strip("/") / name
                folder.mkdir()
                dirs[controller] = folder
            group._write("memory", "memory.limit_in_bytes", memory)
            group._write("memory", "memory.memsw.limit_in_bytes", memory, optional=True)
            group._write("pids", "pids.max", pids)
        except BaseException:
            group.remove()
            raise
        return group

    def _write(self, controller, name, value, optional=False):
        try:
            (self.dirs[controller] / name).write_text(str(value))
        except OSError:
            if not optional:
                raise

    def _read(self, controller, name):
        try:
            return (self.dirs[controller] / name).read_text()
        except (OSError, KeyError):
            return ""

    def members(self) -> set[int]:
        return {int(p) for path in self.procs for p in _lines(path)}

    def kill(self) -> bool:
        """Kill every process in the cgroup (a fork racing us is found the next round)."""
        if self.version == 2 and (self.dirs["pids"] / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                (self.dirs["pids"] / "cgroup.kill").write_text("1")
        for _ in range(200):
            members = self.members()
            if not members:
                return True
            for pid in members:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.001)
        return False

    def oom_kills(self) -> int:
        text = self._read("memory", "memory.events" if self.version == 2 else
                          "memory.oom_control")
        for line in text.splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def peak(self) -> int | None:
        text = self._read("memory", "memory.peak" if self.version == 2 else
                          "memory.max_usage_in_bytes").strip()
        return int(text) if text.isdigit() else None

    def remove(self) -> None:
        """Kill what is left, then remove the cgroup (its folders hold no files of ours)."""
        self.kill()
        for folder in dict.fromkeys(self.dirs.values()):
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def _lines(path):
    try:
        return Path(path).read_text().split()
    except OSError:
        return []
