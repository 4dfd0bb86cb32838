"""PrairieLearn's external grader: grade ``$PL_GRADE_ROOT/student`` and write
``$PL_GRADE_ROOT/results/results.json`` in PrairieLearn's format (``run.sh``).

Every path derives from ``PL_GRADE_ROOT`` (default ``/grade``), so the whole flow runs in
a temporary folder laid out the same way. Grading is Gradescope's, test for test and word
for word (``safely.grade_safely``); only the format differs: ``score`` in [0, 1],
``points``/``max_points`` per test, ``gradable: false`` (not a zero) when the failure is
the grader's. PrairieLearn shows results at once: where the rubric delays hidden cases'
details (``VISIBILITY`` in ``assignment/spec.py``), their tests show the score only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .safely import GRADED, grade_safely
from .score import load_rubric

MAX_OUTPUT = 200_000        # characters of feedback, so results.json stays far below 1 MB


def root() -> Path:
    return Path(os.environ.get("PL_GRADE_ROOT", "/grade"))


def _clip(text):
    text = text or ""
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + "\n\n(feedback cut)"


def prairielearn_results(data: dict, failed: bool, total: float) -> dict:
    """PrairieLearn's results dict from Gradescope's ``data``; ``failed``: the grader
    itself failed (infrastructure or internal error)."""
    if failed:
        return {"gradable": False, "score": 0.0, "message": _clip(data.get("output")),
                "output": "", "tests": [], "extra_data": data.get("extra_data", {})}
    tests = [{"name": t["name"], "description": ", ".join(t.get("tags", [])[:2]),
              "points": t["score"], "max_points": t["max_score"],
              "message": t["status"],
              "output": "" if t.get("visibility") not in (None, "visible") else
              _clip(t.get("output"))} for t in data.get("tests", [])]
    return {"gradable": True, "score": round(min(max(data["score"] / total, 0.0), 1.0), 6),
            "message": f"{data['score']:g} / {total:g} points",
            "output": _clip(data.get("output")), "tests": tests,
            "extra_data": data.get("extra_data", {})}


def run() -> int:
    """What ``run.sh`` does: grade, then write results.json (always)."""
    from .results import write_atomic

    graded = grade_safely(root() / "student", folder=True, log=sys.stdout)
    failed = graded.code != GRADED
    total = load_rubric()["total"] if not failed else 1
    write_atomic(root() / "results" / "results.json",
                 prairielearn_results(graded.data, failed, total))
    if graded.grading is not None:
        from .report import summary

        print(summary(graded.grading))
    return 0
