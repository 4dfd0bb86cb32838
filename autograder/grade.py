"""Grade one submission: read it, run it sandboxed, compare, score (trusted side)."""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import references
from .cases import select
from .child.problems import PARAM_SHAPES
from .compare import Outcome, compare
from .diagnose import Diagnoser, load_variants
from .errors import Kind
from .execute import plan_for, run_submission
from .extract import SubmissionError, extract, extract_cells, is_stub
from .report import failing_shown
from .sandbox import TIMEOUT_PER_FUNCTION, Sandbox
from .score import load_answer_key, load_rubric, question_scores, score
from .untrusted import code

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .cases import Case
    from .execute import Run


@dataclass
class Grading:
    submission: str
    public_only: bool
    cases: list
    outcomes: dict                 # case id -> Outcome
    scores: list                   # [GroupScore]
    rubric: dict
    warnings: list = field(default_factory=list)
    origins: list = field(default_factory=list)
    lines: list = field(default_factory=list)       # the kept source, line by line
    seconds: float = 0.0
    sandbox_notes: list = field(default_factory=list)  # for the instructor, not the student
    sandbox_users: list = field(default_factory=list)   # the users children ran as, if any
    answers: dict = field(default_factory=dict)        # concept answers as the child saw them
    children_peak: int | None = None   # bytes: every child of the grading together (its cgroup)

    @property
    def points(self) -> float:
        return round(sum(s.points for s in self.scores), 2)

    @property
    def max_points(self) -> float:
        return round(sum(s.max_points for s in self.scores), 2)

# Modules the lab notebook itself imports for its own cells, absent while grading by design:
# their imports failing is expected and not worth a warning.
NOTEBOOK_MODULES = ("otter", "matplotlib", "lab_support", "IPython")


def load_warning_text(w: dict, origins: list[str]) -> str | None:
    """A student-facing sentence for a statement that failed at load, or None."""
    where = origins[w["line"] - 1] if 0 < w.get("line", 0) <= len(origins) else "the submission"
    missing = re.match(r"No module named '(\w+)", w.get("message", ""))
    if w.get("import") and missing and missing.group(1) in NOTEBOOK_MODULES:
        return None
    if w.get("import"):
        return (f"The import at {where} failed in the grading environment "
                f"(`{w['type']}`: {code(w['message'])}); grading went on without it.")
    return (f"Loading {where} raised `{w['type']}`: {code(w['message'])}; grading went on "
            "without it.")

def answers_as_graded(cells: list[tuple[str, str]], names: Iterable[str],
                      sandbox: Sandbox) -> tuple[dict, list[str]]:
    """The concept answers among ``names`` as grading records them from ``cells`` ([(label,
    code)]): the same extraction and the same load in a child. ({name: value}, [a sentence
    for each statement that failed to load]); a name missing from the first was dropped."""
    kept = extract_cells(cells, list(names), set())
    asked = [n for n in names if n in kept.assigned]
    if not asked:
        return {}, []
    _, loaded = run_submission(kept.source, {}, {}, sandbox, answers=asked)
    texts = (load_warning_text(w, kept.origins) for w in loaded.warnings)
    return loaded.answers, [t for t in texts if t]


def graded_unreadable(submission: str | Path, error: Exception, started: float,
                      public_only: bool = False) -> Grading:
    """The Grading of a submission that could not be read at all: zero, and why."""
    cases, rubric = select(public_only), load_rubric()
    outcomes = {c.id: Outcome(False, error={"kind": Kind.UNREADABLE.value}) for c in cases}
    key = {} if public_only else load_answer_key()
    scores = score(cases, outcomes, rubric) + question_scores({}, rubric, key)
    return Grading(str(submission), public_only, cases, outcomes, scores, rubric,
                   warnings=[str(error)], seconds=time.monotonic() - started)


def imported_but_missing(source: str,
                         warnings: list[dict]) -> tuple[dict[str, str | None], str | None]:
    """({name: module} for each name the kept code imports from a module that grading does
    not have, by the load's own warnings; the module of a ``from ... import *`` of one, or
    None)."""
    missing = set()
    for w in warnings:
        found = re.match(r"No module named '([\w.]+)'", w.get("message", ""))
        if w.get("import") and found:
            missing.add(found.group(1).split(".")[0])
    names: dict[str, str | None] = {}
    for node in ast.parse(source).body if missing else ():   # (the kept code parses)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in missing:
            for alias in node.names:
                names.setdefault(alias.asname or alias.name, node.module)
    return {n: m for n, m in names.items() if n != "*"}, names.get("*")


def rebinds_state(functions: dict[str, ast.FunctionDef]) -> bool:
    """Whether a function of the submission assigns to its own ``state`` parameter
    (``state = {...}``): the evidence that a state left empty was rebound, not unused."""
    for fn in functions.values():
        args = fn.args
        if "state" in {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} and any(
                isinstance(n, ast.Name) and n.id == "state" and isinstance(n.ctx, ast.Store)
                for n in ast.walk(fn)):
            return True
    return False


