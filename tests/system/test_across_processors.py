"""Grading decisions do not depend on the processor. With every stored expected value and
variant trajectory moved by ten times the largest difference measured between torch's kernel
builds (``generate.KERNEL_DIFFERENCE``), every score, failing case and named misconception
stays as it is with the stored files."""

import numpy as np
from conftest import SOLUTION, SUBMISSIONS, failing, graded

from autograder import references
from autograder.compare import ATOL, RTOL
from autograder.grade import grade
from autograder.misconceptions import BY_ID
from tests.support.bugs import FAILS, write
from toolkit import generate

SHIFT = 10 * generate.KERNEL_DIFFERENCE   # as a share of the tolerance ATOL + RTOL |x|


def _moved(read_packed):
    """``read_packed`` with every trajectory value (not the inputs) moved by SHIFT of the
    tolerance, up or down at random."""
    def read(path):
        arrays = read_packed(path)
        rng = np.random.default_rng(len(arrays))
        for key, value in arrays.items():
            if "/inputs/" not in key and value.dtype == np.float64:
                sign = rng.choice([-1.0, 1.0], size=value.shape)
                arrays[key] = value + sign * SHIFT * (ATOL + RTOL * np.abs(value))
        return arrays
    return read


def verdicts(grading):
    named = {mid for o in grading.outcomes.values() if o.diagnosis for mid in o.diagnosis.ids}
    return grading.points, failing(grading), named


def _submissions(tmp):
    yield "answer key", SOLUTION
    yield "alternative forms", SUBMISSIONS / "alternative_forms.py"
    for mid in sorted(BY_ID):
        yield f"handwritten {mid}", SUBMISSIONS / "misconceptions" / f"{mid}.py"
    yield from ((f"bug {bug}", path) for bug, path in zip(FAILS, write(FAILS, tmp)))


def test_verdicts_survive_ten_times_the_cross_processor_difference(monkeypatch, tmp_path):
    submissions = dict(_submissions(tmp_path))
    before = {label: verdicts(graded(path)) for label, path in submissions.items()}
    assert before["answer key"][1] == set() == before["alternative forms"][1]
    stored = references.load()
    monkeypatch.setattr(references, "read_packed", _moved(references.read_packed))
    moved = references.load()
    assert all(np.array_equal(moved[k], v, equal_nan=True) == ("/inputs/" in k)
               for k, v in stored.items() if v.dtype == np.float64 and v.size > 1)
    after = {label: verdicts(grade(path)) for label, path in submissions.items()}
    assert {k: (before[k], v) for k, v in after.items() if v != before[k]} == {}
