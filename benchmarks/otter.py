"""Against otter: ``otter run`` with the autograder zip ``otter assign`` builds from our own
master notebook (``generate`` on, the notebook's support files included), on the solution
notebook, side by side with ``python -m autograder grade`` on the same notebook.

``otter run`` executes the whole notebook (experiments and plots included) and then its
tests, which call the same engine on the public cases; ours reads the notebook, keeps the
code it grades, and runs every case, hidden ones included, in a sandbox."""

import json
import shutil
import statistics
import subprocess

import nbformat

from benchmarks.figures import PYTHON, ROOT, Figure, env, grade_command, held_to, spread, timed
from benchmarks.latency import SOLUTION
from toolkit.build import NOTEBOOK, SOURCE, master_notebook

SUPPORT_FILES = ("lab_support", "autograder_engine.zip")


def otter_zip(scratch):
    """The autograder zip ``otter assign`` makes from the master notebook."""
    work = scratch / "otter-assign"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    nb = master_notebook(SOURCE.read_text())
    config = nb.cells[0]
    assert config.source.startswith("# ASSIGNMENT CONFIG"), "the first cell is the config"
    config.source = config.source.replace("generate: false", "generate: true\nfiles:\n" + "".join(
        f"    - {name}\n" for name in SUPPORT_FILES))
    nbformat.write(nb, work / NOTEBOOK)
    shutil.copytree(ROOT / "student_template" / "lab_support", work / "lab_support",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "student_template" / "autograder_engine.zip", work)
    subprocess.run([PYTHON, "-m", "otter", "assign", NOTEBOOK, "dist"], cwd=work, check=True,
                   capture_output=True, env=env())
    (made,) = (work / "dist" / "autograder").glob("*-autograder_*.zip")
    return made


def otter_run(autograder_zip, scratch):
    out = scratch / "otter-run"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    seconds = timed([PYTHON, "-m", "otter", "run", "-a", str(autograder_zip), "-o", str(out),
                     str(SOLUTION)])
    results = json.loads((out / "results.json").read_text())
    total = sum(t.get("score") or 0 for t in results["tests"])
    if total < sum(t.get("max_score") or 0 for t in results["tests"]):
        raise RuntimeError(f"otter run did not give the solution full marks: {results}")
    return seconds


def run(scratch, rounds=3, ours_per_round=4):
    autograder_zip = otter_zip(scratch)
    timed(grade_command(SOLUTION))      # compiles once, as otter's first run warms its own
    theirs, ours = [], []
    for _ in range(rounds):
        theirs.append(otter_run(autograder_zip, scratch))
        ours.extend(timed(grade_command(SOLUTION)) for _ in range(ours_per_round))
    ratio = statistics.median(theirs) / statistics.median(ours)
    return [
        Figure("otter run, solution notebook", statistics.median(theirs), "s",
               f"otter run -a <zip from otter assign> on the solution notebook; "
               f"{spread(theirs)}"),
        held_to(Figure("speed-up over otter run", ratio, "x",
                       f"median otter run / median python -m autograder grade "
                       f"({statistics.median(ours):.2f} s, {len(ours)} runs interleaved "
                       "with otter's), same notebook, same run"), ">= 20"),
    ]
