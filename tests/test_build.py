"""Generated files are up to date with their single source."""

from conftest import SKELETON, SOLUTION


def test_skeleton_has_no_solution_code():
    text = SKELETON.read_text()
    assert "BEGIN SOLUTION" not in text and "_adam_update" not in text
    assert "BEGIN SOLUTION" not in SOLUTION.read_text()
