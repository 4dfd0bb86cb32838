"""Command line: ``python -m autograder grade|references|gradescope|build-zip|prairielearn|
build-prairielearn|batch|report``."""

import argparse
import os
import sys

# Before NumPy loads: the grader's arrays are tiny, and an OpenBLAS thread pool only costs
# start-up CPU (half of NumPy's import) that parallel gradings need.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import launch  # noqa: E402 - the standard library only


def grade_to(path, json_out=None, timeout=None, budget=None, public_only=False):
    """Grade one submission and write its results (when ``json_out``), whatever happens:
    (exit code: 0 graded, 1 the grader's own failure, 3 no sandbox; the Grading or None)."""
    import time
    import traceback

    from .sandbox import TIMEOUT_PER_FUNCTION, TIMEOUT_PER_SUBMISSION, Sandbox, SandboxBroken

    started = time.monotonic()
    try:
        # The sandbox starts its child first, so the child's start-up overlaps our imports.
        with Sandbox(timeout=timeout or TIMEOUT_PER_FUNCTION,
                     budget=budget or TIMEOUT_PER_SUBMISSION) as sandbox:
            from .grade import grade

            grading = grade(path, public_only=public_only, sandbox=sandbox)
        grading.children_peak = sandbox.peak     # measured as the sandbox closed
    except SandboxBroken as exc:  # the machine's fault, not the submission's: no grade
        from .gradescope import infrastructure_error_results
        from .results import write_atomic

        print(exc, file=sys.stderr)
        if json_out:
            write_atomic(json_out, infrastructure_error_results(started, str(exc)))
        return 3, None
    except Exception:  # noqa: BLE001 - the grader's own failure: say so, still write results
        from .gradescope import internal_error_results
        from .results import write_atomic

        detail = traceback.format_exc()
        print(detail, file=sys.stderr)
        if json_out:
            write_atomic(json_out, internal_error_results(started, detail))
        return 1, None
    from .results import results, write_atomic

    if json_out:            # first: the results file does not depend on the terminal
        write_atomic(json_out, results(grading))
    return 0, grading


def cmd_grade(args):
    launch.prepare()         # the zygote, before anything is read
    if args.path == "-":
        from .extract import SUBMISSION_VARIABLE

        args.path = os.environ[SUBMISSION_VARIABLE]
    code, grading = grade_to(args.path, args.json, args.timeout, args.budget, args.public_only)
    if grading is not None:
        from .report import summary

        print(summary(grading))
    return code


def cmd_worker(args):
    """Grade submission after submission in one process (batch's worker): each named on a
    line of standard input, ``{"path", "json", "timeout"}`` in JSON; one line back for each,
    ``{"code": N}``. One zygote serves them all; each grading has a sandbox of its own."""
    import json

    launch.prepare()
    replies, sys.stdout = sys.stdout, sys.stderr    # nothing else reaches the reply channel
    for line in sys.stdin:
        job = json.loads(line)
        code, _ = grade_to(job["path"], job["json"], job.get("timeout"), job.get("budget"))
        replies.write(json.dumps({"code": code}) + "\n")
        replies.flush()
    return 0


def cmd_references(args):
    from .instructor import generate, variants

    if args.check and args.second_kernel_path:
        import subprocess

        path = generate.second_kernel_path()
        print("on a second kernel path: " + ", ".join(f"{k}={v}" for k, v in path.items()))
        return subprocess.run([sys.executable, "-m", "autograder", "references", "--check"],
                              env={**os.environ, **path}).returncode
    if args.if_stale and not args.new_hidden_seeds and generate.up_to_date():
        print("references and variant trajectories: up to date with their sources")
        return 0
    try:
        if args.check:
            reproduction = generate.Reproduction(exact=generate.exact_by_default())
            variants.check_variants(generate.check(reproduction))
        else:
            written = generate.write(rotate=args.new_hidden_seeds)
    except variants.Refused as exc:
        print(f"Nothing was stored. Fix these, then run make build again:\n{exc}",
              file=sys.stderr)
        return 1
    if args.check:
        for problem in reproduction.problems[:50]:
            print(problem)
        verdict = "reproduced" if reproduction.ok else "DIFFER from a fresh torch run"
        print(f"references and variant trajectories {verdict}: {reproduction.summary()}")
        return 0 if reproduction.ok else 1
    for name, count in written.items():
        print(f"wrote autograder/data/{name}: {count} arrays")
    return 0


