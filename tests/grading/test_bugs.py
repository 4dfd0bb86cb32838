"""Buggy variants fail exactly the cases their broken feature touches, lose exactly those
points, and are named by the diagnosis."""

import pytest
from conftest import TOTAL, expected_points, failing, graded

from tests.support.bugs import FAILS, write


def named(grading):
    return {mid for o in grading.outcomes.values() if o.diagnosis for mid in o.diagnosis.ids}


@pytest.mark.parametrize("bug", FAILS, ids=str)
def test_bug_fails_exactly_its_feature_and_is_named(bug, tmp_path):
    [path] = write([bug], tmp_path)
    grading = graded(path)
    fails = FAILS[bug]
    want = {c.id for c in grading.cases if fails(c)}
    assert want, "a bug no case exposes"
    assert failing(grading) == want
    assert grading.points == expected_points(grading.cases, fails) < TOTAL
    assert named(grading) == {bug}


@pytest.mark.parametrize("bug", [
    "sgd-nesterov-as-momentum", "sgd-dampening-first-step", "rmsprop-centered-stale-mean",
    "adagrad-lr-decay-off-by-one", "adagrad-ignores-initial-accumulator"])
def test_single_feature_bug_costs_that_group_only(bug, tmp_path):
    [path] = write([bug], tmp_path)
    grading = graded(path)
    lost = [s for s in grading.scores if s.passed < s.total]
    assert len(lost) == 1
    assert all(s.points == s.max_points for s in grading.scores if s is not lost[0])
    assert grading.points == TOTAL - (lost[0].max_points - lost[0].points)
