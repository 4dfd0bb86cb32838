"""The notebook's checks run the autograder itself on the public cases, from the engine
shipped in student_template/, and say exactly what Gradescope says for those cases."""

import json
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT, RUN_CHECK, SOLUTION, graded

from autograder.report import case_text, config_text
from examples.bugs import write

TEMPLATE = ROOT / "student_template"


def notebook_check(function, path, tmp_path):
    """check() as a student's notebook runs it: a fresh interpreter that has only
    student_template/ (engine from its zip), not this repository, on its path."""
    done = subprocess.run([sys.executable, "-c", RUN_CHECK, str(TEMPLATE), function, str(path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_engine_zip_holds_no_hidden_data_or_answer_key():
    with zipfile.ZipFile(TEMPLATE / "autograder_engine.zip") as zf:
        names = zf.namelist()
    assert "autograder/data/references-public.npz" in names
    assert not [n for n in names if "hidden" in n or "solutions" in n or "answer" in n]


def test_check_passes_a_correct_function(tmp_path):
    assert notebook_check("adam_step", SOLUTION, tmp_path) == {"passed": True}


@pytest.mark.parametrize("bug, function", [("amsgrad-max-of-corrected", "adam_step"),
                                           ("rmsprop-alpha-swapped", "rmsprop_step")])
def test_check_says_what_gradescope_says_for_public_cases(bug, function, tmp_path):
    """The first failing case in full, exactly as Gradescope words it; every other failing
    case in one line."""
    [path] = write([bug], tmp_path)
    result = notebook_check(function, path, tmp_path)
    assert not result["passed"]
    grading = graded(path, public_only=True)
    failing = [c for c in grading.cases if c.function == function
               and not grading.outcomes[c.id].passed]
    assert failing
    first = case_text(failing[0], grading.outcomes[failing[0].id],
                      (grading.origins, grading.lines))
    assert first in result["message"]
    for case in failing[1:]:
        assert f"- `{function}({config_text(case)})` on the {case.problem}" in result["message"]
    assert f"`{bug}`" in result["message"]
    assert len(result["message"].splitlines()) < 40


def test_a_check_of_a_function_with_no_case_is_an_error_not_a_pass(tmp_path):
    result = notebook_check("lion_step", SOLUTION, tmp_path)
    assert result == {"passed": False,
                      "message": "no public case checks lion_step: tell your instructor"}


def test_kernels_checking_at_once_each_import_a_whole_engine(tmp_path):
    """Four checks start at once in a fresh student folder: each unpacks the engine or uses
    one another unpacked completely, never a half-written one."""
    template = tmp_path / "lab"
    shutil.copytree(TEMPLATE, template, ignore=shutil.ignore_patterns(".autograder_engine"))
    checks = [subprocess.Popen([sys.executable, "-c", RUN_CHECK, str(template), "adam_step",
                                str(SOLUTION)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=tmp_path) for _ in range(4)]
    for check in checks:
        out, err = check.communicate(timeout=120)
        assert json.loads(out.strip().splitlines()[-1]) == {"passed": True}, err
    unpacked = list((template / ".autograder_engine").iterdir())
    assert len(unpacked) == 1 and (unpacked[0] / "autograder" / "grade.py").exists()
