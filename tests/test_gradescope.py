"""Simulated Gradescope, end to end: the zip unpacked into a temporary AUTOGRADER_ROOT,
setup.sh run with Python 3.10 (Gradescope's) and the lean runtime only, then
run_autograder on several submissions."""

import json
import subprocess
import time
import zipfile

import pytest
from conftest import (
    SKELETON,
    SOLUTION,
    TOTAL,
    assert_valid_results,
    expected_points,
    sandbox_processes,
)

from autograder.cases import load_cases
from benchmarks.image import Image
from examples.bugs import FAILS, buggy_source


@pytest.fixture(scope="module")
def image():
    try:
        with Image() as img:
            yield img
    except LookupError as exc:
        pytest.skip(str(exc))


def run_autograder(image, text):
    data, (code, out, err, _), seconds = image.run(text, metadata={"id": 123456})
    assert code == 0, err
    assert_valid_results(data)
    return data, out, seconds


def test_the_runtime_is_python_310_without_torch(image):
    done = subprocess.run([image.env["AUTOGRADER_PYTHON"], "-c",
                           "import sys, numpy, nbformat, importlib.util as u; "
                           "print(sys.version_info[:2], u.find_spec('torch'))"],
                          env=image.env, capture_output=True, text=True)
    assert done.stdout.strip() == "(3, 10) None", done.stderr


@pytest.mark.parametrize("kind, expected", [("solution", TOTAL), ("skeleton", 0)])
def test_solution_and_skeleton(image, kind, expected):
    text = {"solution": SOLUTION, "skeleton": SKELETON}[kind].read_text()
    data, _, _ = run_autograder(image, text)
    assert data["score"] == expected
    assert data["extra_data"]["submission_id"] == 123456
    assert data["extra_data"]["versions"]["python"].startswith("3.10")
    assert not data["extra_data"].get("sandbox_notes"), data["extra_data"]


def test_buggy_submission_gets_partial_credit_and_feedback(image):
    bug = "adagrad-lr-decay-off-by-one"
    data, _, _ = run_autograder(image, buggy_source(bug))
    assert data["score"] == expected_points(load_cases(), FAILS[bug])
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert [t["name"] for t in failed] == ["Adagrad: lr_decay (public cases)",
                                           "Adagrad: lr_decay (hidden cases)"]
    assert [t["visibility"] for t in failed] == ["visible", "after_due_date"]
    assert "Diverged from torch at **step 1**" in failed[0]["output"]
    assert "`adagrad-lr-decay-off-by-one`" in failed[0]["output"]
    assert "adagrad-lr-decay-off-by-one" in failed[0]["tags"]


def test_hostile_submission_cannot_touch_results_or_references(image):
    root = image.root
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
    with zipfile.ZipFile(image.zip) as zf:
        stored = zf.read("autograder/data/references-hidden.npz")
    assert (root / "source" / "autograder" / "data" / "references-hidden.npz").read_bytes() \
        == stored
    time.sleep(1.0)   # a surviving daemon would have rewritten results.json by now
    assert json.loads((root / "results" / "results.json").read_text()) == data
    assert sandbox_processes(data) == []
    assert seconds < 30
