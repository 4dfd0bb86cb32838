"""Run a submission's step functions in the sandbox (trusted side): the request each
child gets (inputs only, never expected values) and what comes back, validated here
before anything else sees it."""

from dataclasses import dataclass, field

import numpy as np

from . import references
from .child import wire
from .child.problems import PARAM_SHAPES
from .compare import entries_of


@dataclass
class Run:
    """What one case's child produced: a trajectory (validated) and/or an error record."""
    trace: dict = field(default_factory=dict)
    completed: int = 0
    error: dict = None


@dataclass
class Loaded:
    """What the first child reported after loading the submission, before any case."""
    warnings: list = field(default_factory=list)  # statements that raised: line, type, ...
    answers: dict = field(default_factory=dict)   # concept answer name -> float or repr


def plan_for(cases, expected):
    """{case id: {param: {"shape", "keys"}}}: what the child must record for each case (the
    parameter's shape, torch's state keys), from the expected trajectories
    ({case id: references.split(arrays, case id, "expected")})."""
    return {case.id: {p: {"shape": list(shape), "keys": entries_of(expected[case.id], p)[1:]}
                      for p, shape in PARAM_SHAPES[case.problem].items()} for case in cases}


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
    (a child runs for them even when no function does).

    ``state_keys`` maps each parameter to {"shape": ..., "keys": [torch's state keys]}.
    Returns ({case id: Run}, Loaded).
    """
    if not plan and not answers:
        return {}, Loaded()

    def make_request(names, first):
        return request_for(source, [c for f in names for c in plan[f]], arrays,
                           sandbox.limits(), answers if first else ())

    outcome, head = sandbox.run({f: [c.id for c, _ in plan[f]] for f in plan}, make_request)
    runs = {}
    for function, cases in plan.items():
        runs.update(collect(cases, *outcome[function], sandbox.timeout))
    return runs, loaded(head)


def decoded(frame):
    """(meta dict, arrays) of a child's frame, or None if it is missing or not well formed."""
    if frame is None:
        return None
    try:
        meta, arrays = wire.decode(frame)
    except Exception:  # noqa: BLE001 - a hostile child may write anything
        return None
    return (meta, arrays) if isinstance(meta, dict) else None


def loaded(head):
    meta, _ = decoded(head) or ({}, {})
    warnings, answers = meta.get("load_warnings"), meta.get("answers")
    return Loaded(warnings if isinstance(warnings, list) else [],
                  answers if isinstance(answers, dict) else {})


def validate(frame, case, keys):
    """A Run from a child's frame for ``case``, or an error Run if the frame is malformed."""
    meta, arrays = decoded(frame) or ({}, {})
    completed, error = meta.get("completed"), meta.get("error")
    if meta.get("case") != case.id or not isinstance(completed, int) or not (
            0 <= completed <= case.steps) or not (error is None or isinstance(error, dict)):
        return Run(error={"kind": "malformed"})
    trace = {}
    for param, spec in keys.items() if completed else ():
        wanted = {f"param/{param}": tuple(spec["shape"])}
        wanted.update({f"state/{param}/{k}": () if k == "step" else tuple(spec["shape"])
                       for k in spec["keys"]})
        for key, shape in wanted.items():
            value = arrays.get(key)
            if (value is None or value.dtype != np.float64 or value.shape[1:] != shape
                    or len(value) < completed):
                return Run(error={"kind": "malformed"})
            trace[key] = value[:completed]
    return Run(trace=trace, completed=completed, error=error)


def collect(cases, frames, timed_out, code, timeout):
    """{case id: Run} from a child's frames for ``cases`` (in order); the first case it
    never reported gets the reason why, the ones after it "not-run"."""
    runs = {case.id: validate(frame, case, keys) for (case, keys), frame in zip(cases, frames)}
    for case, _ in cases[len(frames):len(frames) + 1]:
        runs[case.id] = Run(error={"kind": "timeout" if timed_out else "crash",
                                   "exit_code": code, "seconds": timeout})
    for case, _ in cases[len(frames) + 1:]:
        runs[case.id] = Run(error={"kind": "not-run"})
    return runs
