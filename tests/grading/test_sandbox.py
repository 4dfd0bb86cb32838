"""The sandbox's isolation: one test per attack class, each also run with its defence
switched off (``OLAB_SANDBOX_OFF``) to show that the attack is real and the test can fail.

The attacks live in ``sgd_step`` of an otherwise correct submission (``test_red_team``'s
``submission``), report what they found in an exception message (the public feedback),
and are bounded in time, memory and forks.
"""

import ast
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    QUESTION_POINTS,
    ROOT,
    SOLUTION,
    TOTAL,
    WITHOUT_SGD,
    assert_valid_results,
    sandbox_processes,
)
from test_red_team import grade_cli, sgd_output, submission

from autograder import launch, references
from autograder.cases import load_cases
from autograder.child import wire
from autograder.execute import decoded
from autograder.grade import grade
from autograder.sandbox import MEMORY_PER_GRADING, SCRATCH_BYTES, Sandbox

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the strict sandbox is Linux's")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and users need root")


def off(monkeypatch, layers):
    monkeypatch.setenv("OLAB_SANDBOX_OFF", layers)


def once(attack):
    """``attack`` (which ends by raising RuntimeError) run at a child's first case only; its
    later cases raise the same message (kept in the child's scratch folder)."""
    return ("import os\nif os.path.exists('olab-ran'):\n"
            "    raise RuntimeError(open('olab-ran').read())\ntry:\n"
            + textwrap.indent(textwrap.dedent(attack).strip(), "    ")
            + "\nexcept RuntimeError as exc:\n    open('olab-ran', 'w').write(str(exc))\n"
            "    raise\n")


# --- what a child can see --------------------------------------------------------------

LOOK_AROUND = """
import os, numpy
targets = {targets!r}
here = os.path.realpath(numpy.__file__)
for _ in range(8):                      # from NumPy's location up to the repository
    here = os.path.dirname(here)
    targets += [os.path.join(here, p) for p in ("tests/submissions/alternative_forms.py",
                                                "solutions/optimizers.py", ".git/HEAD")]
try:
    names = os.listdir("/proc")
except OSError:
    names = []
for name in names:
    try:                                # other processes' command lines
        words = open(f"/proc/{{name}}/cmdline", "rb").read().split(b"\\0")
        targets += [w.decode() for w in words if w.endswith(b".py")]
    except OSError:
        pass
try:
    for line in open("/proc/self/maps"):   # folders of what is mapped, and their parents
        path = line.split()[-1]
        if path.startswith("/"):
            targets.append(os.path.join(os.path.dirname(path), "..", "..", "..", "..",
                                        "tests", "submissions", "alternative_forms.py"))
except OSError:
    pass
targets += [v for v in os.environ.values() if v.startswith("/")]
found, stolen = [], None
for path in dict.fromkeys(targets):
    try:
        text = open(path).read()
    except (OSError, UnicodeDecodeError):
        continue
    found.append(path)
    if stolen is None and "def sgd_step" in text:
        space = {{}}
        exec(text, space)               # someone else's correct code: use it
        stolen = space["sgd_step"]
for folder in ("/home", "/root"):
    try:
        found += [os.path.join(folder, n) for n in os.listdir(folder)
                  if os.path.isfile(os.path.join(folder, n))]
    except OSError:
        pass
if stolen is None:
    raise RuntimeError("FOUND " + repr(sorted(found)[:20]))
return stolen(param, grad, state, **hyper)
"""


def look_around(tmp_path, neighbour):
    planted = tmp_path / "planted-notes.py"       # world-readable, outside everything
    planted.write_text(SOLUTION.read_text())
    planted.chmod(0o644)
    tmp_path.chmod(0o755)
    targets = [str(planted), str(neighbour), str(ROOT / "autograder" / "data" / "answers.json"),
               str(ROOT / ".git" / "config"), str(ROOT / "tests" / "submissions" /
                                                   "alternative_forms.py")]
    return submission(textwrap.dedent(LOOK_AROUND.format(targets=targets)))


