"""Known-buggy variants of the answer key, and their stored trajectories (instructor side).

A variant is a list of (find, replace) edits made inside one function of the answer key
(``solutions/optimizers.py``). ``make references`` runs every variant on every case it
concerns and stores its trajectory (``autograder/data/variants-*.npz``) wherever it
differs from torch's; grading compares a failing student's trajectory with those
(``autograder/diagnose.py``), so neither the grading image nor the student engine holds
any of this code.

Two names the harness provides to variants: ``_CALLS`` (a one-item list, fresh per case)
and ``_OPTIMIZER_STEP`` (a one-item list holding the 1-based optimizer step).
"""

import re
from functools import cache
from pathlib import Path

import numpy as np

from .. import references
from ..cases import load_cases
from ..child.main import run_case, unpack_inputs
from ..diagnose import VARIANT_FILES, same_trajectory
from ..execute import plan_for
from ..misconceptions import CATALOG

ANSWER_KEY = Path(__file__).resolve().parents[2] / "solutions" / "optimizers.py"

SGD, RMS, ADAM, ADA = "sgd_step", "rmsprop_step", "_adam_update", "adagrad_step"


def _maximize_after_decay(function):
    return (
        function,
        (
            ("g = -grad if maximize else grad\n", "g = grad\n"),
            (
                "        g = g + weight_decay * param\n",
                "        g = g + weight_decay * param\n    g = -g if maximize else g\n",
            ),
        ),
    )


def _step_counter(function, counter):
    return (
        function,
        (
            (
                'state["step"] += 1',
                f'{counter}[0] += 1\n    state["step"] = {counter}[0]'
                if counter == "_CALLS"
                else f'state["step"] = {counter}[0]',
            ),
        ),
    )


_ADAM_DENOM = "np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps"

_ADAM_RETURN = 'return param - (lr / (1 - beta1 ** t)) * state["exp_avg"] / denom'

_RMS_SQUARE = 'alpha * state["square_avg"] + (1 - alpha) * g * g'

_RMS_MEAN = 'alpha * state["grad_avg"] + (1 - alpha) * g'

