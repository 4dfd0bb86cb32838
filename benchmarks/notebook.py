"""The student notebook with the solutions filled in, run top to bottom in a fresh kernel,
in a copy of ``student_template/`` (as a student runs it: checks, experiments, plots,
export). ``execute`` is shared with ``tests/test_lab_notebook.py``."""

import shutil
import time

import nbformat
from nbclient import NotebookClient

from benchmarks.figures import ROOT, Figure, held_to

NOTEBOOK = "optimizers_lab.ipynb"


def execute(notebook, folder):
    """Run ``notebook`` top to bottom in ``folder`` (a copy of student_template/): (nb,
    seconds), kernel start-up included."""
    shutil.copytree(ROOT / "student_template", folder,
                    ignore=shutil.ignore_patterns(".autograder_engine", "__pycache__"))
    shutil.copy(notebook, folder / NOTEBOOK)
    nb = nbformat.read(folder / NOTEBOOK, as_version=4)
    started = time.monotonic()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb, time.monotonic() - started


def run(scratch, runs=2):
    seconds = []
    for n in range(runs):
        folder = scratch / f"notebook-{n}"
        shutil.rmtree(folder, ignore_errors=True)
        nb, took = execute(ROOT / "solutions" / NOTEBOOK, folder)
        errors = [o for c in nb.cells for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        if errors:
            raise RuntimeError(f"the solution notebook raised: {errors[0].get('ename')}")
        seconds.append(took)
    return [held_to(Figure("notebook top to bottom", max(seconds), "s",
                           f"the solution notebook in a fresh kernel via nbclient (5 "
                           f"experiments, 5 checks, 4 answers, export); slowest of {runs} runs: "
                           f"{', '.join(f'{s:.1f}' for s in seconds)} s"), "<= 60")]
