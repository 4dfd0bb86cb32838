"""Grade latency: cold runs of ``python -m autograder grade`` (a fresh process each, as
Gradescope and the batch grader run it) on the solution notebook, a buggy notebook (the
diagnosis included) and the untouched skeleton; and the latency of a notebook check
(``lab_support.check``, portable sandbox) in a fresh process, as a student's first check."""

import shutil
import statistics
import subprocess

from benchmarks.figures import PYTHON, ROOT, Figure, grade_command, held_to, spread, timed
from tests.support.bugs import buggy_notebook

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


NUMPY = [PYTHON, "-c", "import numpy"]


def latencies(paths, runs):
    """{label: [seconds]}: ``runs`` cold gradings of each path, and as many bare NumPy
    starts (label "numpy"), interleaved so that machine noise falls on all of them alike
    (after one unmeasured run each, which compiles)."""
    commands = {label: grade_command(path) for label, path in paths.items()}
    commands["numpy"] = NUMPY
    for command in commands.values():
        timed(command)
    seconds = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            seconds[label].append(timed(command))
    return seconds


def run(scratch, runs=15):
    buggy = scratch / f"{BUG}.ipynb"
    buggy.write_text(buggy_notebook(BUG))
    paths = {"solution": SOLUTION, "buggy": buggy, "skeleton": SKELETON}
    what = {"solution": "the solution notebook (100/100)",
            "buggy": f"a notebook with the {BUG} bug, diagnosed",
            "skeleton": "the untouched student notebook (0/100)"}
    measured = latencies(paths, runs)
    floor = measured.pop("numpy")
    ratio = statistics.median(measured["solution"]) / statistics.median(floor)
    return [held_to(Figure(f"grade latency, {label}", statistics.median(seconds), "s",
                           f"python -m autograder grade on {what[label]}, cold process; "
                           f"{spread(seconds)}"), TARGETS[label])
            for label, seconds in measured.items()] + [
        held_to(Figure("grade latency over a bare NumPy start", ratio, "x",
                       f"median cold grade of the solution notebook / median of python -c "
                       f"'import numpy' ({statistics.median(floor):.3f} s), interleaved in "
                       f"one run"), "<= 1.5"),
        check_latency(scratch), warm_check_latency(scratch), honest_latency(scratch)]


def honest_latency(scratch, runs=5):
    """The slowest honest-but-unusual notebook (``tests/support/honest.py``) against the
    solution notebook: cold gradings, interleaved, medians."""
    import nbformat

    from tests.support.honest import VARIANTS

    paths = {"solution": SOLUTION}
    for n, (name, nb) in enumerate(sorted(VARIANTS.items())):
        paths[name] = scratch / f"honest-{n}.ipynb"
        nbformat.write(nb, paths[name])
    seconds = latencies(paths, runs)
    seconds.pop("numpy")
    base = statistics.median(seconds.pop("solution"))
    worst, name = max((statistics.median(v), k) for k, v in seconds.items())
    return held_to(Figure("honest unusual notebook over the solution", worst / base, "x",
                          f"cold grade of the slowest of {len(seconds)} honest notebooks "
                          f"({name}, {worst:.3f} s) over the solution notebook's "
                          f"({base:.3f} s); medians of {runs}, interleaved"), "<= 2")


WARM = CHECK + """
import statistics, time
seconds = []
for _ in range(int(sys.argv[3])):
    started = time.monotonic()
    check("adam_step", cells=[("In [1]", open(sys.argv[2]).read())])
    seconds.append(time.monotonic() - started)
print(statistics.median(seconds), min(seconds), max(seconds))
"""


def warm_check_latency(scratch, runs=10):
    """Checks after the first in one interpreter, as a student's later checks in a kernel."""
    template = scratch / "student_template"
    done = subprocess.run([PYTHON, "-c", WARM, str(template),
                           str(ROOT / "solutions" / "optimizers.py"), str(runs)],
                          capture_output=True, text=True, timeout=300)
    median, low, high = map(float, done.stdout.split()[-3:])
    return held_to(Figure("notebook check latency, warm kernel", median, "s",
                          f"lab_support.check('adam_step') on the answer key after a first "
                          f"check in the same interpreter; median of {runs}; range "
                          f"{low:.3f}-{high:.3f} s"), "<= 0.15")


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
