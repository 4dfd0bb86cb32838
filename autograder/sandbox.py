"""Sandboxed child processes that run submission code (trusted side; standard library
only, so a child can start while the grader is still importing NumPy).

One child runs a submission's cases, function after function; only a function that
hangs or ends its child costs a fresh child, which takes over from the next function.
A spare child is started when the sandbox opens, so its interpreter and NumPy start-up
overlap the grader's own work. Each child starts with ``python -I -S`` and a
``sys.path`` holding only a copy of ``autograder/child``, NumPy and ``pyseccomp``
(torch, the answer key, the grader's own modules and its reference data are not
importable), says when it is ready, then gets its request and each case's inputs on a
pipe and answers with frames on another, under CPU, address-space, file-size,
process-count and open-file limits and a wall-clock deadline.

Two modes:

* **strict**, wherever the grader runs on a POSIX system (``autograder/isolation.py``,
  imported only then): as root, children run as sandbox users of this grading's own,
  which can read neither the hidden references nor the results; every process they
  leave and every file they write in scratch folders goes before any result is written.
* **portable** (``Sandbox(portable=True)``: a student's ``grader.check`` on Windows, macOS
  or Linux, as any user): children run as the student, with the limits the platform
  allows; nothing outside a temporary folder is created or changed.

The pipes are served by threads (``ChildIO``), so no call here blocks on a child and the
same code runs on every OS (Windows' ``select`` takes no pipes).
"""

import contextlib
import importlib.util
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHILD_PACKAGE = PACKAGE / "child"
# Readable by root only whenever children run as the sandbox user: the references (hidden
# ones included) and, in the instructor's repository, the answer key and its source.
PROTECTED = [PACKAGE / "data", PACKAGE.parent / "solutions", PACKAGE.parent / "assignment"]
BOOT = ("import sys; sys.path[:0] = sys.argv[1:]; "
        "from autograder.child.main import main; main()")
TIMEOUT_PER_FUNCTION = 20.0   # wall-clock seconds for all of one function's cases
TIMEOUT_PER_SUBMISSION = 120.0
LIMITS = {
    "address_space": 512 * 2**20,  # two children + the grader fit in Gradescope's 768 MB
    "file_size": 16 * 2**20,
    "open_files": 64,
}
CHILD_PROCESSES = 64           # the sandbox user's processes (or, unprivileged, ours + this)
CHILD_START = 30.0             # seconds for a child to import NumPy and say it is ready
SPARES = set()                 # pids of the spare children of every open sandbox


class SandboxBroken(Exception):
    """A child could not start as the sandbox user: the grader's fault, never the student's.
    The message is for the instructor."""


