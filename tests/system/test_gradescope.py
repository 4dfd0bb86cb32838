"""Simulated Gradescope, end to end: the zip unpacked into a temporary AUTOGRADER_ROOT,
setup.sh run with Python 3.10 (Gradescope's) and the lean runtime only, then
run_autograder on several submissions."""

import json
import os
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
from tests.support.bugs import FAILS, buggy_source
from tests.support.image import Image


@pytest.fixture(scope="module")
def image():
    try:
        with Image() as img:
            yield img
    except LookupError as exc:
        pytest.skip(str(exc))


def run_autograder(image, text, name="lab.py"):
    data, (code, out, err, _), seconds = image.run(text, name=name, metadata={"id": 123456})
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


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to become another user")
def test_as_a_normal_user_grading_runs_under_landlock_and_says_so(image):
    """An instructor without root (or a JupyterHub user), who owns the grader's files: no
    namespaces, no user of its own, but Landlock and the filter hold (the child cannot read
    the hidden references its own user can), and the notes say what did not."""
    from test_red_team import submission

    folder = image.base / "as-nobody"     # (pytest's folders are root's only)
    folder.mkdir(mode=0o777, exist_ok=True)
    folder.chmod(0o777)
    data_dir = image.root / "source" / "autograder" / "data"
    hidden = data_dir / "references-hidden.npz"
    subprocess.run(["chown", "-R", "nobody", str(image.root / "source")], check=True)
    attack = submission(f"""
        try:
            open({str(hidden)!r}, "rb").read(8)
            raise RuntimeError("READ the hidden references")
        except OSError as exc:
            raise RuntimeError("REFUSED " + type(exc).__name__)
    """)
    graded = {}
    try:
        for name, text in (("solution", SOLUTION.read_text()), ("attack", attack)):
            (folder / f"{name}.py").write_text(text)
            (folder / f"{name}.py").chmod(0o644)
            done = subprocess.run(["runuser", "-u", "nobody", "--",
                                   image.env["AUTOGRADER_PYTHON"], "-m", "autograder", "grade",
                                   str(folder / f"{name}.py"), "--json",
                                   str(folder / f"{name}.json")], cwd=image.root / "source",
                                  env={**image.env, "HOME": str(folder)}, capture_output=True,
                                  text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-3000:]
            graded[name] = json.loads((folder / f"{name}.json").read_text())
    finally:
        subprocess.run(["chown", "-R", "root", str(image.root / "source")], check=True)
    assert graded["solution"]["score"] == TOTAL
    notes = graded["solution"]["extra_data"]["sandbox_notes"]
    assert any("not running as root" in n for n in notes), notes
    assert not any("no Landlock" in n or "network filter" in n for n in notes), notes
    output = json.dumps(graded["attack"])
    assert "REFUSED PermissionError" in output and "READ the" not in output


def test_as_in_gradescopes_container_every_honest_notebook_takes_full_marks(image):
    """Gradescope's Docker gives root neither namespaces nor a cgroup: the children run on the
    image's own files under Landlock, the sandbox user, rlimits and the filter. The
    solution and every honest notebook take full marks, and the notes name only the two
    layers missing (none that did not hold, no unreadable standard library)."""
    import nbformat

    from tests.support.honest import VARIANTS

    saved = dict(image.env)
    image.env["OLAB_SANDBOX_OFF"] = "namespaces,cgroup"
    try:
        notebooks = [("solution", SOLUTION.read_text(), "lab.py")] + [
            (name, nbformat.writes(nb), "lab.ipynb") for name, nb in sorted(VARIANTS.items())]
        for name, text, file_name in notebooks:
            data, _, _ = run_autograder(image, text, file_name)
            assert data["score"] == TOTAL, (name, data["output"][:1500])
            notes = data["extra_data"]["sandbox_notes"]
            assert len(notes) == 2 and all("switched off" in n for n in notes), notes
    finally:
        image.env.clear()
        image.env.update(saved)


def test_honest_unusual_notebooks_grade_in_the_image_as_the_solution_does(image):
    """The honest corpus (``tests/support/honest.py``) through run_autograder, with Python
    3.10 and the lean runtime: each grades as the solution notebook does."""
    import nbformat

    from tests.support.honest import VARIANTS

    for name, nb in sorted(VARIANTS.items()):
        data, _, _ = run_autograder(image, nbformat.writes(nb), "lab.ipynb")
        assert data["score"] == TOTAL, (name, data["output"][:1500])
