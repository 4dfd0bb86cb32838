"""Gradescope: grade the submission in ``$AUTOGRADER_ROOT`` (``run_autograder``).

Every path derives from one environment variable, ``AUTOGRADER_ROOT`` (default
``/autograder``), so the whole flow runs in a temporary folder laid out the same
way. ``results.json`` is written last, atomically, and always: an internal
error yields a valid file with a message for the student and the traceback in
``extra_data`` for the instructor.
"""

import json
import os
import time
import traceback
from pathlib import Path

from . import late
from .extract import SUFFIXES, SubmissionError
from .sandbox import Sandbox, SandboxBroken


def root():
    return Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))


def find_submission(folder):
    """The file to grade in Gradescope's submission folder: a notebook, else a zip, else .py."""
    candidates = [p for p in Path(folder).rglob("*")
                  if p.is_file() and p.suffix in SUFFIXES + (".zip",)
                  and not any(part.startswith((".", "__MACOSX")) for part in
                              p.relative_to(folder).parts)]
    if not candidates:
        raise SubmissionError("No .ipynb, .py or .zip file was found in your submission: upload "
                              "the lab notebook (or the zip that grader.export() makes).")
    rank = {".ipynb": 0, ".zip": 1, ".py": 2}
    return sorted(candidates, key=lambda p: (rank[p.suffix], len(p.parts), p.name))[0]


def internal_error_results(started, detail):
    return {
        "score": 0,
        "execution_time": round(time.monotonic() - started, 3),
        "output": "The autograder hit an internal error (not a problem with your code). "
                  "Your instructor can see the details; please let them know.",
        "output_format": "md",
        "extra_data": {"internal_error": detail[-4000:]},
    }


def infrastructure_error_results(started, message):
    """The grader could not run any student code (its sandbox did not start): no score at
    all rather than a zero, a message that does not blame the student, and the reason for
    the instructor."""
    return {
        "execution_time": round(time.monotonic() - started, 3),
        "output": "The autograder could not run your code: its sandbox failed to start, a "
                  "problem with the autograder, not with your submission. Nothing was graded "
                  "and no score was given. Your instructor can see why; please let them know.",
        "output_format": "md",
        "tests": [],
        "extra_data": {"infrastructure_error": message},
    }


def grade_folder(folder, started, metadata=None):
    """Grade the submission in ``folder`` in a sandbox: (Gradescope's results dict, whether
    the grader itself failed). Never raises: a sandbox that cannot start gives an
    infrastructure error (no score), any other failure an internal error."""
    try:
        # Opened first, so the child's start-up overlaps the imports below.
        with Sandbox() as sandbox:
            from .grade import grade, graded_unreadable
            from .report import summary
            from .results import results

            try:
                path = find_submission(folder)
            except SubmissionError as exc:
                grading = graded_unreadable(str(folder), exc, started)
            else:
                grading = grade(path, sandbox=sandbox)
        grading.children_peak = sandbox.peak     # measured as the sandbox closed
        data = results(grading)
        data["extra_data"]["submission_file"] = str(grading.submission)
        if metadata is not None:
            data["extra_data"]["submission_id"] = metadata.get("id")
            late.apply_to_results(data, metadata, grading.rubric.get("late_policy", {}))
        print(summary(grading))
        return data, False
    except SandboxBroken as exc:
        print(exc)
        return infrastructure_error_results(started, str(exc)), True
    except Exception:  # noqa: BLE001 - whatever happens, a valid results file
        detail = traceback.format_exc()
        print(detail)
        return internal_error_results(started, detail), True


def run():
    """What ``run_autograder`` does: grade, then write results.json (always)."""
    from .results import write_atomic

    started = time.monotonic()
    metadata_path = root() / "submission_metadata.json"
    try:
        metadata = json.loads(metadata_path.read_text()) if metadata_path.exists() else {}
    except (OSError, ValueError):
        metadata = {}
    data, _ = grade_folder(root() / "submission", started, metadata)
    write_atomic(root() / "results" / "results.json", data)
    return 0