class Sandbox:
    """A prepared place to run children: ``with Sandbox() as box: box.run(...)``."""

    def __init__(self, timeout=TIMEOUT_PER_FUNCTION, budget=TIMEOUT_PER_SUBMISSION,
                 portable=False):
        self.timeout, self.budget, self.portable = timeout, budget, portable
        self.user, self.identity, self.lock = None, None, None
        self.iso = None          # autograder.isolation, in strict mode
        self.notes = []          # for the instructor: how isolated the children were
        self.apart = None        # as root: the sandbox, of another user, for the hidden cases

    def __enter__(self):
        return self._enter(hidden_apart=True)

    def _enter(self, hidden_apart):
        if not self.portable and os.name == "posix":
            from . import isolation

            self.iso = isolation
            isolation.become_subreaper()
            if os.geteuid() == 0:
                self.user, self.lock = isolation.claim_user()
        try:
            return self._prepare(hidden_apart)
        except BaseException:
            self.__exit__()      # what was made so far: a partner sandbox, folders, the lock
            raise

    def _prepare(self, hidden_apart):
        self.python = sys.executable
        if self.user:
            self.identity = self.iso.sandbox_identity(self.user)
            self.python = self.iso.child_interpreter(self.identity)
            if not self.python:
                raise SandboxBroken(f"the sandbox user cannot execute {sys.executable} nor a "
                                    "Python of the same version in /usr/bin or "
                                    "/usr/local/bin: install Python where other users can "
                                    "run it")
            self.reap()               # whatever a crashed grading may have left as this user
            for path in PROTECTED:
                if path.exists():
                    os.chmod(path, 0o700)
        elif not self.portable:
            self.notes.append("not running as root: children ran as the grading user, "
                              "without the sandbox user's file protections")
        self.root = Path(tempfile.mkdtemp(prefix="olab-sandbox-"))
        self.private = self.root / "private"   # the parent's only: the children's stderr
        self.site = self.root / "site"         # the child's sys.path, with self.paths
        self.work = self.root / "work"         # the child's working directory
        self.private.mkdir(mode=0o700)
        self.work.mkdir()
        self.paths = [str(self.site)] + self._make_site()
        os.chmod(self.root, 0o755)
        if self.identity:
            os.chown(self.work, *self.identity)
        self.started, self.deadline, self.proven, self.spare = 0, None, False, None
        if self.identity and hidden_apart:
            self.apart = Sandbox(self.timeout, self.budget)._enter(hidden_apart=False)
            self.apart.notes = self.notes
        self._keep_spare()
        return self

    def _make_site(self):
        """The child's own folder on its path: a copy of ``autograder/child`` and links to
        NumPy and pyseccomp. Where links cannot be made (Windows without the privilege),
        the folders holding those are returned, to go on the path after it."""
        shutil.copytree(CHILD_PACKAGE, self.site / "autograder" / "child",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (self.site / "autograder" / "__init__.py").write_text("")
        numpy_dir = Path(importlib.util.find_spec("numpy").origin).resolve().parent
        wanted = [numpy_dir.parent / name for name in ("numpy", "numpy.libs")]
        seccomp = importlib.util.find_spec("pyseccomp")   # the child's network filter
        if seccomp and seccomp.origin:
            wanted.append(Path(seccomp.origin).resolve())
        extra = []
        for target in (t for t in wanted if t.exists()):
            try:
                (self.site / target.name).symlink_to(target, target.is_dir())
            except OSError:
                extra.append(str(target.parent))
        for folder, _, files in os.walk(self.site):   # readable whatever our umask
            os.chmod(folder, 0o755)
            for path in (os.path.join(folder, name) for name in files):
                if not os.path.islink(path):
                    os.chmod(path, 0o644)
        return sorted(set(extra))

    def _keep_spare(self):
        """Start a child now, to be used next (its start-up overlaps other work)."""
        self.spare = self.spare or self._spawn()
        SPARES.add(self.spare[0].pid)

    def _take_spare(self):
        child, self.spare = self.spare or self._spawn(), None
        SPARES.discard(child[0].pid)
        return child

    @property
    def users(self):
        return [box.user for box in (self, self.apart) if box and box.user]

    def for_hidden(self):
        """Where the hidden cases run: as root, a sandbox of another user, whose child
        started alongside ours, so no process the public cases' children leave can signal,
        trace or read it; else this one (its processes killed between the two). Either way
        on the submission's one budget."""
        box = self.apart or self
        box.deadline = self.deadline
        return box

    def __exit__(self, *exc):
        """End everything this sandbox made (also after a failed start, part-way)."""
        if self.apart:
            self.apart.__exit__()
            self.apart = None
        if getattr(self, "spare", None):   # never given a request (nothing to run)
            _end(self._take_spare())
        if getattr(self, "python", None):
            self.reap()
        if getattr(self, "root", None):
            shutil.rmtree(self.root, ignore_errors=True)
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None

    def limits(self):
        limits = {**LIMITS, "cpu_seconds": int(self.budget) + 1}
        if self.identity:
            limits["processes"] = CHILD_PROCESSES
        elif self.iso and self.iso.PROC.is_dir():    # a per-user limit: ours, and more
            limits["processes"] = self.iso.user_process_count() + CHILD_PROCESSES
        return limits

    def env(self):
        env = {"PATH": os.pathsep.join(["/usr/bin", "/bin"]), "HOME": str(self.work),
               "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1"}
        # OpenBLAS settings for processors where old kernels crash; a shared libpython's
        # path; what any Windows process needs.
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH",
                     "SYSTEMROOT", "WINDIR", "TEMP", "TMP"):
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    def run(self, functions, make_request):
        """Run ``functions`` ({function: [case ids]}, in order) in as few children as
        possible: one, unless a function hangs (past ``timeout``, from when it began) or
        ends its child; then a fresh child takes over from the next function.
        ``make_request(names, first)`` is (the request frame, the input frame of each case)
        for a child running those functions. Every call shares the submission's budget,
        and starts from no process of the sandbox user: what one call's children leave
        behind never meets the next call's (the hidden cases').

        Returns ({function: (its cases' frames, in order, undecoded; timed_out, exit code)},
        the load frame, undecoded, or None). A child's frames are trusted for nothing here.
        Raises SandboxBroken if a child cannot start and answer (no submission code ran).
        """
        if self.deadline is None:
            self.deadline = time.monotonic() + self.budget
        outcome, head, names = {}, None, list(functions)
        while True:   # at least one child: with no function, it still loads and reports
            order = [f for f in names for _ in functions[f]]
            frames, stopped, timed_out, code = self._run_child(
                *make_request(names, head is None), order)
            head = head or (frames[0] if frames else None)
            start = 1                  # frames[0] is the load frame
            for f in names:
                outcome[f] = (frames[start:start + len(functions[f])],
                              f == stopped and timed_out, code if f == stopped else 0)
                start += len(functions[f])
            names = names[names.index(stopped) + 1:] if stopped else []
            if not names:
                break
            self._kill_processes()   # what the stopped child left must not meet the next one
            if time.monotonic() >= self.deadline:
                outcome.update({f: ([], True, None) for f in names})
                break
        self._kill_processes()
        return outcome, head

    def _spawn(self):
        """A child that imports NumPy, says it is ready, then waits for its request:
        (process, its stderr file, its pipes, when it started)."""
        self.started += 1
        stderr_path = self.private / f"stderr-{self.started}"
        options = {"start_new_session": True} if os.name == "posix" else {
            "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
        if self.identity:
            options.update(user=self.identity[0], group=self.identity[1], extra_groups=[])
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen([self.python, "-I", "-S", "-c", BOOT, *self.paths],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=stderr, cwd=self.work, env=self.env(), bufsize=0,
                                    **options)
        from .child import wire  # (after the child started: it imports NumPy)

        return proc, stderr_path, ChildIO(proc, wire.FrameReader(LIMITS["file_size"])), \
            time.monotonic()

    def check(self):
        """Start a child (the next one to be used) and wait until it is ready: the proof,
        before any submission code runs, that the sandbox user can run Python and NumPy.
        Raises SandboxBroken, with what the instructor needs to know, if it cannot."""
        self._keep_spare()
        self._wait_ready(*self.spare)

    def _note_ready(self, io):
        """What the child said of itself before any submission code ran (so it is the
        child's own word, not the submission's): whether its network filter is in place."""
        from .child import wire

        meta, _ = wire.decode(io.payloads()[0])
        note = meta.get("network") if isinstance(meta, dict) else "an unreadable ready frame"
        if note and not self.portable and str(note) not in self.notes:
            self.notes.append(str(note))

    def _wait_ready(self, proc, stderr_path, io, spawned):
        # Once a child has started here, a later one that does not is the submission's doing
        # (a process it left stops it): it waits no longer than a function may run.
        limit = min(CHILD_START, self.timeout) if self.proven else CHILD_START
        seen = 0
        while not io.count():
            seen = io.wait(seen, 0.05)
            if not io.count() and (io.ended or time.monotonic() - spawned > limit):
                _end((proc, stderr_path, io, spawned))
                raise SandboxBroken(self._start_failure(proc, stderr_path))

    def _run_child(self, request, inputs, order):
        """One child over ``order`` (the function of each case, in order), sent the request
        once it is ready and each case's inputs once the case before has reported. Returns
        (its complete frames after the ready frame, undecoded: the load frame, then one per
        case reported; the function it stopped in, or None; timed out; exit code)."""
        child = self._take_spare()
        proc, _, io, _ = child
        try:
            self._wait_ready(*child)
        except SandboxBroken:
            if not self.proven:
                raise
            # Children started here before: this one's failure is no proof that the machine
            # is broken. Its cases count as a crash.
            return [], order[0] if order else None, False, proc.returncode
        self.proven = True
        self._note_ready(io)
        io.send(request)
        queued, timed_out, seen = 0, False, 0
        current, since = order[0] if order else None, time.monotonic()
        while True:
            count = io.count()                     # the ready frame, the load frame, cases
            while queued < len(inputs) and count >= 2 + queued:
                io.send(inputs[queued])
                queued += 1
            reported = max(count - 2, 0)
            now = order[reported] if reported < len(order) else None
            if now != current:
                current, since = now, time.monotonic()
            if count >= 2 + len(order) or io.ended:
                break
            if time.monotonic() - since > self.timeout or time.monotonic() > self.deadline:
                timed_out = True
                break
            seen = io.wait(seen, 0.05)
        _end(child)
        frames = io.payloads()[1:]
        done = len(frames) >= 1 + len(order)
        stopped = None if done or not order else order[max(len(frames) - 1, 0)]
        return frames, stopped, timed_out, proc.returncode

    def _start_failure(self, proc, stderr_path):
        """What the instructor needs to know when a child could not start."""
        who = f"the sandbox user (uid {self.identity[0]})" if self.identity else "this user"
        try:
            tail = stderr_path.read_bytes()[-1500:].decode(errors="replace").strip()
        except OSError:
            tail = ""
        return (f"The grader's sandbox could not start: a child running {self.python} as "
                f"{who} did not import NumPy and answer within {CHILD_START:.0f} s (exit "
                f"code {proc.returncode}). No submission code ran; nothing was graded. "
                "Usually the grader's Python environment is not readable by that user: "
                "install it where other users can read and execute it (not under a 0700 "
                "home or temporary folder)." + (f"\n\nThe child said:\n{tail}" if tail else ""))

    def reap(self):
        """Kill every process the children left, then, as root, delete every file the
        sandbox user (which this grading alone holds) left in the machine's scratch
        folders."""
        self._kill_processes()
        if self.identity:
            for top in self.iso.SCRATCH:
                self.iso.remove_files_of(self.identity[0], top)

    def _kill_processes(self):
        """Kill every process the children left (but spare children): by descent (we are
        their subreaper, so double-forked daemons stay our descendants) and, as root,
        every process of the sandbox user."""
        if self.iso and self.iso.PROC.is_dir():
            self.iso.kill_orphans(keep=SPARES)
        if self.identity:
            self.iso.kill_processes_of(self.identity, self.python)


class ChildIO:
    """A child's pipes, each served by a thread of its own, so that nothing here blocks on
    the child on any OS: one reads its frames into a ``wire.FrameReader`` as they come, the
    other writes what is sent to it, in order."""

    def __init__(self, proc, reader):
        self.proc, self.reader, self.ended, self.version = proc, reader, False, 0
        self.changed, self.outbox = threading.Condition(), queue.Queue()
        self.threads = [threading.Thread(target=target, daemon=True)
                        for target in (self._read, self._write)]
        for thread in self.threads:
            thread.start()

    def _read(self):
        while True:
            try:
                chunk = self.proc.stdout.read(1 << 16)
            except (OSError, ValueError):
                chunk = b""
            with self.changed:
                if chunk:
                    self.reader.feed(chunk)
                self.ended = not chunk or self.reader.full
                self.version += 1
                self.changed.notify_all()
            if self.ended:
                with contextlib.suppress(OSError):
                    self.proc.stdout.close()
                return

    def _write(self):
        while (data := self.outbox.get()) is not None:
            view = memoryview(data)
            try:
                while view:
                    view = view[self.proc.stdin.write(view) or 0:]
            except (OSError, ValueError):
                return

    def send(self, data):
        self.outbox.put(data)

    def wait(self, seen, seconds):
        """Wait until something arrives after ``seen`` (a version), at most ``seconds``."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, seconds)
            return self.version

    def count(self):
        with self.changed:
            return len(self.reader.ends)

    def payloads(self):
        with self.changed:
            return self.reader.payloads()

    def close(self, seconds=0.5):
        """Stop writing; wait a moment for the rest of the output (a process the child
        left may hold the pipe open: then what came is what counts)."""
        self.outbox.put(None)
        self.threads[0].join(seconds)


def _end(child):
    """Kill a child and everything in its process group, reap it, and take what it wrote
    before it ended."""
    proc, _, io, _ = child
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        with contextlib.suppress(OSError):
            proc.kill()
    proc.wait()
    io.close()
    with contextlib.suppress(OSError):
        proc.stdin.close()
