"""Name the misconception behind a failing case, or say plainly that none fits (trusted side).

For a case whose trajectory diverged from torch, every known-buggy variant of the
answer key that concerns the function (``misconceptions.CATALOG``) is run on the same
inputs, here in the trusted process (it is our code), and compared with the student's
trajectory over every step the student completed, with the grading tolerance. A
misconception is named only when its variant reproduces the student's trajectory (every
parameter and state entry at every step); if no single one does, pairs are tried. Rules
cover the rest: float32-sized errors, errors the child reported. Whatever is named, the
report also says which entries diverged first and what that points at.
"""

import itertools
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from .child.main import run_case, unpack_inputs
from .compare import ATOL, RTOL
from .misconceptions import CATALOG

PACKAGE = Path(__file__).resolve().parent
# The zip carries the answer key in data/ (root-only); the repository has it in solutions/.
ANSWER_KEYS = [PACKAGE / "data" / "answer_key.py", PACKAGE.parent / "solutions" / "optimizers.py"]
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


def function_span(source, name):
    """(start, end) of a top-level ``def name`` in ``source``, up to the next top-level line."""
    match = re.search(rf"^def {name}\(.*?(?=^\S|\Z)", source, re.M | re.S)
    if not match:
        raise ValueError(f"no top-level function {name!r}")
    return match.span()


def apply_edits(source, function, edits):
    """``source`` with each (find, replace) made inside ``function``; each must be found."""
    start, end = function_span(source, function)
    body = source[start:end]
    for find, replace in edits:
        if find not in body:
            raise ValueError(f"{find!r} not found in {function}")
        body = body.replace(find, replace)
    return source[:start] + body + source[end:]


@cache
def answer_key():
    """The answer key's source, or None where it is not installed (then no variant runs)."""
    path = next((p for p in ANSWER_KEYS if p.exists()), None)
    return path.read_text() if path else None


@cache
def compiled(variants):
    """Code of the answer key with ``variants`` (a tuple of (function, edits)) applied;
    ValueError if the edits do not apply or there is no answer key."""
    source = answer_key()
    if source is None:
        raise ValueError("no answer key installed")
    for function, edits in variants:
        source = apply_edits(source, function, edits)
    return compile(source, "<variant>", "exec")


class _Deviated(Exception):
    pass


def variant_matches(variants, case, inputs, state_keys, student, steps):
    """True if the variant reproduces the student's trajectory over its first ``steps``
    steps. The variant is followed step by step and dropped at its first deviation."""
    try:
        code = compiled(variants)
    except ValueError:      # the edits do not compose
        return False
    step = [0]
    namespace = {"__name__": "variant", "_CALLS": [0], "_OPTIMIZER_STEP": step}
    exec(code, namespace)
    meta = {"steps": steps, "problem": case.problem, "config": case.config,
            "state_keys": state_keys}

    def before_step(t, trace):
        if t and not same_step(student, trace, t - 1):
            raise _Deviated
        step[0] = t + 1

    try:
        with np.errstate(all="ignore"):
            trace, done, error = run_case(namespace[case.function], meta, inputs, [],
                                          before_step)
    except _Deviated:
        return False
    return not error and done == steps and same_step(student, trace, steps - 1)


def same_step(student, variant, t):
    """True if every entry of the variant at step ``t`` matches the student's (NaN == NaN)."""
    for key, values in variant.items():
        if key not in student or len(values) <= t:
            return False
        a, b = student[key][t], values[t]
        with np.errstate(invalid="ignore"):
            close = np.abs(a - b) <= ATOL + RTOL * np.abs(b)
        if not (close | (np.isnan(a) & np.isnan(b)) | (a == b)).all():
            return False
    return True


def candidates(function):
    """(misconception id, variant) pairs that concern a student function."""
    return [(m.id, (variant,)) for m in CATALOG if function in m.functions
            for variant in m.variants]


class Diagnoser:
    """Diagnoses the failing cases of one grading, reusing what earlier cases taught it:
    the ids found for a function are tried first on its next cases, and pairs are searched
    at most once per function."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.found = {}          # function -> ids matched on an earlier case
        self.pairs_tried = set()

    def diagnose(self, case, outcome, run, expected, state_keys):
        """The Diagnosis of one failing case (``run`` is None when nothing ran)."""
        diagnosis = Diagnosis(reasoning=reasoning(case, outcome))
        if run is not None and outcome.step:
            diagnosis.ids = self.matching_ids(case, run, state_keys)
            diagnosis.exact = bool(diagnosis.ids)
        if not diagnosis.ids and run is not None:
            diagnosis.ids = rule_ids(outcome, run, expected)
        return diagnosis

    def matching_ids(self, case, run, state_keys):
        """Ids whose variants reproduce the student's trajectory: singles, then pairs."""
        inputs = unpack_inputs(self.arrays, case.id)

        def matches(variants):
            return variant_matches(variants, case, inputs, state_keys, run.trace,
                                   run.completed)

        singles = candidates(case.function)
        known = self.found.get(case.function, set())
        found = {mid for mid, variants in singles if mid in known and matches(variants)}
        if not found:
            found = {mid for mid, variants in singles if mid not in known and matches(variants)}
        if not found and case.function not in self.pairs_tried:
            self.pairs_tried.add(case.function)
            for (id_a, var_a), (id_b, var_b) in itertools.combinations(singles, 2):
                if id_a != id_b and matches(var_a + var_b):
                    found = {id_a, id_b}
                    break
        self.found.setdefault(case.function, set()).update(found)
        return sorted(found)


def rule_ids(outcome, run, expected):
    """Ids recognised from the kind of failure rather than from a variant."""
    err = outcome.error or {}
    kind = err.get("kind")
    if kind == "grad-mutated":
        return ["grad-mutated-in-place"]
    if kind == "missing-state-key" and not err.get("present"):
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
