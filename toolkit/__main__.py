"""The instructor's command line: ``python -m toolkit build|references|batch|merge|report|
build-zip|build-prairielearn``. (Grading one submission is the engine's: ``python -m
autograder``.)"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


def cmd_build(args: argparse.Namespace) -> int:
    from .build import main

    return main(["--check"] if args.check else [])


def cmd_references(args: argparse.Namespace) -> int:
    from . import generate, variants

    if args.check and args.second_kernel_path:
        path = generate.second_kernel_path()
        print("on a second kernel path: " + ", ".join(f"{k}={v}" for k, v in path.items()))
        return subprocess.run([sys.executable, "-m", "toolkit", "references", "--check"],
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


def cmd_build_zip(args: argparse.Namespace) -> int:
    from .deliverables import build_zip

    out, count = build_zip(args.out)
    print(f"wrote {out} ({count} files, {out.stat().st_size / 1024:.0f} KiB)")
    return 0


def cmd_build_prairielearn(args: argparse.Namespace) -> int:
    from .deliverables import build_folder, prairielearn_folder

    out, count = build_folder(args.out, prairielearn_folder())
    print(f"wrote {out}/ ({count} files): copy it to serverFilesCourse/optimizers_lab/")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from autograder import launch

    launch.prepare()    # a zygote for the sandbox's check, before anything is read
    from autograder.errors import SandboxBroken

    from .batch import run
    from .shards import ShardError, from_environment, parse

    try:
        shard = parse(args.shard) if args.shard else None
        if shard is None:
            found = from_environment(os.environ, args.shards)
            if found:
                index, count, where = found
                print(f"shard {index} of {count}, from {where}", file=sys.stderr)
                shard = (index, count)
        elif args.shards and args.shards != shard[1]:
            raise ShardError(f"--shard {args.shard} and --shards {args.shards} disagree")
        rows = run(args.source, args.out, jobs=args.jobs, regrade=args.regrade,
                   timeout=args.timeout, roster=args.canvas_roster, similar=args.similarity,
                   shard=shard)
    except SandboxBroken as exc:
        print(f"Nothing was graded. {exc}", file=sys.stderr)
        return 3
    except ShardError as exc:
        print(exc, file=sys.stderr)
        return 2
    if shard:
        print(f"graded shard {shard[0]} of {shard[1]} into {args.out}/shard-{shard[0]}-of-"
              f"{shard[1]}/: merge the set with python -m toolkit merge")
        return 0
    print(f"graded {len(rows)} submissions: {args.out}/grades.csv, feedback/, results/, "
          "report.html, report.md, timings.csv, written/ (one page per written question)")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from .batch import merge
    from .shards import ShardError

    try:
        rows = merge(args.shards, args.out, roster=args.canvas_roster, similar=args.similarity)
    except ShardError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"merged {len(args.shards)} shards, {len(rows)} submissions: {args.out}/grades.csv, "
          "feedback/, results/, report.html, report.md, timings.csv, written/")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .class_report import write_report

    s = write_report(args.out)
    print(f"wrote {args.out}/report.html and report.md ({s['n']} submissions)")
    return 0


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):     # a C locale gets escapes, not a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = argparse.ArgumentParser(prog="python -m toolkit")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="check the sources in assignment/, then make every "
                       "output from them (make build)")
    p.add_argument("--check", action="store_true", help="exit 1 if a source is "
                   "inconsistent or an output is out of date or stray; write nothing")
    p.set_defaults(func=cmd_build)
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
    p = sub.add_parser("build-zip", help="build the Gradescope autograder zip")
    p.add_argument("--out", default="build/autograder.zip")
    p.set_defaults(func=cmd_build_zip)
    p = sub.add_parser("build-prairielearn", help="build the PrairieLearn grader folder")
    p.add_argument("--out", default="build/prairielearn")
    p.set_defaults(func=cmd_build_prairielearn)
    p = sub.add_parser("batch", help="grade a folder (or Gradescope export) of submissions")
    p.add_argument("source")
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=int, help="worker processes (default: one per core this "
                   "process may run on)")
    p.add_argument("--regrade", action="store_true", help="grade again what is already "
                   "graded, keeping the previous grade book under history/ and writing what "
                   "changed to regrade-<time>.md")
    p.add_argument("--similarity", action="store_true", help="also compare every pair of "
                   "submissions' code: similarity.md and similarity.html (copydetect)")
    p.add_argument("--canvas-roster", metavar="CSV", help="a Canvas gradebook export: also "
                   "write canvas.csv to import, students matched by email or student id")
    p.add_argument("--timeout", type=float, help="seconds per function (default 20)")
    p.add_argument("--shard", metavar="I/N", help="grade only shard I of N (0-based), into "
                   "OUT/shard-I-of-N/; without it, a scheduler's array index is used when "
                   "set (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX)")
    p.add_argument("--shards", type=int, metavar="N", help="how many shards, where the "
                   "scheduler does not say (or set OLAB_SHARDS)")
    p.set_defaults(func=cmd_batch)
    p = sub.add_parser("merge", help="the grade book of a finished set of shards")
    p.add_argument("shards", nargs="+", help="the shard folders (OUT/shard-*-of-N)")
    p.add_argument("--out", required=True)
    p.add_argument("--similarity", action="store_true", help="also compare every pair of "
                   "submissions' code, across shards")
    p.add_argument("--canvas-roster", metavar="CSV", help="a Canvas gradebook export")
    p.set_defaults(func=cmd_merge)
    p = sub.add_parser("report", help="(re)write the class report of a batch output folder")
    p.add_argument("out")
    p.set_defaults(func=cmd_report)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
