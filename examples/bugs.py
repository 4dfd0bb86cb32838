"""Buggy submissions made from the answer key (with the concept answers, so that only the
bug costs points): one per misconception, and which cases each must fail.

A bug's edits are its misconception's first known-buggy variant in the catalog
(``autograder/misconceptions.py``), or, for the ids recognised by rule, the edits below.
``FAILS`` says which cases each bug must fail (a predicate over
``autograder.cases.Case``): the test suite grades every bug and requires exactly those
cases to fail, so partial credit follows the broken feature. ``make demo`` grades a few.
(``adagrad-eps-inside-sqrt`` has no row: at the default eps its effect, ~1e-10 relative,
sits at the tolerance's edge, so which cases it fails is not a property worth pinning; the
misconception tests cover it.)
"""

import json
import re
from pathlib import Path

from autograder.instructor.variants import VARIANTS, apply_edits

ROOT = Path(__file__).resolve().parent.parent
ANSWER_KEY = ROOT / "solutions" / "optimizers.py"
SOLUTION_NOTEBOOK = ROOT / "solutions" / "optimizers_lab.ipynb"
CONCEPT_ANSWERS = ROOT / "autograder" / "data" / "answers.json"
ADAMS = ("adam", "adamw")
RULE_EDITS = {
    "float32-precision": ("_adam_update", (
        ('return param - (lr / (1 - beta1 ** t)) * state["exp_avg"] / denom',
         'p32 = param.astype(np.float32) - np.float32(lr / (1 - beta1 ** t)) * '
         'state["exp_avg"].astype(np.float32) / denom.astype(np.float32)\n'
         '    return p32.astype(np.float64)'),)),
    "grad-mutated-in-place": ("sgd_step", (
        ("g = g + weight_decay * param", "g += weight_decay * param"),)),
}


def _has(c, key, optimizers=None):
    return (optimizers is None or c.optimizer in optimizers) and bool(c.config.get(key))


FAILS = {
    "sgd-ema-momentum": lambda c: _has(c, "momentum", ["sgd"]),
    "sgd-lr-in-velocity": lambda c: _has(c, "momentum", ["sgd"]),
    "sgd-dampening-first-step": lambda c: _has(c, "dampening", ["sgd"]),
    "sgd-nesterov-as-momentum": lambda c: _has(c, "nesterov", ["sgd"]),
    "weight-decay-after-momentum":
        lambda c: _has(c, "weight_decay", ["sgd"]) and _has(c, "momentum"),
    "maximize-after-weight-decay":
        lambda c: _has(c, "maximize", ["sgd"]) and _has(c, "weight_decay"),
    "grad-mutated-in-place":
        lambda c: _has(c, "weight_decay", ["sgd"]) and not _has(c, "maximize"),
    "rmsprop-alpha-swapped": lambda c: c.optimizer == "rmsprop",
    "rmsprop-eps-inside-sqrt": lambda c: c.optimizer == "rmsprop",
    "rmsprop-centered-stale-mean": lambda c: _has(c, "centered", ["rmsprop"]),
    "rmsprop-momentum-before-normalising": lambda c: _has(c, "momentum", ["rmsprop"]),
    "adam-no-bias-correction": lambda c: c.optimizer in ADAMS,
    "adam-bias-correction-off-by-one": lambda c: c.optimizer in ADAMS,
    "adam-eps-inside-sqrt": lambda c: c.optimizer in ADAMS,
    "adam-eps-hat": lambda c: c.optimizer in ADAMS,
    "adam-state-stores-corrected": lambda c: c.optimizer in ADAMS,
    "amsgrad-max-of-corrected": lambda c: _has(c, "amsgrad", ADAMS),
    "adamw-l2-instead-of-decoupled": lambda c: c.optimizer == "adamw",
    "adam-decoupled-instead-of-l2": lambda c: _has(c, "weight_decay", ["adam"]),
    "adamw-decay-without-lr": lambda c: c.optimizer == "adamw",
    "adamw-decay-after-update": lambda c: c.optimizer == "adamw",
    "global-step-counter": lambda c: c.optimizer in ADAMS and c.problem in ("stream", "mlp"),
    "adagrad-lr-decay-off-by-one": lambda c: _has(c, "lr_decay", ["adagrad"]),
    "adagrad-ignores-initial-accumulator":
        lambda c: _has(c, "initial_accumulator_value", ["adagrad"]),
    "float32-precision": lambda c: c.optimizer in ADAMS,
}


def complete_answer_key():
    """The answer key's step functions plus the concept questions' answers: a submission
    that earns every point."""
    answers = json.loads(CONCEPT_ANSWERS.read_text())
    return ANSWER_KEY.read_text() + "".join(f"{k} = {v!r}\n" for k, v in answers.items())


def edits_of(bug_id):
    return VARIANTS[bug_id][0] if bug_id in VARIANTS else RULE_EDITS[bug_id]


def _prelude(edits):
    # Variants may count calls in ``_CALLS``, which the diagnosis harness provides.
    return "_CALLS = [0]\n" if any("_CALLS" in new for _, new in edits) else ""


def buggy_source(bug_id):
    """The answer key with the bug's edits made."""
    function, edits = edits_of(bug_id)
    source = apply_edits(complete_answer_key(), function, edits)
    return f"# Buggy example: {bug_id}\n{_prelude(edits)}{source}"


def buggy_notebook(bug_id):
    """The solution notebook (as JSON text) with the bug's edits made in the cell that
    defines the bug's function: what a student with that misconception submits."""
    function, edits = edits_of(bug_id)
    nb = json.loads(SOLUTION_NOTEBOOK.read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and re.search(rf"^def {function}\b", source, re.M):
            cell["source"] = _prelude(edits) + apply_edits(source, function, edits)
            return json.dumps(nb, indent=1)
    raise ValueError(f"no cell of the solution notebook defines {function}")


def write(bug_ids, folder):
    """Write the named buggy submissions as ``<id>.py`` into ``folder``; their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for bug_id in bug_ids:
        path = folder / f"{bug_id}.py"
        path.write_text(buggy_source(bug_id))
        paths.append(path)
    return paths