def diagnose_shown(cases: list[Case], outcomes: dict[str, Outcome], runs: dict[str, Run],
                   public_only: bool) -> None:
    """Diagnose the failing cases the report details, one function at a time: where one
    misconception reproduces every diagnosed case of a function, another that reproduces
    only some of them (a smaller effect within the tolerance there) is not named."""
    shown = failing_shown(cases, outcomes)
    if shown:
        diagnoser = Diagnoser(*load_variants(public_only))
        for case in shown:
            outcomes[case.id].diagnosis = diagnoser.diagnose(case, outcomes[case.id],
                                                             runs.get(case.id))
        for function in dict.fromkeys(c.function for c in shown):
            named = [d for c in shown if c.function == function
                     and (d := outcomes[c.id].diagnosis) is not None and d.exact]
            every = set.intersection(*(set(d.ids) for d in named)) if named else set()
            for d in named if every else ():
                d.ids = sorted(every)
                d.details = {mid: labels for mid, labels in d.details.items() if mid in every}


def grade(path: str | Path, public_only: bool = False,
          timeout: float = TIMEOUT_PER_FUNCTION, diagnosis: bool = True,
          functions: Iterable[str] | None = None, cells: list[tuple[str, str]] | None = None,
          sandbox: Sandbox | None = None) -> Grading:
    """Grade one submission file (or, with ``cells``, [(label, code)] from a live session).

    ``functions`` limits grading to those step functions (a notebook check).
    ``sandbox``: an entered ``Sandbox`` to run in (its child may already be starting);
    without it, one is made with ``timeout``."""
    if sandbox is None:
        with Sandbox(timeout=timeout) as sandbox:
            return grade(path, public_only, diagnosis=diagnosis, functions=functions,
                         cells=cells, sandbox=sandbox)
    started = time.monotonic()
    cases = [c for c in select(public_only) if functions is None or c.function in functions]
    rubric = load_rubric()
    # Concept answers are graded with the full grading only (students do not have the key).
    key = {} if public_only or functions else load_answer_key()
    names = [n for n in rubric.get("questions", {}) if n in key]
    outcomes = {}
    try:
        graded = {case.function for case in cases}
        kept = extract_cells(cells, names, graded) if cells is not None else \
            extract(path, names, graded)
    except SubmissionError as exc:
        return graded_unreadable(path, exc, started, public_only)
    arrays = references.load(public_only)
    expected = {case.id: references.split(arrays, case.id, "expected") for case in cases}
    keys = plan_for(cases, expected)
    to_run: dict[str, list] = {}
    for case in cases:
        fn = kept.functions.get(case.function)
        if fn is None:
            outcomes[case.id] = Outcome(False, error={"kind": Kind.MISSING_FUNCTION.value})
        elif is_stub(fn):
            outcomes[case.id] = Outcome(False, error={"kind": Kind.NOT_IMPLEMENTED.value})
        else:
            to_run.setdefault(case.function, []).append((case, keys[case.id]))
    # A graded function missing where the code imports something: load it all the same,
    # so an import of a module grading does not have can be named as the reason.
    load = any(Kind.of(o.error) is Kind.MISSING_FUNCTION for o in outcomes.values()) and any(
        isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.parse(kept.source).body)
    runs, loaded = run_submission(kept.source, to_run, arrays, sandbox,
                                  answers=[n for n in names if n in kept.assigned], load=load)
    warnings = kept.warnings + [text for text in (load_warning_text(w, kept.origins)
                                                  for w in loaded.warnings) if text]
    failed_lines = {w.get("line") for w in loaded.warnings}
    imported = imported_but_missing(kept.source, loaded.warnings)
    for case in cases:
        error = outcomes[case.id].error if case.id in outcomes else None
        module = imported[0].get(case.function) or imported[1]
        if error and Kind.of(error) is Kind.MISSING_FUNCTION and module:
            error["imported_from"] = module
        if case.id in runs:
            error = runs[case.id].error or {}
            if Kind.of(error) is Kind.MISSING_STATE_KEY:
                error["state_rebound"] = rebinds_state(kept.functions)
            if Kind.of(error) is Kind.MISSING_FUNCTION and case.function in kept.functions:
                # defined, but its definition failed to load or a later statement rebinds it
                line = kept.functions[case.function].lineno
                error["defined_at"] = kept.origins[line - 1]
                error["load_failed"] = line in failed_lines
            outcomes[case.id] = compare(expected[case.id], runs[case.id],
                                        list(PARAM_SHAPES[case.problem]), case.steps)
    if diagnosis:
        diagnose_shown(cases, outcomes, runs, public_only)
    scores = score(cases, outcomes, rubric) + question_scores(loaded.answers, rubric, key)
    return Grading(str(path), public_only, cases, outcomes, scores, rubric, warnings,
                   origins=kept.origins, lines=kept.source.splitlines(),
                   seconds=time.monotonic() - started, sandbox_notes=sandbox.notes,
                   sandbox_users=sandbox.users,
                   answers=loaded.answers)
