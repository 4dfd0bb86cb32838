"""Simulated Gradescope, end to end: the zip unpacked into a temporary AUTOGRADER_ROOT,
setup.sh run with Python 3.10 (Gradescope's) and the lean runtime only, then
run_autograder on several submissions."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from conftest import SKELETON, SOLUTION, assert_valid_results

from autograder.gradescope import build_zip
from examples.bugs import BY_ID, buggy_source

PY310 = sorted(Path("/root/.pyenv/versions").glob("3.10.*/bin/python3.10")) or [
    Path(p) for p in [shutil.which("python3.10")] if p]


@pytest.fixture(scope="session")
def image():
    """A Gradescope-like root with setup.sh done: (root, environment for run_autograder)."""
    if not PY310:
        pytest.skip("no Python 3.10 on this machine to stand in for Gradescope's")
    # Not under pytest's own temporary folder, which only root may enter.
    base = Path(tempfile.mkdtemp(prefix="olab-gradescope-"))
    os.chmod(base, 0o755)
    # A copy outside root's home, so the sandbox user can execute it (as on Gradescope,
    # whose Python is /usr/bin/python3.10).
    home = PY310[0].parent.parent
    python_home = base / "python3.10"
    shutil.copytree(home, python_home, symlinks=True, ignore=shutil.ignore_patterns(
        "test", "site-packages", "__pycache__", "*.a", "idlelib", "tkinter", "ensurepip"))
    env = {"PATH": os.environ["PATH"], "LD_LIBRARY_PATH": str(python_home / "lib"),
           "AUTOGRADER_ROOT": str(base / "autograder")}
    venv = base / "venv"
    subprocess.run([python_home / "bin" / "python3.10", "-m", "venv", "--without-pip", venv],
                   check=True, env=env)
    subprocess.run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
                    "-q", "pip"], check=False, env=env, capture_output=True)
    if not (venv / "bin" / "pip").exists():
        subprocess.run([venv / "bin" / "python", "-m", "ensurepip"], check=False, env=env)
    env["AUTOGRADER_PYTHON"] = str(venv / "bin" / "python")
    root = base / "autograder"
    zip_path, _ = build_zip(base / "autograder.zip")
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():
            os.chmod(root / "source" / info.filename, info.external_attr >> 16)
    done = subprocess.run(["bash", root / "source" / "setup.sh"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    yield root, env
    shutil.rmtree(base, ignore_errors=True)


def run_autograder(image, submission_text, name="lab.py"):
    root, env = image
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    (root / "submission" / name).write_text(submission_text)
    (root / "submission_metadata.json").write_text(json.dumps({"id": 123456}))
    started = time.monotonic()
    done = subprocess.run(["bash", root / "run_autograder"], env=env, capture_output=True,
                          text=True, timeout=300)
    seconds = time.monotonic() - started
    data = json.loads((root / "results" / "results.json").read_text())
    assert_valid_results(data)
    return data, done, seconds


def test_the_runtime_is_python_310_without_torch(image):
    root, env = image
    done = subprocess.run([env["AUTOGRADER_PYTHON"], "-c",
                           "import sys, numpy, nbformat, importlib.util as u; "
                           "print(sys.version_info[:2], u.find_spec('torch'))"],
                          env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "(3, 10) None", done.stderr


@pytest.mark.parametrize("kind, expected", [("solution", 100), ("skeleton", 0)])
def test_solution_and_skeleton(image, kind, expected):
    text = {"solution": SOLUTION, "skeleton": SKELETON}[kind].read_text()
    data, done, seconds = run_autograder(image, text)
    assert data["score"] == expected
    assert data["extra_data"]["submission_id"] == 123456
    assert data["extra_data"]["versions"]["python"].startswith("3.10")
    assert not data["extra_data"].get("sandbox_notes"), data["extra_data"]
    assert seconds < 60


def test_buggy_submission_gets_partial_credit_and_feedback(image):
    data, _, _ = run_autograder(image, buggy_source(BY_ID["adagrad-lr-decay-off-by-one"]))
    assert data["score"] == 97
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert [t["name"] for t in failed] == ["Adagrad: lr_decay"]
    assert "Diverged from torch at **step 1**" in failed[0]["output"]


def test_hostile_submission_cannot_touch_results_or_references(image):
    root, _ = image
    results_path = str(root / "results" / "results.json")
    targets = (results_path, str(root / "source" / "autograder" / "data" /
                                 "references-hidden.npz"), str(root / "run_autograder"))
    attack = f"""
import os, time

def adam_step(param, grad, state, **hyper):
    for target in {targets!r}:
        try:
            open(target, "w").write('{{"score": 1000}}')
        except OSError:
            pass
    if not os.path.exists("forked"):        # once: a double-forked daemon that outlives us
        open("forked", "w").close()
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                for _ in range(300):         # bounded: 30 s at most
                    time.sleep(0.1)
                    try:
                        open({results_path!r}, "w").write('{{"score": 1000}}')
                    except OSError:
                        pass
            os._exit(0)
    return param
"""
    data, done, seconds = run_autograder(image, attack)
    assert data["score"] == 0
    assert "1000" not in (root / "run_autograder").read_text()
    with zipfile.ZipFile(root.parent / "autograder.zip") as zf:
        stored = zf.read("autograder/data/references-hidden.npz")
    assert (root / "source" / "autograder" / "data" / "references-hidden.npz").read_bytes() \
        == stored
    time.sleep(1.0)   # a surviving daemon would have rewritten results.json by now
    assert json.loads((root / "results" / "results.json").read_text()) == data
    leftover = subprocess.run(["pgrep", "-u", "olab-sandbox"], capture_output=True, text=True)
    assert leftover.stdout == ""
    assert seconds < 30
