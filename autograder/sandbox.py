"""Run a submission's step functions in sandboxed child processes (trusted side).

One fresh interpreter per step function, so a crash, ``os._exit`` or hang costs
that function only. Each child:

* starts with ``python -I -S`` and a ``sys.path`` holding only a copy of
  ``autograder/child`` and NumPy: torch, the answer key, the grader's own modules
  and its reference data are not importable (as on Gradescope, whose image has
  none of them);
* when the grader runs as root (Gradescope), runs as an unprivileged user that
  can read neither the hidden references nor the results folder;
* gets the cases' inputs in a request file and writes its frames to a file the
  parent opened for it, so its output is bounded by its file-size limit;
* lives under CPU, address-space, file-size, process-count and open-file limits
  and a wall-clock deadline, and every process it leaves behind (double-forked
  daemons included) is killed before the grader goes on.

What comes back is validated here before anything else sees it.
"""

import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import references
from .child import wire

PACKAGE = Path(__file__).resolve().parent
CHILD_PACKAGE = PACKAGE / "child"
# Readable by root only whenever children run as the sandbox user: the references (hidden
# ones included) and, in the instructor's repository, the answer key and its source.
PROTECTED = [PACKAGE / "data", PACKAGE.parent / "solutions", PACKAGE.parent / "assignment"]
BOOT = ("import sys; sys.path[:0] = [sys.argv[1]]; "
        "from autograder.child.main import main; main()")
TIMEOUT_PER_FUNCTION = 20.0   # wall-clock seconds for all of one function's cases
TIMEOUT_PER_SUBMISSION = 120.0
SANDBOX_USER = "olab-sandbox"
LIMITS = {
    "address_space": 512 * 2**20,  # two children + the grader fit in Gradescope's 768 MB
    "file_size": 16 * 2**20,
    "open_files": 64,
}
CHILD_PROCESSES = 64           # the sandbox user's processes (or, unprivileged, ours + this)


@dataclass
class Run:
    """What one case's child produced: a trajectory (validated) and/or an error record."""
    trace: dict = field(default_factory=dict)
    completed: int = 0
    error: dict = None


@dataclass
class FunctionRun:
    runs: dict            # case id -> Run
    load_warnings: list
    answers: dict = field(default_factory=dict)   # concept answer name -> float or repr


