"""Sandboxed child processes that run submission code (trusted side; standard library
only, so a child can start while the grader is still importing NumPy).

One child runs a submission's cases, function after function, the hidden cases after the
public ones (sent only once those have reported); only a function that hangs or ends its
child costs a fresh child, which takes over from the next function.
A spare child is started when the sandbox opens, so its start-up overlaps the grader's
own work. On Linux children are forked by a zygote (``launch.py``) that has imported
NumPy and nothing of the grader's data; elsewhere each is a fresh ``python -I -S``. A
child gets its request and each case's inputs on a pipe and answers with frames on
another, under CPU, address-space, file-size, process-count and open-file limits and a
wall-clock deadline.

Two modes:

* **strict**, wherever the grader runs on Linux: each child in namespaces of its own as
  root (``child/confine.py``: only the standard library, NumPy and its own scratch exist
  for it; no other process, no network, no kernel object outliving it), as a sandbox
  user of this grading's own; else under Landlock. Every process of the grading sits in
  one cgroup (``isolation.py``): memory and processes bounded as a whole, killed as a
  whole. ``notes`` says which layers held.
* **portable** (``Sandbox(portable=True)``: a student's ``grader.check`` on Windows, macOS
  or Linux, as any user): children run as the student, with the limits the platform
  allows; nothing outside a temporary folder is created or changed.

Clean-up discards: a PID namespace ends with its first process, a private tmpfs with its
mount namespace, the cgroup is removed; root never walks or unlinks a path a student
made (a scratch folder outside namespaces is emptied with the sandbox user's own rights).

The pipes are served by threads (``ChildIO``), so no call here blocks on a child and the
same code runs on every OS (Windows' ``select`` takes no pipes).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Hashable
from pathlib import Path

from . import launch
from .errors import SandboxBroken

PACKAGE = Path(__file__).resolve().parent
# Readable by root only whenever children run as the sandbox user: the references (hidden
# ones included) and, in the instructor's repository, the answer key and its source.
PROTECTED = [PACKAGE / "data", PACKAGE.parent / "solutions", PACKAGE.parent / "assignment"]
TIMEOUT_PER_FUNCTION = 20.0   # wall-clock seconds for all of one function's cases
TIMEOUT_PER_SUBMISSION = 120.0
LIMITS = {
    "address_space": 512 * 2**20,  # one process; the cgroup bounds them all together
    "file_size": 16 * 2**20,
    "open_files": 64,
}
MEMORY_PER_GRADING = 384 * 2**20   # every child process and its scratch, summed (cgroup)
PROCESSES_PER_GRADING = 32         # (cgroup)
SCRATCH_BYTES = 64 * 2**20         # /tmp, /var/tmp and /dev/shm of one child, together
CHILD_PROCESSES = 16               # the sandbox user's processes (RLIMIT_NPROC)
CHILD_START = 30.0             # seconds for a child to start and say it is ready



def grader_reserve(budget: float) -> float:
    """Seconds of a submission's ``budget`` kept for the grader's own end (ending the last
    child, comparing, writing the results): a quarter of it, at least 2 s (what a loaded
    machine may take however small the budget), at most 10 s, never more than half."""
    return min(max(budget / 4, 2.0), 10.0, budget / 2)


def switched_off() -> set[str]:
    """Isolation layers the instructor (or a test) switched off with ``OLAB_SANDBOX_OFF``, a
    comma-separated list of ``namespaces``, ``landlock``, ``cgroup``, ``seccomp``: to see
    the next layer hold, or to grade where one misbehaves."""
    return set(os.environ.get("OLAB_SANDBOX_OFF", "").replace(" ", "").split(",")) - {""}


__all__ = ["Sandbox", "SandboxBroken", "TIMEOUT_PER_FUNCTION", "TIMEOUT_PER_SUBMISSION"]


class Sandbox:
    """A prepared place to run children: ``with Sandbox() as box: box.run(...)``."""

    def __init__(self, timeout=TIMEOUT_PER_FUNCTION, budget=TIMEOUT_PER_SUBMISSION,
                 portable=False):
        self.timeout, self.budget, self.portable = timeout, budget, portable
        self.user, self.identity, self.lock, self.cgroup = None, None, None, None
        self.strict = not portable and launch.FORKING
        self.notes = []          # for the instructor: how isolated the children were
        self.scratch = []        # scratch folders outside namespaces (fallback layers)
        self.off = switched_off()
        # what each child is asked to enter (it reports what held)
        self.namespaces = self.strict and os.geteuid() == 0 and "namespaces" not in self.off
        self.landlock = self.strict and "landlock" not in self.off
        self.peak = None         # the children's peak memory, summed, where a cgroup measured it
        self.out_of_memory = 0   # the cgroup's out-of-memory kills so far

    def __enter__(self):
        try:
            return self._prepare()
        except BaseException:
            self.__exit__()      # what was made so far: folders, the cgroup, the lock
            raise

    def _prepare(self):
        if self.strict:
            from . import isolation

            if os.geteuid() == 0:
                self.user, self.lock = isolation.claim_user()
                self.identity = isolation.sandbox_identity(self.user)
                for path in PROTECTED:    # should every other layer fail: root's only
                    if path.exists():
                        os.chmod(path, 0o700)
            else:
                self.notes.append("not running as root: children ran as the grading user, "
                                  "without namespaces of their own (Landlock only)")
            self.cgroup, why = (None, "cgroup switched off") if "cgroup" in self.off else \
                isolation.Cgroup.make(MEMORY_PER_GRADING, PROCESSES_PER_GRADING)
            self.notes.extend(f"{layer} switched off (OLAB_SANDBOX_OFF)"
                              for layer in sorted(self.off - {"cgroup"}))
            if why:
                self.notes.append(f"{why}: memory bounded per process ({CHILD_PROCESSES} "
                                  f"more processes x {LIMITS['address_space'] >> 20} MiB)")
        elif not self.portable:
            self.notes.append("no Linux isolation on this system: children ran as the "
                              "grading user, under the wall clock and the per-process "
                              "limits this system has (none on Windows)")
        self.root = Path(tempfile.mkdtemp(prefix="olab-sandbox-"))
        self.private = self.root / "private"   # the parent's only: the children's stderr
        self.mountpoint = self.root / "root"   # where a child's own root is mounted
        self.private.mkdir(mode=0o700)
        self.mountpoint.mkdir(mode=0o755)
        os.chmod(self.root, 0o711)
        self.started, self.deadline, self.proven, self.spare = 0, None, False, None
        # every child so far in a PID namespace of its own (as each ready frame confirms)
        self.contained = self.namespaces
        self._keep_spare()
        return self

    def _keep_spare(self):
        """Start a child now, to be used next (its start-up overlaps other work)."""
        self.spare = self.spare or self._spawn()

    def _take_spare(self):
        """The spare child, or a child started now (after one that hung or ended)."""
        child, self.spare = self.spare or self._spawn(), None
        return child

    @property
    def users(self) -> list[str]:
        return [self.user] if self.user else []

    def __exit__(self, *exc):
        """End everything this sandbox made (also after a failed start, part-way)."""
        if getattr(self, "spare", None):   # never given a request (nothing to run)
            _end(self.spare)
            self.spare = None
        self._kill_processes(final=True)
        if self.cgroup:
            self.peak = self.cgroup.peak()
            self.cgroup.remove()
            self.cgroup = None
        for folder in self.scratch:
            self._discard(folder)
        self.scratch = []
        if getattr(self, "root", None):
            # Only what root made and no child could write in: the stderr files (each
            # child held one descriptor, never the folder) and empty folders.
            shutil.rmtree(self.private, ignore_errors=True)
            if not launch.FORKING:    # the children's folder, theirs and ours: one user
                self._remove_work(self.root / "work")
            for folder in (self.mountpoint, self.root):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            self.root = None
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None

    def _discard(self, folder):
        """Remove a scratch folder a child could write in: empty already (a child in
        namespaces never saw it), else emptied by a child of the zygote with the sandbox
        user's rights, not root's. One that stays costs this grading a note, nothing else."""
        with contextlib.suppress(OSError):
            folder.rmdir()
            return
        if launch.FORKING:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                launch.zygote().start({**self._identity_spec(), "clean": str(folder)},
                                      null, CHILD_START).wait()
            except OSError:
                pass
            finally:
                os.close(null)
        try:
            folder.rmdir()
        except OSError:
            self.notes.append(f"a scratch folder could not be emptied: {folder}")

    def _remove_work(self, work):
        """Remove the folder fresh-interpreter children worked in (Windows, macOS): they
        ran as this user, so this user removes it; one it cannot costs a note."""
        try:
            shutil.rmtree(work)
        except FileNotFoundError:
            pass
        except (OSError, RecursionError):    # (a tree deeper than rmtree recurses)
            self.notes.append(f"the children's folder could not be removed: {work}")

    def _identity_spec(self):
        return {"uid": self.identity[0], "gid": self.identity[1]} if self.identity else {}

    def limits(self) -> dict[str, int]:
        limits = {**LIMITS, "cpu_seconds": int(self.budget) + 1}
        if self.identity:
            limits["processes"] = CHILD_PROCESSES
        elif self.strict:        # a per-user limit: the user's own processes, and more
            from .isolation import processes_of

            limits["processes"] = len(processes_of(os.getuid())) + CHILD_PROCESSES
        return limits

    def env(self) -> dict[str, str]:
        return launch.interpreter_env()

    def run(self, groups: dict[Hashable, list[str]],
            make_request: Callable[[list, bool, bool], tuple[bytes, list[bytes]]],
            gated: Collection = (),
            ) -> tuple[dict[Hashable, tuple[list[bytes], bool, int | str | None]], bytes | None]:
        """Run ``groups`` ({key: [case ids]}, in order; a key names some cases of one function)
        in as few children as possible: one, unless a function hangs (past ``timeout``,
        from when it began) or ends its child; then a fresh child takes over from the next
        key. ``make_request(keys, first, more)`` is (the request frame, the input frame of
        each case) for a child running those keys; with ``more``, the frame of more cases
        for a child already running. The cases of ``gated`` keys reach a child only once
        every case it ran before them has reported: nothing it does with them can change
        those cases' frames (the hidden cases after the public ones). Every call shares
        the submission's budget, and starts from no process of the sandbox user.

        Returns ({key: (its cases' frames, in order, undecoded; timed_out, exit code)},
        the load frame, undecoded, or None). A child's frames are trusted for nothing here.
        Raises SandboxBroken if a child cannot start and answer (no submission code ran).
        """
        if self.deadline is None:   # the grader's own work after the children fits in
            self.deadline = time.monotonic() + self.budget - grader_reserve(self.budget)
        if groups and time.monotonic() >= self.deadline:   # no child starts past it
            return {f: ([], True, None) for f in groups}, None
        outcome, head, names = {}, None, list(groups)
        while True:   # at least one child: with no function, it still loads and reports
            order = [f for f in names for _ in groups[f]]
            cut = next((i for i, f in enumerate(names) if f in gated), 0)
            now, later = names[:cut] or names, names[cut:] if cut else []
            frames, stopped, timed_out, code = self._run_child(
                make_request(now, head is None, False), order,
                make_request(later, False, True) if later else None)
            head = head or (frames[0] if frames else None)
            start = 1                  # frames[0] is the load frame
            for f in names:
                outcome[f] = (frames[start:start + len(groups[f])],
                              f == stopped and timed_out, code if f == stopped else 0)
                start += len(groups[f])
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
        """A child, ready to say when it is ready, then wait for its request: (process,
        its stderr file, its pipes, when it started)."""
        self.started += 1
        stderr_path = self.private / f"stderr-{self.started}"
        if launch.FORKING:
            scratch = self.root / f"scratch-{self.started}"
            scratch.mkdir(mode=0o700)
            self.scratch.append(scratch)
            if self.identity:
                os.chown(scratch, *self.identity)
            spec = {**self._identity_spec(), "env": self.env(),
                    "cgroups": self.cgroup.procs if self.cgroup else [],
                    "namespaces": self.namespaces, "landlock": self.landlock,
                    "seccomp": "seccomp" not in self.off,
                    "mountpoint": str(self.mountpoint), "scratch": str(scratch),
                    "scratch_bytes": SCRATCH_BYTES, "limits": self.limits()}
            fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                proc = launch.zygote().start(spec, fd, CHILD_START)
            finally:
                os.close(fd)
        else:
            import subprocess  # (only here: the fresh-interpreter children of Windows, macOS)

            work = self.root / "work"
            work.mkdir(exist_ok=True)
            options = {"start_new_session": True} if os.name == "posix" else {
                "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
            with open(stderr_path, "wb") as stderr:
                proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", launch.BOOT,
                                         json.dumps(self.limits()), *launch.site()],
                                        stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=stderr, cwd=work,
                                        env={**self.env(), "HOME": str(work)}, bufsize=0,
                                        **options)
        from .child import wire  # (after the child started: it imports NumPy)

        return proc, stderr_path, ChildIO(proc, wire.FrameReader(
            LIMITS["file_size"], wire.CHILD_FRAMES)), \
            time.monotonic()

    def check(self) -> None:
        """Start a child (the next one to be used) and wait until it is ready: the proof,
        before any submission code runs, that the sandbox user can run Python and NumPy.
        Raises SandboxBroken, with what the instructor needs to know, if it cannot."""
        self._keep_spare()
        self._wait_ready(*self.spare)

    def _note_ready(self, io):
        """What the child said of itself before any submission code ran (so it is the
        child's own word, not the submission's): which isolation layers did not hold."""
        from .child import wire
        from .untrusted import text

        try:
            meta, _ = wire.decode(io.payloads()[0], wire.CHILD_HEADER_BYTES, 0)
        except Exception:  # noqa: BLE001 - written before any submission code ran
            meta = None
        notes = meta.get("notes") if isinstance(meta, dict) else ["an unreadable ready frame"]
        self.contained = self.contained and isinstance(meta, dict)
        for note in notes if isinstance(notes, list) and not self.portable else ():
            note = text(note, 300)
            self.contained = self.contained and not (note or "").startswith("no namespaces")
            if note and note not in self.notes:
                self.notes.append(note)

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

    def _run_child(self, first, order, later=None):
        """One child over ``order`` (the key of each case, in order), sent ``first`` (the
        request frame, every case's input frame) once it is ready (it reads each as that
        case begins; a writer thread takes what the pipe cannot hold yet), then ``later``
        (the frame of more cases, their input frames), if any, once every case of
        ``first`` has reported; then the end of its input. Returns
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
        waiting = 2 + len(first[1])     # the ready frame, the load frame, those cases'
        for frame in (first[0], *first[1], *([] if later else [None])):
            io.send(frame)              # (None: the end of its input)
        timed_out, seen = False, 0
        current, since = order[0] if order else None, time.monotonic()
        while True:
            count = io.count()                     # the ready frame, the load frame, cases
            reported = max(count - 2, 0)
            now = order[reported] if reported < len(order) else None
            if now != current:
                current, since = now, time.monotonic()
            if later and count >= waiting:
                for frame in (later[0], *later[1], None):
                    io.send(frame)
                later = None
            if count >= 2 + len(order) or io.ended:
                break
            if time.monotonic() - since > self.timeout or time.monotonic() > self.deadline:
                timed_out = True
                break
            seen = io.wait(seen, 0.05)
        _end(child)
        if self.cgroup and self.cgroup.oom_kills() > self.out_of_memory:
            self.out_of_memory = self.cgroup.oom_kills()
            code = "memory"          # the cgroup's bound, not the child's own doing
        else:
            code = proc.returncode
        frames = io.payloads()[1:]
        done = len(frames) >= 1 + len(order)
        stopped = None if done or not order else order[max(len(frames) - 1, 0)]
        return frames, stopped, timed_out, code

    def _start_failure(self, proc, stderr_path):
        """What the instructor needs to know when a child could not start."""
        who = f"the sandbox user (uid {self.identity[0]})" if self.identity else "this user"
        try:
            tail = stderr_path.read_bytes()[-1500:].decode(errors="replace").strip()
        except OSError:
            tail = ""
        return (f"The grader's sandbox could not start: a child of {sys.executable} as "
                f"{who} did not import NumPy and answer within {CHILD_START:.0f} s (exit "
                f"code {proc.returncode}). No submission code ran; nothing was graded. "
                "Usually the grader's Python environment is not readable by that user: "
                "install it where other users can read and execute it (not under a 0700 "
                "home or temporary folder)." + (f"\n\nThe child said:\n{tail}" if tail else ""))

    def _kill_processes(self, final=False):
        """Kill every process of this grading: each child's PID namespace ended with it
        (``_end``); outside namespaces, its warden killed what it left; the cgroup holds
        anything else (between two runs only where a child had no PID namespace)."""
        if self.cgroup and (final or not self.contained):
            self.cgroup.kill()


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
        with contextlib.suppress(OSError):
            self.proc.stdin.close()     # the end of the child's input

    def send(self, data: bytes | None) -> None:
        """Write ``data`` after what was sent before; None ends the child's input."""
        self.outbox.put(data)

    def wait(self, seen: int, seconds: float) -> int:
        """Wait until something arrives after ``seen`` (a version), at most ``seconds``."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, seconds)
            return self.version

    def count(self) -> int:
        with self.changed:
            return len(self.reader.ends)

    def payloads(self) -> list[bytes]:
        with self.changed:
            return self.reader.payloads()

    def close(self, seconds: float = 0.5) -> None:
        """Stop writing; wait a moment for the rest of the output (a process the child
        left may hold the pipe open: then what came is what counts)."""
        self.outbox.put(None)
        self.threads[0].join(seconds)


def _end(child):
    """Kill a child and everything in its process group, reap it, and take what it wrote
    before it ended."""
    proc, _, io, _ = child
    if isinstance(proc, launch.ForkedChild):
        proc.kill()
    elif os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        with contextlib.suppress(OSError):
            proc.kill()
    proc.wait()
    io.close()
    with contextlib.suppress(OSError):
        proc.stdin.close()
