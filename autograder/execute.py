"""Run a submission's step functions in the sandbox (trusted side): the request each
child gets (inputs only, never expected values) and what comes back, validated here
before anything else sees it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import references, untrusted
from .child import wire
from .child.problems import PARAM_SHAPES
from .compare import entries_of
from .errors import Kind

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .cases import Case
    from .sandbox import Sandbox


@dataclass
class Run:
    """What one case's child produced: a trajectory (validated) and/or an error record."""
    trace: dict = field(default_factory=dict)
    completed: int = 0
    error: dict | None = None


@dataclass
class Loaded:
    """What the first child reported after loading the submission, before any case."""
    warnings: list = field(default_factory=list)  # statements that raised: line, type, ...
    answers: dict = field(default_factory=dict)   # concept answer name -> float or repr


def plan_for(cases: list[Case], expected: dict[str, dict]) -> dict[str, dict]:
    """{case id: {param: {"shape", "keys"}}}: what the child must record for each case (the
    parameter's shape; torch's state keys, each with its shape), from the expected
    trajectories ({case id: references.split(arrays, case id, "expected")})."""
    def keys(trace, param):
        return {k: list(trace[f"state/{param}/{k}"].shape[1:])
                for k in entries_of(trace, param)[1:]}
    return {case.id: {p: {"shape": list(shape), "keys": keys(expected[case.id], p)}
                      for p, shape in PARAM_SHAPES[case.problem].items()} for case in cases}


def request_for(source: str, cases: list[tuple[Case, dict]], arrays: Mapping,
                answers: Iterable[str] = (), more: bool = False) -> tuple[bytes, list[bytes]]:
    """(the request frame: kept source, the cases' functions and configs, the concept answer
    names whose values to report; the input frame of each case, sent as that case begins).
    With ``more``, the frame of more cases for a child that has the source already.
    Expected values never travel."""
    metas = [{"id": case.id, "function": case.function, "problem": case.problem,
              "steps": case.steps, "config": case.config,
              "state_keys": {p: k["keys"] for p, k in keys.items()}} for case, keys in cases]
    head = wire.encode({"cases": metas} if more else {
        "source": source, "cases": metas, "answers": list(answers)})
    return head, [input_frame(arrays, case.id) for case, _ in cases]


_FRAMES: dict[str, tuple[list, bytes]] = {}   # case id -> (the arrays encoded, their frame)


def input_frame(arrays: Mapping, case_id: str) -> bytes:
    """The frame of a case's inputs. The stored references are read-only arrays shared by
    every grading of a process (``references.read_packed``), so a batch worker encodes each
    case's once: a frame is reused while its very arrays, unchangeable, are the inputs."""
    inputs = list(references.split(arrays, case_id, "inputs").items())
    cached = _FRAMES.get(case_id)
    if cached and len(cached[0]) == len(inputs) and all(
            a is b for a, (_, b) in zip(cached[0], inputs)):
        return cached[1]
    frame = wire.encode({}, dict(inputs))
    if not any(value.flags.writeable for _, value in inputs):
        _FRAMES[case_id] = [value for _, value in inputs], frame
    return frame


def run_submission(source: str, plan: dict[str, list[tuple[Case, dict]]], arrays: Mapping,
                   sandbox: Sandbox, answers: Iterable[str] = (),
                   load: bool = False) -> tuple[dict[str, Run], Loaded]:
    """Run every function of ``plan`` ({function: [(case, state_keys)]}) in ``sandbox`` (an
    entered ``Sandbox``); the child also reports the values of the ``answers`` names (a
    child runs for them even when no function does, and with ``load`` for the load's
    warnings alone).

    Every public case runs first; a hidden case's config and inputs reach the child only
    once every public case it ran has reported, so nothing a submission does with them
    can reach a public case's feedback.

    ``state_keys`` maps each parameter to {"shape": ..., "keys": {torch's state key: shape}}.
    Returns ({case id: Run}, Loaded).
    """
    if not plan and not answers and not load:
        return {}, Loaded()
    groups = {(f, public): [(c, k) for c, k in cases if c.public == public]
              for public in (True, False) for f, cases in plan.items()}
    groups = {key: cases for key, cases in groups.items() if cases}
    own = _own(source)

    def make_request(keys, first, more):
        return request_for(source, [c for key in keys for c in groups[key]], arrays,
                           answers if first else (), more)

    outcome, head = sandbox.run({key: [c.id for c, _ in cases] for key, cases in groups.items()},
                                make_request, gated={key for key in groups if not key[1]})
    runs = {}
    for key, cases in groups.items():
        runs.update(collect(cases, *outcome[key], sandbox.timeout, own))
    return runs, loaded(head, own, answers)


