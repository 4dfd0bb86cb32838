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

import re
from dataclasses import dataclass, field

import numpy as np

from . import references
from .cases import OPTIMIZERS
from .compare import close

VARIANT_FILES = {True: references.DATA / "variants-public.npz",
                 False: references.DATA / "variants-hidden.npz"}
FLOAT32_RELATIVE = (1e-9, 1e-4)   # first divergence this small, and staying this close


@dataclass
class Diagnosis:
    ids: list = field(default_factory=list)   # named misconceptions (empty: no known pattern)
    exact: bool = False                        # named because a variant reproduced the trajectory
    reasoning: str = ""                        # what the first divergent entries point at


def same_trajectory(got, want, steps):
    """True if every entry of ``want`` matches ``got`` over the first ``steps`` steps,
    with the grading tolerance (NaN == NaN)."""
    for key, values in want.items():
        if key not in got:
            return False
        a, b = got[key][:steps], values[:steps]
        if len(a) < steps or not close(a, b).all():
            return False
    return True


def load_variants(public_only=False):
    """{case id: {(id, n): {path: array}}} from the stored variant trajectories."""
    by_case = {}
    for public, path in VARIANT_FILES.items():
        if public or not public_only:
            for key, value in references.read_packed(path).items():
                case_id, mid, number, rest = key.split("/", 3)
                by_case.setdefault(case_id, {}).setdefault((mid, int(number)), {})[rest] = value
    return by_case


class Diagnoser:
    """Diagnoses the failing cases of one grading against the stored variant trajectories."""

    def __init__(self, variants):
        self.variants = variants

    def diagnose(self, case, outcome, run, expected):
        """The Diagnosis of one failing case (``run`` is None when nothing ran)."""
        diagnosis = Diagnosis(reasoning=reasoning(case, outcome))
        if run is not None and outcome.step:
            diagnosis.ids = sorted({
                mid for (mid, _), trace in self.variants.get(case.id, {}).items()
                if same_trajectory(run.trace, trace, run.completed)})
            diagnosis.exact = bool(diagnosis.ids)
        if not diagnosis.ids and run is not None:
            diagnosis.ids = rule_ids(outcome, run, expected)
        return diagnosis


def rule_ids(outcome, run, expected):
    """Ids recognised from the kind of failure rather than from a variant."""
    err = outcome.error or {}
    kind = err.get("kind")
    if kind == "grad-mutated":
        return ["grad-mutated-in-place"]
    if kind == "missing-state-key" and not err.get("present_count"):
        return ["state-not-persisted"]
    if kind == "exception" and err.get("type") == "TypeError" and re.search(
            r"unexpected keyword argument|positional argument|required keyword",
            err.get("message", "")):
        return ["wrong-signature"]
    if outcome.step and _float32_sized(outcome, run, expected):
        return ["float32-precision"]
    return []


def _float32_sized(outcome, run, expected):
    low, high = FLOAT32_RELATIVE
    if not all(low < d.max_rel < high and not d.nonfinite for d in outcome.diffs):
        return False
    for key, want in expected.items():
        got = run.trace[key][:run.completed]
        want = want[:run.completed]
        known = ~np.isnan(want)
        if (np.abs(got[known] - want[known]) > high * np.maximum(np.abs(want[known]), 1e-3)).any():
            return False
    return True


def reasoning(case, outcome):
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
