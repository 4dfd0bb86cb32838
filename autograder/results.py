"""Gradescope's ``results.json`` from a grading, written atomically (trusted side)."""

import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

from .report import group_text, section_title, summary


def _finite(x):
    return x if x is None or np.isfinite(x) else str(x)


def misconceptions_of(grading, cases):
    """{misconception id: number of the given cases it was named in}."""
    counts = {}
    for case in cases:
        diagnosis = grading.outcomes[case.id].diagnosis
        for mid in diagnosis.ids if diagnosis else ():
            counts[mid] = counts.get(mid, 0) + 1
    return counts


def results(grading):
    """The results dict: one test per rubric group, Markdown feedback, tags (optimizer,
    feature group, misconception ids), extra data."""
    tests = []
    numbering = {}
    for gs in grading.scores:
        mine = [c for c in grading.cases if (c.optimizer, c.group) == (gs.optimizer, gs.group)]
        named = misconceptions_of(grading, mine)
        major = numbering.setdefault(gs.optimizer, len(numbering) + 1)
        minor = sum(1 for t in tests if t["tags"][0] == gs.optimizer) + 1
        tests.append({
            "name": f"{section_title(grading.rubric, gs.optimizer)}: {gs.title}",
            "number": f"{major}.{minor}",
            "score": gs.points,
            "max_score": gs.max_points,
            "status": "passed" if gs.passed == gs.total else "failed",
            "output": group_text(grading, gs),
            "output_format": "md",
            "tags": [gs.optimizer, gs.group, *sorted(named)],
            "visibility": "visible",
            "extra_data": {"cases_passed": gs.passed, "cases": gs.total,
                           "misconceptions": named},
        })
    failing = {cid: {"step": o.step, "param": o.param,
                     "entries": [d.entry for d in o.diffs],
                     "error": (o.error or {}).get("kind"),
                     "max_abs": _finite(max((d.max_abs for d in o.diffs), default=None)),
                     "max_rel": _finite(max((d.max_rel for d in o.diffs), default=None)),
                     "misconceptions": o.diagnosis.ids if o.diagnosis else []}
               for cid, o in grading.outcomes.items() if not o.passed}
    return {
        "score": grading.points,
        "execution_time": round(grading.seconds, 3),
        "output": summary(grading),
        "output_format": "md",
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "public_only": grading.public_only,
            "cases": len(grading.outcomes),
            "cases_passed": sum(o.passed for o in grading.outcomes.values()),
            "failing_cases": failing,
            "misconceptions": misconceptions_of(grading, grading.cases),
            "sandbox_notes": grading.sandbox_notes,
            "versions": {"python": platform.python_version(), "numpy": np.__version__},
        },
    }


def write_atomic(path, data):
    """Write JSON to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, allow_nan=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
