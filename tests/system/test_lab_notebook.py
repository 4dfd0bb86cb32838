"""The lab notebook: built from assignment/ by otter assign, runs top to bottom with the
solutions, runs untouched without crashing, and its export is accepted by the autograder."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, RUBRIC, TOTAL

from benchmarks.notebook import execute as run_notebook

NOTEBOOK = "optimizers_lab.ipynb"


def execute(tmp_path, notebook):
    """Run ``notebook`` top to bottom in a copy of student_template/; (nb, seconds, folder)."""
    folder = tmp_path / "lab"
    return (*run_notebook(notebook, folder), folder)


def outputs(nb, kind):
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == kind]


def text_of(nb):
    """Every output's text: streams, plain text, and the Markdown checks display."""
    return "\n".join(str(o.get("text", "")) + "".join(
        str(o.get("data", {}).get(kind, "")) for kind in ("text/plain", "text/markdown"))
        for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    return execute(tmp_path_factory.mktemp("solved"), ROOT / "solutions" / NOTEBOOK)


def test_solution_notebook_runs_top_to_bottom(solved):
    nb, _, _ = solved          # how long it takes is a benchmark figure (make bench)
    assert outputs(nb, "error") == []
    text = text_of(nb)
    for function in (o["function"] for o in RUBRIC["optimizers"].values()):
        assert f"{function}: all" in text and "public cases match torch.optim" in text
    images = [o for o in outputs(nb, "display_data") if "image/png" in o["data"]]
    # one figure per experiment, and A's factor per step after its question
    assert len(images) == 6
    for name in RUBRIC["questions"]:   # recorded, never "passed": the notebook has no key
        assert f"{name} = " in text and "is recorded. This notebook does not know the answer" \
            in text
        assert f"{name} results" not in text


def test_a_concept_answer_is_checked_for_its_form_only_and_says_so(capsys):
    from assignment.lab_support import check_answer

    assert not check_answer("max_stable_lr", "two over L")
    assert "max_stable_lr must be a finite number" in capsys.readouterr().out
    assert not check_answer("max_stable_lr", ...)
    assert "not answered yet" in capsys.readouterr().out
    assert check_answer("max_stable_lr", 0.5)          # wrong, but only the form is known here
    assert "graded after you submit" in capsys.readouterr().out


def test_export_zip_is_accepted_by_the_autograder(solved, tmp_path):
    _, _, folder = solved
    [export] = folder.glob("optimizers_lab_*.zip")
    with zipfile.ZipFile(export) as zf:
        assert NOTEBOOK in zf.namelist()
        written = zf.read("written_answers.html").decode()    # the notebook's last cells
    # (Run by nbclient, the notebook on disk has no outputs yet: no figures; see test_written.)
    assert written.count("<h2>") == len(RUBRIC["manual"])
    assert "Momentum crosses the valley floor" in written
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(export), "--json",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"**Score: {TOTAL:g} / {TOTAL:g}**" in done.stdout


def test_untouched_notebook_runs_without_crashing(tmp_path):
    nb, _, _ = execute(tmp_path, ROOT / "student_template" / NOTEBOOK)
    assert outputs(nb, "error") == []
    text = text_of(nb)
    assert "This experiment needs sgd_step: implement it above" in text
    assert "`sgd_step` is not implemented yet" in text      # grader.check's feedback,
    assert "public cases differ from torch.optim (details above)" in text   # as Markdown
    assert "max_stable_lr is not answered yet" in text


def test_notebooks_and_support_files_are_up_to_date():
    done = subprocess.run([sys.executable, "-m", "toolkit", "build", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def setup_cell():
    nb = json.loads((ROOT / "student_template" / NOTEBOOK).read_text())
    return next("".join(c["source"]) for c in nb["cells"]
                if c["cell_type"] == "code" and "".join(c["source"]).startswith("# Set-up"))


BLOCK_OTTER = """
import sys
class _NoOtter:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] == "otter":
            raise ImportError("No module named 'otter'")
sys.meta_path.insert(0, _NoOtter())
"""


def run_setup(folder, python=sys.executable, prelude=""):
    done = subprocess.run([python, "-c", prelude + setup_cell() + "\nprint('ready', NOTEBOOK)"],
                          cwd=folder, capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


@pytest.mark.parametrize("situation, says", [
    ("as shipped", "ready optimizers_lab.ipynb"),
    ("renamed by a browser", "ready optimizers_lab (1).ipynb"),
    ("without lab_support", "lab_support/ is not in this notebook's folder"),
    ("without otter", "otter-grader is not installed for this notebook's Python"),
    ("Python 3.8", "This lab needs Python 3.9 or newer"),
])
def test_the_first_cell_says_what_is_missing(situation, says, tmp_path):
    folder = tmp_path / "lab"
    shutil.copytree(ROOT / "student_template", folder,
                    ignore=shutil.ignore_patterns(".autograder_engine"))
    python, prelude = sys.executable, ""
    if situation == "renamed by a browser":
        (folder / NOTEBOOK).rename(folder / "optimizers_lab (1).ipynb")
    elif situation == "without lab_support":
        shutil.rmtree(folder / "lab_support")
    elif situation == "without otter":
        prelude = BLOCK_OTTER
    elif situation == "Python 3.8":
        versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        python = next((str(p) for p in versions.glob("3.8.*/bin/python")), None)
        if python is None:
            pytest.skip("no Python 3.8 on this machine")
    assert says in run_setup(folder, python, prelude)


def lab_zip(path):
    """The student folder zipped as an instructor would hand it out (one top folder)."""
    with zipfile.ZipFile(path, "w") as zf:
        for item in sorted((ROOT / "student_template").rglob("*")):
            if item.is_file() and ".autograder_engine" not in item.parts:
                zf.write(item, "optimizers-lab/" + str(item.relative_to(ROOT / "student_template")))
    return path


@pytest.mark.parametrize("how", ["an uploaded zip", "the course's URL"])
def test_on_colab_the_first_cell_fetches_the_lab_files(how, tmp_path):
    """Only the notebook was uploaded: the first cell unpacks the lab's files from a zip the
    student uploaded beside it, or from the URL the instructor set, and checks then run."""
    import http.server
    import threading

    folder = tmp_path / "content"
    folder.mkdir()
    shutil.copy(ROOT / "student_template" / NOTEBOOK, folder)
    served = tmp_path / "served"
    served.mkdir()
    cell = setup_cell()
    server = None
    if how == "an uploaded zip":
        lab_zip(folder / "optimizers-lab.zip")
    else:
        lab_zip(served / "lab.zip")
        handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(served))  # noqa: E731
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/lab.zip"
        assert 'SUPPORT_URL = ""' in cell
        cell = cell.replace('SUPPORT_URL = ""', f"SUPPORT_URL = {url!r}")
    try:
        code = cell + "\nimport lab_support\nlab_support.check('sgd_step', cells=[])\n"
        done = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True,
                              text=True, timeout=120)
    finally:
        if server:
            server.shutdown()
    assert (folder / "lab_support" / "__init__.py").exists(), done.stderr[-2000:]
    assert not (folder / "_lab_files").exists()
    assert "is not implemented yet" in done.stderr or "No top-level function" in done.stderr
