"""Interleaved A/B of this working tree against another commit: grade latency (cold
``python -m autograder grade`` of the solution notebook) and batch throughput, measured
side by side in one run so that machine noise falls on both.

    python -m benchmarks.ab BASE [--runs N] [--class-size N]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.figures import PYTHON, ROOT, spread, timed
from benchmarks.throughput import make_class


def grade_seconds(tree):
    return timed([PYTHON, "-m", "autograder", "grade",
                  str(tree / "solutions" / "optimizers_lab.ipynb")], cwd=tree)


def batch_seconds(tree, folder, out):
    return timed([PYTHON, "-m", "toolkit", "batch", str(folder), "--out", str(out),
                  "--jobs", "2", "--regrade"], cwd=tree)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ab")
    parser.add_argument("base", help="the commit to compare with (e.g. a tag or hash)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--class-size", type=int, default=60)
    parser.add_argument("--batch-runs", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="olab-ab-") as scratch:
        scratch = Path(scratch)
        base = scratch / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            trees = {"base": base, "head": ROOT}
            for tree in trees.values():     # one unmeasured run each: bytecode, users
                grade_seconds(tree)
            latency = {name: [] for name in trees}
            for _ in range(args.runs):
                for name, tree in trees.items():
                    latency[name].append(grade_seconds(tree))
            make_class(scratch / "class", args.class_size)
            batch = {name: [] for name in trees}
            for _ in range(args.batch_runs):
                for name, tree in trees.items():
                    batch[name].append(batch_seconds(tree, scratch / "class",
                                                     scratch / f"out-{name}"))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT,
                           capture_output=True)
    for name in trees:
        print(f"grade latency, {name}: {statistics.median(latency[name]):.3f} s "
              f"({spread(latency[name])})")
    for name in trees:
        rate = args.class_size / statistics.median(batch[name]) * 60
        print(f"batch throughput, {name}: {rate:.0f} submissions/min ({args.class_size} "
              f"notebooks, --jobs 2, median of {args.batch_runs})")
    ratio = statistics.median(latency["head"]) / statistics.median(latency["base"])
    print(f"latency head/base: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