VARIANTS = {
    "sgd-ema-momentum": (
        (SGD, (("(1 - dampening) * g", "(1 - momentum) * g"),)),
        (
            SGD,
            (
                ("(1 - dampening) * g", "(1 - momentum) * g"),
                ("buf = np.array(g, copy=True)", "buf = (1 - momentum) * g"),
            ),
        ),
    ),
    "sgd-lr-in-velocity": (
        (
            SGD,
            (
                ("(1 - dampening) * g", "(1 - dampening) * lr * g"),
                ("buf = np.array(g, copy=True)", "buf = lr * g"),
                (
                    "        g = g + momentum * buf if nesterov else buf\n",
                    "        return param - (lr * g + momentum * buf if nesterov else buf)\n",
                ),
            ),
        ),
    ),
    "sgd-dampening-first-step": (
        (SGD, (("buf = np.array(g, copy=True)", "buf = (1 - dampening) * g"),)),
    ),
    "sgd-nesterov-as-momentum": (
        (SGD, (("g = g + momentum * buf if nesterov else buf", "g = buf"),)),
    ),
    "weight-decay-after-momentum": (
        (
            SGD,
            (
                ("    if weight_decay != 0:\n        g = g + weight_decay * param\n", ""),
                ("return param - lr * g", "return param - lr * (g + weight_decay * param)"),
            ),
        ),
    ),
    "maximize-after-weight-decay": (
        _maximize_after_decay(SGD),
        _maximize_after_decay(RMS),
        _maximize_after_decay(ADAM),
        _maximize_after_decay(ADA),
    ),
    "adam-no-bias-correction": (
        (
            ADAM,
            (
                ("np.sqrt(v) / np.sqrt(1 - beta2 ** t)", "np.sqrt(v)"),
                ("(lr / (1 - beta1 ** t))", "lr"),
            ),
        ),
    ),
    "adam-bias-correction-off-by-one": (
        (ADAM, (("beta2 ** t", "beta2 ** (t + 1)"), ("beta1 ** t", "beta1 ** (t + 1)"))),
        (ADAM, (("beta2 ** t", "beta2 ** (t - 1)"), ("beta1 ** t", "beta1 ** (t - 1)"))),
    ),
    "adam-eps-inside-sqrt": (
        (ADAM, ((_ADAM_DENOM, "np.sqrt(v / (1 - beta2 ** t) + eps)"),)),
        (ADAM, ((_ADAM_DENOM, "np.sqrt(v + eps) / np.sqrt(1 - beta2 ** t)"),)),
    ),
    "adam-eps-hat": ((ADAM, ((_ADAM_DENOM, "(np.sqrt(v) + eps) / np.sqrt(1 - beta2 ** t)"),)),),
    "adam-state-stores-corrected": (
        (
            ADAM,
            (
                (
                    "    denom = " + _ADAM_DENOM + "\n    " + _ADAM_RETURN,
                    '    state["exp_avg"] = state["exp_avg"] / (1 - beta1 ** t)\n'
                    '    state["exp_avg_sq"] = state["exp_avg_sq"] / (1 - beta2 ** t)\n'
                    '    return param - lr * state["exp_avg"] / (np.sqrt(state["exp_avg_sq"]) '
                    "+ eps)",
                ),
            ),
        ),
    ),
    "adamw-l2-instead-of-decoupled": (
        (
            ADAM,
            (
                (
                    "    if decoupled:\n        param = param * (1 - lr * weight_decay)\n    elif",
                    "    if",
                ),
            ),
        ),
    ),
    "adam-decoupled-instead-of-l2": ((ADAM, (("    if decoupled:\n", "    if True:\n"),)),),
    "adamw-decay-without-lr": (
        (ADAM, (("param * (1 - lr * weight_decay)", "param * (1 - weight_decay)"),)),
    ),
    "adamw-decay-after-update": (
        (
            ADAM,
            (
                ("        param = param * (1 - lr * weight_decay)\n", "        pass\n"),
                (
                    _ADAM_RETURN,
                    'new = param - (lr / (1 - beta1 ** t)) * state["exp_avg"] / denom'
                    "\n    return new * (1 - lr * weight_decay) if decoupled else new",
                ),
            ),
        ),
    ),
    "amsgrad-max-of-corrected": (
        (
            ADAM,
            (
                (
                    'np.maximum(state["max_exp_avg_sq"], v)',
                    'np.maximum(state["max_exp_avg_sq"], v / (1 - beta2 ** t))',
                ),
                ('v = state["max_exp_avg_sq"]', 'v = state["max_exp_avg_sq"] * (1 - beta2 ** t)'),
            ),
        ),
    ),
    "global-step-counter": tuple(
        _step_counter(f, c) for f in (ADAM, RMS, ADA) for c in ("_CALLS", "_OPTIMIZER_STEP")
    ),
    "rmsprop-eps-inside-sqrt": (
        (
            RMS,
            (
                ('np.sqrt(state["square_avg"]) + eps', 'np.sqrt(state["square_avg"] + eps)'),
                (
                    'np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps',
                    'np.sqrt(state["square_avg"] - state["grad_avg"] ** 2 + eps)',
                ),
            ),
        ),
    ),
    "rmsprop-alpha-swapped": (
        (RMS, ((_RMS_SQUARE, '(1 - alpha) * state["square_avg"] + alpha * g * g'),)),
        (
            RMS,
            (
                (_RMS_SQUARE, '(1 - alpha) * state["square_avg"] + alpha * g * g'),
                (_RMS_MEAN, '(1 - alpha) * state["grad_avg"] + alpha * g'),
            ),
        ),
    ),
    "rmsprop-centered-stale-mean": (
        (
            RMS,
            (
                (
                    '        state["grad_avg"] = ' + _RMS_MEAN + "\n"
                    '        avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps\n',
                    '        avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps\n'
                    '        state["grad_avg"] = ' + _RMS_MEAN + "\n",
                ),
            ),
        ),
    ),
    "rmsprop-momentum-before-normalising": (
        (
            RMS,
            (
                (
                    'momentum * state["momentum_buffer"] + g / avg\n'
                    '        return param - lr * state["momentum_buffer"]',
                    'momentum * state["momentum_buffer"] + g\n'
                    '        return param - lr * state["momentum_buffer"] / avg',
                ),
            ),
        ),
    ),
    "adagrad-lr-decay-off-by-one": (
        (ADA, (('(state["step"] - 1) * lr_decay', 'state["step"] * lr_decay'),)),
    ),
    "adagrad-ignores-initial-accumulator": (
        (ADA, (("np.full_like(param, initial_accumulator_value)", "np.zeros_like(param)"),)),
    ),
    "adagrad-eps-inside-sqrt": (
        (ADA, (('np.sqrt(state["sum"]) + eps', 'np.sqrt(state["sum"] + eps)'),)),
    ),
}


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
    meta = {
        "steps": case.steps,
        "problem": case.problem,
        "config": case.config,
        "state_keys": state_keys,
    }

    def before_step(t, trace):
        step[0] = t + 1

    with np.errstate(all="ignore"):
        trace, done, error = run_case(namespace[case.function], meta, inputs, [], before_step)
    if error or done < case.steps:
        return None
    return {key: np.stack(values) for key, values in trace.items()}


def candidates(function):
    """(misconception id, variant number, variant) for the variants concerning a function."""
    return [
        (m.id, i, variant)
        for m in CATALOG
        if function in m.functions
        for i, variant in enumerate(VARIANTS.get(m.id, ()))
    ]


def generate_variants():
    """Every variant's trajectory on every case it concerns, where it differs from torch's:
    ({public: {"<case>/<id>/<n>/<path>": array}}). Needs the answer key."""
    arrays = references.load()
    files = {True: {}, False: {}}
    expected = {case.id: references.split(arrays, case.id, "expected") for case in load_cases()}
    plan = plan_for(load_cases(), expected)
    for case in load_cases():
        state_keys = {p: spec["keys"] for p, spec in plan[case.id].items()}
        inputs = unpack_inputs(references.split(arrays, case.id, "inputs"))
        for mid, number, variant in candidates(case.function):
            trace = variant_trace((variant,), case, inputs, state_keys)
            if trace is None or same_trajectory(trace, expected[case.id], case.steps):
                continue  # a variant that fails, or equals torch here, explains nothing
            for path, value in trace.items():
                files[case.public][f"{case.id}/{mid}/{number}/{path}"] = value
    return files


def write_variants():
    for public, arrays in generate_variants().items():
        references.write_packed(VARIANT_FILES[public], arrays)
    return {
        VARIANT_FILES[p].name: len(a)
        for p, a in {p: references.read_packed(f) for p, f in VARIANT_FILES.items()}.items()
    }


def check_variants(reproduction):
    """Compare the stored variant trajectories with freshly computed ones, into
    ``reproduction`` (a ``references.Reproduction``)."""
    for public, fresh in generate_variants().items():
        reproduction.compare(VARIANT_FILES[public], fresh)
    return reproduction
