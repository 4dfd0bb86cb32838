"""Shared fixtures: paths, and gradings cached per submission (grading is the slow part)."""

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# torch's baseline kernels, as reference generation pins them (autograder/references.py),
# chosen before any test module starts torch.
os.environ["ATEN_CPU_CAPABILITY"] = "default"

import jsonschema  # noqa: E402
import pytest

from autograder.grade import grade
from autograder.score import load_rubric
from tests.support.bugs import complete_answer_key

ROOT = Path(__file__).resolve().parent.parent
ANSWER_KEY = ROOT / "solutions" / "optimizers.py"
# A submission that earns every point: the step functions and the concept answers.
SOLUTION = Path(tempfile.mkdtemp(prefix="olab-solution-")) / "solution.py"
SOLUTION.write_text(complete_answer_key())
atexit.register(shutil.rmtree, SOLUTION.parent, True)    # each test process made its own
SKELETON = ROOT / "student_template" / "optimizers.py"
TESTS = Path(__file__).resolve().parent
SUBMISSIONS = TESTS / "submissions"
SCHEMA = json.loads((TESTS / "gradescope_results.schema.json").read_text())
# Points as the rubric gives them (``assignment/spec.py``): tests follow the configuration.
RUBRIC = load_rubric()
TOTAL = RUBRIC["total"]
POINTS = {o: sum(g["points"] for g in spec["groups"].values())
          for o, spec in RUBRIC["optimizers"].items()}
QUESTION_POINTS = sum(q["points"] for q in RUBRIC["questions"].values())
STEP_POINTS = TOTAL - QUESTION_POINTS   # every step function's groups
WITHOUT_SGD = TOTAL - POINTS["sgd"]     # a complete submission whose sgd_step earns nothing


def expected_points(cases, fails):
    """The score of a submission with every concept answer right that fails exactly the
    ``cases`` for which ``fails(case)`` holds."""
    total = 0.0
    for optimizer, spec in RUBRIC["optimizers"].items():
        for group, g in spec["groups"].items():
            mine = [c for c in cases if c.optimizer == optimizer and c.group == group]
            total += round(g["points"] * sum(not fails(c) for c in mine) / len(mine), 2)
    return round(total + QUESTION_POINTS, 2)


TIERS = ("unit", "grading", "system")


def pytest_collection_modifyitems(config, items):
    """Each test's tier is its folder (tests/unit, tests/grading, tests/system)."""
    for item in items:
        tier = next((t for t in TIERS if t in Path(str(item.fspath)).parts), None)
        if tier is None:
            raise pytest.UsageError(f"{item.nodeid}: a test belongs in tests/{'|'.join(TIERS)}")
        item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session", autouse=True)
def busy_neighbour():
    """Another user's process runs beside every test, naming a world-readable .py (a correct
    answer) on its command line, as on a shared machine: no test may depend on a quiet one.
    Returns the file's path."""
    folder = Path(tempfile.mkdtemp(prefix="olab-neighbour-"))
    folder.chmod(0o755)
    notes = folder / "notes.py"
    notes.write_text(complete_answer_key())
    notes.chmod(0o644)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(86400)",
                             str(notes)])
    yield notes
    proc.kill()
    proc.wait()
    shutil.rmtree(folder, ignore_errors=True)


@functools.cache
def graded(path, public_only=False):
    return grade(path, public_only=public_only)


# The notebook's check, as a student's notebook runs it: a fresh interpreter that has only
# a student_template/ folder (argv[1]) on its path; argv[2] the function, argv[3] the code.
RUN_CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
from lab_support import check
try:
    check(sys.argv[2], cells=[("In [1]", open(sys.argv[3]).read())])
    print(json.dumps({"passed": True}))
except AssertionError as exc:
    print(json.dumps({"passed": False, "message": str(exc)}))
"""


def sandbox_processes(data):
    """pids of processes a grading (its results) left behind as its sandbox users: those
    alive, whose ancestors up to init are all sandbox users' processes. A process of the user
    under a live grader belongs to a grading running now (another test run's, which may
    claim the user as soon as this grading released it), not to this one."""
    import pwd

    uids = {pwd.getpwnam(u).pw_uid for u in data["extra_data"]["sandbox_users"]}
    every = {pwd.getpwnam(u).pw_uid for u in (p.pw_name for p in pwd.getpwall())
             if u.startswith("olab-sandbox-")}

    def status(pid):
        try:
            fields = dict(line.split(":\t", 1) for line in
                          Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)
            if fields["State"].startswith("Z"):
                return None                      # dead, waiting to be reaped
            return int(fields["Uid"].split()[0]), int(fields["PPid"])
        except (OSError, KeyError, ValueError):
            return None

    def orphaned(pid):
        while pid > 1:
            info = status(pid)
            if info is None or info[0] not in every:
                return False
            pid = info[1]
        return True

    return [pid for pid in (int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit())
            if (status(pid) or (None,))[0] in uids and orphaned(pid)]


def failing(grading):
    return {c.id for c in grading.cases if not grading.outcomes[c.id].passed}


def assert_valid_results(data):
    jsonschema.validate(data, SCHEMA)
    json.dumps(data, allow_nan=False)


@pytest.fixture
def write(tmp_path):
    """Write a submission file into tmp_path and return its path."""
    def _write(text, name="submission.py"):
        path = tmp_path / name
        path.write_text(text)
        return path
    return _write


def tolerance_shares(path):
    """{case id: largest |got - torch| / (ATOL + RTOL |torch|)} over every entry and step:
    how much of the grading tolerance a submission uses."""
    import numpy as np

    from autograder import references
    from autograder.cases import load_cases
    from autograder.compare import ATOL, RTOL
    from autograder.execute import plan_for, run_submission
    from autograder.extract import extract
    from autograder.sandbox import Sandbox

    CASES = load_cases()
    arrays = references.load()
    expected = {case.id: references.split(arrays, case.id, "expected") for case in CASES}
    keys = plan_for(CASES, expected)
    plan = {}
    for case in CASES:
        plan.setdefault(case.function, []).append((case, keys[case.id]))
    with Sandbox() as sandbox:
        runs, _ = run_submission(extract(path).source, plan, arrays, sandbox)
    shares = {}
    for case in CASES:
        run = runs[case.id]
        assert run.error is None and run.completed == case.steps, (case.id, run.error)
        worst = 0.0
        for key, want in expected[case.id].items():
            known = ~np.isnan(want)
            got = run.trace[key][known]
            worst = max(worst, float(np.max(np.abs(got - want[known])
                                            / (ATOL + RTOL * np.abs(want[known])))))
        shares[case.id] = worst
    return shares