@root_only
def test_a_child_sees_nothing_outside_its_allow_list(tmp_path, busy_neighbour):
    """From NumPy's location, /proc/self/maps, its environment, other processes' command
    lines (a neighbour names a world-readable .py), the repository (working tree and
    .git/), /home, /root and a planted file: it finds nothing, and scores nothing more."""
    data, _ = grade_cli(tmp_path, look_around(tmp_path, busy_neighbour), timeout=10)
    assert data["score"] == WITHOUT_SGD
    assert "FOUND []" in sgd_output(data), sgd_output(data)


@root_only
def test_landlock_holds_where_namespaces_are_refused(tmp_path, busy_neighbour, monkeypatch):
    off(monkeypatch, "namespaces")
    data, _ = grade_cli(tmp_path, look_around(tmp_path, busy_neighbour), timeout=10)
    assert data["score"] == WITHOUT_SGD
    assert "FOUND []" in sgd_output(data), sgd_output(data)
    assert "namespaces switched off (OLAB_SANDBOX_OFF)" in data["extra_data"]["sandbox_notes"]


@root_only
def test_without_namespaces_an_unreadable_standard_library_is_noted(tmp_path, monkeypatch):
    """Without namespaces the child reads the machine's own files as the sandbox user: the
    note says when it cannot list the standard library (as ``ls`` run as that user finds)."""
    import pwd
    import sysconfig

    off(monkeypatch, "namespaces")
    grading, _ = grade_in(SOLUTION)
    user = pwd.getpwnam(grading.sandbox_users[0])
    listed = subprocess.run(["ls", sysconfig.get_path("stdlib")], user=user.pw_uid,
                            group=user.pw_gid, extra_groups=[], capture_output=True)
    noted = any(n.startswith("the standard library is not readable")
                for n in grading.sandbox_notes)
    assert noted == (listed.returncode != 0), grading.sandbox_notes
    assert grading.points == TOTAL


@root_only
def test_with_no_layer_the_attack_takes_full_marks(tmp_path, busy_neighbour, monkeypatch):
    """The attack is real: with namespaces and Landlock off, the sandbox user reads the
    repository and the neighbour's file, and takes SGD's points it did not earn."""
    off(monkeypatch, "namespaces,landlock")
    data, _ = grade_cli(tmp_path, look_around(tmp_path, busy_neighbour), timeout=10)
    assert data["score"] == TOTAL


# --- kernel objects that outlive a grading ----------------------------------------------

KERNEL_OBJECTS = """
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
key, found = {key}, []
names = ["/tmp/olab-k-{key}", "/var/tmp/olab-k-{key}", "/dev/shm/olab-k-{key}"]
if {plant}:
    shm = libc.shmget(key, 4096, 0o1666)
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        ctypes.memmove(libc.shmat(shm, None, 0), b"hidden", 6)
    libc.msgget(key, 0o1666)
    libc.semget(key, 1, 0o1666)
    for name in names:
        try:
            open(name, "w").write("hidden")
        except OSError:
            pass
    if os.fork() == 0:                  # a listener left behind, bounded: 10 s
        try:
            s = socket.socket(socket.AF_UNIX)
            s.bind("\\0olab-k-{key}")
            s.listen(1)
            s.settimeout(10)
            s.accept()
        finally:
            os._exit(0)
    import time
    time.sleep(0.2)
    raise RuntimeError("PLANTED")
for call, args in (("shmget", (key, 0, 0o666)), ("msgget", (key, 0o666)),
                   ("semget", (key, 0, 0o666))):
    if getattr(libc, call)(*args) >= 0:
        found.append(call)
found += [n for n in names if os.path.exists(n)]
try:
    s = socket.socket(socket.AF_UNIX)
    s.connect("\\0olab-k-{key}")
    found.append("abstract socket")
except OSError:
    pass
raise RuntimeError("KERNEL " + repr(found))
"""


