"""The lab notebook: built from assignment/ by otter assign, runs top to bottom with the
solutions, runs untouched without crashing, and its export is accepted by the autograder."""

import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT

from benchmarks.notebook import execute as run_notebook

NOTEBOOK = "optimizers_lab.ipynb"


def execute(tmp_path, notebook):
    """Run ``notebook`` top to bottom in a copy of student_template/; (nb, seconds, folder)."""
    folder = tmp_path / "lab"
    return (*run_notebook(notebook, folder), folder)


def outputs(nb, kind):
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == kind]


def text_of(nb):
    return "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    return execute(tmp_path_factory.mktemp("solved"), ROOT / "solutions" / NOTEBOOK)


def test_solution_notebook_runs_top_to_bottom(solved):
    nb, _, _ = solved          # how long it takes is a benchmark figure (make bench)
    assert outputs(nb, "error") == []
    text = text_of(nb)
    for function in ("sgd_step", "rmsprop_step", "adam_step", "adamw_step", "adagrad_step"):
        assert f"{function}: all" in text and "public cases match torch.optim" in text
    images = [o for o in outputs(nb, "display_data") if "image/png" in o["data"]]
    assert len(images) == 5          # one figure per experiment


def test_export_zip_is_accepted_by_the_autograder(solved, tmp_path):
    _, _, folder = solved
    [export] = folder.glob("optimizers_lab_*.zip")
    with zipfile.ZipFile(export) as zf:
        assert NOTEBOOK in zf.namelist()
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(export), "--json",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "**Score: 100 / 100**" in done.stdout


def test_untouched_notebook_runs_without_crashing(tmp_path):
    nb, _, _ = execute(tmp_path, ROOT / "student_template" / NOTEBOOK)
    assert outputs(nb, "error") == []
    text = text_of(nb)
    assert "This experiment needs sgd_step: implement it above" in text
    assert "`sgd_step` is not implemented yet" in text      # grader.check's feedback


def test_notebooks_and_support_files_are_up_to_date():
    done = subprocess.run([sys.executable, "assignment/build.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
