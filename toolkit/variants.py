"""The misconceptions' known-buggy variants, run on every case (instructor side).

A variant is an optimizer's model with one equation changed (``assignment/misconceptions.py``
on ``assignment/models.py``). ``make references`` first requires the answer key
(``solutions/optimizers.py``) and every model to reproduce torch on every case; then it
runs every variant on every case of its optimizer and stores its trajectory
(``autograder/data/variants-*.npz``) wherever it differs from torch's, with the label of a
fixed-value variant ("eps = 1e-07"), and refuses a written variant that equals torch on
every case (it could never name anything). Grading compares
a failing student's trajectory with those (``autograder/diagnose.py``), so neither the
grading image nor the student engine holds any of this code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assignment.misconceptions import CATALOG
from assignment.models import MODELS
from autograder import references
from autograder.cases import OPTIMIZERS, Case, from_definition
from autograder.child.main import run_case, unpack_inputs
from autograder.diagnose import VARIANT_FILES, same_trajectory
from autograder.execute import plan_for

ANSWER_KEY = Path(__file__).resolve().parents[1] / "solutions" / "optimizers.py"


class Refused(Exception):
    """What ``make references`` will not store, one problem per line."""


def answer_key() -> dict:
    """The answer key's namespace (its step functions)."""
    namespace = {"__name__": "answer_key"}
    exec(compile(ANSWER_KEY.read_text(), str(ANSWER_KEY), "exec"), namespace)
    return namespace


def trajectory(step: Callable, case: Case, inputs: dict,
               state_keys: dict) -> dict[str, np.ndarray] | None:
    """The trajectory (path -> array) ``step`` (a step function, or a model class: a fresh
    instance per case) produces on ``case``, or None if it fails. A model is called with
    every hyperparameter (torch's defaults filled in) and told the optimizer step."""
    config = case.config
    before_step = None
    if isinstance(step, type):
        step = step()
        config = {**OPTIMIZERS[case.optimizer]["hyperparameters"], **config}

        def before_step(t, model=step):
            model.optimizer_step = t + 1
    meta = {"steps": case.steps, "problem": case.problem, "config": config,
            "state_keys": state_keys}
    with np.errstate(all="ignore"):
        trace, done, error = run_case(step, meta, inputs, [], before_step)
    if error or done < case.steps:
        return None
    return trace


def stored() -> dict:
    """The stored references: {public: (arrays, meta)}."""
    return {public: (references.read_packed(path), references.read_meta(path))
            for public, path in references.FILES.items() if path.exists()}


def _runs(files):
    """(case, inputs, state keys, expected) for every case of ``files`` ({public: (arrays,
    meta)}, as ``generate.generate`` makes them or ``stored`` reads them)."""
    for arrays, meta in files.values():
        for definition in meta["cases"]:
            case = from_definition(definition)
            expected = references.split(arrays, case.id, "expected")
            plan = plan_for([case], {case.id: expected})[case.id]
            yield (case, unpack_inputs(references.split(arrays, case.id, "inputs")),
                   {p: spec["keys"] for p, spec in plan.items()}, expected)


def generate_variants(files: dict) -> dict:
    """Every variant's trajectory on every case of ``files``' (see ``_runs``) of its
    optimizer, where it differs from torch's: {public: ({"<case>/<id>/<n>/<path>": array},
    {"labels": {"<id>/<n>": what a fixed-value variant computes with}})}.
    Refused if the answer key or a model differs from torch on a case, or a written variant
    never does (a generated fixed-value one that never does is simply not stored)."""
    key, models = answer_key(), {m.optimizer: m for m in MODELS}
    runs = list(_runs(files))
    problems = []
    for case, inputs, keys, expected in runs:
        for what, step in (("the answer key's " + case.function, key.get(case.function)),
                           (f"the model {getattr(models.get(case.optimizer), '__name__', '')}",
                            models.get(case.optimizer))):
            if step is None:
                continue
            trace = trajectory(step, case, inputs, keys)
            if trace is None or not same_trajectory(trace, expected, case.steps):
                problems.append(f"{what} differs from torch on {case.id}")
    if problems:
        raise Refused("\n".join(problems))
    files = {True: ({}, {"labels": {}}), False: ({}, {"labels": {}})}
    for m in CATALOG:
        for number, variant in enumerate(m.variants):
            differs = False
            for case, inputs, keys, expected in runs:
                if case.optimizer != variant.optimizer:
                    continue
                trace = trajectory(variant, case, inputs, keys)
                if trace is None or same_trajectory(trace, expected, case.steps):
                    continue  # a variant that fails, or equals torch here, explains nothing
                differs = True
                arrays, meta = files[case.public]
                for path, value in trace.items():
                    arrays[f"{case.id}/{m.id}/{number}/{path}"] = value
                if variant.label:
                    meta["labels"][f"{m.id}/{number}"] = variant.label
            if not differs and not variant.label:   # a fixed value may simply be unused
                problems.append(f"misconceptions.py: {m.id}'s variant {variant.__name__} "
                                "equals torch on every case: it can never name anything")
    if problems:
        raise Refused("\n".join(problems))
    return files


def check_variants(reproduction: Any) -> Any:
    """Compare the stored variant trajectories with ones computed afresh from the stored
    references, into ``reproduction`` (a ``generate.Reproduction``)."""
    for public, (fresh, meta) in generate_variants(stored()).items():
        reproduction.compare(VARIANT_FILES[public], fresh)
        if json.loads(json.dumps(meta)) != references.read_meta(VARIANT_FILES[public]):
            reproduction.problems.append(f"{VARIANT_FILES[public].name}: the variants' "
                                         "labels differ from a fresh run")
    return reproduction
