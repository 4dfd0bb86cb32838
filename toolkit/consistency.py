"""What ``make build`` refuses: the lab's sources checked against each other, each problem
one sentence that names the file and what to change. Every function returns a list of
problems (empty: consistent). The checks that need torch run in ``make references``
(``toolkit/generate.py``)."""

from __future__ import annotations

import ast
import re
from types import ModuleType

from assignment import spec as SPEC
from autograder.cases import SCHEDULES, case_id
from autograder.child.problems import PROBLEMS

SHAPES = (SPEC.SCALAR, SPEC.PARAM)
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")   # Gradescope's
STEP_FUNCTION = re.compile(r"(?<!\w)([a-z0-9]+_step)\b")


def functions(spec: ModuleType = SPEC) -> dict[str, str]:
    return {o["function"]: name for name, o in spec.OPTIMIZERS.items()}


def spec_problems(spec: ModuleType = SPEC) -> list[str]:
    problems = []
    keys = {"function", "torch", "title", "hyperparameters", "state", "update", "groups",
            "benchmark"}
    for name, o in spec.OPTIMIZERS.items():
        where = f"spec.py: optimizer {name!r}"
        if set(o) != keys:
            problems.append(f"{where}: has {sorted(o)}; it needs exactly {sorted(keys)}")
            continue
        if not re.fullmatch(r"[a-z0-9]+_step", o["function"]):
            problems.append(f"{where}: function {o['function']!r} is not named <name>_step")
        if "lr" not in o["hyperparameters"]:
            problems.append(f"{where}: its hyperparameters need lr")
        for entry, (shape, equation) in o["state"].items():
            if shape not in SHAPES or not equation:
                problems.append(f"{where}: state entry {entry!r} needs a shape in {SHAPES} "
                                "and an equation")
        if not o["groups"]:
            problems.append(f"{where}: has no feature group")
        for group, (points, title) in o["groups"].items():
            if not isinstance(points, (int, float)) or points <= 0 or not title:
                problems.append(f"{where}: group {group!r} needs positive points and a title")
        unknown = set(o["benchmark"]) - set(o["hyperparameters"])
        if unknown:
            problems.append(f"{where}: benchmark sets {sorted(unknown)}, not hyperparameters")
    if len(functions(spec)) != len(spec.OPTIMIZERS):
        problems.append("spec.py: two optimizers have the same function")
    clash = set(spec.QUESTIONS) & set(spec.MANUAL) | (set(spec.QUESTIONS) | set(spec.MANUAL)) \
        & set(spec.OPTIMIZERS)
    if clash:
        problems.append(f"spec.py: {sorted(clash)} name two questions")
    for name, q in spec.MANUAL.items():
        if not q.get("answer") or not q.get("title") or not q.get("prompt") \
                or q.get("points", 0) <= 0:
            problems.append(f"spec.py: written question {name!r} needs points, a title, a "
                            "prompt and a model answer")
    for name, q in spec.QUESTIONS.items():
        low, high = q.get("accept", (0, 1))
        if not q.get("answer") or ("rtol" in q) == ("accept" in q) or not low < high:
            problems.append(f"spec.py: question {name!r} needs an answer and either rtol or "
                            "an accept range (low < high)")
    total = sum(p for o in spec.OPTIMIZERS.values() for p, _ in o["groups"].values()) + \
        sum(q["points"] for q in spec.QUESTIONS.values())
    if round(total, 6) != spec.TOTAL:
        problems.append(f"spec.py: the groups' and concept questions' points add up to "
                        f"{total:g}, not TOTAL = {spec.TOTAL:g}")
    for key, value in spec.VISIBILITY.items():
        if key not in ("public_cases", "hidden_cases") or value not in VISIBILITIES:
            problems.append(f"spec.py: VISIBILITY {key!r}: {value!r} is not one of "
                            f"{', '.join(VISIBILITIES)} (keys: public_cases, hidden_cases)")
    return problems