def ipc_cleanup(key):
    for flag in ("-M", "-Q", "-S"):
        subprocess.run(["ipcrm", flag, str(key)], capture_output=True, check=False)
    for name in (f"/tmp/olab-k-{key}", f"/var/tmp/olab-k-{key}", f"/dev/shm/olab-k-{key}"):
        Path(name).unlink(missing_ok=True)


@root_only
@pytest.mark.parametrize("layers", ["", "namespaces"])
def test_no_kernel_object_reaches_the_next_grading(tmp_path, monkeypatch, layers):
    """SysV shared memory, message queues, semaphores, files in /tmp, /var/tmp, /dev/shm, an
    abstract Unix socket: one grading plants them, the next finds none (namespaces; or
    the seccomp filter, Landlock and the warden where there are none)."""
    off(monkeypatch, layers)
    key = 0x0A000000 + os.getpid() % 100000
    try:
        plant, _ = grade_cli(tmp_path, submission(once(KERNEL_OBJECTS.format(key=key, plant=True))))
        assert "PLANTED" in sgd_output(plant)
        data, _ = grade_cli(tmp_path, submission(KERNEL_OBJECTS.format(key=key, plant=False)))
        assert "KERNEL []" in sgd_output(data), sgd_output(data)
    finally:
        ipc_cleanup(key)


@root_only
def test_with_no_layer_kernel_objects_outlive_the_grading(tmp_path, monkeypatch):
    off(monkeypatch, "namespaces,seccomp,landlock")
    key = 0x0B000000 + os.getpid() % 100000
    try:
        grade_cli(tmp_path, submission(once(KERNEL_OBJECTS.format(key=key, plant=True))))
        data, _ = grade_cli(tmp_path, submission(KERNEL_OBJECTS.format(key=key, plant=False)))
        assert "shmget" in sgd_output(data)
    finally:
        ipc_cleanup(key)


# --- one memory bound for the grading -------------------------------------------------

HELPERS = """
import os, numpy as np
r, w = os.pipe()
pids = []
for _ in range(5):                      # five helpers, each under its own process limit
    pid = os.fork()
    if pid == 0:
        try:
            hoard = np.ones(150 * 2**20 // 8)     # 150 MiB, touched
            os.write(w, b"+")
            import time
            time.sleep(0.5)
        finally:
            os._exit(0)
    pids.append(pid)
os.close(w)
for pid in pids:
    os.waitpid(pid, 0)
raise RuntimeError("HELPERS " + str(len(os.read(r, 100))))
"""


def grade_in(path, **sandbox):
    with Sandbox(**sandbox) as box:
        return grade(path, sandbox=box), box


@root_only
def test_forked_helpers_cannot_take_a_grading_past_its_memory_bound(tmp_path):
    path = tmp_path / "helpers.py"
    path.write_text(submission(once(HELPERS)))
    grading, box = grade_in(path, timeout=10)
    assert grading.points == WITHOUT_SGD
    assert box.peak is not None and box.peak <= MEMORY_PER_GRADING + (8 << 20), box.peak


@root_only
def test_without_the_cgroup_the_helpers_all_fit(tmp_path, monkeypatch):
    off(monkeypatch, "cgroup")
    path = tmp_path / "helpers.py"
    path.write_text(submission(once(HELPERS)))
    grading, _ = grade_in(path, timeout=10)
    shown = "\n".join(o.error.get("message", "") for o in grading.outcomes.values()
                      if o.error)
    assert "HELPERS 5" in shown
    assert any("no cgroup" in n or "cgroup switched off" in n for n in grading.sandbox_notes)


HOARD = """
import numpy as np
try:
    hoard = np.ones(640 * 2**20 // 8)     # 640 MiB in one process, touched
    raise RuntimeError("HOARD kept")
except MemoryError:
    raise RuntimeError("HOARD refused")
"""


