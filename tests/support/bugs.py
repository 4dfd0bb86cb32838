"""Buggy submissions made from the answer key (with the concept answers, so that only the
bug costs points): one per misconception, and which cases each must fail.

A bug is its misconception's first known-buggy variant (``assignment/misconceptions.py``:
a model of ``assignment/models.py`` with one equation changed), or, for the ids recognised
by rule, a bug below; the submission is the answer key with each step function the bug
concerns replaced by one that calls the buggy model. ``FAILS`` says which cases each bug
must fail (a predicate over ``autograder.cases.Case``): the test suite grades every bug and
requires exactly those cases to fail, so partial credit follows the broken feature.
``make demo`` grades a few. (``adagrad-eps-inside-sqrt`` has no row: at the default eps its
effect, ~1e-10 relative, sits at the tolerance's edge, so which cases it fails is not a
property worth pinning; the misconception tests cover it.)
"""

import ast
import inspect
import json
import re
import textwrap
from pathlib import Path

import numpy as np

from assignment import models
from assignment.misconceptions import CATALOG
from assignment.spec import QUESTIONS
from autograder.cases import OPTIMIZERS

ROOT = Path(__file__).resolve().parents[2]
ANSWER_KEY = ROOT / "solutions" / "optimizers.py"
SOLUTION_NOTEBOOK = ROOT / "solutions" / "optimizers_lab.ipynb"
ADAMS = ("adam", "adamw")
MAXIMIZE_ORDER = ("sgd", "rmsprop", "adam", "adagrad")   # adamw's decay is not in g
COUNTED = ("rmsprop", "adam", "adamw", "adagrad")        # keep state["step"]


class Float32Update:
    """float32-precision: Adam's update rounded to float32."""

    def update(self, param, state, v, t, h):
        return super().update(param, state, v, t, h).astype(np.float32).astype(np.float64)


def gradient(self, param, grad, h):
    """grad-mutated-in-place: weight decay added into the gradient it was given."""
    g = -grad if h.maximize else grad
    if h.weight_decay:
        g += h.weight_decay * param
    return g


RULE_BUGS = {"float32-precision": (Float32Update, (models.Adam, models.AdamW)),
             "grad-mutated-in-place": (gradient, (models.SGD,))}


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
        lambda c: _has(c, "maximize", MAXIMIZE_ORDER) and _has(c, "weight_decay"),
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
    "global-step-counter": lambda c: c.optimizer in COUNTED and c.problem in ("stream", "mlp"),
    "adagrad-lr-decay-off-by-one": lambda c: _has(c, "lr_decay", ["adagrad"]),
    "adagrad-ignores-initial-accumulator":
        lambda c: _has(c, "initial_accumulator_value", ["adagrad"]),
    "float32-precision": lambda c: c.optimizer in ADAMS,
}


def complete_answer_key():
    """The answer key's step functions plus the concept questions' answers (the solution
    notebook's, from ``assignment/spec.py``): a submission that earns every point."""
    return ANSWER_KEY.read_text() + "".join(f"{k} = {q['answer']}\n"
                                            for k, q in QUESTIONS.items())


def bug_of(bug_id):
    """(the bug: a function or class, the models it applies to)."""
    if bug_id in RULE_BUGS:
        return RULE_BUGS[bug_id]
    variants = next(m.variants for m in CATALOG if m.id == bug_id)
    bug = variants[0].bug
    return bug, tuple(v.model for v in variants if v.bug is bug)


def _source(thing):
    """A function's or class's source, dedented, without decorators."""
    text = textwrap.dedent(inspect.getsource(thing))
    return re.sub(r"\A(@.*\n)+", "", text)


def bug_code(bug_id):
    """{step function: code defining it with the bug}; the code needs the models'."""
    bug, concerned = bug_of(bug_id)
    out = {}
    for model in concerned:
        o = OPTIMIZERS[model.optimizer]
        name = f"_{model.__name__}_with_bug"
        if isinstance(bug, type):
            cls = f"class {name}({bug.__name__}, {model.__name__}):\n    pass\n"
        else:
            cls = f"class {name}({model.__name__}):\n    {bug.__name__} = {bug.__name__}\n"
        hyper = o["hyperparameters"]
        signature = ", ".join(f"{k}={tuple(v) if isinstance(v, list) else v!r}"
                              for k, v in hyper.items())
        call = ", ".join(f"{k}={k}" for k in hyper)
        out[o["function"]] = (f"\n\n{cls}\n\ndef {o['function']}(param, grad, state, *, "
                              f"{signature}, _model={name}()):\n"
                              f"    return _model(param, grad, state, {call})\n")
    return out


def _bug_prelude(bug_id):
    """The models and the bug itself: what ``bug_code`` needs."""
    bug, _ = bug_of(bug_id)
    source = inspect.getsource(models)
    body = "\n\n\n".join(ast.get_source_segment(source, node)
                          for node in ast.parse(source).body
                          if isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef)))
    return f"\n\n# The bug: {bug_id}\n{body}\n\n\n{_source(bug)}"


def buggy_source(bug_id):
    """The answer key with the step functions the bug concerns redefined with the bug."""
    return (f"# Buggy example: {bug_id}\n{complete_answer_key()}{_bug_prelude(bug_id)}"
            + "".join(bug_code(bug_id).values()))


def buggy_notebook(bug_id):
    """The solution notebook (as JSON text) with the bug's code appended to the cell that
    defines the first function it concerns: what a student with that misconception
    submits."""
    code = bug_code(bug_id)
    function = next(iter(code))
    nb = json.loads(SOLUTION_NOTEBOOK.read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and re.search(rf"^def {function}\b", source, re.M):
            cell["source"] = source + _bug_prelude(bug_id) + "".join(code.values())
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
