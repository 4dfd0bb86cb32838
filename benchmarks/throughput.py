"""Batch throughput: ``python -m toolkit batch`` on a class of 200 notebooks with
``--jobs 2``, end to end (grade book and class report included)."""

import csv
import shutil

from benchmarks.figures import PYTHON, Figure, held_to, timed
from benchmarks.latency import SKELETON, SOLUTION
from tests.support.bugs import FAILS, buggy_notebook


def make_class(folder, size):
    """``size`` notebooks: the solution, the skeleton and one per known bug, in turn."""
    kinds = [SOLUTION.read_text(), SKELETON.read_text()] + [buggy_notebook(b) for b in FAILS]
    folder.mkdir(parents=True)
    for n in range(size):
        (folder / f"student{n:03d}.ipynb").write_text(kinds[n % len(kinds)])
    return len(kinds)


def batch(scratch, size, jobs):
    """(seconds, kinds) of one batch of ``size`` notebooks with ``jobs`` workers."""
    folder, out = scratch / "class", scratch / "class-grades"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    kinds = make_class(folder, size)
    seconds = timed([PYTHON, "-m", "toolkit", "batch", str(folder), "--out", str(out),
                     "--jobs", str(jobs)])
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != size or any(r["status"] != "graded" for r in rows):
        raise RuntimeError(f"batch graded {len(rows)} of {size}, or some not cleanly")
    return seconds, kinds


def run(scratch, size=200, jobs=2):
    seconds, kinds = batch(scratch, size, jobs)
    alone, _ = batch(scratch, size, 1)
    rate, single = size / seconds * 60, size / alone * 60
    return [held_to(Figure("batch throughput", rate, "submissions/min",
                           f"python -m toolkit batch --jobs {jobs} on {size} notebooks "
                           f"({kinds} kinds: solution, skeleton, one per known bug) in "
                           f"{seconds:.1f} s, grade book and class report included"), ">= 1000"),
            Figure("batch throughput, one job", single, "submissions/min",
                   f"the same class with --jobs 1, in {alone:.1f} s"),
            Figure("batch scaling from 1 to 2 jobs", rate / single, "x",
                   f"--jobs {jobs} throughput over --jobs 1, same class, same run "
                   f"(2 would be linear on this 2-core machine)")]