@root_only
@pytest.mark.parametrize("layers", ["cgroup", "namespaces,cgroup"])
def test_without_the_cgroup_one_process_is_still_bounded(tmp_path, monkeypatch, layers):
    """Without a cgroup, the per-process address-space limit (512 MiB) holds, also where the
    child works on the machine's own files (Landlock, no namespaces) and may not be able
    to read the standard library: limits are set from modules the zygote loaded, before
    the child says it is ready."""
    off(monkeypatch, layers)
    path = tmp_path / "hoard.py"
    path.write_text(submission(once(HOARD)))
    grading, _ = grade_in(path, timeout=10)
    shown = "\n".join(o.error.get("message", "") for o in grading.outcomes.values()
                      if o.error)
    assert "HOARD refused" in shown and "HOARD kept" not in shown, shown[:1000]


SCRATCH = """
import os
written = 0
chunk = b"x" * 2**20
for n in range(200):                    # bounded: 200 MiB
    for i, folder in enumerate(("/tmp", "/dev/shm", "/var/tmp", ".")):
        try:
            with open(f"{folder}/fill-{i}-{n}", "wb") as f:
                f.write(chunk)
            written += 1
        except OSError:
            pass
raise RuntimeError("WROTE " + str(written))
"""


@root_only
def test_scratch_space_is_bounded_in_total(tmp_path):
    data, _ = grade_cli(tmp_path, submission(SCRATCH), timeout=20)
    wrote = int(sgd_output(data).split("WROTE ")[1].split()[0].strip("`'\""))
    assert 0 < wrote <= SCRATCH_BYTES >> 20


def test_printing_without_end_costs_no_point(tmp_path):
    """A correct submission left printing in its step function (100 KB a call, 50 MB in all:
    more than a child may write to a file) scores what it would silent: what a child prints
    goes to the null device, not to a file that fills."""
    loud = SOLUTION.read_text().replace("def sgd_step(", "def _quiet_sgd_step(") + (
        "\n\ndef sgd_step(param, grad, state, **hyper):\n    print('x' * 100_000)\n"
        "    return _quiet_sgd_step(param, grad, state, **hyper)\n")
    data, _ = grade_cli(tmp_path, loud, timeout=20)
    assert data["score"] == TOTAL, sgd_output(data)[:2000]


# --- what the trusted side decodes ------------------------------------------------------

def test_a_frame_of_countless_tiny_arrays_is_refused_within_bounds():
    import tracemalloc

    header = json.dumps({"meta": {"case": "x", "completed": 0},
                         "arrays": [[f"a{i}", "<f8", [0]] for i in range(735_000)]}).encode()
    frame = len(header).to_bytes(4, "big") + header
    tracemalloc.start()
    assert decoded(frame) is None
    assert tracemalloc.get_traced_memory()[1] < 64 << 20
    tracemalloc.stop()
    small = json.dumps({"meta": {}, "arrays": [[f"a{i}", "<f8", [0]] for i in range(
        wire.CHILD_ARRAYS + 1)]}).encode()
    assert decoded(len(small).to_bytes(4, "big") + small) is None
    reader = wire.FrameReader(1 << 24, wire.CHILD_FRAMES)
    reader.feed(wire.encode({}) * (wire.CHILD_FRAMES * 4))
    assert reader.full and len(reader.ends) == wire.CHILD_FRAMES


# --- root never acts on a student's paths -----------------------------------------------

TREES = """
import os, threading, time
base = os.getcwd()
deep = base + "/deep"
os.makedirs(deep, exist_ok=True)
here = deep
for i in range(1100):                   # a tree deeper than recursion goes
    here = os.path.join(here, "d")
    os.mkdir(here)
    os.chdir(here) if i % 100 == 99 else None
os.chdir(base)
for n in range(200):                    # swap a folder for a link to the sentinel's, and back
    try:
        os.rename(base + "/swap", base + "/gone") if os.path.isdir(base + "/swap") else None
        os.symlink({sentinel_dir!r}, base + "/swap")
        os.unlink(base + "/swap")
        os.mkdir(base + "/swap")
        open(base + "/swap/f", "w").write("x")
    except OSError:
        pass
raise RuntimeError("TREES")
"""


