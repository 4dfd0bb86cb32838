"""The student flow on every Python from 3.9 to 3.13 this machine has (pyenv's, or on
PATH), in virtual environments kept in ``.venv-matrix/``: NumPy 1.26 on 3.9, NumPy 2.x on
the others. The engine unpacks from the student release and the check passes the
solution and says of a buggy function exactly what it says here."""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, RUN_CHECK, SOLUTION

from tests.support.bugs import write

MATRIX = ROOT / ".venv-matrix"
NUMPY = {"3.9": "numpy==1.26.4"}            # the others get the pinned 2.x
NUMPY_2 = next(line.strip() for line in (ROOT / "requirements" / "runtime.txt").read_text()
               .splitlines() if line.startswith("numpy=="))


def pythons():
    """{"3.X": interpreter} for each minor version 3.9-3.13 found (pyenv's first)."""
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"]
    found = {}
    for minor in ("3.9", "3.10", "3.11", "3.12", "3.13"):
        candidates = sorted(p / "bin" / "python" for root in roots if root.is_dir()
                            for p in root.glob(f"{minor}.*"))
        on_path = shutil.which(f"python{minor}")
        for exe in candidates + ([Path(on_path)] if on_path else []):
            if exe.exists():
                found[minor] = exe
                break
    return found


FOUND = pythons()


def test_at_least_three_pythons_are_found(capsys):
    with capsys.disabled():
        print(f"\nPythons for the student flow: {', '.join(FOUND) or 'none'}", end=" ")
    assert len(FOUND) >= 3, f"only {sorted(FOUND)}: install more (pyenv install 3.X)"


def environment(minor):
    """A virtual environment of that Python with NumPy (made once, then reused)."""
    MATRIX.mkdir(exist_ok=True)
    venv = MATRIX / f"py{minor}"
    python = venv / "bin" / "python"
    numpy = NUMPY.get(minor, NUMPY_2)
    stamp = venv / f".installed-{numpy}"
    with open(MATRIX / ".lock", "w") as lock:          # two test runs at once: one builds
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([str(FOUND[minor]), "-m", "venv", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q",
                            "--disable-pip-version-check", numpy], check=True,
                           capture_output=True)
            stamp.touch()
    return python


def checked(python, template, function, path):
    done = subprocess.run([str(python), "-c", RUN_CHECK, str(template), function, str(path)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("minor", sorted(FOUND))
def test_the_student_flow(minor, tmp_path):
    python = environment(minor)
    template = tmp_path / "student_template"       # a fresh copy: the engine unpacks in it
    shutil.copytree(ROOT / "student_template", template,
                    ignore=shutil.ignore_patterns(".autograder_engine", "__pycache__"))
    assert checked(python, template, "adam_step", SOLUTION) == {"passed": True}
    [buggy] = write(["amsgrad-max-of-corrected"], tmp_path)
    there = checked(python, template, "adam_step", buggy)
    here = checked(sys.executable, template, "adam_step", buggy)
    assert not there["passed"] and there["message"] == here["message"]
