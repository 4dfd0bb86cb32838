"""Gradescope: grade the submission in ``$AUTOGRADER_ROOT`` (``run_autograder``).

Every path derives from one environment variable, ``AUTOGRADER_ROOT`` (default
``/autograder``), so the whole flow runs in a temporary folder laid out the same
way. ``results.json`` is written last, atomically, and always: an internal
error yields a valid file with a message for the student and the traceback in
``extra_data`` for the instructor.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .safely import grade_safely


def root() -> Path:
    return Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))


def run() -> int:
    """What ``run_autograder`` does: grade, then write results.json (always)."""
    metadata_path = root() / "submission_metadata.json"
    try:
        metadata = json.loads(metadata_path.read_text()) if metadata_path.exists() else {}
    except (OSError, ValueError):
        metadata = {}
    graded = grade_safely(root() / "submission", root() / "results" / "results.json",
                          folder=True, metadata=metadata, log=sys.stdout)
    if graded.grading is not None:
        from .report import summary

        print(summary(graded.grading))
    return 0
