"""Buggy variants fail exactly the cases their broken feature touches, and lose those points."""

import pytest
from conftest import failing, graded

from autograder.score import load_rubric
from examples.bugs import BUGS, write


def expected_points(cases, fails):
    rubric = load_rubric()
    total = 0.0
    for optimizer, spec in rubric["optimizers"].items():
        for group, g in spec["groups"].items():
            mine = [c for c in cases if c.optimizer == optimizer and c.group == group]
            total += round(g["points"] * sum(not fails(c) for c in mine) / len(mine), 2)
    return round(total, 2)


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.id)
def test_bug_fails_exactly_its_feature(bug, tmp_path):
    [path] = write([bug.id], tmp_path)
    grading = graded(path)
    want = {c.id for c in grading.cases if bug.fails(c)}
    assert want, "a bug no case exposes"
    assert failing(grading) == want
    assert grading.points == expected_points(grading.cases, bug.fails) < 100


@pytest.mark.parametrize("bug", [b for b in BUGS if b.id in {
    "sgd-nesterov-as-momentum", "sgd-dampening-first-step", "rmsprop-centered-stale-mean",
    "adagrad-lr-decay-off-by-one", "adagrad-ignores-initial-accumulator"}], ids=lambda b: b.id)
def test_single_feature_bug_costs_that_group_only(bug, tmp_path):
    [path] = write([bug.id], tmp_path)
    grading = graded(path)
    lost = [s for s in grading.scores if s.passed < s.total]
    assert len(lost) == 1
    assert all(s.points == s.max_points for s in grading.scores if s is not lost[0])
    assert grading.points == 100 - (lost[0].max_points - lost[0].points)
