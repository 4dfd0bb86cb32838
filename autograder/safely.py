"""Grade one submission whatever happens: the one way every entry point grades (the command
line, batch's workers, Gradescope, PrairieLearn). A results file is always written; the
student's mistakes are the report's business, and what is not theirs is said as such:

* the sandbox could not start (``SandboxBroken``): no score at all rather than a zero, a
  message that does not blame the student, the reason for the instructor (exit code 3);
* anything else that fails in the grader: a zero with an apology, the traceback in
  ``extra_data`` for the instructor (exit code 1).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .errors import SandboxBroken

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .grade import Grading

GRADED, GRADER_FAILED, NO_SANDBOX = 0, 1, 3     # exit codes


@dataclass
class Graded:
    code: int          # GRADED, GRADER_FAILED or NO_SANDBOX
    data: dict         # Gradescope's results.json
    grading: Grading | None = None   # when graded


def internal_error_results(started: float, detail: str) -> dict:
    return {
        "score": 0,
        "execution_time": round(time.monotonic() - started, 3),
        "output": "The autograder hit an internal error (not a problem with your code). "
                  "Your instructor can see the details; please let them know.",
        "output_format": "md",
        "extra_data": {"internal_error": detail[-4000:]},
    }


def infrastructure_error_results(started: float, message: str) -> dict:
    return {
        "execution_time": round(time.monotonic() - started, 3),
        "output": "The autograder could not run your code: its sandbox failed to start, a "
                  "problem with the autograder, not with your submission. Nothing was graded "
                  "and no score was given. Your instructor can see why; please let them know.",
        "output_format": "md",
        "tests": [],
        "extra_data": {"infrastructure_error": message},
    }


def grade_safely(target: str | Path, json_out: str | Path | None = None, *,
                 folder: bool = False, timeout: float | None = None,
                 budget: float | None = None, public_only: bool = False,
                 metadata: dict | None = None, log: TextIO = sys.stderr) -> Graded:
    """Grade ``target`` (a submission file, or with ``folder`` the folder a platform put it
    in) and write its results to ``json_out`` if given: a ``Graded``. Never raises.
    ``metadata``: the platform's submission metadata, for the late policy. ``log`` gets
    what the instructor should see when the grader fails."""
    from .sandbox import TIMEOUT_PER_FUNCTION, TIMEOUT_PER_SUBMISSION, Sandbox

    started = time.monotonic()
    try:
        # The sandbox starts its child first, so the child's start-up overlaps the imports.
        with Sandbox(timeout=timeout or TIMEOUT_PER_FUNCTION,
                     budget=budget or TIMEOUT_PER_SUBMISSION) as sandbox:
            from .extract import SubmissionError
            from .grade import grade, graded_unreadable

            try:
                path = find_submission(target) if folder else target
            except SubmissionError as exc:
                grading = graded_unreadable(str(target), exc, started)
            else:
                grading = grade(path, public_only=public_only, sandbox=sandbox)
        grading.children_peak = sandbox.peak     # measured as the sandbox closed
        from .results import results

        data = results(grading)
        if folder:
            data["extra_data"]["submission_file"] = str(grading.submission)
        if metadata is not None:
            from . import late

            data["extra_data"]["submission_id"] = metadata.get("id")
            late.apply_to_results(data, metadata, grading.rubric.get("late_policy", {}))
        outcome = Graded(GRADED, data, grading)
    except SandboxBroken as exc:  # the machine's fault, not the submission's: no grade
        print(exc, file=log)
        outcome = Graded(NO_SANDBOX, infrastructure_error_results(started, str(exc)))
    except Exception:  # noqa: BLE001 - the grader's own failure: say so, still write results
        import traceback

        detail = traceback.format_exc()
        print(detail, file=log)
        outcome = Graded(GRADER_FAILED, internal_error_results(started, detail))
    if json_out:
        from .results import write_atomic

        write_atomic(json_out, outcome.data)
    return outcome


def find_submission(folder: str | Path) -> Path:
    """The file to grade in a platform's submission folder: a notebook, else a zip, else .py."""
    from .extract import SUFFIXES, SubmissionError

    candidates = [p for p in Path(folder).rglob("*")
                  if p.is_file() and p.suffix in SUFFIXES + (".zip",)
                  and not any(part.startswith((".", "__MACOSX")) for part in
                              p.relative_to(folder).parts)]
    if not candidates:
        raise SubmissionError("No .ipynb, .py or .zip file was found in your submission: upload "
                              "the lab notebook (or the zip that grader.export() makes).")
    rank = {".ipynb": 0, ".zip": 1, ".py": 2}
    return sorted(candidates, key=lambda p: (rank[p.suffix], len(p.parts), p.name))[0]
