"""Generated files are up to date with their single source."""

import subprocess
import sys

from conftest import ROOT, SKELETON, SOLUTION


def test_answer_key_and_skeleton_are_built_from_the_assignment_source():
    done = subprocess.run([sys.executable, "assignment/build.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_skeleton_has_no_solution_code():
    text = SKELETON.read_text()
    assert "BEGIN SOLUTION" not in text and "_adam_update" not in text
    assert "BEGIN SOLUTION" not in SOLUTION.read_text()
