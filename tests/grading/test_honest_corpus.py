"""The honest corpus (``tests/support/honest.py``) grades as the solution notebook does: every
case and every concept answer."""

import nbformat
import pytest
from conftest import TOTAL

from autograder.grade import grade
from tests.support.honest import VARIANTS


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_an_honest_unusual_notebook_grades_as_the_solution_does(name, tmp_path):
    path = tmp_path / "lab.ipynb"
    nbformat.write(VARIANTS[name], path)
    grading = grade(path)
    failing = sorted(c.id for c in grading.cases if not grading.outcomes[c.id].passed)
    assert (grading.points, failing) == (TOTAL, []), (name, grading.warnings[:3])