DEFINED = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", re.M)


def _own(source):
    """(number of lines, names of the functions defined in ``source``, at any depth): what a
    traceback from the child may name. (A ``def`` line inside a string adds a name the
    student wrote anyway; no parse is needed.)"""
    return len(source.splitlines()), set(DEFINED.findall(source)) | {"<module>", "<lambda>"}


def decoded(frame: bytes | None) -> tuple[dict, dict] | None:
    """(meta dict, arrays) of a child's frame, or None if it is missing or not well formed."""
    if frame is None:
        return None
    try:
        meta, arrays = wire.decode(frame, wire.CHILD_HEADER_BYTES, wire.CHILD_ARRAYS)
    except Exception:  # noqa: BLE001 - a hostile child may write anything
        return None
    return (meta, arrays) if isinstance(meta, dict) else None


def loaded(head: bytes | None, own: tuple[int, set[str]] = (0, set()),
           asked: Iterable[str] = ()) -> Loaded:
    """The load frame's warnings and concept answers, rebuilt (``untrusted``); ``own``:
    (lines, function names) of the submission."""
    meta, _ = decoded(head) or ({}, {})
    lines, names = own
    return Loaded(untrusted.warnings(meta.get("load_warnings"), lines, names),
                  untrusted.answers(meta.get("answers"), asked))


def validate(frame: bytes | None, case: Case, keys: dict,
             own: tuple[int, set[str]] = (0, set())) -> Run:
    """A Run from a child's frame for ``case``, or an error Run if the frame is malformed.
    ``own``: (lines, function names) of the submission, for its tracebacks."""
    meta, arrays = decoded(frame) or ({}, {})
    completed = meta.get("completed")
    if meta.get("case") != case.id or isinstance(completed, bool) or not isinstance(
            completed, int) or not 0 <= completed <= case.steps:
        return Run(error={"kind": Kind.MALFORMED.value})
    error = untrusted.error(meta.get("error"), case, keys, *own)
    trace = {}
    for param, spec in keys.items() if completed else ():
        wanted = {f"param/{param}": tuple(spec["shape"])}
        wanted.update({f"state/{param}/{k}": tuple(shape) for k, shape in spec["keys"].items()})
        for key, shape in wanted.items():
            value = arrays.get(key)
            if (value is None or value.dtype != np.float64 or value.shape[1:] != shape
                    or len(value) < completed):
                return Run(error={"kind": Kind.MALFORMED.value})
            trace[key] = value[:completed]
    return Run(trace=trace, completed=completed, error=error)


def collect(cases: list[tuple[Case, dict]], frames: list[bytes], timed_out: bool,
            code: int | str | None, timeout: float,
            own: tuple[int, set[str]] = (0, set())) -> dict[str, Run]:
    """{case id: Run} from a child's frames for ``cases`` (in order); the first case it
    never reported gets the reason why, the ones after it "not-run". ``own``: (lines,
    function names) of the submission."""
    runs = {case.id: validate(frame, case, keys, own)
            for (case, keys), frame in zip(cases, frames)}
    kind = (Kind.MEMORY if code == "memory" else Kind.TIMEOUT if timed_out
            else Kind.CRASH).value
    for case, _ in cases[len(frames):len(frames) + 1]:
        runs[case.id] = Run(error={"kind": kind, "exit_code": code, "seconds": timeout})
    for case, _ in cases[len(frames) + 1:]:
        runs[case.id] = Run(error={"kind": Kind.NOT_RUN.value})
    return runs
