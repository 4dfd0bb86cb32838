"""Name the misconception behind a failing case, or say plainly that none fits (trusted side).

Every known-buggy variant (``assignment/misconceptions.py``: an optimizer's model with one
equation changed) is run, once, by ``make references``, on every case it concerns; where
its trajectory differs from torch's, it is stored beside the references
(``data/variants-*.npz``). Grading compares a
failing student's trajectory with those, over every step the student completed, with the
grading tolerance, and names a misconception only when its variant reproduces the
student's trajectory (every parameter and state entry at every step). Rules cover the
rest: float32-sized errors, errors the child reported. Whatever is named, the report also
says which entries diverged first and what that points at, quoting the equations of the
rubric (``data/rubric.json``, from ``assignment/spec.py``).

Because grading only reads stored trajectories, neither the Gradescope zip nor the
student's notebook holds the answer key or a variant, and both give the same diagnosis.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import references
from .cases import OPTIMIZERS
from .compare import close, trace_key
from .errors import Kind

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .cases import Case
    from .compare import Outcome
    from .execute import Run

VARIANT_FILES = {True: references.DATA / "variants-public.npz",
                 False: references.DATA / "variants-hidden.npz"}


@dataclass
class Diagnosis:
    ids: list = field(default_factory=list)   # named misconceptions (empty: no known pattern)
    exact: bool = False                        # named because a variant reproduced the trajectory
    details: dict = field(default_factory=dict)  # id -> what its matching variants compute with
    reasoning: str = ""                        # what the first divergent entries point at


def same_trajectory(got: dict, want: dict, steps: int) -> bool:
    """True if every entry of ``want`` matches ``got`` over the first ``steps`` steps,
    with the grading tolerance (NaN == NaN)."""
    for key, values in want.items():
        if key not in got:
            return False
        a, b = got[key][:steps], values[:steps]
        if len(a) < steps or not close(a, b).all():
            return False
    return True


def load_variants(public_only: bool = False) -> tuple[dict, dict]:
    """({case id: {(id, n): {path: array}}}, {(id, n): label}) from the stored variant
    trajectories; a label says what a fixed-value variant computes with ("eps = 1e-07").
    Built once per process while the files stay the same (read-only arrays)."""
    stamp = tuple(os.stat(p).st_mtime_ns for public, p in VARIANT_FILES.items()
                  if public or not public_only)
    if _VARIANTS.get(public_only, (None,))[0] != stamp:
        _VARIANTS[public_only] = stamp, _read_variants(public_only)
    return _VARIANTS[public_only][1]


_VARIANTS: dict = {}


def _read_variants(public_only):
    by_case, labels = {}, {}
    for public, path in VARIANT_FILES.items():
        if public or not public_only:
            for key, value in references.read_packed(path).items():
                case_id, mid, number, rest = key.split("/", 3)
                by_case.setdefault(case_id, {}).setdefault((mid, int(number)), {})[rest] = value
            for key, label in references.read_meta(path).get("labels", {}).items():
                mid, number = key.rsplit("/", 1)
                labels[(mid, int(number))] = label
    return by_case, labels


class Diagnoser:
    """Diagnoses the failing cases of one grading against the stored variant trajectories
    (``load_variants``)."""

    def __init__(self, variants, labels=None):
        self.variants, self.labels = variants, labels or {}

    def diagnose(self, case: Case, outcome: Outcome, run: Run | None) -> Diagnosis:
        """The Diagnosis of one failing case (``run`` is None when nothing ran)."""
        diagnosis = Diagnosis(reasoning=reasoning(case, outcome) or "")
        if run is not None and outcome.step:
            matched = [key for key, trace in self.variants.get(case.id, {}).items()
                       if same_trajectory(run.trace, trace, run.completed)]
            diagnosis.ids = sorted({mid for mid, _ in matched})
            for mid, number in matched:
                if (mid, number) in self.labels:
                    diagnosis.details.setdefault(mid, []).append(self.labels[(mid, number)])
            diagnosis.exact = bool(diagnosis.ids)
        if not diagnosis.ids and run is not None:
            diagnosis.ids = rule_ids(outcome, run)
        return diagnosis


def rule_ids(outcome: Outcome, run: Run | None) -> list[str]:
    """Ids recognised from what the child reported or what the values show, each only on
    evidence that identifies it."""
    err = outcome.error or {}
    kind = Kind.of(err)
    if kind is Kind.GRAD_MUTATED:
        return ["grad-mutated-in-place"]
    if kind is Kind.MISSING_STATE_KEY and not err.get("present_count") and err.get(
            "state_rebound"):
        return ["state-not-persisted"]
    if kind is Kind.EXCEPTION and err.get("type") == "TypeError" and re.search(
            r"unexpected keyword argument|positional argument|required keyword",
            err.get("message", "")):
        return ["wrong-signature"]
    if kind is Kind.DTYPE and err.get("dtype") == "float32":
        return ["float32-precision"]
    if outcome.step and run is not None and computed_in_float32(outcome, run):
        return ["float32-precision"]
    return []


def computed_in_float32(outcome: Outcome, run: Run) -> bool:
    """Whether the values that diverged first carry float32's fingerprint: every one exactly
    a float32 number, and at least two not float16 numbers. A float64 computation gives a
    float32 number by chance once in 2**29; an error's size alone (a hard-coded eps, say)
    proves nothing."""
    assert outcome.param is not None and outcome.step is not None   # (it diverged)
    got = np.concatenate([np.ravel(run.trace[trace_key(outcome.param, d.entry)][outcome.step - 1])
                          for d in outcome.diffs])
    got = got[np.isfinite(got) & (got != 0)]
    with np.errstate(over="ignore"):
        fine = got.astype(np.float16).astype(np.float64) != got
    return bool(got.size >= 2 and fine.sum() >= 2 and
                (got.astype(np.float32).astype(np.float64) == got).all())


def reasoning(case: Case, outcome: Outcome) -> str | None:
    """What the first divergent entries point at, in one or two sentences."""
    if not outcome.step:
        return ""
    bad = [d.entry for d in outcome.diffs]
    good = [e for e in outcome.matching if e != "param"]
    update = OPTIMIZERS[case.optimizer]["update"]
    if bad == ["param"]:
        if good:
            return (f"Every state entry ({', '.join(f'`{e}`' for e in good)}) matches torch at "
                    f"step {outcome.step}, but the parameter does not: look at the final "
                    f"update, {update}.")
        return (f"The parameter differs at step {outcome.step}: check the update "
                f"{update}, and the order of maximize (first) and weight "
                "decay (second).")
    first = next(e for e in bad if e != "param")
    equation = OPTIMIZERS[case.optimizer]["state"].get(first, {}).get("equation", "")
    also = f"; {', '.join(f'`{e}`' for e in good)} still match" if good else ""
    return (f"`{first}` is the first entry to differ (step {outcome.step}{also}): check its "
            f"update, {equation}.")
