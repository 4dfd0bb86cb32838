"""Name the misconception behind a failing case, or say plainly that none fits (trusted side).

Every known-buggy variant of the answer key (``misconceptions.CATALOG``) is run, once, by
``make references``, on every case it concerns; its trajectory is stored beside the
references (``data/variants-*.npz``) wherever it differs from torch's. Grading compares a
failing student's trajectory with those, over every step the student completed, with the
grading tolerance, and names a misconception only when its variant reproduces the
student's trajectory (every parameter and state entry at every step). Rules cover the
rest: float32-sized errors, errors the child reported. Whatever is named, the report also
says which entries diverged first and what that points at.

Because grading only reads stored trajectories, neither the Gradescope zip nor the
student's notebook needs the answer key, and both give the same diagnosis.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from . import references
from .cases import CASES
from .child.main import run_case, unpack_inputs
from .compare import close
from .execute import plan_for
from .misconceptions import CATALOG

PACKAGE = Path(__file__).resolve().parent
ANSWER_KEY = PACKAGE.parent / "solutions" / "optimizers.py"   # generation only
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
def compiled(variants):
    """Code of the answer key with ``variants`` (a tuple of (function, edits)) applied;
    ValueError if the edits do not apply."""
    source = ANSWER_KEY.read_text()
    for function, edits in variants:
        source = apply_edits(source, function, edits)
    return compile(source, "<variant>", "exec")


def variant_trace(variants, case, inputs, state_keys):
    """The trajectory (path -> array) the answer key with ``variants`` applied produces on
    ``case``, or None if it fails."""
    try:
        code = compiled(variants)
    except ValueError:
        return None
    step = [0]
    namespace = {"__name__": "variant", "_CALLS": [0], "_OPTIMIZER_STEP": step}
    exec(code, namespace)
    meta = {"steps": case.steps, "problem": case.problem, "config": case.config,
            "state_keys": state_keys}

    def before_step(t, trace):
        step[0] = t + 1

    with np.errstate(all="ignore"):
        trace, done, error = run_case(namespace[case.function], meta, inputs, [], before_step)
    if error or done < case.steps:
        return None
    return {key: np.stack(values) for key, values in trace.items()}


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


def candidates(function):
    """(misconception id, variant number, variant) for the variants concerning a function."""
    return [(m.id, i, variant) for m in CATALOG if function in m.functions
            for i, variant in enumerate(m.variants)]


# ------------------------------------------------------------ precomputed variant trajectories

def generate_variants():
    """Every variant's trajectory on every case it concerns, where it differs from torch's:
    ({public: {"<case>/<id>/<n>/<path>": array}}). Needs the answer key."""
    arrays = references.load()
    files = {True: {}, False: {}}
    expected = {case.id: references.split(arrays, case.id, "expected") for case in CASES}
    plan = plan_for(CASES, expected)
    for case in CASES:
        state_keys = {p: spec["keys"] for p, spec in plan[case.id].items()}
        inputs = unpack_inputs(references.split(arrays, case.id, "inputs"))
        for mid, number, variant in candidates(case.function):
            trace = variant_trace((variant,), case, inputs, state_keys)
            if trace is None or same_trajectory(trace, expected[case.id], case.steps):
                continue    # a variant that fails, or equals torch here, explains nothing
            for path, value in trace.items():
                files[case.public][f"{case.id}/{mid}/{number}/{path}"] = value
    return files


def write_variants():
    for public, arrays in generate_variants().items():
        references.write_packed(VARIANT_FILES[public], arrays)
    return {VARIANT_FILES[p].name: len(a) for p, a in
            {p: references.read_packed(f) for p, f in VARIANT_FILES.items()}.items()}


def check_variants(reproduction):
    """Compare the stored variant trajectories with freshly computed ones, into
    ``reproduction`` (a ``references.Reproduction``)."""
    for public, fresh in generate_variants().items():
        reproduction.compare(VARIANT_FILES[public], fresh)
    return reproduction


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
