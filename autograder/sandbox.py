"""Run a submission's step functions in child processes and collect plain arrays.

The trusted side of the process boundary: one fresh interpreter per step
function (so a crash, ``os._exit`` or a hang costs that function only), fed
only the cases' inputs, never their expected values. What comes back is
validated here before anything else sees it.
"""

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import wire

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)
CHILD = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from autograder.untrusted.child import main; main()")
TIMEOUT_PER_FUNCTION = 20.0  # seconds of wall clock for all of one function's cases


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
    seconds: float


def request_for(source, function, cases, arrays):
    """The request frame: kept source, cases' configs, and their inputs only."""
    metas, inputs = [], {}
    for case, keys in cases:
        metas.append({"id": case.id, "problem": case.problem, "steps": case.steps,
                      "config": case.config, "state_keys": keys})
        prefix = f"{case.id}/inputs/"
        inputs.update({k: v for k, v in arrays.items() if k.startswith(prefix)})
    return wire.encode({"source": source, "function": function, "cases": metas}, inputs)


def start():
    return subprocess.Popen(
        [sys.executable, "-I", "-c", CHILD, PACKAGE_PARENT],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True, env={"PATH": os.environ.get("PATH", ""),
                                     "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})


def finish(proc, request, deadline):
    """Feed the request, wait until the deadline, kill the child's whole session."""
    try:
        out, _ = proc.communicate(request, timeout=max(0.0, deadline - time.monotonic()))
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        out = b""
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if timed_out:
        out, _ = proc.communicate()
    return out, timed_out, proc.returncode


def validate(meta, arrays, case, keys):
    """A Run from a child's frame, or an error Run if the frame is malformed."""
    completed = meta.get("completed")
    error = meta.get("error")
    if not isinstance(completed, int) or not 0 <= completed <= case.steps or not (
            error is None or isinstance(error, dict)):
        return Run(error={"kind": "malformed", "step": 1, "param": None})
    trace = {}
    for name, shape in keys.items():
        for entry in ["param"] + [f"state/{k}" for k in shape["keys"]]:
            key = f"param/{name}" if entry == "param" else f"state/{name}/{entry[6:]}"
            value = arrays.get(key)
            want = (() if entry == "state/step" else shape["shape"])
            if value is None and completed == 0:
                continue
            if (value is None or value.dtype != np.float64 or value.shape[1:] != tuple(want)
                    or len(value) < completed):
                return Run(error={"kind": "malformed", "step": 1, "param": name})
            trace[key] = value[:completed]
    return Run(trace=trace, completed=completed, error=error)


def run_function(source, function, cases, arrays, timeout):
    """One child for one function's cases, with its own wall-clock deadline."""
    request = request_for(source, function,
                          [(c, {p: k["keys"] for p, k in keys.items()}) for c, keys in cases],
                          arrays)
    started = time.monotonic()
    out, timed_out, code = finish(start(), request, started + timeout)
    return collect(cases, out, timed_out, code, time.monotonic() - started, timeout)


def run_submission(source, plan, arrays, timeout=TIMEOUT_PER_FUNCTION, jobs=2):
    """Run every function of ``plan`` ({function: [(case, state_keys)]}), ``jobs`` at a time.

    ``state_keys`` maps each parameter to {"shape": ..., "keys": [torch's state keys]}.
    A child's deadline starts when it starts, so a hanging function cannot eat
    another's time. Returns {function: FunctionRun}.
    """
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {f: pool.submit(run_function, source, f, cases, arrays, timeout)
                   for f, cases in plan.items()}
        return {f: future.result() for f, future in futures.items()}


def collect(cases, out, timed_out, code, seconds, timeout):
    try:
        frames = wire.split_frames(out)
    except Exception:  # noqa: BLE001 - a hostile child may write anything
        frames = []
    warnings = frames[0][0].get("load_warnings", []) if frames else []
    by_id = {}
    for meta, arrays in frames[1:]:
        by_id.setdefault(meta.get("case"), (meta, arrays))
    runs, ended = {}, False
    for case, keys in cases:
        if case.id in by_id and not ended:
            runs[case.id] = validate(*by_id[case.id], case, keys)
            continue
        if not ended:
            kind = "timeout" if timed_out else "crash"
            runs[case.id] = Run(error={"kind": kind, "step": None, "param": None,
                                       "exit_code": code, "seconds": timeout})
            ended = True
        else:
            runs[case.id] = Run(error={"kind": "not-run", "step": None, "param": None})
    return FunctionRun(runs=runs, load_warnings=warnings if isinstance(warnings, list) else [],
                       seconds=seconds)
