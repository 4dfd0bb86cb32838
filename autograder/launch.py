"""How children start (trusted side; the standard library only).

On Linux every child is forked by this process's zygote (``autograder/child/zygote.py``):
forked from the grader itself by ``prepare()`` when a command calls it first thing, before
anything is read and while the grader runs one thread; otherwise started as a fresh
interpreter (a notebook kernel runs threads, and a fork of it would be unsafe), once per
process. Elsewhere (Windows; macOS, whose system libraries are not fork-safe) each child
is a fresh interpreter (``spawn``).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

CHILD_PACKAGE = Path(__file__).resolve().parent / "child"
FORKING = sys.platform.startswith("linux")
BOOT = ("import json, sys; sys.path[:0] = sys.argv[2:]; "
        "from autograder.child.main import main; main(limits=json.loads(sys.argv[1]))")
ZYGOTE_BOOT = ("import sys; sys.path[:0] = sys.argv[2:]; "
               "from autograder.child.zygote import serve_fd; serve_fd(int(sys.argv[1]))")
_zygote = None
_site: list[str] = []


def single_threaded() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def prepare() -> None:
    """Fork this process's zygote now, if that is safe: call it before reading anything
    (a submission, references, the answer key), so the zygote holds none of it."""
    global _zygote
    if FORKING and _zygote is None and single_threaded():
        _zygote = Zygote.fork()


def zygote() -> Zygote:
    """This process's zygote, started as a fresh interpreter if none was forked."""
    global _zygote
    if _zygote is None or not _zygote.alive():
        _zygote = Zygote.spawn()
    return _zygote


def site() -> list[str]:
    """A folder for a fresh interpreter's ``sys.path``: a copy of ``autograder/child`` and
    links to NumPy and pyseccomp (nothing else of this environment is importable). Where
    links cannot be made (Windows without the privilege), the folders holding those are
    returned after it. Made once per process."""
    if _site:
        return _site
    folder = Path(tempfile.mkdtemp(prefix="olab-site-"))
    atexit.register(shutil.rmtree, folder, True)
    shutil.copytree(CHILD_PACKAGE, folder / "autograder" / "child",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "autograder" / "__init__.py").write_text("")
    numpy_spec = importlib.util.find_spec("numpy")
    assert numpy_spec is not None and numpy_spec.origin   # imported already
    numpy_dir = Path(numpy_spec.origin).resolve().parent
    wanted = [numpy_dir.parent / name for name in ("numpy", "numpy.libs")]
    seccomp = importlib.util.find_spec("pyseccomp")   # the child's network filter
    if seccomp and seccomp.origin:
        wanted.append(Path(seccomp.origin).resolve())
    extra = []
    for target in (t for t in wanted if t.exists()):
        try:
            (folder / target.name).symlink_to(target, target.is_dir())
        except OSError:
            extra.append(str(target.parent))
    for top, _, files in os.walk(folder):   # readable whatever our umask
        os.chmod(top, 0o755)
        for path in (os.path.join(top, name) for name in files):
            if not os.path.islink(path):
                os.chmod(path, 0o644)
    _site.extend([str(folder)] + sorted(set(extra)))
    return _site


def interpreter_env() -> dict[str, str]:
    env = {"PATH": os.pathsep.join(["/usr/bin", "/bin"]), "LANG": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    # OpenBLAS settings for processors where old kernels crash; a shared libpython's path;
    # what any Windows process needs.
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH",
                 "SYSTEMROOT", "WINDIR", "TEMP", "TMP"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


class Zygote:
    """The grader's end of a zygote: a socket to send it requests on."""

    def __init__(self, sock, pid, proc=None):
        self.sock, self.pid, self.proc = sock, pid, proc

    @classmethod
    def fork(cls) -> Zygote:
        import numpy  # noqa: F401 - what the grader and every child need, shared

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            try:
                # What only children need is loaded here, while the grader goes on.
                try:
                    import pyseccomp  # noqa: F401
                except Exception:  # noqa: BLE001,S110 - the child reports the missing filter
                    pass
                from .child import zygote as code

                ours.close()
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                keep = theirs.fileno()
                os.closerange(3, keep)
                os.closerange(keep + 1, 1 << 16)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                code.forget_the_grader()
                code.serve(theirs)
            finally:
                os._exit(0)
        theirs.close()
        return cls(ours, pid)

    @classmethod
    def spawn(cls) -> Zygote:
        import subprocess  # (only here: a forking grader never loads it)

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", ZYGOTE_BOOT, str(theirs.fileno()), *site()],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=interpreter_env(),
            start_new_session=True, cwd="/")
        theirs.close()
        return cls(ours, proc.pid, proc)

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def start(self, spec: dict, stderr_fd: int, wait: float = 30.0) -> ForkedChild:
        """A ``ForkedChild`` for ``spec`` (see ``zygote``), its stderr on ``stderr_fd``."""
        return ForkedChild(self, spec, stderr_fd, wait)


class ForkedChild:
    """A child the zygote forked, driven like a ``subprocess.Popen``: ``stdin``, ``stdout``,
    ``pid``, ``returncode``, ``poll()``, ``wait()``, ``kill()``. Killing it ends its PID
    namespace, and with it every process it started."""

    def __init__(self, zygote, spec, stderr_fd, wait):
        child_in, self_in = os.pipe()
        self_out, child_out = os.pipe()
        self._status, status_w = os.pipe()
        try:
            socket.send_fds(zygote.sock, [json.dumps(spec).encode()],
                            [child_in, child_out, stderr_fd, status_w])
        finally:
            for fd in (child_in, child_out, status_w):
                os.close(fd)
        self.stdin = os.fdopen(self_in, "wb", buffering=0)
        self.stdout = os.fdopen(self_out, "rb", buffering=0)
        self.returncode, self._buffer, self._pid, self._wait = None, b"", None, wait

    @property
    def pid(self) -> int | None:
        """The child's pid, once its warden has said it (read when first needed, so that
        starting a child never waits for it)."""
        if self._pid is None and self.returncode is None:
            line = self._line(self._wait)
            self._pid = int(line) if line and line.isdigit() else None
            if self._pid is None:         # the zygote is gone, or refused the spec
                self.returncode = -1
                os.close(self._status)
        return self._pid

    def _line(self, seconds):
        while b"\n" not in self._buffer:
            if seconds is not None and not select.select([self._status], [], [], seconds)[0]:
                return None
            chunk = os.read(self._status, 64)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode().strip()

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._status], [], [], 0)[0]:
            self.wait()
        return self.returncode

    def wait(self) -> int | None:
        if self.pid is not None and self.returncode is None:
            line = self._line(None)
            self.returncode = int(line) if line and line.lstrip("-").isdigit() else -9
            os.close(self._status)
        return self.returncode

    def kill(self) -> None:
        if self.pid and self.returncode is None:
            for kill in (os.killpg, os.kill):
                try:
                    kill(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
