"""Only imports, defs, classes and literal assignments are kept; experiments never run."""

import zipfile

import nbformat
from conftest import SOLUTION, TOTAL

from autograder.cases import OPTIMIZERS
from autograder.extract import extract
from autograder.grade import grade
from autograder.report import summary
from autograder.score import load_rubric


def notebook(tmp_path, cells, name="lab.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Optimizers lab")] + [
        nbformat.v4.new_code_cell(c) for c in cells]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_notebook_experiments_magics_and_side_effects_are_dropped(tmp_path):
    marker = tmp_path / "experiment-ran"
    path = notebook(tmp_path, [
        "%matplotlib inline\n!pip install nothing\nimport numpy as np",
        SOLUTION.read_text(),
        f"open({str(marker)!r}, 'w').write('x')\nfor i in range(10**9):\n    pass",
        "LR = 0.1; open('x', 'w')\nSEEDS = (1, -2.5)\nlosses = [adam_step(1, 2, {})]",
        "grader.check('adam')",
    ])
    kept = extract(path)
    assert "open(" not in kept.source and "range(10**9)" not in kept.source
    assert "LR = 0.1\n" in kept.source and "SEEDS = (1, -2.5)" in kept.source
    assert "losses" not in kept.source and "grader" not in kept.source
    assert "%matplotlib" not in kept.source and "!pip" not in kept.source
    assert kept.origins[0] == "cell 2, line 3"  # every cell counts from the top, markdown too
    grading = grade(path)
    assert grading.points == TOTAL
    assert not marker.exists()


def test_a_syntax_error_costs_that_cell_only_and_names_it(tmp_path):
    answer = SOLUTION.read_text()
    last, spec = list(OPTIMIZERS.items())[-1]      # the answer key's last step function
    split = answer.index(f"def {spec['function']}(")
    path = notebook(tmp_path, [answer[:split], "def broken(:\n    pass", answer[split:]])
    grading = grade(path)
    assert grading.points == TOTAL
    assert "Syntax error in cell 3, line 1" in summary(grading)
    path = notebook(tmp_path, [answer[:split], answer[split:] + "\nx = (\n"], "broken.ipynb")
    grading = grade(path)
    assert {c.optimizer for c in grading.cases if not grading.outcomes[c.id].passed} == {last}
    assert "Syntax error in cell 3" in summary(grading)


def test_future_imports_go_first_and_tracebacks_name_the_cell(tmp_path):
    answer = SOLUTION.read_text().replace(
        "    clr = lr /", "    raise RuntimeError('boom')\n    clr = lr /")
    path = notebook(tmp_path, ["import numpy as np", answer, "from __future__ import annotations"])
    kept = extract(path)
    assert kept.source.startswith("from __future__ import annotations")
    report = summary(grade(path))
    line = answer.splitlines().index("    raise RuntimeError('boom')") + 1
    assert f"cell 3, line {line}, in adagrad_step: raise RuntimeError('boom')" in report


def test_otter_style_zip_is_read(tmp_path):
    path = notebook(tmp_path, [SOLUTION.read_text()])
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, "lab.ipynb")
        zf.writestr("__MACOSX/._lab.ipynb", "junk")
    assert grade(archive).points == TOTAL


def test_libraries_that_implement_the_answer_are_flagged_and_blocked(tmp_path, write):
    answer = SOLUTION.read_text()
    path = write("import torch\nimport importlib\n" + answer.replace(
        "def adagrad_step(param, grad, state, *,",
        "def adagrad_step(param, grad, state, *, _opt=importlib.import_module('optax'),"))
    kept = extract(path)
    assert set(kept.blocked) == {"torch", "optax"}
    grading = grade(path)
    report = summary(grading)
    assert "`torch` is imported at line 1. The lab is to implement each update in NumPy" in report
    assert "`optax` is imported at line" in report
    # torch's import fails (a warning); adagrad_step's default argument fails at load, so it is
    # missing; everything else still grades.
    assert grading.points == TOTAL - sum(
        g["points"] for g in load_rubric()["optimizers"]["adagrad"]["groups"].values())
    assert "importing torch is not allowed while grading" in report


def test_an_old_format_notebook_is_converted(tmp_path):
    from nbformat import v3

    nb = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[
        v3.new_code_cell(input=SOLUTION.read_text())])])
    path = tmp_path / "old.ipynb"
    path.write_text(v3.writes_json(nb))
    assert grade(path).points == TOTAL
