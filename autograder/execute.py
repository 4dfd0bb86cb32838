"""Run a submission's step functions in the sandbox (trusted side): the request each
child gets (inputs only, never expected values) and what comes back, validated here
before anything else sees it."""

from dataclasses import dataclass, field

import numpy as np

from . import references
from .child import wire

ANSWERS = "__answers__"   # the plan entry of a child that only loads and reports answers


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


def run_submission(source, plan, arrays, sandbox, answers=()):
    """Run every function of ``plan`` ({function: [(case, state_keys)]}) in ``sandbox`` (an
    entered ``Sandbox``); the first child also reports the values of the ``answers`` names
    (plan key ANSWERS when no function runs).

    ``state_keys`` maps each parameter to {"shape": ..., "keys": [torch's state keys]}.
    Returns {function: FunctionRun}.
    """
    if not plan and not answers:
        return {}
    plan = plan or {ANSWERS: []}

    def make_request(names, first):
        return request_for(source, [c for f in names for c in plan[f]], arrays,
                           sandbox.limits(), answers if first else ())

    outcome, head = sandbox.run({f: [c.id for c, _ in plan[f]] for f in plan}, make_request)
    return {f: collect(plan[f], head, *outcome[f], sandbox.timeout) for f in plan}


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
    head = head[0] if head and isinstance(head[0], dict) else {}
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
