"""One test per attack seen in the wild (shared/reference/gradescope.md) and a few more.

Each attack lives in ``sgd_step`` (or at load time) of an otherwise correct submission, so
the honest score is everything but SGD's points (WITHOUT_SGD). Every test asserts the
score is not inflated, the results file is valid, and the run ended in time. Every attack
is bounded (a loop that ends, a sleep that ends, a capped number of forks, a fork-bomb
child that exits) so a failed defence cannot harm the machine.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT, SOLUTION, TOTAL, WITHOUT_SGD, assert_valid_results, sandbox_processes

from autograder.sandbox import Sandbox

ANSWER = SOLUTION.read_text()
SGD_START = ANSWER.index("def sgd_step(")
SGD_END = ANSWER.index("def rmsprop_step(")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="file protections need root "
                               "(children then run as the sandbox user, as on Gradescope)")


def submission(body="", load=""):
    """The answer key with ``sgd_step`` replaced by ``body`` (which returns param unchanged
    unless it returns first) and ``load`` run at load time (in a class body)."""
    sgd = ("def sgd_step(param, grad, state, **hyper):\n"
           + textwrap.indent(textwrap.dedent(body).strip() or "pass", "    ")
           + "\n    return param\n\n\n")
    loader = ("class _AtLoad:\n" + textwrap.indent(textwrap.dedent(load).strip(), "    ")
              + "\n\n\n") if load else ""
    return ANSWER[:SGD_START] + loader + sgd + ANSWER[SGD_END:]


def grade_cli(tmp_path, source, cwd=ROOT, timeout=2):
    path = tmp_path / "attack.py"
    path.write_text(source)
    out = tmp_path / "results" / "results.json"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--json",
                           str(out), "--timeout", str(timeout)], cwd=cwd, capture_output=True,
                          text=True, timeout=180)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    assert_valid_results(data)
    return data, seconds


def sgd_output(data):
    return "\n".join(t["output"] for t in data["tests"] if "sgd" in t["tags"])


def test_writes_results_json_itself(tmp_path):
    target = tmp_path / "results" / "results.json"
    data, seconds = grade_cli(tmp_path, submission(f"""
        import os
        os.makedirs({str(target.parent)!r}, exist_ok=True)
        open({str(target)!r}, "w").write('{{"score": 1000, "tests": []}}')
    """))
    assert data["score"] == WITHOUT_SGD and json.loads(target.read_text()) == data
    assert seconds < 30


@root_only
def test_edits_the_grader(tmp_path):
    copy = tmp_path / "grader"
    shutil.copytree(ROOT / "autograder", copy / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "requirements", copy / "requirements")
    before = {p: p.read_bytes() for p in (copy / "autograder").rglob("*.py")}
    victim = copy / "autograder" / "compare.py"
    data, _ = grade_cli(tmp_path, submission(f"""
        for path in ({str(victim)!r},
                     {str(copy / 'autograder' / 'gradescope_files' / 'run_autograder')!r}):
            try:
                open(path, "a").write("\\nRTOL = 1e300\\n")
            except OSError:
                pass
        return param + 1
    """), cwd=copy)
    assert data["score"] == WITHOUT_SGD
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("how", ["os._exit(0)", "sys.exit(0)", "raise SystemExit(0)"])
def test_exits_early_inside_a_step(tmp_path, how):
    data, _ = grade_cli(tmp_path, submission(f"import os, sys\n{how}"))
    assert data["score"] == WITHOUT_SGD


def test_exits_at_import(tmp_path):
    data, _ = grade_cli(tmp_path, submission(load="import os\nos._exit(0)"))
    assert data["score"] == 0
    assert "ended abruptly" in data["output"]


def test_monkeypatches_numpy_and_builtins(tmp_path):
    data, _ = grade_cli(tmp_path, submission(
        "return param + 1",
        load="""
        import builtins, numpy as np
        np.allclose = np.array_equal = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        np.abs = np.isnan = lambda x, *a, **k: 0 * x
        builtins.abs = lambda x: 0
        """))
    assert data["score"] == WITHOUT_SGD


@pytest.mark.parametrize("liar", [
    "class Liar:\n    def __eq__(self, other): return True\n    __array_priority__ = 1e9\n"
    "return Liar()",
    "import numpy as np\nclass Liar(np.ndarray):\n    def __eq__(self, other): return True\n"
    "    def __sub__(self, other): return np.zeros(self.shape)\n"
    "return (param + 1).view(Liar)",
])
def test_returns_objects_equal_to_everything(tmp_path, liar):
    data, _ = grade_cli(tmp_path, submission(liar))
    assert data["score"] == WITHOUT_SGD


@root_only
def test_reads_hidden_references_and_prints_them(tmp_path):
    hidden = ROOT / "autograder" / "data" / "references-hidden.npz"
    data, _ = grade_cli(tmp_path, submission(f"""
        import os
        found = []
        for path in ({str(hidden)!r}, {str(ROOT / 'solutions' / 'optimizers.py')!r},
                     "/proc/%d/environ" % os.getppid(), "/proc/%d/mem" % os.getppid()):
            try:
                found.append(repr(open(path, "rb").read(64)))
            except OSError as exc:
                found.append(type(exc).__name__)
        print(found)
        raise RuntimeError("LEAK " + " ".join(found))
    """))
    assert data["score"] == WITHOUT_SGD
    output = sgd_output(data)
    # Each path is missing from the child's view, or refused: no byte of any of them.
    assert re.search(r"LEAK (PermissionError|FileNotFoundError)( (PermissionError|"
                     r"FileNotFoundError)){3}", output), output


def test_leaves_a_background_process(tmp_path):
    """A double-forked daemon that says it is alive (through a pipe, into the feedback),
    then runs for 20 s: no process of the grading outlives it."""
    data, _ = grade_cli(tmp_path, submission("""
        import os, time
        r, w = os.pipe()
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.write(w, b"up")
                for _ in range(200):   # bounded: 20 s
                    time.sleep(0.1)
            os._exit(0)
        raise RuntimeError("DAEMON " + os.read(r, 2).decode())
    """))
    assert data["score"] <= WITHOUT_SGD
    assert "DAEMON up" in sgd_output(data), "the daemon never ran: the test proves nothing"
    if os.geteuid() == 0:
        assert sandbox_processes(data) == []


@pytest.mark.parametrize("body", [
    "import time\nt0 = time.time()\nwhile time.time() < t0 + 120: pass",    # loops "forever"
    "import time\ntime.sleep(120)",
    "import resource, time\n"
    "try:\n    resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))\n"
    "except (ValueError, OSError):\n    pass\nt0 = time.time()\nwhile time.time() < t0 + 120: pass",
])
def test_never_ends(tmp_path, body):
    data, seconds = grade_cli(tmp_path, submission(body), timeout=1)
    assert data["score"] == WITHOUT_SGD
    assert "did not finish within 1 s" in sgd_output(data)
    assert seconds < 25


def test_exhausts_memory(tmp_path):
    data, seconds = grade_cli(tmp_path, submission("""
        import numpy as np
        hoard = []
        for _ in range(128):                    # bounded: 8 GiB at most
            hoard.append(np.ones(2**23))        # 64 MiB each
    """))
    assert data["score"] == WITHOUT_SGD
    output = sgd_output(data)       # its own process's limit, or the grading's as a whole
    assert "MemoryError" in output or "ran out of memory" in output, output
    assert seconds < 30


def test_fork_bomb(tmp_path):
    data, seconds = grade_cli(tmp_path, submission("""
        import os, time
        for _ in range(1000):                   # bounded: 1000 forks, each gone within 20 s
            if os.fork() == 0:
                time.sleep(20)
                os._exit(0)
    """))
    assert data["score"] == WITHOUT_SGD
    assert seconds < 30
    if os.geteuid() == 0:
        assert sandbox_processes(data) == []


def test_imports_a_library_that_implements_the_answer(tmp_path):
    data, _ = grade_cli(tmp_path, submission("""
        import torch
        p = torch.nn.Parameter(torch.tensor(param))
        p.grad = torch.tensor(grad)
        torch.optim.SGD([p], lr=hyper["lr"]).step()
        return p.detach().numpy()
    """))
    assert data["score"] == WITHOUT_SGD
    assert "importing torch is not allowed while grading" in sgd_output(data)


def test_forges_result_frames(tmp_path):
    data, _ = grade_cli(tmp_path, submission("""
        import os
        for fd in range(3, 32):
            try:
                os.write(fd, b"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x10" + b"PK" * 64)
            except OSError:
                pass
    """))
    assert data["score"] <= WITHOUT_SGD


@root_only
def test_signals_the_grader(tmp_path):
    data, _ = grade_cli(tmp_path, submission("""
        import os, signal
        for pid in (os.getppid(), 1):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    """))
    assert data["score"] == WITHOUT_SGD


def test_a_sandbox_with_nothing_to_run_ends_its_spare_child():
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with Sandbox() as sandbox:
            spare, *_ = sandbox.spare
        gc.collect()
    assert spare.returncode is not None
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


@root_only
def test_a_sandbox_that_cannot_start_blames_the_grader_not_the_student(tmp_path):
    """The grader's NumPy in a folder the sandbox user cannot read (a virtual environment
    under a 0700 folder, or `sudo make grade` from a 0750 home): no child can start, so
    nothing is graded and nobody gets a zero."""
    hidden_env = tmp_path / "private"
    site = hidden_env / "site"
    numpy_dir = Path(__import__("numpy").__file__).parent
    shutil.copytree(numpy_dir, site / "numpy")
    if (numpy_dir.parent / "numpy.libs").exists():
        shutil.copytree(numpy_dir.parent / "numpy.libs", site / "numpy.libs")
    hidden_env.chmod(0o700)
    out = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": str(site)}
    # In namespaces of its own the child sees NumPy's folder bound into its root, whatever
    # folders above it allow: grading works.
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(SOLUTION),
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0 and json.loads(out.read_text())["score"] == TOTAL, done.stderr
    # Without them (a container), the sandbox user cannot reach it: nobody gets a zero.
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(SOLUTION),
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "OLAB_SANDBOX_OFF": "namespaces"}, timeout=120)
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    data = json.loads(out.read_text())
    assert_valid_results(data)
    assert "score" not in data and data["tests"] == []
    assert "not with your submission" in data["output"]
    assert "Permission denied" in data["extra_data"]["infrastructure_error"]
    assert "sandbox could not start" in done.stderr


HIDDEN_CASES = [c for c in __import__("autograder.cases", fromlist=["x"]).load_cases()
                if not c.public]


def hidden_values():
    """Every hidden input and expected value, as a leak would print it (repr, and to 8
    significant digits)."""
    from autograder import references

    arrays = references.load()
    shown = set()
    for case in HIDDEN_CASES:
        for part in ("inputs", "expected"):
            for key, value in references.split(arrays, case.id, part).items():
                if value.dtype.kind == "f" and not key.startswith(("lrs", "mask")):
                    for x in value[~__import__("numpy").isnan(value)].ravel():
                        if abs(x) > 1e-6 and x != round(x, 3):   # not 3, 0.5, ...
                            shown |= {repr(float(x)), f"{x:.8g}"}
    return shown


def test_feedback_carries_no_hidden_input_or_expected_value(tmp_path):
    """Every channel of student text at once: exception messages made of every array the
    child can reach, a dtype and state keys named after them, a load warning and a
    concept answer; and a wrong update, so that diverging cases are reported."""
    grab = """
        import gc, numpy as np
        seen = [grad, param] + [a for a in gc.get_objects() if isinstance(a, np.ndarray)
                                and a.dtype == np.float64 and a.size]
        text = " ".join(repr(float(x)) for a in seen[:200] for x in np.ravel(a)[:4])
    """
    source = submission(grab + """
        choice = int(abs(float(np.ravel(grad)[0])) * 1e6) % 4 / 4   # varies, repeatably
        if choice < 0.25:
            raise ValueError(text)
        if choice < 0.5:
            state.clear()
            state.update({text[i:i + 40]: 1 for i in range(0, 400, 40)})
            return param
        if choice < 0.75:
            return np.zeros(param.shape, dtype=[(text[:900], "f8")])
        return param * 1.5 + 1e-3
    """, load="raise RuntimeError(' '.join(str(v) for v in range(100)))")
    source += "\nmax_stable_lr = 'x' * 10000\n"
    data, _ = grade_cli(tmp_path, source)
    everything = json.dumps(data)
    leaked = [v for v in hidden_values() if v in everything]
    assert leaked == []
    assert len(everything) < 400_000


def test_student_text_cannot_change_the_report_structure(tmp_path):
    payload = "x\\n\\n# Pwned heading\\n> quoted\\n![img](https://example.invalid/a.png)|col|"
    source = submission(f"""
        raise RuntimeError("{payload}")
    """, load=f'raise KeyError("{payload}")')
    data, _ = grade_cli(tmp_path, source)
    texts = [data["output"]] + [t["output"] for t in data["tests"]]
    for text in texts:
        assert "\n# Pwned" not in text and "\n> quoted" not in text
        fenced = False
        for line in text.splitlines():
            fenced ^= line.startswith("```")
            if "![img]" in line and not fenced:   # else only inside one inline code span
                before = line[:line.index("![img]")]
                assert before.count("`") % 2 == 1, line
                assert "|col|" not in line


NETWORK_ATTACK = """
    import _socket
    for kind in (_socket.SOCK_STREAM, _socket.SOCK_DGRAM):
        try:
            s = _socket.socket(_socket.AF_INET, kind)     # past socket.socket's own message
            s.settimeout(1)
            s.connect(("127.0.0.1", {port}))
            s.send(b"tcp" if kind == _socket.SOCK_STREAM else b"udp")
            s.close()
        except OSError:
            pass
    import socket
    socket.create_connection(("127.0.0.1", {port}), timeout=1)
