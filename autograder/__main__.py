"""The engine's command line, what every copy of it can do: ``python -m autograder
grade|worker|gradescope|prairielearn``. The instructor's tools (references, builds, batch,
reports) are ``python -m toolkit``."""

from __future__ import annotations

import argparse
import os
import sys

# Before NumPy loads: the grader's arrays are tiny, and an OpenBLAS thread pool only costs
# start-up CPU (half of NumPy's import) that parallel gradings need.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import launch  # noqa: E402 - the standard library only


def cmd_grade(args: argparse.Namespace) -> int:
    launch.prepare()         # the zygote, before anything is read
    if args.path == "-":
        from .extract import SUBMISSION_VARIABLE

        args.path = os.environ[SUBMISSION_VARIABLE]
    from .safely import grade_safely

    graded = grade_safely(args.path, args.json, timeout=args.timeout, budget=args.budget,
                          public_only=args.public_only)
    if graded.grading is not None:
        from .report import summary

        print(summary(graded.grading))
    return graded.code


def cmd_worker(args: argparse.Namespace) -> int:
    """Grade submission after submission in one process (batch's worker): each named on a
    line of standard input, ``{"path", "json", "timeout"}`` in JSON; one line back for each,
    ``{"code": N}``. One zygote serves them all; each grading has a sandbox of its own."""
    import json

    launch.prepare()
    import gc

    from . import grade, results  # noqa: F401 - every grading's modules, loaded once
    from .safely import grade_safely

    gc.freeze()     # what lives as long as the worker: its gradings' collections skip it
    replies, sys.stdout = sys.stdout, sys.stderr    # nothing else reaches the reply channel
    for line in sys.stdin:
        job = json.loads(line)
        graded = grade_safely(job["path"], job["json"], timeout=job.get("timeout"),
                              budget=job.get("budget"))
        replies.write(json.dumps({"code": graded.code}) + "\n")
        replies.flush()
    return 0


def cmd_gradescope(args: argparse.Namespace) -> int:
    launch.prepare()
    from .gradescope import run

    return run()


def cmd_prairielearn(args: argparse.Namespace) -> int:
    launch.prepare()
    from .prairielearn import run

    return run()


def main(argv: list[str] | None = None) -> int:
    # A terminal or pipe whose locale cannot encode the reports' dashes and arrows (a C
    # locale, a Windows code page) gets escapes, not a crash.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = argparse.ArgumentParser(prog="python -m autograder")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("grade", help="grade one .ipynb, .py or otter export .zip")
    p.add_argument("path", help="the file, or - for the file $AUTOGRADER_SUBMISSION names")
    p.add_argument("--json", metavar="OUT", help="write Gradescope results.json here")
    p.add_argument("--public-only", action="store_true", help="grade the public cases only")
    p.add_argument("--timeout", type=float,
                   help="wall-clock seconds for all the cases of one function (default 20)")
    p.add_argument("--budget", type=float, help="wall-clock seconds for everything the "
                   "submission runs, results written within it (default 120)")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("worker", help="grade the submissions named on standard input, one "
                       "JSON line each (what batch runs, one process per job)")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("gradescope", help="grade $AUTOGRADER_ROOT/submission (run_autograder)")
    p.set_defaults(func=cmd_gradescope)
    p = sub.add_parser("prairielearn", help="grade $PL_GRADE_ROOT/student (run.sh)")
    p.set_defaults(func=cmd_prairielearn)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    code = main()
    # Every file is written and closed by now: skip the interpreter's teardown of NumPy and
    # the grader's modules (a tenth of a grading's wall time).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