def row_problems(rows: list[tuple], spec: ModuleType = SPEC) -> list[str]:
    """The case rows of ``assignment/cases.py`` against the spec."""
    problems: list[str] = []
    ids: list[str] = []
    seen: dict = {}
    for number, row in enumerate(rows, 1):
        where = f"cases.py: row {number} {row[:3]}"
        if not 5 <= len(row) <= 6:
            problems.append(f"{where}: a row is (optimizer, group, problem, public, config"
                            "[, schedule])")
            continue
        optimizer, group, problem, public, config, *schedule = row
        o = spec.OPTIMIZERS.get(optimizer)
        if o is None:
            problems.append(f"{where}: no optimizer {optimizer!r} in spec.py "
                            f"({', '.join(spec.OPTIMIZERS)})")
            continue
        if group not in o["groups"]:
            problems.append(f"{where}: {optimizer} has no group {group!r} in spec.py "
                            f"({', '.join(o['groups'])})")
        if problem not in PROBLEMS:
            problems.append(f"{where}: no problem {problem!r} ({', '.join(PROBLEMS)})")
        if schedule and schedule[0] not in SCHEDULES:
            problems.append(f"{where}: no schedule {schedule[0]!r}")
        unknown = set(config) - set(o["hyperparameters"])
        if unknown or "lr" not in config:
            problems.append(f"{where}: config {config} must set lr and only "
                            f"{optimizer}'s hyperparameters (not {sorted(unknown)})")
        seen.setdefault((optimizer, group), set()).add(public)
        ids.append(case_id(optimizer, group, problem, config, *schedule))
    for optimizer, o in spec.OPTIMIZERS.items():
        for group in o["groups"]:
            has = seen.get((optimizer, group), set())
            for public, kind in ((True, "public"), (False, "hidden")):
                if public not in has:
                    problems.append(f"cases.py: {optimizer}'s group {group!r} has no {kind} "
                                    "case (each group needs both)")
    for optimizer, o in spec.OPTIMIZERS.items():
        for name, default in o["hyperparameters"].items():
            for public, kind in ((True, "public"), (False, "hidden")):
                if not any(r[0] == optimizer and r[3] == public and (
                        name in r[4] and _literal_of(r[4][name]) != _literal_of(default)
                        or name == "lr" and len(r) > 5) for r in rows if len(r) >= 5):
                    problems.append(f"cases.py: no {kind} case of {optimizer} sets {name} to "
                                    f"other than its default {default!r} (for lr: or a "
                                    "schedule): code that hard-codes it would lose no points")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        problems.append(f"cases.py: these cases appear twice: {twice}")
    return problems


def catalog_problems(catalog: list, models: list, spec: ModuleType = SPEC) -> list[str]:
    """The misconception catalog and the models against the spec."""
    problems, ids = [], [m.id for m in catalog]
    for model in models:
        if model.optimizer not in spec.OPTIMIZERS:
            problems.append(f"models.py: {model.__name__} models {model.optimizer!r}, which "
                            "spec.py does not define: delete it, or add the optimizer")
    for m in catalog:
        where = f"misconceptions.py: {m.id!r}"
        for variant in m.variants:
            if variant.optimizer not in spec.OPTIMIZERS:
                problems.append(f"{where}: a variant of {variant.__name__.split(':')[0]} "
                                f"concerns {variant.optimizer!r}, which spec.py does not define")
        if not m.variants and m.rule_functions != "all" and not set(m.rule_functions) <= set(
                functions(spec)):
            problems.append(f"{where}: functions {m.rule_functions} are not all in spec.py")
        if not m.title or not m.hint.endswith("."):
            problems.append(f"{where}: needs a title and a hint (a sentence ending in '.')")
    if len(set(ids)) != len(ids):
        problems.append(f"misconceptions.py: an id appears twice: "
                        f"{sorted({i for i in ids if ids.count(i) > 1})}")
    return problems


def lab_problems(lab_text: str, spec: ModuleType = SPEC) -> list[str]:
    """The master notebook: one question block per optimizer and question, no other."""
    problems = []
    named = re.findall(r"^# question: (\w+)\s*$", lab_text, re.M)
    for name in [*spec.OPTIMIZERS, *spec.QUESTIONS, *spec.MANUAL]:
        if named.count(name) != 1:
            problems.append(f"lab.py: '# question: {name}' appears {named.count(name)} times "
                            "(once: where its question block goes)")
    for name in set(named) - {*spec.OPTIMIZERS, *spec.QUESTIONS, *spec.MANUAL}:
        problems.append(f"lab.py: '# question: {name}' names nothing in spec.py")
    return problems


def stray_function_problems(texts: dict[str, str],
                            spec: ModuleType = SPEC) -> list[str]:
    """Step functions that ``texts`` ({file: text}) use and no optimizer defines."""
    known = set(functions(spec))
    problems = []
    for where, text in texts.items():
        for name in sorted(set(STEP_FUNCTION.findall(text)) - known):
            line = text[:text.index(name)].count("\n") + 1
            problems.append(f"{where}:{line}: uses {name}, which no optimizer in spec.py "
                            "defines")
    return problems


def answer_key_problems(source: str, spec: ModuleType = SPEC) -> list[str]:
    """Each step function defined at the top level, with the spec's signature:
    ``(param, grad, state, *, <hyperparameters with torch's defaults>)``."""
    tree = ast.parse(source)
    defined = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    problems = []
    for name, o in spec.OPTIMIZERS.items():
        fn = defined.get(o["function"])
        if fn is None:
            problems.append(f"optimizers.py: no top-level def {o['function']} ({name})")
            continue
        args = fn.args
        got = {"positional": [a.arg for a in args.posonlyargs + args.args],
               "keywords": {a.arg: _literal(d) for a, d in zip(args.kwonlyargs,
                                                                args.kw_defaults)}}
        want = {"positional": ["param", "grad", "state"],
                "keywords": {k: _literal_of(v) for k, v in o["hyperparameters"].items()}}
        if got != want:
            problems.append(f"optimizers.py: {o['function']} must be def {o['function']}"
                            f"(param, grad, state, *, "
                            + ", ".join(f"{k}={v!r}" for k, v in o["hyperparameters"].items())
                            + ") as spec.py says")
    return problems


def _literal(node):
    try:
        return _literal_of(ast.literal_eval(node)) if node is not None else "<required>"
    except ValueError:
        return "<not a literal>"


def _literal_of(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value