"""


def listener():
    """A TCP and a UDP socket on one loopback port, and a function that says what reached
    them (bounded: it only reads what is already there)."""
    import socket as sockets

    tcp = sockets.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    tcp.setblocking(False)
    port = tcp.getsockname()[1]
    udp = sockets.socket(sockets.AF_INET, sockets.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    udp.setblocking(False)

    def received():
        got = []
        for _ in range(100):
            try:
                conn, _ = tcp.accept()
                conn.settimeout(0.2)
                got.append(conn.recv(64) or b"(connected)")
                conn.close()
            except (BlockingIOError, TimeoutError):
                break
        while True:
            try:
                got.append(udp.recv(64))
            except BlockingIOError:
                break
        tcp.close()
        udp.close()
        return got
    return port, received


def test_no_network_in_the_child(tmp_path):
    port, received = listener()
    data, _ = grade_cli(tmp_path, submission(NETWORK_ATTACK.format(port=port)))
    assert received() == []
    assert data["score"] == WITHOUT_SGD
    assert "network access is blocked while grading" in sgd_output(data)
    assert not any("network" in n for n in data["extra_data"]["sandbox_notes"])


@pytest.mark.parametrize("off", ["seccomp", "seccomp,namespaces", "seccomp,namespaces,landlock"])
def test_grading_works_without_the_network_filter_and_says_so(tmp_path, monkeypatch, off):
    """With the seccomp filter off (libseccomp missing), grading still works and the notes
    say so; the network namespace still holds as root; Landlock still refuses TCP; with
    all three off the attack gets through (each layer is a defence)."""
    from autograder.grade import grade

    monkeypatch.setenv("OLAB_SANDBOX_OFF", off)
    port, received = listener()
    path = tmp_path / "attack.py"
    path.write_text(submission(NETWORK_ATTACK.format(port=port)))
    grading = grade(path, timeout=3)
    assert grading.points == WITHOUT_SGD
    assert any("no network filter" in n for n in grading.sandbox_notes)
    got = received()
    if off == "seccomp" and os.geteuid() == 0:
        assert got == []                    # the network namespace
    elif off == "seccomp,namespaces":
        assert set(got) <= {b"udp"}         # Landlock (ABI 4+) refuses TCP; UDP passes
    elif off.endswith("landlock"):
        assert got                          # nothing left in the way


@root_only
def test_files_a_submission_leaves_do_not_outlive_its_grading(tmp_path):
    names = [f"/tmp/olab-left-{os.getpid()}", f"/dev/shm/olab-left-{os.getpid()}",
             f"/tmp/olab-left-dir-{os.getpid()}"]
    data, _ = grade_cli(tmp_path, submission(f"""
        import os
        for name in {names[:2]!r}:
            open(name, "w").write("hidden inputs, for the next grading")
        os.makedirs({names[2]!r} + "/deep", exist_ok=True)
        open({names[2]!r} + "/deep/x", "w").write("more")
    """))
    assert data["score"] == WITHOUT_SGD
    assert [n for n in names if os.path.lexists(n)] == []


MEASURED = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
sys.exit(code)
"""


