"""The answer key and correct alternative forms get full marks; the tolerance is justified."""

import pytest
from conftest import SOLUTION, SUBMISSIONS, failing, graded, max_relative_errors

from autograder import compare
from autograder.cases import CASES

CORRECT = [SOLUTION, SUBMISSIONS / "alternative_forms.py"]


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_correct_submission_gets_full_marks(path):
    grading = graded(path)
    assert failing(grading) == set()
    assert grading.points == grading.max_points == 100
    assert len(grading.outcomes) == len(CASES)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_correct_forms_match_torch_far_inside_the_tolerance(path):
    errors = max_relative_errors(path)
    assert set(errors) == {c.id for c in CASES}
    worst = max(errors.values())
    assert worst < 1e-12, f"largest relative difference {worst:.2e}"
    # The margin the compare module's docstring claims: >= 1000x under RTOL.
    assert worst * 1000 < compare.RTOL


def test_public_only_grades_only_public_cases():
    grading = graded(SOLUTION, public_only=True)
    assert grading.cases and all(c.public for c in grading.cases)
    assert grading.points == grading.max_points
