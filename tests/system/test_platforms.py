"""The student's check works where Linux's POSIX extras do not exist: a Python in which
``resource``, ``pwd``, ``grp`` and ``fcntl`` cannot be imported and nothing may touch
``/proc`` (as on Windows), and one where ``/proc`` is absent and ``RLIMIT_AS`` is refused
(as on macOS). Either way the verdicts and the feedback equal the Linux check's."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, SOLUTION, SUBMISSIONS

from tests.support.bugs import write

TEMPLATE = ROOT / "student_template"
POSIX_ONLY = ("resource", "pwd", "grp", "fcntl")

# Runs first in the check's process and, through the launcher's BOOT, in its child.
PRELUDE = {
    "windows": f"""
import sys
class _NoPosix:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name in {POSIX_ONLY!r}:
            raise ImportError("No module named " + repr(name) + " on this platform")
sys.meta_path.insert(0, _NoPosix())
for _name in {POSIX_ONLY!r}:
    sys.modules.pop(_name, None)
""",
    "macos": """
import resource
_setrlimit = resource.setrlimit
def _refusing(which, limits):
    if which == resource.RLIMIT_AS:
        raise ValueError("current limit exceeds maximum limit")
    return _setrlimit(which, limits)
resource.setrlimit = _refusing
""",
}
NO_PROC = """
def _no_proc(event, args):
    if event in ("open", "os.scandir", "os.listdir") and args and \\
            str(args[0]).startswith("/proc"):
        raise PermissionError("no /proc on this platform")
sys.addaudithook(_no_proc)
"""
RUN_CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
from lab_support import check
from lab_support.checks import _engine
_engine()
from autograder import launch
launch.FORKING = False          # neither Windows nor macOS forks a zygote: a fresh child each
launch.BOOT = sys.argv[4] + "\\n" + launch.BOOT.replace("; ", "\\n")
exec(sys.argv[4] + sys.argv[5])
try:
    check(sys.argv[2], cells=[("In [1]", open(sys.argv[3]).read())])
    print(json.dumps({"passed": True, "posix": sorted(set(sys.modules) & set(sys.argv[6:]))}))
except AssertionError as exc:
    print(json.dumps({"passed": False, "message": str(exc)}))
"""


def checked(function, path, tmp_path, platform=None):
    """The check's verdict, run as on ``platform``; it leaves nothing in the temporary
    folder (a student's laptop runs many checks)."""
    import os

    prelude = PRELUDE.get(platform, "")
    no_proc = NO_PROC if platform else ""
    temp = tmp_path / f"temp-{platform}"
    temp.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-c", RUN_CHECK, str(TEMPLATE), function, str(path),
                           prelude, no_proc, *POSIX_ONLY], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env={**os.environ, "TMPDIR": str(temp)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert list(temp.iterdir()) == []
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("platform", ["windows", "macos"])
def test_the_check_gives_linux_verdicts_without_posix_extras(platform, tmp_path):
    [buggy] = write(["adam-eps-hat"], tmp_path)
    good = checked("adam_step", SOLUTION, tmp_path, platform)
    assert good["passed"]
    if platform == "windows":
        assert good["posix"] == []       # none of them was imported, by us or by NumPy
    here = checked("adam_step", buggy, tmp_path)
    there = checked("adam_step", buggy, tmp_path, platform)
    assert not there["passed"] and there["message"] == here["message"]
    assert "`adam-eps-hat`" in there["message"]


# A locale whose encoding is ASCII (as a C locale, or a Windows code page lacks "→"): the
# reports' dashes and arrows must neither crash a grading nor lose its results.
ASCII = {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}


def test_grading_and_a_batch_work_in_an_ascii_locale(tmp_path):
    import os

    env = {**os.environ, **ASCII}
    buggy = SUBMISSIONS / "misconceptions" / "fixed-eps.py"      # "Steps 1–4 matched"...
    outputs = []
    for environment in (env, os.environ):
        out = tmp_path / "r.json"
        done = subprocess.run([sys.executable, "-X", "utf8=0", "-m", "autograder", "grade",
                               str(buggy), "--json", str(out)], cwd=ROOT, env=environment,
                              capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        data = json.loads(out.read_text())
        outputs.append([data["output"]] + [t["output"] for t in data["tests"]])
    assert outputs[0] == outputs[1] and any("–" in o for o in outputs[0])
    source = tmp_path / "class"
    source.mkdir(mode=0o700)
    (source / "bob.py").write_text(buggy.read_text())
    done = subprocess.run([sys.executable, "-X", "utf8=0", "-m", "toolkit", "batch",
                           str(source), "--out", str(tmp_path / "out"), "--regrade"],
                          cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "results" / "bob.json").read_text())
    assert [t["output"] for t in results["tests"]] == outputs[1][1:]
    assert (tmp_path / "out" / "feedback" / "bob.md").read_text(encoding="utf-8") == \
        outputs[1][0]
