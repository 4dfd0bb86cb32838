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

# The answer key, and correct code written in other forms and styles (every one written
# independently: tests/submissions/independent/).
CORRECT = [SOLUTION, SUBMISSIONS / "alternative_forms.py",
           *sorted((SUBMISSIONS / "independent").glob("*.py"))]

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
    from assignment.spec import QUESTIONS
    from autograder.score import load_answer_key

    key = load_answer_key()

    def right(v):
        return sum(v) / 2 if isinstance(v, list) else v

    def answers(values):
        return "".join(f"{k} = {v}\n" for k, v in values.items())

    body = ANSWER_KEY.read_text()
    cases = {"right": (answers({k: repr(right(v)) for k, v in key.items()}), TOTAL),
             "expression": (answers({k: q["answer"] for k, q in QUESTIONS.items()}), TOTAL),
             "wrong": (answers({k: repr(2 * (v[1] if isinstance(v, list) else v))
                                for k, v in key.items()}), STEP_POINTS),
             "not a number": (answers({k: "'two over L'" for k in key}), STEP_POINTS),
             "range ends": (answers({k: repr(v[i % 2]) if isinstance(v, list) else repr(v)
                                     for i, (k, v) in enumerate(key.items())}), TOTAL)}
    for name, (text, points) in cases.items():
        grading = graded(write(body + text, name=f"{name.replace(' ', '_')}.py"))
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
