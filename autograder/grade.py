"""Grade one submission: read it, run it sandboxed, compare, score (trusted side)."""

import re
import time
from dataclasses import dataclass, field

from . import references
from .cases import select
from .child.problems import PARAM_SHAPES
from .compare import Outcome, compare, entries_of
from .diagnose import Diagnoser, load_variants
from .execute import ANSWERS, run_submission
from .extract import SubmissionError, extract, extract_cells, is_stub
from .report import CASES_SHOWN_PER_GROUP
from .sandbox import TIMEOUT_PER_FUNCTION, Sandbox
from .score import load_answer_key, load_rubric, question_scores, score


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
    seconds: float = 0.0
    sandbox_notes: list = field(default_factory=list)  # for the instructor, not the student
    answers: dict = field(default_factory=dict)        # concept answers as the child saw them

    @property
    def points(self):
        return round(sum(s.points for s in self.scores), 2)

    @property
    def max_points(self):
        return round(sum(s.max_points for s in self.scores), 2)

def plan_for(cases, arrays):
    """{case id: {param: {"shape", "keys"}}}: what the child must record, from the references."""
    plan = {}
    for case in cases:
        expected = references.split(arrays, case.id, "expected")
        plan[case.id] = {p: {"shape": list(shape), "keys": entries_of(expected, p)[1:]}
                         for p, shape in PARAM_SHAPES[case.problem].items()}
    return plan

# Modules the lab notebook itself imports for its own cells, absent while grading by design:
# their imports failing is expected and not worth a warning.
NOTEBOOK_MODULES = ("otter", "matplotlib", "lab_support", "IPython")


def load_warning_text(w, origins):
    """A student-facing sentence for a statement that failed at load, or None."""
    where = origins[w["line"] - 1] if 0 < w.get("line", 0) <= len(origins) else "the submission"
    missing = re.match(r"No module named '(\w+)", w.get("message", ""))
    if w.get("import") and missing and missing.group(1) in NOTEBOOK_MODULES:
        return None
    if w.get("import"):
        return (f"The import at {where} failed in the grading environment "
                f"({w['type']}: {w['message']}); grading went on without it.")
    return f"Loading {where} raised {w['type']}: {w['message']}; grading went on without it."

def graded_unreadable(submission, error, started, public_only=False):
    """The Grading of a submission that could not be read at all: zero, and why."""
    cases, rubric = select(public_only), load_rubric()
    outcomes = {c.id: Outcome(False, error={"kind": "unreadable"}) for c in cases}
    key = {} if public_only else load_answer_key()
    scores = score(cases, outcomes, rubric) + question_scores({}, rubric, key)
    return Grading(str(submission), public_only, cases, outcomes, scores, rubric,
                   warnings=[str(error)], seconds=time.monotonic() - started)


def diagnose_shown(cases, outcomes, runs, arrays, public_only):
    """Diagnose the failing cases a report shows (the first few of each rubric group)."""
    if all(o.passed for o in outcomes.values()):
        return
    shown, diagnoser = {}, Diagnoser(load_variants(public_only))
    for case in cases:
        outcome = outcomes[case.id]
        group = (case.optimizer, case.group)
        if outcome.passed or shown.get(group, 0) >= CASES_SHOWN_PER_GROUP:
            continue
        shown[group] = shown.get(group, 0) + 1
        run = runs.get(case.function)
        outcome.diagnosis = diagnoser.diagnose(
            case, outcome, run.runs[case.id] if run else None,
            references.split(arrays, case.id, "expected"))


def grade(path, public_only=False, timeout=TIMEOUT_PER_FUNCTION, diagnosis=True,
          exclusive=False, functions=None, cells=None, sandbox=None):
    """Grade one submission file (or, with ``cells``, [(label, code)] from a live session).

    ``functions`` limits grading to those step functions (a notebook check).
    ``exclusive``: this is the only grading on the machine (Gradescope), so every process
    of the sandbox user may be killed at the end.
    ``sandbox``: an entered ``Sandbox`` to run in (its child may already be starting);
    without it, one is made with ``timeout`` and ``exclusive``."""
    if sandbox is None:
        with Sandbox(timeout=timeout, exclusive=exclusive) as sandbox:
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
        kept = extract_cells(cells, names) if cells is not None else extract(path, names)
    except SubmissionError as exc:
        return graded_unreadable(path, exc, started, public_only)
    arrays = references.load(public_only)
    keys = plan_for(cases, arrays)
    to_run = {}
    for case in cases:
        fn = kept.functions.get(case.function)
        if fn is None:
            outcomes[case.id] = Outcome(False, error={"kind": "missing-function"})
        elif is_stub(fn):
            outcomes[case.id] = Outcome(False, error={"kind": "not-implemented"})
        else:
            to_run.setdefault(case.function, []).append((case, keys[case.id]))
    runs = run_submission(kept.source, to_run, arrays, sandbox,
                          answers=[n for n in names if n in kept.assigned])
    answers = next((fr.answers for fr in runs.values() if fr.answers), {})
    runs.pop(ANSWERS, None)
    warnings = list(kept.warnings)
    for function, fr in runs.items():
        for w in fr.load_warnings:
            text = load_warning_text(w, kept.origins)
            if text and text not in warnings:
                warnings.append(text)
        for case, _ in to_run[function]:
            expected = references.split(arrays, case.id, "expected")
            outcomes[case.id] = compare(expected, fr.runs[case.id],
                                        list(PARAM_SHAPES[case.problem]), case.steps)
    if diagnosis:
        diagnose_shown(cases, outcomes, runs, arrays, public_only)
    scores = score(cases, outcomes, rubric) + question_scores(answers, rubric, key)
    return Grading(str(path), public_only, cases, outcomes, scores, rubric, warnings,
                   kept.origins, time.monotonic() - started, sandbox.notes, answers)
