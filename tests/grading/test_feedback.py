"""Every way a submission can go wrong ends in a clear message, never a crash."""

import pytest
from conftest import SKELETON, SOLUTION, TOTAL, failing, graded

from autograder.cases import OPTIMIZERS
from autograder.grade import grade
from autograder.report import summary

ANSWER = SOLUTION.read_text()


def outputs(grading, function):
    from autograder.report import case_text
    return [case_text(c, grading.outcomes[c.id], (grading.origins, grading.lines))
            for c in grading.cases if c.function == function and not grading.outcomes[c.id].passed]


def test_untouched_skeleton_scores_zero_with_a_message_per_function():
    grading = graded(SKELETON)
    assert grading.points == 0
    assert failing(grading) == {c.id for c in grading.cases}
    report = summary(grading)
    for function in (o["function"] for o in OPTIMIZERS.values()):
        assert f"`{function}` is not implemented yet" in report


def _with(replace_old, replace_new):
    assert replace_old in ANSWER
    return ANSWER.replace(replace_old, replace_new, 1)


CASES = {
    "exception": (_with("    if decoupled:\n", "    if decoupled:\n        1 / 0\n"),
                  "adamw_step", ["raised `ZeroDivisionError`: `division by zero`",
                                 "in _adam_update", "1 / 0"]),
    "returned-none": (_with("    return param - clr * g / (np.sqrt(state[\"sum\"]) + eps)",
                            "    param -= clr * g / (np.sqrt(state[\"sum\"]) + eps)"),
                      "adagrad_step", ["returned `None`", "return the updated parameter"]),
    "wrong-shape": (_with("    return param - lr * g\n",
                          "    return (param - lr * g).reshape(-1, 1)\n"),
                    "sgd_step", ["has shape", "the parameter's shape"]),
    "float32-dtype": (_with("    return param - lr * g\n",
                            "    return (param - lr * g).astype(np.float32)\n"),
                      "sgd_step", ["dtype `float32`", "must be float64"]),
    "renamed-state-key": (_with('state["square_avg"]', 'state["sq"]').replace(
                              'state["square_avg"]', 'state["sq"]'),
                          "rmsprop_step", ['no `"square_avg"`', "`sq`", "torch's state names"]),
    "state-rebound": (_with('    if not state:\n        state["step"] = 0\n        state["sum"]',
                            '    if not state:\n        state = {}\n        state["step"] = 0\n'
                            '        state["sum"]'),
                      "adagrad_step", ['no `"step"`', "instead of rebinding"]),
    "sys-exit": (_with("    clr = lr /", "    import sys; sys.exit(3)\n    clr = lr /"),
                 "adagrad_step", ["raised `SystemExit`: `3`"]),
    "nan": (_with("    return param - lr * g\n", "    return param - lr * g / 0.0\n"),
            "sgd_step", ["NaN or inf"]),
}


@pytest.mark.parametrize("name", CASES)
def test_failure_gets_its_own_message_and_costs_that_function_only(name, write):
    source, function, phrases = CASES[name]
    grading = grade(write(source))
    assert failing(grading) == {c.id for c in grading.cases if c.function == function} - (
        {c.id for c in grading.cases if c.optimizer == "adam"} if name == "exception" else set())
    text = "\n".join(outputs(grading, function))
    for phrase in phrases:
        assert phrase in text, (phrase, text[:2000])


def test_missing_function_is_named(write):
    source = ANSWER.replace("def adagrad_step(", "def adagrad(")
    grading = grade(write(source))
    assert failing(grading) == {c.id for c in grading.cases if c.optimizer == "adagrad"}
    assert "No top-level function named `adagrad_step`" in summary(grading)


def test_infinite_loop_times_out_for_that_function_only(write):
    source = _with("    beta1, beta2 = betas\n", "    beta1, beta2 = betas\n    while True: pass\n")
    grading = grade(write(source), timeout=1)
    assert failing(grading) == {c.id for c in grading.cases if c.optimizer in ("adam", "adamw")}
    assert "did not finish within 1 s" in summary(grading)
    assert grading.seconds < 10


def test_exit_at_import_is_reported_and_costs_everything(write):
    grading = grade(write("import os\nos._exit(0)\n" + ANSWER))
    # os._exit(0) at the top level is not kept (not an import/def/literal), so it never runs.
    assert grading.points == TOTAL
    grading = grade(write("import os\nclass Boom:\n    os._exit(0)\n" + ANSWER))
    assert grading.points == 0
    assert "ended abruptly" in summary(grading)


def test_unreadable_submission_gets_a_message(tmp_path):
    path = tmp_path / "submission.ipynb"
    path.write_text("{not json")
    grading = grade(path)
    assert grading.points == 0
    assert "could not be read as a notebook" in summary(grading)
    grading = grade(tmp_path / "notes.txt")
    assert "is not a notebook (.ipynb) or Python file (.py)" in summary(grading)
    for missing in ("gone.ipynb", "gone.zip"):
        grading = grade(tmp_path / missing)
        assert grading.points == 0
        assert f"`{missing}` could not be read (No such file or directory)" in summary(grading)


def test_failed_import_is_a_warning_not_a_failure(write):
    grading = grade(write("import matplotlib_not_installed_here as plt\n" + ANSWER))
    assert grading.points == TOTAL
    assert "The import at line 1 failed in the grading environment" in summary(grading)


def test_code_imported_from_a_module_beside_the_notebook_is_named_as_not_graded(tmp_path):
    """``from optimizers import *`` (with optimizers.py beside the notebook, as students
    keep it): grading does not have the module, and each function's feedback says so."""
    (tmp_path / "optimizers.py").write_text(ANSWER)
    star = tmp_path / "star.py"
    star.write_text("from optimizers import *\nimport numpy as np\n")
    one = tmp_path / "one.py"
    one.write_text("from optimizers import sgd_step\nimport numpy as np\n")
    text = summary(grade(star))
    assert text.count("comes from an import of `optimizers`") >= 5
    assert "not graded. Paste the functions into the notebook" in text
    text = summary(grade(one))
    assert "`sgd_step` comes from an import of `optimizers`" in text
    assert "`adam_step` comes from" not in text and "named `adam_step` was found" in text
