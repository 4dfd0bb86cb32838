"""Gradescope's ``results.json`` from a grading, written atomically (trusted side)."""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .report import group_text, hidden_visibility, section_title, split_part, summary
from .score import QUESTIONS

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .cases import Case
    from .grade import Grading


def _finite(x):
    return x if x is None or np.isfinite(x) else str(x)


def misconceptions_of(grading: Grading, cases: list[Case]) -> dict[str, int]:
    """{misconception id: number of the given cases it was named in}."""
    counts: dict[str, int] = {}
    for case in cases:
        diagnosis = grading.outcomes[case.id].diagnosis
        for mid in diagnosis.ids if diagnosis else ():
            counts[mid] = counts.get(mid, 0) + 1
    return counts


def _test(grading, gs, number, public=None):
    """One Gradescope test: a concept question, or one visibility's cases of a group."""
    mine = [c for c in grading.cases if (c.optimizer, c.group) == (gs.optimizer, gs.group)
            and public in (None, c.public)]
    named = misconceptions_of(grading, mine)
    policy = grading.rubric.get("visibility", {})
    which = {None: "", True: " (public cases)", False: " (hidden cases)"}[public]
    return {
        "name": f"{section_title(grading.rubric, gs.optimizer)}: {gs.title}{which}",
        "number": number,
        "score": gs.points,
        "max_score": round(gs.max_points, 2),
        "status": "passed" if gs.passed == gs.total else "failed",
        "output": group_text(grading, gs, public),
        "output_format": "md",
        "tags": [gs.optimizer, gs.group, *sorted(named)],
        "visibility": hidden_visibility(grading.rubric) if public is False
        else policy.get("public_cases", "visible"),
        "extra_data": {"cases_passed": gs.passed, "cases": gs.total, "misconceptions": named},
    }


def results(grading: Grading) -> dict:
    """The results dict: per rubric group one test for its public cases (visible) and one
    for its hidden cases (shown as the rubric's visibility policy says), one per concept
    question; Markdown feedback, tags (optimizer, feature group, misconception ids), extra
    data. The top-level output, always visible, details public cases only."""
    tests: list[dict] = []
    numbering: dict[str, int] = {}
    for gs in grading.scores:
        major = numbering.setdefault(gs.optimizer, len(numbering) + 1)
        minor = sum(1 for t in tests if t["tags"][0] == gs.optimizer) + 1
        if gs.optimizer == QUESTIONS:
            tests.append(_test(grading, gs, f"{major}.{minor}"))
            continue
        for public in (True, False):
            part = split_part(grading, gs, public)
            if part.total:
                tests.append(_test(grading, part, f"{major}.{minor}", public))
                minor += 1
    failing = {cid: {"step": o.step, "param": o.param,
                     "entries": [d.entry for d in o.diffs],
                     "error": (o.error or {}).get("kind"),
                     "max_abs": _finite(max((d.abs_error for d in o.diffs), default=None)),
                     "max_rel": _finite(max((d.rel_error for d in o.diffs), default=None)),
                     "misconceptions": o.diagnosis.ids if o.diagnosis else []}
               for cid, o in grading.outcomes.items() if not o.passed}
    return {
        "score": grading.points,
        "execution_time": round(grading.seconds, 3),
        "output": summary(grading, hidden_details=False),
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
            "sandbox_users": grading.sandbox_users,
            "children_peak_memory_mb": None if grading.children_peak is None
            else round(grading.children_peak / 2**20, 1),
            "versions": {"python": platform.python_version(), "numpy": np.__version__},
        },
    }


def json_safe(value: object) -> object:
    """``value`` with every non-finite float made a string: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_atomic(path: str | Path, data: dict) -> None:
    """Write JSON to ``path`` (readable by its owner only) via a temporary file in the same
    folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            # one compact string: the C encoder (`python -m json.tool` shows it indented)
            f.write(json.dumps(json_safe(data), separators=(",", ":"), allow_nan=False))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