def grade_file(tmp_path, path):
    """Grade a prepared file with the CLI: (results, seconds, the largest resident memory of
    the grader or any of its children, in MB)."""
    out = tmp_path / "out" / "results.json"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", MEASURED, sys.executable, "-m", "autograder",
                           "grade", str(path), "--json", str(out), "--timeout", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - started
    peak = float(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    assert_valid_results(data)
    return data, seconds, peak


def test_a_symlinked_submission_is_a_zero_with_its_reason(tmp_path):
    link = tmp_path / "lab.py"
    link.symlink_to(SOLUTION)
    data, _, _ = grade_file(tmp_path, link)
    assert data["score"] == 0
    assert "symbolic link" in data["output"]


def _zip_with(path, name, size):
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(name, "w", force_zip64=True) as member:
            chunk = b" " * 2**20
            for _ in range(size >> 20):
                member.write(chunk)
    return path


@pytest.mark.parametrize("make, reason", [
    (lambda d: _zip_with(d / "bomb.zip", "lab.ipynb", 300 * 2**20), "larger than"),
    (lambda d: (d / "big.py").write_text("x = 1\n" * 7_000_000) and d / "big.py", "larger than"),
    (lambda d: (d / "code.py").write_text("x = 1\n" * 100_000) and d / "code.py", "KB of code"),
    (lambda d: (d / "deep.py").write_text("x = " + "-" * 200_000 + "1\n") and d / "deep.py",
     "nested too deeply"),
    (lambda d: (d / "parens.py").write_text("x = " + "(" * 100_000 + ")" * 100_000)
     and d / "parens.py", ""),
    (lambda d: (d / "odd.ipynb").write_text('{"nbformat": 4, "cells": [{"cell_type": "code", '
                                            '"source": 7}]}') and d / "odd.ipynb", "notebook"),
])
def test_the_grader_stays_bounded_on_hostile_files(tmp_path, make, reason):
    path = make(tmp_path)
    data, seconds, peak = grade_file(tmp_path, path)
    assert data["score"] == 0
    assert reason in data["output"]
    assert seconds < 60 and peak < 512, (seconds, peak)


def test_a_process_left_behind_cannot_stall_the_next_child(tmp_path):
    """sgd_step hangs, and leaves a process that stops (SIGSTOP) every other process of its
    user, so the child that takes over from the next function never starts: the grading
    still ends within the function timeouts, with a valid results file."""
    data, seconds = grade_cli(tmp_path, submission("""
        import os, signal, time
        if os.fork() == 0:
            os.setsid()
            end = time.time() + 20                     # bounded: 20 s
            while time.time() < end:
                for pid in os.listdir("/proc"):
                    if pid.isdigit() and int(pid) != os.getpid():
                        try:
                            os.kill(int(pid), signal.SIGSTOP)
                        except OSError:
                            pass
                time.sleep(0.01)
            os._exit(0)
        while True:
            pass
    """), timeout=3)
    assert data["score"] <= WITHOUT_SGD
    assert seconds < 20


def test_a_symlinked_student_folder_in_batch_is_a_zero_with_its_reason(tmp_path):
    from toolkit import batch

    source = tmp_path / "submissions"
    (source / "honest").mkdir(parents=True)
    (source / "honest" / "lab.py").write_text(SOLUTION.read_text())
    (source / "copycat").symlink_to(source / "honest", target_is_directory=True)
    (source / "linked.py").symlink_to(SOLUTION)
    batch.run(source, tmp_path / "out", jobs=2, timeout=5, show_progress=False)
    result = {key: json.loads((tmp_path / "out" / "results" / f"{key}.json").read_text())
              for key in ("honest", "copycat", "linked")}
    assert result["honest"]["score"] == TOTAL
    for key in ("copycat", "linked"):
        assert result[key]["score"] == 0 and "symbolic link" in result[key]["output"], key
