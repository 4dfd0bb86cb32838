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


def sgd_points(grading):
    return sum(s.points for s in grading.scores if s.optimizer == "sgd")


def sgd_max(grading):
    return sum(s.max_points for s in grading.scores if s.optimizer == "sgd")


def test_future_annotations_reach_every_statement(tmp_path, write):
    """The kept statements are compiled one by one: ``from __future__ import annotations``
    must still make every annotation lazy, as it does in the student's own Python."""
    key = SOLUTION.read_text().replace("def sgd_step(param, grad, state,",
                                       "def sgd_step(param: Tensor, grad: Tensor, state,")
    grading = grade(write("from __future__ import annotations\n" + key), public_only=True,
                    functions=("sgd_step",))
    assert sgd_points(grading) == sgd_max(grading) and not grading.warnings


def test_aliases_the_graded_functions_need_are_kept_and_nothing_else(tmp_path, write):
    """Type aliases, lambdas and dicts of them that the graded code reads are kept; an alias
    nothing graded reads, one whose names are not kept, and a call's result are not, and a
    name only a dropped statement sets is reported with its place."""
    key = SOLUTION.read_text().replace("import numpy as np\n", (
        "import numpy as np\nimport matplotlib.pyplot as plt\n"
        "Array = np.ndarray\nShapes = dict[str, tuple]\n"
        "descend = lambda p, rate, d: p - rate * d\nRULES = {'plain': descend}\n"
        "CMAP = plt.cm.viridis\nfirst_loss = losses[0]\n"), 1).replace(
        "def sgd_step(param, grad, state,", "def sgd_step(param: Array, grad: Array, state: Shapes,"
    ).replace("    return param - lr * g\n", "    return RULES['plain'](param, lr, g)\n", 1)
    kept = extract(write(key), graded={"sgd_step"})
    for line in ("Array = np.ndarray", "Shapes = dict[str, tuple]", "RULES = {'plain': descend}",
                 "descend = lambda p, rate, d: p - rate * d"):
        assert line + "\n" in kept.source, line
    assert "CMAP" not in kept.source and "first_loss" not in kept.source
    assert not kept.warnings
    grading = grade(write(key), public_only=True, functions=("sgd_step",))
    assert sgd_points(grading) == sgd_max(grading)
    # A value computed by a call is not kept: the student is told which line and why.
    called = key.replace("Array = np.ndarray\n", "Array = type(np.zeros(1))\n")
    [warning] = extract(write(called), graded={"sgd_step"}).warnings
    line = called.splitlines().index("Array = type(np.zeros(1))") + 1
    assert warning.startswith(f"Your functions use `Array`, but only line {line} sets it")
    grading = grade(write(called), public_only=True, functions=("sgd_step",))
    assert sgd_points(grading) == 0 and warning in summary(grading)
    # Names are the student's text: capped; past five, one line says how many more.
    long = "a" * 5000                      # (names are reported in sorted order)
    many = "".join(f"{n} = f()\n" for n in (long, *"abcdef")) + \
        f"def sgd_step(p, g, s):\n    return {long} + a + b + c + d + e + f\n"
    found = extract(write(many), graded={"sgd_step"}).warnings
    assert len(found) == 6 and "aaaa" in found[1] and max(map(len, found)) < 400
    assert found[-1].startswith("... and 2 more names")


def test_a_name_set_only_inside_a_dropped_block_is_reported_where_it_is_set(write):
    """The try/except fallback for an optional accelerator: the block is dropped, so the
    decorator's name is unbound; the student is told which name, where, and why, and that
    the function is defined but failed to load (not that it is missing)."""
    key = SOLUTION.read_text().replace("import numpy as np\n", (
        "import numpy as np\ntry:\n    from numba import njit\nexcept ImportError:\n"
        "    def njit(f):\n        return f\n"), 1).replace("def sgd_step(",
                                                        "@njit\ndef sgd_step(", 1)
    path = write(key)
    [warning] = extract(path, graded={"sgd_step"}).warnings
    line = key.splitlines().index("try:") + 1
    assert warning.startswith(f"Your functions use `njit`, but only line {line} sets it")
    report = summary(grade(path, public_only=True, functions=("sgd_step",)))
    defined = key.splitlines().index("@njit") + 2
    assert f"`sgd_step` is defined at line {defined}, but running that definition failed" \
        in report and "No top-level function named" not in report
    # Defined, loaded, then rebound by a kept statement: said so, no failure invented.
    report = summary(grade(write(SOLUTION.read_text() + "sgd_step = None\n"),
                           public_only=True, functions=("sgd_step",)))
    assert "no longer holds a function: a later statement rebinds `sgd_step`" in report
    assert "running that definition failed" not in report


def test_a_statement_that_parses_but_does_not_compile_is_a_warning(write):
    grading = grade(write("def sgd_step(param, grad, state, **kw):\n    break\n"),
                    public_only=True, functions=("sgd_step",))
    report = summary(grading)
    assert "`SyntaxError`: `'break' outside loop" in report
    assert "ended abruptly" not in report


def test_non_ascii_text_beside_a_kept_statement_costs_nothing(tmp_path):
    """``ast`` counts columns in UTF-8 bytes: a Greek letter before a ``;`` once cut the kept
    statement at the wrong place (0/100, or ``ax_stable_lr``)."""
    path = notebook(tmp_path, [SOLUTION.read_text(),
                               'label = "Adam, β₂ = 0.99"; betas = (0.9, 0.99)',
                               'note = "η"; max_stable_lr = 0.08  # 2 / λ_max'])
    kept = extract(path, ["max_stable_lr"])
    assert "betas = (0.9, 0.99)" in kept.source.splitlines()
    assert "max_stable_lr = 0.08" in kept.source.splitlines()
    assert grade(path).points == TOTAL