@root_only
@pytest.mark.parametrize("layers", ["", "namespaces"])
def test_two_gradings_planting_trees_and_links_touch_nothing_outside(tmp_path, monkeypatch,
                                                                        layers):
    off(monkeypatch, layers)
    sentinel_dir = tmp_path / "root-owned"
    sentinel_dir.mkdir()
    sentinel = sentinel_dir / "f"
    sentinel.write_text("root's")
    source = submission(TREES.format(sentinel_dir=str(sentinel_dir)))
    results = {}

    def run(name):
        folder = tmp_path / name
        folder.mkdir()
        results[name] = grade_cli(folder, source, timeout=15)[0]

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sentinel.read_text() == "root's" and sorted(os.listdir(sentinel_dir)) == ["f"]
    for data in results.values():
        assert data["score"] == WITHOUT_SGD, data["output"][:500]
        assert "TREES" in sgd_output(data)
    after, _ = grade_cli(tmp_path, SOLUTION.read_text())     # the next grading: unharmed
    assert after["score"] == TOTAL


# --- one budget for the whole grading -------------------------------------------------

LOOPS = {
    "loop": "while True: pass",
    "sleep": "import time\ntime.sleep(3600)",
    "signals": ("import os, signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU,\n"
                "          signal.SIGALRM, signal.SIGHUP):\n    signal.signal(s, signal.SIG_IGN)\n"
                "if os.fork() == 0:\n    while True: pass\nwhile True: pass"),
}


def every_function(body):
    """The answer key with every step function's body replaced by ``body``."""
    source = SOLUTION.read_text()
    lines = source.splitlines()
    steps = [n for n in ast.parse(source).body
             if isinstance(n, ast.FunctionDef) and n.name.endswith("_step")]
    for node in sorted(steps, key=lambda n: -n.lineno):
        lines[node.body[0].lineno - 1:node.end_lineno] = \
            textwrap.indent(body, "    ").splitlines()
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", sorted(LOOPS))
def test_a_submission_that_never_ends_is_graded_within_its_budget(tmp_path, kind):
    path = tmp_path / "never.py"
    path.write_text(every_function(LOOPS[kind]))
    out = tmp_path / "results.json"
    budget = 5
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--json",
                           str(out), "--timeout", "1", "--budget", str(budget)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(out.read_text())
    assert_valid_results(data)
    assert seconds < budget, seconds
    assert data["score"] == QUESTION_POINTS        # the concept answers, no step function
    if os.geteuid() == 0:
        assert sandbox_processes(data) == []


# --- hidden cases only after the public ones --------------------------------------------

PEEK_AHEAD = """
import gc, os, time
ids = set({ids!r})
seen = [v for o in gc.get_objects() if isinstance(o, dict) for v in list(o.values())
        if isinstance(v, str) and v in ids]
os.set_blocking(0, False)
data, quiet = b"", 0
while quiet < 20:                       # what waits on its input, until 0.2 s of quiet
    try:
        chunk = os.read(0, 1 << 16)
    except BlockingIOError:
        quiet += 1
        time.sleep(0.01)
        continue
    if not chunk:
        break
    data += chunk
seen += [i for i in ids if i.encode() in data]
raise RuntimeError("AHEAD " + str(len(seen)))
"""


def peek_ahead(tmp_path):
    """How many hidden cases' ids the first public case of SGD finds in its child: in the
    harness's memory, or waiting on its input."""
    path = tmp_path / "ahead.py"
    hidden = [c.id for c in load_cases() if not c.public]
    path.write_text(submission(once(PEEK_AHEAD.format(ids=hidden))))
    grading, _ = grade_in(path, timeout=2)
    first = next(c for c in grading.cases if c.public and c.function == "sgd_step")
    message = grading.outcomes[first.id].error["message"]
    assert message.startswith("AHEAD "), message
    return int(message.split()[1])