def sandbox_identity(user=SANDBOX_USER):
    """(uid, gid) to run children as: the sandbox user when we are root, else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", user], check=False, capture_output=True)
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


_INTERPRETERS = {}


def child_interpreter(identity):
    """A Python of our version the sandbox user may execute (ours may sit in root's home)."""
    if identity not in _INTERPRETERS:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        found = None
        for exe in (sys.executable, f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"):
            user = dict(user=identity[0], group=identity[1], extra_groups=[]) if identity else {}
            env = {k: v for k, v in os.environ.items() if k == "LD_LIBRARY_PATH"}
            try:
                done = subprocess.run([exe, "-I", "-S", "-c", "import sys; print(sys.version[:5])"],
                                      capture_output=True, text=True, timeout=10, cwd="/",
                                      env=env, **user)
            except (OSError, subprocess.SubprocessError):
                continue
            if done.returncode == 0 and done.stdout.startswith(version):
                found = exe
                break
        _INTERPRETERS[identity] = found
    return _INTERPRETERS[identity]


def _user_process_count():
    uid = os.getuid()
    return sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == uid)


def _owner(proc_dir):
    try:
        return proc_dir.stat().st_uid
    except OSError:
        return None


class Sandbox:
    """A prepared place to run children: ``with Sandbox() as box: box.run(...)``."""

    def __init__(self, user=SANDBOX_USER, timeout=TIMEOUT_PER_FUNCTION,
                 budget=TIMEOUT_PER_SUBMISSION, exclusive=False):
        """``exclusive``: no other grading uses the sandbox user meanwhile (Gradescope runs
        one submission per machine), so every process of that user may be killed."""
        self.identity = sandbox_identity(user)
        self.exclusive = exclusive
        self.python = child_interpreter(self.identity)
        self.notes = []  # for the instructor: how isolated the children were
        if not self.identity:
            self.notes.append("not running as root: children ran as the grading user, "
                              "without the sandbox user's file protections")
        elif not self.python:
            self.notes.append(f"the sandbox user cannot execute {sys.executable}: children ran "
                              "as root (install Python where other users can run it)")
            self.identity, self.python = None, sys.executable
        self.timeout, self.budget = timeout, budget

    def __enter__(self):
        _become_subreaper()
        if self.identity:
            for path in PROTECTED:
                if path.exists():
                    os.chmod(path, 0o700)
        self.root = Path(tempfile.mkdtemp(prefix="olab-sandbox-"))
        self.private = self.root / "private"   # requests and outputs: the parent's only
        self.site = self.root / "site"         # the child's whole sys.path
        self.work = self.root / "work"         # the child's working directory
        self.private.mkdir(mode=0o700)
        shutil.copytree(CHILD_PACKAGE, self.site / "autograder" / "child",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (self.site / "autograder" / "__init__.py").write_text("")
        numpy_dir = Path(np.__file__).resolve().parent
        for name in ("numpy", "numpy.libs"):
            if (numpy_dir.parent / name).exists():
                (self.site / name).symlink_to(numpy_dir.parent / name)
        self.work.mkdir()
        os.chmod(self.root, 0o755)
        if self.identity:
            os.chown(self.work, *self.identity)
        return self

    def __exit__(self, *exc):
        self.reap()
        shutil.rmtree(self.root, ignore_errors=True)

    def limits(self):
        processes = (CHILD_PROCESSES if self.identity
                     else _user_process_count() + CHILD_PROCESSES)
        return {**LIMITS, "cpu_seconds": int(self.budget) + 1, "processes": processes}

    def env(self):
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.work), "LANG": "C.UTF-8",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        # OpenBLAS settings for processors where old kernels crash; a shared libpython's path.
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH"):
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    def run(self, functions, make_request):
        """Run ``functions`` ({function: [case ids]}, in order) in as few children as
        possible: one, unless a function hangs (past ``timeout``, from when it began) or
        ends its child; then a fresh child takes over from the next function.
        ``make_request(names, first)`` is the request for a child running those functions.

        Returns ({function: (case frames by id, timed_out, exit code)}, the load frame).
        """
        self.deadline = time.monotonic() + self.budget
        outcome, head, names = {}, None, list(functions)
        while names:
            if time.monotonic() >= self.deadline:
                outcome.update({f: ({}, True, None) for f in names})
                break
            order = [(f, cid) for f in names for cid in functions[f]]
            load, frames, stopped, timed_out, code = self._run_child(
                make_request(names, head is None), order)
            head = head or load
            for f in names:
                mine = {cid: frames[cid] for cid in functions[f] if cid in frames}
                outcome[f] = (mine, f == stopped and timed_out, code if f == stopped else 0)
            if stopped is None:
                break
            names = names[names.index(stopped) + 1:]
        self.reap()
        return outcome, head or ({}, {})

    def _run_child(self, request, order):
        """One child over ``order`` ([(function, case id)]), watched as it writes: (load
        frame, {case id: frame}, the function it stopped in or None, timed out, exit code)."""
        request_path, output_path = self.private / "request", self.private / "frames"
        request_path.write_bytes(request)
        with open(request_path, "rb") as stdin, open(output_path, "wb") as stdout:
            user = dict(user=self.identity[0], group=self.identity[1], extra_groups=[]) \
                if self.identity else {}
            proc = subprocess.Popen(
                [self.python, "-I", "-S", "-c", BOOT, str(self.site)],
                stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL, cwd=self.work,
                env=self.env(), start_new_session=True, **user)
        timed_out = False
        current, since = order[0][0] if order else None, time.monotonic()
        with open(output_path, "rb") as output:
            data = b""
            while True:
                exited = proc.poll() is not None
                data += output.read(LIMITS["file_size"] - len(data))
                count = wire.count_frames(data)    # the load frame, then cases in order
                reported = max(count - 1, 0)
                now_function = order[reported][0] if reported < len(order) else None
                if now_function != current:
                    current, since = now_function, time.monotonic()
                if exited or count > len(order):
                    break
                if time.monotonic() - since > self.timeout or time.monotonic() > self.deadline:
                    timed_out = True
                    break
                time.sleep(0.005)
            _kill_session(proc.pid)
            proc.wait()
            data += output.read(LIMITS["file_size"] - len(data))
        frames = _frames(data)
        by_id = {}
        for meta, arrays in frames[1:]:
            by_id.setdefault(meta.get("case"), (meta, arrays))
        missing = [f for f, cid in order if cid not in by_id]
        stopped = missing[0] if missing else None
        return (frames[0] if frames else None), by_id, stopped, timed_out, proc.returncode

    def reap(self):
        """Kill every process the children left: by descent (we are their subreaper, so
        double-forked daemons stay our descendants) and, when exclusive, by user."""
        _kill_orphans()
        if self.identity and self.exclusive:
            for _ in range(10):
                if not _processes_of(self.identity[0]):
                    break
                subprocess.run([self.python, "-I", "-S", "-c",
                                "import os, signal; os.kill(-1, signal.SIGKILL)"],
                               user=self.identity[0], group=self.identity[1],
                               extra_groups=[], check=False)
                time.sleep(0.05)


def _kill_session(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _processes_of(uid):
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and _owner(p) == uid]


def _become_subreaper():
    """Orphans of our children (double forks) become our children, so we can find them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _kill_orphans():
    """Kill and reap every process adopted by us (we hold no other children by now)."""
    me = os.getpid()
    for _ in range(50):
        adopted = []
        for p in Path("/proc").iterdir():
            try:
                fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if p.name.isdigit() and int(fields[1]) == me and fields[0] != "Z":
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


# ------------------------------------------------------------------ requests and results

def request_for(source, cases, arrays, limits, answers=()):
    """The request frame: kept source, the cases' functions and configs, and their inputs
    only (and the concept answer names whose values to report)."""
    metas, inputs = [], {}
    for case, keys in cases:
        metas.append({"id": case.id, "function": case.function, "problem": case.problem,
                      "steps": case.steps, "config": case.config,
                      "state_keys": {p: k["keys"] for p, k in keys.items()}})
        inputs.update({f"{case.id}/inputs/{rest}": v
                       for rest, v in references.split(arrays, case.id, "inputs").items()})
    return wire.encode({"source": source, "cases": metas, "limits": limits,
                        "answers": list(answers)}, inputs)


def _frames(data):
    try:
        return wire.split_frames(data)
    except Exception:  # noqa: BLE001 - a hostile child may write anything
        return []


ANSWERS = "__answers__"   # the plan entry of a child that only loads and reports answers


def run_submission(source, plan, arrays, timeout=TIMEOUT_PER_FUNCTION,
                   budget=TIMEOUT_PER_SUBMISSION, exclusive=False, answers=()):
    """Run every function of ``plan`` ({function: [(case, state_keys)]}) sandboxed; the
    first child also reports the values of the ``answers`` names (plan key ANSWERS when no
    function runs).

    ``state_keys`` maps each parameter to {"shape": ..., "keys": [torch's state keys]}.
    Returns ({function: FunctionRun}, notes on how isolated the children were).
    """
    if not plan and not answers:
        return {}, []
    plan = plan or {ANSWERS: []}
    with Sandbox(timeout=timeout, budget=budget, exclusive=exclusive) as box:
        def make_request(names, first):
            return request_for(source, [c for f in names for c in plan[f]], arrays,
                               box.limits(), answers if first else ())

        outcome, head = box.run({f: [c.id for c, _ in plan[f]] for f in plan}, make_request)
    return {f: collect(plan[f], head, *outcome[f], timeout) for f in plan}, box.notes


def validate(meta, arrays, case, keys):
    """A Run from a child's frame, or an error Run if the frame is malformed."""
    completed, error = meta.get("completed"), meta.get("error")
    if not isinstance(completed, int) or not 0 <= completed <= case.steps or not (
            error is None or isinstance(error, dict)):
        return Run(error={"kind": "malformed"})
    trace = {}
    for param, spec in keys.items():
        wanted = {f"param/{param}": tuple(spec["shape"])}
        wanted.update({f"state/{param}/{k}": () if k == "step" else tuple(spec["shape"])
                       for k in spec["keys"]})
        for key, shape in wanted.items():
            value = arrays.get(key)
            if completed == 0:
                continue
            if (value is None or value.dtype != np.float64 or value.shape[1:] != shape
                    or len(value) < completed):
                return Run(error={"kind": "malformed"})
            trace[key] = value[:completed]
    return Run(trace=trace, completed=completed, error=error)


def collect(cases, head, frames, timed_out, code, timeout):
    """FunctionRun from a child's frames; cases it never reported get the reason why."""
    head = head[0] if head else {}
    warnings, answers = head.get("load_warnings", []), head.get("answers", {})
    runs, ended = {}, False
    for case, keys in cases:
        if case.id in frames and not ended:
            runs[case.id] = validate(*frames[case.id], case, keys)
        elif not ended:
            kind = "timeout" if timed_out else "crash"
            runs[case.id] = Run(error={"kind": kind, "exit_code": code, "seconds": timeout})
            ended = True
        else:
            runs[case.id] = Run(error={"kind": "not-run"})
    return FunctionRun(runs=runs, load_warnings=warnings if isinstance(warnings, list) else [],
                       answers=answers if isinstance(answers, dict) else {})
