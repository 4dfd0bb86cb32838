"""The notebook's checks run the autograder itself on the public cases, from the engine
shipped in student_template/, and say exactly what Gradescope says for those cases."""

import json
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT, RUN_CHECK, SOLUTION, graded

from autograder.report import case_text, config_text
from tests.support.bugs import write

TEMPLATE = ROOT / "student_template"


def notebook_check(function, path, tmp_path):
    """check() as a student's notebook runs it: a fresh interpreter that has only
    student_template/ (engine from its zip), not this repository, on its path."""
    done = subprocess.run([sys.executable, "-c", RUN_CHECK, str(TEMPLATE), function, str(path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_engine_zip_holds_no_hidden_data_or_answer_key():
    with zipfile.ZipFile(TEMPLATE / "autograder_engine.zip") as zf:
        names = zf.namelist()
    assert "autograder/data/references-public.npz" in names
    assert not [n for n in names if "hidden" in n or "solutions" in n or "answer" in n]


def test_check_passes_a_correct_function(tmp_path):
    assert notebook_check("adam_step", SOLUTION, tmp_path) == {"passed": True}


@pytest.mark.parametrize("bug, function", [("amsgrad-max-of-corrected", "adam_step"),
                                           ("rmsprop-alpha-swapped", "rmsprop_step")])
def test_check_says_what_gradescope_says_for_public_cases(bug, function, tmp_path):
    """The first failing case in full, exactly as Gradescope words it; every other failing
    case in one line."""
    [path] = write([bug], tmp_path)
    result = notebook_check(function, path, tmp_path)
    assert not result["passed"]
    grading = graded(path, public_only=True)
    failing = [c for c in grading.cases if c.function == function
               and not grading.outcomes[c.id].passed]
    assert failing
    first = case_text(failing[0], grading.outcomes[failing[0].id],
                      (grading.origins, grading.lines))
    assert first in result["message"]
    for case in failing[1:]:
        assert f"- `{function}({config_text(case)})` on the {case.problem}" in result["message"]
    assert f"`{bug}`" in result["message"]
    assert len(result["message"].splitlines()) < 40


def test_a_check_of_a_function_with_no_case_is_an_error_not_a_pass(tmp_path):
    result = notebook_check("lion_step", SOLUTION, tmp_path)
    assert result == {"passed": False,
                      "message": "no public case checks lion_step: tell your instructor"}


def test_kernels_checking_at_once_each_import_a_whole_engine(tmp_path):
    """Four checks start at once in a fresh student folder: each unpacks the engine or uses
    one another unpacked completely, never a half-written one."""
    template = tmp_path / "lab"
    shutil.copytree(TEMPLATE, template, ignore=shutil.ignore_patterns(".autograder_engine"))
    checks = [subprocess.Popen([sys.executable, "-c", RUN_CHECK, str(template), "adam_step",
                                str(SOLUTION)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=tmp_path) for _ in range(4)]
    for check in checks:
        out, err = check.communicate(timeout=120)
        assert json.loads(out.strip().splitlines()[-1]) == {"passed": True}, err
    unpacked = list((template / ".autograder_engine").iterdir())
    assert len(unpacked) == 1 and (unpacked[0] / "autograder" / "grade.py").exists()


ANSWER_FORMS = {
    "a literal": "max_stable_lr = 0.08",
    "an expression of numbers": "max_stable_lr = 2 / 25",
    "NumPy on numbers": "import numpy as np\nmax_stable_lr = float(2 / np.sqrt(625.0))",
    "a function of the notebook": ("def stable(l):\n    return 2 / l\n\n"
                                   "max_stable_lr = stable(25.0)"),
    "computed from a dropped name": ("import numpy as np\nH = np.diag([1.0, 25.0])\n"
                                     "max_stable_lr = 2 / np.linalg.eigvalsh(H).max()"),
    "Greek beside a ';'": 'note = "η, λ_max = 25"; max_stable_lr = 0.08',
    "annotated, CRLF, a tab": "max_stable_lr: float = 0.08\r\nif True:\r\n\tpass\r\n",
    "a walrus": "max_stable_lr = (two := 2.0) / 25",
    "from a loop's result": ("best = 0.0\nfor lr in (0.04, 0.08):\n    best = lr\n"
                             "max_stable_lr = best"),
}
CHECK_ANSWER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from lab_support import check_answer
cells = json.loads(sys.argv[2])
space = {}
for _, code in cells:
    exec(code.replace("\\r\\n", "\\n"), space)
print(json.dumps(check_answer("max_stable_lr", space["max_stable_lr"], cells=cells)))
"""


@pytest.mark.parametrize("form", sorted(ANSWER_FORMS))
def test_the_answer_cell_says_recorded_only_when_grading_records_it(form, tmp_path):
    """The answer cell runs the grader's own extraction and load on the cells the session
    ran: it says "recorded" exactly when grading records the very value, and refuses the
    answer where it is typed otherwise."""
    import nbformat

    from autograder.grade import grade

    cells = [("In [1]", (ROOT / "solutions" / "optimizers.py").read_text()),
             ("In [2]", ANSWER_FORMS[form])]
    done = subprocess.run([sys.executable, "-c", CHECK_ANSWER, str(TEMPLATE), json.dumps(cells)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for _, code in cells]
    nbformat.write(nb, tmp_path / "lab.ipynb")
    recorded = grade(tmp_path / "lab.ipynb").answers.get("max_stable_lr")
    assert said == (recorded == 0.08), (form, recorded, done.stdout)
    assert ("is recorded" in done.stdout) == said
    if form == "computed from a dropped name":
        assert not said and "name 'H' is not defined" in done.stdout


def test_a_cell_fixed_and_run_again_leaves_no_warning(tmp_path):
    """A syntax error in one cell, then the same cell fixed and run again: the session's
    history holds both, and the check speaks of the fixed one only."""
    sys.path.insert(0, str(TEMPLATE))
    try:
        from lab_support.checks import latest_cells
    finally:
        sys.path.remove(str(TEMPLATE))
    answer = SOLUTION.read_text()
    broken = answer.replace("def sgd_step(", "def sgd_step((", 1)
    history = [("In [1]", "import numpy as np"), ("In [3]", broken), ("In [5]", answer),
               ("In [6]", "x = (")]                   # broken, and never fixed
    kept = latest_cells(history)
    assert [label for label, _ in kept] == ["In [1]", "In [5]", "In [6]"]
    path = tmp_path / "cells.json"
    path.write_text(json.dumps(kept))
    done = subprocess.run([sys.executable, "-c", RUN_CELLS, str(TEMPLATE), str(path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert "In [3]" not in done.stdout + done.stderr
    assert "sgd_step: all" in done.stdout, done.stdout + done.stderr


RUN_CELLS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from lab_support import check
check("sgd_step", cells=[tuple(c) for c in json.load(open(sys.argv[2]))])
"""


def test_an_unsaved_notebook_is_refused_before_the_export(tmp_path):
    """The session ran the solution; the saved file is still the template: every graded
    function and every answer is named, and the written-answers cell (run just before the
    export) stops. Saved, nothing is missing."""
    import nbformat

    sys.path.insert(0, str(TEMPLATE))
    try:
        from lab_support.checks import unsaved_work
    finally:
        sys.path.remove(str(TEMPLATE))
    solution_nb = ROOT / "solutions" / "optimizers_lab.ipynb"
    cells = [(f"In [{n}]", c.source) for n, c in enumerate(
        nbformat.read(solution_nb, as_version=4).cells, 1) if c.cell_type == "code"]
    lost = unsaved_work(TEMPLATE / "optimizers_lab.ipynb", cells)
    assert {"`sgd_step`", "`adam_step`", "`max_stable_lr`"} <= set(lost), lost
    assert unsaved_work(solution_nb, cells) == []


GUARDED_EXPORT = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import otter
import lab_support
from lab_support import checks
cells = json.load(open(sys.argv[2]))
checks.session_cells = lambda: [tuple(c) for c in cells]
os.chdir(sys.argv[3])
grader = otter.Notebook(tests_dir=os.path.join(sys.argv[1], "tests"))
result = grader.export("optimizers_lab.ipynb", pdf=False, display_link=False)
zips = [f for f in os.listdir(".") if f.endswith(".zip")]
print(json.dumps({"zips": zips}))
"""


@pytest.mark.parametrize("saved", ["template", "solution"])
def test_otter_export_refuses_a_notebook_saved_before_the_work(saved, tmp_path):
    """otter's own grader.export() in the student's kernel, the session having run the
    solution: with the template still on disk nothing is zipped and the student is told to
    save first; once saved, the zip is made."""
    import nbformat

    source = TEMPLATE if saved == "template" else ROOT / "solutions"
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(source / "optimizers_lab.ipynb", folder / "optimizers_lab.ipynb")
    solution_nb = ROOT / "solutions" / "optimizers_lab.ipynb"
    cells = [(f"In [{n}]", c.source) for n, c in enumerate(
        nbformat.read(solution_nb, as_version=4).cells, 1) if c.cell_type == "code"]
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    done = subprocess.run([sys.executable, "-c", GUARDED_EXPORT, str(TEMPLATE),
                           str(tmp_path / "cells.json"), str(folder)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    zips = json.loads(done.stdout.strip().splitlines()[-1])["zips"]
    if saved == "template":
        assert zips == [] and "Save the notebook first" in done.stdout
    else:
        assert len(zips) == 1 and "Not exported" not in done.stdout


OTTER_CHECK = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import otter
import lab_support
from lab_support import checks
checks._show_markdown = lambda text: False        # no notebook to render into
cells = [("In [1]", open(sys.argv[2]).read())]
checks.session_cells = lambda: cells
grader = otter.Notebook(tests_dir=os.path.join(sys.argv[1], "tests"))
print(repr(grader.check("sgd", global_env={})))
"""


def test_otter_shows_a_failing_check_without_quoting_its_test_file(tmp_path):
    [buggy] = write(["sgd-nesterov-as-momentum"], tmp_path)
    done = subprocess.run([sys.executable, "-c", OTTER_CHECK, str(TEMPLATE), str(buggy)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sgd-nesterov-as-momentum" in done.stdout
    assert "Error at line" not in done.stdout and "lab_support.check(" not in done.stdout


def test_where_the_saved_notebook_is_absent_export_says_what_to_upload(tmp_path):
    """As on Colab: the session ran cells, but no saved notebook is on this machine."""
    folder = tmp_path / "colab"
    folder.mkdir()
    cells = [("In [1]", SOLUTION.read_text())]
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    done = subprocess.run([sys.executable, "-c", GUARDED_EXPORT.replace(
        'grader.export("optimizers_lab.ipynb",', 'grader.export(None,'), str(TEMPLATE),
        str(tmp_path / "cells.json"), str(folder)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["zips"] == []
    assert "File > Download > .ipynb" in done.stdout