def test_a_public_case_sees_no_hidden_case(tmp_path):
    """Hidden cases run in the same child as the public ones, after them: their configs and
    inputs reach it only once every public case has reported."""
    assert peek_ahead(tmp_path) == 0


def test_hidden_cases_sent_with_the_public_ones_would_be_seen(tmp_path, monkeypatch):
    run = Sandbox.run
    monkeypatch.setattr(Sandbox, "run", lambda self, groups, make_request, gated=():
                        run(self, groups, make_request))
    assert peek_ahead(tmp_path) > 0


# --- the zygote ------------------------------------------------------------------------

def hidden_bytes(count=64):
    """Raw float64 values of hidden cases' expected trajectories found nowhere in the public
    references (a public child may compute those itself), as unsigned 64-bit integers:
    what a leak of hidden data into a child would show."""
    public = set()
    for value in references.load(public_only=True).values():
        if value.dtype == np.float64:
            public.update(value[np.isfinite(value)].ravel().view(np.uint64).tolist())
    arrays, seen = references.load(), set()
    for case in (c for c in load_cases() if not c.public):
        for value in references.split(arrays, case.id, "expected").values():
            flat = value[np.isfinite(value)].ravel()
            seen.update(set(flat[np.abs(flat) > 1e-3].view(np.uint64).tolist()) - public)
        if len(seen) >= count:
            break
    return sorted(seen)[:count]


MEMORY_SCAN = """
import ctypes, numpy as np
ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)          # dumpable again: its own /proc/self/mem
# Python ints (30-bit digits) and their low 20 bits: no array here holds a wanted value.
wanted = set({wanted!r})
low = np.array(sorted({{w & 0xFFFFF for w in wanted}}), dtype=np.uint64)
found = 0
with open("/proc/self/mem", "rb") as mem:
    for line in open("/proc/self/maps"):
        span, perms = line.split()[:2]
        if not perms.startswith("rw") or "[vvar" in line or "[vsyscall" in line:
            continue
        start, end = (int(x, 16) for x in span.split("-"))
        for at in range(start, end, 2**23):
            try:
                mem.seek(at)
                chunk = mem.read(min(2**23, end - at))
            except (OSError, OverflowError, ValueError):
                break
            for shift in range(8):      # at every alignment
                part = chunk[shift:]
                words = np.frombuffer(part[:len(part) // 8 * 8], dtype=np.uint64)
                maybe = words[np.isin(words & np.uint64(0xFFFFF), low)]
                found += sum(int(w) in wanted for w in maybe)
raise RuntimeError("HIDDEN " + str(found))
"""


def scan(tmp_path, before_zygote=""):
    """Grade the memory scan in a process that may load something before the zygote forks:
    what the public child's own memory holds of the hidden references."""
    path = tmp_path / "scan.py"
    path.write_text(submission(once(MEMORY_SCAN.format(wanted=hidden_bytes()))))
    script = (f"import sys; sys.argv = ['x', 'grade', {str(path)!r}, '--timeout', '20']\n"
              f"{before_zygote}\nfrom autograder.__main__ import main\nmain()")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert "HIDDEN" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    return int(done.stdout.split("HIDDEN ")[1].split()[0].strip("`'\""))


def test_the_zygote_holds_no_hidden_byte(tmp_path):
    assert scan(tmp_path) == 0


def test_a_zygote_forked_after_reading_the_references_would_leak(tmp_path):
    """The scan is real: a zygote forked once the hidden references are in memory hands
    them to every child."""
    load = ("from autograder import references, launch\nkept = references.load()\n"
            "launch.prepare()\nassert launch._zygote, 'not forked'")
    assert scan(tmp_path, load) > 0


def test_the_zygote_runs_one_thread():
    script = ("import os\nfrom autograder import launch\nlaunch.prepare()\n"
              "print(len(os.listdir(f'/proc/{launch.zygote().pid}/task')))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "1", done.stderr
    assert len(os.listdir(f"/proc/{launch.zygote().pid}/task")) == 1     # a spawned one
