"""Name the misconception behind a failing case, or say plainly that none fits (trusted side).

Every known-buggy variant of the answer key (``instructor/variants.py``) is run, once, by
``make references``, on every case it concerns; its trajectory is stored beside the
references (``data/variants-*.npz``) wherever it differs from torch's. Grading compares a
failing student's trajectory with those, over every step the student completed, with the
grading tolerance, and names a misconception only when its variant reproduces the
student's trajectory (every parameter and state entry at every step). Rules cover the
rest: float32-sized errors, errors the child reported. Whatever is named, the report also
says which entries diverged first and what that points at.

Because grading only reads stored trajectories, neither the Gradescope zip nor the
student's notebook holds the answer key or its variants, and both give the same diagnosis.
"""

import re
from dataclasses import dataclass, field

import numpy as np

from . import references
from .compare import close

VARIANT_FILES = {True: references.DATA / "variants-public.npz",
                 False: references.DATA / "variants-hidden.npz"}
FLOAT32_RELATIVE = (1e-9, 1e-4)   # first divergence this small, and staying this close

ENTRY_EQUATIONS = {
    "step": "state['step'] counts this parameter's own updates (1 after its first)",
    "momentum_buffer": {
        "sgd": "b = g on the parameter's first step, then b = momentum * b + (1 - dampening) * g, "
               "where g already carries maximize's sign and weight decay",
        "rmsprop": "b = momentum * b + g / avg, starting from zeros"},
    "square_avg": "v = alpha * v + (1 - alpha) * g**2, starting from zeros",
    "grad_avg": "gbar = alpha * gbar + (1 - alpha) * g, starting from zeros",
    "exp_avg": "m = beta1 * m + (1 - beta1) * g, starting from zeros",
    "exp_avg_sq": "v = beta2 * v + (1 - beta2) * g**2, starting from zeros",
    "max_exp_avg_sq": "vmax = max(vmax, v), over the raw (uncorrected) v",
    "sum": "s = s + g**2, starting from initial_accumulator_value",
}
FINAL_UPDATE = {
    "sgd": "param - lr * d, with d = g (no momentum), b (momentum) or g + momentum * b (Nesterov)",
    "rmsprop": "param - lr * g / (sqrt(v) + eps), eps outside the square root (with momentum: "
               "param - lr * b)",
    "adam": "param - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)",
    "adamw": "param * (1 - lr * weight_decay) first, then "
             "- lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)",
    "adagrad": "param - clr * g / (sqrt(s) + eps), with clr = lr / (1 + (t - 1) * lr_decay)",
}


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
    optimizer = case.optimizer
    if bad == ["param"]:
        if good:
            return (f"Every state entry ({', '.join(f'`{e}`' for e in good)}) matches torch at "
                    f"step {outcome.step}, but the parameter does not: look at the final "
                    f"update, {FINAL_UPDATE[optimizer]}.")
        return (f"The parameter differs at step {outcome.step}: check the update "
                f"{FINAL_UPDATE[optimizer]}, and the order of maximize (first) and weight "
                "decay (second).")
    first = next(e for e in bad if e != "param")
    equation = ENTRY_EQUATIONS.get(first, "")
    if isinstance(equation, dict):
        equation = equation.get(optimizer, "")
    also = f"; {', '.join(f'`{e}`' for e in good)} still match" if good else ""
    return (f"`{first}` is the first entry to differ (step {outcome.step}{also}): check its "
            f"update, {equation}.")
