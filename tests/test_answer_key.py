"""The answer key and correct alternative forms get full marks; the tolerance is justified."""

import pytest
from conftest import (
    ANSWER_KEY,
    QUESTION_POINTS,
    SOLUTION,
    STEP_POINTS,
    SUBMISSIONS,
    TOTAL,
    failing,
    graded,
    tolerance_shares,
)

from autograder.cases import load_cases

CORRECT = [SOLUTION, SUBMISSIONS / "alternative_forms.py"]

CASES = load_cases()


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_correct_submission_gets_full_marks(path):
    grading = graded(path)
    assert failing(grading) == set()
    assert len(grading.outcomes) == len(CASES)
    steps = [s for s in grading.scores if s.optimizer != "questions"]
    assert sum(s.points for s in steps) == sum(s.max_points for s in steps) == STEP_POINTS
    assert grading.max_points == TOTAL


def test_concept_answers_are_graded_against_the_key(write):
    from autograder.score import load_answer_key

    key = load_answer_key()
    body = ANSWER_KEY.read_text()
    cases = {"right": ("".join(f"{k} = {v!r}\n" for k, v in key.items()), TOTAL),
             "expression": ("max_stable_lr = 2 / 25\nadam_first_step = 1e-2\n", TOTAL),
             "wrong": ("".join(f"{k} = {v * 2!r}\n" for k, v in key.items()), STEP_POINTS),
             "not a number": ("max_stable_lr = 'two over L'\nadam_first_step = ...\n",
                              STEP_POINTS)}
    for name, (answers, points) in cases.items():
        grading = graded(write(body + answers, name=f"{name.replace(' ', '_')}.py"))
        assert grading.points == points, name
    # No step function at all: the answers still get a child of their own.
    assert graded(write(cases["right"][0], name="answers_only.py")).points == QUESTION_POINTS


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_correct_forms_match_torch_far_inside_the_tolerance(path):
    shares = tolerance_shares(path)
    assert set(shares) == {c.id for c in CASES}
    # The margin the compare module's docstring claims: >= 1000x inside the tolerance.
    worst = max(shares.values())
    assert worst < 1e-3, f"a correct form uses {worst:.2g} of the tolerance"


def test_public_only_grades_only_public_cases():
    grading = graded(SOLUTION, public_only=True)
    assert grading.cases and all(c.public for c in grading.cases)
    assert grading.points == grading.max_points
