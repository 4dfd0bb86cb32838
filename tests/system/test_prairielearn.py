"""PrairieLearn: the grader folder ``make prairielearn`` builds, run as PrairieLearn runs it
(``run.sh`` as root, everything under ``$PL_GRADE_ROOT``), gives Gradescope's scores and
feedback in PrairieLearn's format, and ``gradable: false`` when the grader fails."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SKELETON, SOLUTION, TOTAL

from tests.support.bugs import buggy_source
from toolkit.deliverables import build_folder, prairielearn_folder

TEST_KEYS = {"name", "description", "points", "max_points", "message", "output"}


@pytest.fixture(scope="module")
def grader(tmp_path_factory):
    built, _ = build_folder(tmp_path_factory.mktemp("pl") / "build", prairielearn_folder())
    return built


def run_pl(grader, tmp_path, source, name="optimizers_lab.py"):
    """Run the flow in ``tmp_path/grade``: (PrairieLearn's results, Gradescope's results of
    the same submission through ``python -m autograder grade``)."""
    root = tmp_path / "grade"
    shutil.copytree(grader, root / "serverFilesCourse" / "optimizers_lab", symlinks=True)
    (root / "student").mkdir(parents=True)
    (root / "student" / name).write_text(source)
    done = subprocess.run(["bash", str(root / "serverFilesCourse/optimizers_lab/run.sh")],
                          env={**os.environ, "PL_GRADE_ROOT": str(root),
                               "PL_PYTHON": sys.executable},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = root / "results" / "results.json"
    assert results.stat().st_size < 1_000_000
    pl = json.loads(results.read_text())
    gs_path = tmp_path / "gradescope.json"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / "student" / name),
                    "--json", str(gs_path)], cwd=ROOT, capture_output=True, timeout=300)
    return pl, json.loads(gs_path.read_text())


@pytest.mark.parametrize("kind", ["solution", "skeleton", "buggy"])
def test_prairielearn_gives_gradescopes_scores_and_feedback(grader, tmp_path, kind):
    source = {"solution": SOLUTION.read_text(), "skeleton": SKELETON.read_text(),
              "buggy": buggy_source("adagrad-lr-decay-off-by-one")}[kind]
    pl, gs = run_pl(grader, tmp_path, source)
    assert pl["gradable"] is True
    assert pl["score"] == pytest.approx(gs["score"] / TOTAL)
    assert pl["score"] == {"solution": 1.0, "skeleton": 0.0}.get(kind, pl["score"])
    assert 0 < pl["score"] < 1 or kind != "buggy"
    assert pl["output"] == gs["output"]
    assert [(t["name"], t["points"], t["max_points"]) for t in pl["tests"]] == [
        (t["name"], t["score"], t["max_score"]) for t in gs["tests"]]
    for mine, theirs in zip(pl["tests"], gs["tests"]):
        assert set(mine) == TEST_KEYS
        assert mine["output"] == (theirs["output"] if theirs["visibility"] == "visible" else "")


def test_a_grader_failure_is_not_gradable_rather_than_a_zero(grader, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(grader, broken)
    (broken / "autograder" / "data" / "rubric.json").write_text("{")
    pl, _ = run_pl(broken, tmp_path, SOLUTION.read_text())
    assert pl["gradable"] is False and "not a problem with your code" in pl["message"]


def test_honest_unusual_notebooks_grade_on_prairielearn_as_the_solution_does(grader, tmp_path):
    """The honest corpus (``tests/support/honest.py``) through run.sh: full marks each."""
    import nbformat

    from tests.support.honest import VARIANTS

    for n, (name, nb) in enumerate(sorted(VARIANTS.items())):
        pl, _ = run_pl(grader, tmp_path / str(n), nbformat.writes(nb), "optimizers_lab.ipynb")
        assert pl["score"] == 1 and pl["gradable"], (name, pl.get("message"))
