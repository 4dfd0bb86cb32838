"""Grade latency: cold runs of ``python -m autograder grade`` (a fresh process each, as
Gradescope and the batch grader run it) on the solution notebook, a buggy notebook (the
diagnosis included) and the untouched skeleton; and the latency of a notebook check
(``lab_support.check``, portable sandbox) in a fresh process, as a student's first check."""

import shutil
import statistics

from benchmarks.figures import PYTHON, ROOT, Figure, grade_command, held_to, spread, timed
from examples.bugs import buggy_notebook

SOLUTION = ROOT / "solutions" / "optimizers_lab.ipynb"
SKELETON = ROOT / "student_template" / "optimizers_lab.ipynb"
BUG = "adam-bias-correction-off-by-one"
TARGETS = {"solution": "<= 0.5", "buggy": "<= 1.5", "skeleton": "<= 0.5"}
CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
from lab_support import check
check("adam_step", cells=[("In [1]", open(sys.argv[2]).read())])
"""


def latencies(paths, runs):
    """{label: [seconds]}: ``runs`` cold gradings of each path, interleaved so that machine
    noise falls on all of them alike (after one unmeasured run each, which compiles)."""
    for path in paths.values():
        timed(grade_command(path))
    seconds = {label: [] for label in paths}
    for _ in range(runs):
        for label, path in paths.items():
            seconds[label].append(timed(grade_command(path)))
    return seconds


def run(scratch, runs=15):
    buggy = scratch / f"{BUG}.ipynb"
    buggy.write_text(buggy_notebook(BUG))
    paths = {"solution": SOLUTION, "buggy": buggy, "skeleton": SKELETON}
    what = {"solution": "the solution notebook (100/100)",
            "buggy": f"a notebook with the {BUG} bug, diagnosed",
            "skeleton": "the untouched student notebook (0/100)"}
    return [held_to(Figure(f"grade latency, {label}", statistics.median(seconds), "s",
                           f"python -m autograder grade on {what[label]}, cold process; "
                           f"{spread(seconds)}"), TARGETS[label])
            for label, seconds in latencies(paths, runs).items()] + [check_latency(scratch)]


def check_latency(scratch, runs=10):
    """A notebook check of adam_step on the answer key, in a fresh interpreter each time
    (the engine already unpacked, as after a student's first check)."""
    template = scratch / "student_template"
    shutil.rmtree(template, ignore_errors=True)
    shutil.copytree(ROOT / "student_template", template,
                    ignore=shutil.ignore_patterns(".autograder_engine"))
    command = [PYTHON, "-c", CHECK, str(template), str(ROOT / "solutions" / "optimizers.py")]
    timed(command)
    seconds = [timed(command) for _ in range(runs)]
    return held_to(Figure("notebook check latency", statistics.median(seconds), "s",
                          f"lab_support.check('adam_step') on the answer key, fresh interpreter, "
                          f"portable sandbox; {spread(seconds)}"), "<= 1.0")
