"""Buggy submissions, as edits of the answer key: one row per bug.

Each row names the function it edits, the (find, replace) edits made inside
that function only, and which cases the bug must fail (a predicate over
``autograder.cases.Case``). The test suite grades every row and requires
exactly those cases to fail, so partial credit follows the broken feature;
``make demo`` grades a few of them.
"""

import re
from dataclasses import dataclass
from pathlib import Path

ANSWER_KEY = Path(__file__).resolve().parent.parent / "solutions" / "optimizers.py"


@dataclass(frozen=True)
class Bug:
    id: str
    function: str
    edits: tuple    # ((find, replace), ...) inside ``function``'s text
    fails: object   # Case -> bool


def _has(c, key, optimizers):
    return c.optimizer in optimizers and bool(c.config.get(key))


ADAMS = ("adam", "adamw")
BUGS = [
    Bug("sgd-ema-momentum", "sgd_step",
        (("(1 - dampening) * g", "(1 - momentum) * g"),),
        lambda c: _has(c, "momentum", ["sgd"])),
    Bug("sgd-dampening-first-step", "sgd_step",
        (("buf = np.array(g, copy=True)", "buf = (1 - dampening) * g"),),
        lambda c: _has(c, "dampening", ["sgd"])),
    Bug("sgd-nesterov-as-momentum", "sgd_step",
        (("g = g + momentum * buf if nesterov else buf", "g = buf"),),
        lambda c: _has(c, "nesterov", ["sgd"])),
    Bug("weight-decay-after-momentum", "sgd_step",
        (("    if weight_decay != 0:\n        g = g + weight_decay * param\n", ""),
         ("return param - lr * g", "return param - lr * (g + weight_decay * param)")),
        lambda c: _has(c, "weight_decay", ["sgd"]) and _has(c, "momentum", ["sgd"])),
    Bug("maximize-after-weight-decay", "sgd_step",
        (("g = -grad if maximize else grad", "g = grad"),
         ("    if momentum != 0:", "    g = -g if maximize else g\n    if momentum != 0:")),
        lambda c: _has(c, "maximize", ["sgd"]) and _has(c, "weight_decay", ["sgd"])),
    Bug("grad-mutated-in-place", "sgd_step",
        (("g = g + weight_decay * param", "g += weight_decay * param"),),
        lambda c: _has(c, "weight_decay", ["sgd"]) and not c.config.get("maximize")),
    Bug("rmsprop-alpha-swapped", "rmsprop_step",
        (('alpha * state["square_avg"] + (1 - alpha) * g * g',
          '(1 - alpha) * state["square_avg"] + alpha * g * g'),),
        lambda c: c.optimizer == "rmsprop"),
    Bug("rmsprop-eps-inside-sqrt", "rmsprop_step",
        (('np.sqrt(state["square_avg"]) + eps', 'np.sqrt(state["square_avg"] + eps)'),),
        lambda c: c.optimizer == "rmsprop" and not c.config.get("centered")),
    Bug("rmsprop-centered-stale-mean", "rmsprop_step",
        (('        state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g\n'
          '        avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps\n',
          '        avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps\n'
          '        state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g\n'),),
        lambda c: _has(c, "centered", ["rmsprop"])),
    Bug("adam-no-bias-correction", "_adam_update",
        (("np.sqrt(v) / np.sqrt(1 - beta2 ** t)", "np.sqrt(v)"),
         ("(lr / (1 - beta1 ** t))", "lr")),
        lambda c: c.optimizer in ADAMS),
    Bug("adam-bias-correction-off-by-one", "_adam_update",
        (("beta2 ** t", "beta2 ** (t + 1)"), ("beta1 ** t", "beta1 ** (t + 1)")),
        lambda c: c.optimizer in ADAMS),
    Bug("adam-eps-inside-sqrt", "_adam_update",
        (("np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps", "np.sqrt(v / (1 - beta2 ** t) + eps)"),),
        lambda c: c.optimizer in ADAMS),
    Bug("amsgrad-max-of-corrected", "_adam_update",
        (('np.maximum(state["max_exp_avg_sq"], v)',
          'np.maximum(state["max_exp_avg_sq"], v / (1 - beta2 ** t))'),
         ('v = state["max_exp_avg_sq"]', 'v = state["max_exp_avg_sq"] * (1 - beta2 ** t)')),
        lambda c: _has(c, "amsgrad", ADAMS)),
    Bug("adamw-l2-instead-of-decoupled", "_adam_update",
        (("    if decoupled:\n        param = param * (1 - lr * weight_decay)\n    elif",
          "    if"),),
        lambda c: c.optimizer == "adamw"),
    Bug("adamw-decay-without-lr", "_adam_update",
        (("param * (1 - lr * weight_decay)", "param * (1 - weight_decay)"),),
        lambda c: c.optimizer == "adamw"),
    Bug("adagrad-lr-decay-off-by-one", "adagrad_step",
        (('(state["step"] - 1) * lr_decay', 'state["step"] * lr_decay'),),
        lambda c: _has(c, "lr_decay", ["adagrad"])),
    Bug("adagrad-ignores-initial-accumulator", "adagrad_step",
        (("np.full_like(param, initial_accumulator_value)", "np.zeros_like(param)"),),
        lambda c: _has(c, "initial_accumulator_value", ["adagrad"])),
    Bug("float32-precision", "_adam_update",
        (('return param - (lr / (1 - beta1 ** t)) * state["exp_avg"] / denom',
          'p32 = param.astype(np.float32) - np.float32(lr / (1 - beta1 ** t)) * '
          'state["exp_avg"].astype(np.float32) / denom.astype(np.float32)\n'
          '    return p32.astype(np.float64)'),),
        lambda c: c.optimizer in ADAMS),
]
BY_ID = {bug.id: bug for bug in BUGS}


def function_span(source, name):
    """(start, end) of a top-level ``def name`` in ``source``, up to the next top-level line."""
    match = re.search(rf"^def {name}\(.*?(?=^\S|\Z)", source, re.M | re.S)
    return match.span()


def buggy_source(bug, source=None):
    """The answer key with ``bug``'s edits made; each edit must apply exactly once."""
    source = source if source is not None else ANSWER_KEY.read_text()
    start, end = function_span(source, bug.function)
    body = source[start:end]
    for find, replace in bug.edits:
        if body.count(find) < 1:
            raise ValueError(f"{bug.id}: {find!r} not found in {bug.function}")
        body = body.replace(find, replace)
    return f"# Buggy example: {bug.id}\n" + source[:start] + body + source[end:]


def write(bug_ids, folder):
    """Write the named buggy submissions as ``<id>.py`` into ``folder``; their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for bug_id in bug_ids:
        path = folder / f"{bug_id}.py"
        path.write_text(buggy_source(BY_ID[bug_id]))
        paths.append(path)
    return paths
