"""Every hyperparameter of every step function is exercised by the public cases: code that
ignores one (computes with torch's default whatever it is passed) fails the notebook's
check already, and the feedback names the cause or says plainly what is missing."""

import ast

import pytest
from conftest import RUBRIC, SOLUTION

from autograder.grade import grade
from autograder.report import check_text

# Ignoring these is known by another name, or leaves a state entry out (said plainly).
OTHER_NAMES = {"nesterov": "sgd-nesterov-as-momentum",
               "initial_accumulator_value": "adagrad-ignores-initial-accumulator"}
LEAVES_OUT = {"momentum": "momentum_buffer", "centered": "grad_avg",
              "amsgrad": "max_exp_avg_sq"}
ARGUMENTS = [(o["function"], name, default) for o in RUBRIC["optimizers"].values()
             for name, default in o["hyperparameters"].items()]


def ignoring(source, function, name, default):
    """``source`` with ``name = default`` as the first statement of ``function``."""
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    value = tuple(default) if isinstance(default, list) else default
    fn.body.insert(1 if ast.get_docstring(fn) else 0,
                   ast.parse(f"{name} = {value!r}").body[0])
    return ast.unparse(tree)


@pytest.mark.parametrize("function, name, default", ARGUMENTS,
                         ids=[f"{f}-{n}" for f, n, _ in ARGUMENTS])
def test_ignoring_an_argument_fails_the_public_check_with_its_cause(function, name, default,
                                                                    tmp_path):
    path = tmp_path / "submission.py"
    path.write_text(ignoring(SOLUTION.read_text(), function, name, default))
    grading = grade(path, public_only=True, functions={function})
    failing = [c for c in grading.cases if not grading.outcomes[c.id].passed]
    assert failing, f"no public case notices {function} ignoring {name}"
    named = {i for c in failing if grading.outcomes[c.id].diagnosis
             for i in grading.outcomes[c.id].diagnosis.ids}
    if name in LEAVES_OUT:
        assert f'`state` has no `"{LEAVES_OUT[name]}"`' in check_text(grading)
        assert not named
    else:
        assert named == {OTHER_NAMES.get(name, f"fixed-{name}")}