def cmd_gradescope(args):
    launch.prepare()
    from .gradescope import run

    return run()


def cmd_build_zip(args):
    from .instructor.deliverables import build_zip

    out, count = build_zip(args.out)
    print(f"wrote {out} ({count} files, {out.stat().st_size / 1024:.0f} KiB)")
    return 0


def cmd_prairielearn(args):
    launch.prepare()
    from .prairielearn import run

    return run()


def cmd_build_prairielearn(args):
    from .instructor.deliverables import build_folder, prairielearn_folder

    out, count = build_folder(args.out, prairielearn_folder())
    print(f"wrote {out}/ ({count} files): copy it to serverFilesCourse/optimizers_lab/")
    return 0


def cmd_batch(args):
    from .instructor.batch import run
    from .sandbox import SandboxBroken

    try:
        rows = run(args.source, args.out, jobs=args.jobs, regrade=args.regrade,
                   timeout=args.timeout, roster=args.canvas_roster, similar=args.similarity)
    except SandboxBroken as exc:
        print(f"Nothing was graded. {exc}", file=sys.stderr)
        return 3
    print(f"graded {len(rows)} submissions: {args.out}/grades.csv, feedback/, results/, "
          "report.html, report.md, written/ (one page per written question)")
    return 0


def cmd_report(args):
    from .instructor.class_report import write_report

    s = write_report(args.out)
    print(f"wrote {args.out}/report.html and report.md ({s['n']} submissions)")
    return 0


def main(argv=None):
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
    p = sub.add_parser("references", help="generate golden trajectories with torch.optim, "
                       "and the known-buggy variants' trajectories")
    p.add_argument("--check", action="store_true",
                   help="regenerate in memory and compare with the stored ones")
    p.add_argument("--if-stale", action="store_true",
                   help="only if the sources changed since the stored ones were made")
    p.add_argument("--new-hidden-seeds", action="store_true",
                   help="draw fresh random seeds for every hidden case (new hidden inputs)")
    p.add_argument("--second-kernel-path", action="store_true",
                   help="with --check: in a process whose NumPy, OpenBLAS, C library and torch "
                   "take other kernels than they would here")
    p.set_defaults(func=cmd_references)
    p = sub.add_parser("gradescope", help="grade $AUTOGRADER_ROOT/submission (run_autograder)")
    p.set_defaults(func=cmd_gradescope)
    p = sub.add_parser("build-zip", help="build the Gradescope autograder zip")
    p.add_argument("--out", default="build/autograder.zip")
    p.set_defaults(func=cmd_build_zip)
    p = sub.add_parser("prairielearn", help="grade $PL_GRADE_ROOT/student (run.sh)")
    p.set_defaults(func=cmd_prairielearn)
    p = sub.add_parser("build-prairielearn", help="build the PrairieLearn grader folder")
    p.add_argument("--out", default="build/prairielearn")
    p.set_defaults(func=cmd_build_prairielearn)
    p = sub.add_parser("batch", help="grade a folder (or Gradescope export) of submissions")
    p.add_argument("source")
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--regrade", action="store_true", help="grade again what is already "
                   "graded, keeping the previous grade book under history/ and writing what "
                   "changed to regrade-<time>.md")
    p.add_argument("--similarity", action="store_true", help="also compare every pair of "
                   "submissions' code: similarity.md and similarity.html (copydetect)")
    p.add_argument("--canvas-roster", metavar="CSV", help="a Canvas gradebook export: also "
                   "write canvas.csv to import, students matched by email or student id")
    p.add_argument("--timeout", type=float, help="seconds per function (default 20)")
    p.set_defaults(func=cmd_batch)
    p = sub.add_parser("report", help="(re)write the class report of a batch output folder")
    p.add_argument("out")
    p.set_defaults(func=cmd_report)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    code = main()
    # Every file is written and closed by now: skip the interpreter's teardown of NumPy and
    # the grader's modules (a tenth of a grading's wall time).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
