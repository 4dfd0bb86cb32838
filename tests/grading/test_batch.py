"""Batch grading: a class of 30+ submissions (correct, buggy, broken, hostile) in parallel,
the grade book, the feedback files, the class report, re-runs, Gradescope exports and the
late policy."""

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import POINTS, ROOT, RUBRIC, TOTAL, WITHOUT_SGD, assert_valid_results, expected_points

from autograder import isolation, late
from autograder.cases import load_cases
from autograder.grade import grade
from autograder.results import results
from tests.support.bugs import FAILS, buggy_source, complete_answer_key
from toolkit import batch

LOOP = ("    g = -grad if maximize else grad\n    if weight_decay != 0:\n"
        "        g = g + weight_decay * param\n    if momentum")


def make_class(folder):
    """30 submissions: 6 correct, 16 buggy, 4 broken, 4 hostile; one as a folder."""
    folder.mkdir()
    answer = complete_answer_key()
    for i in range(6):
        (folder / f"correct{i}.py").write_text(answer)
    for bug in list(FAILS)[:16]:
        (folder / f"{bug}.py").write_text(buggy_source(bug))
    (folder / "syntax.py").write_text("def sgd_step(:\n")
    (folder / "broken.ipynb").write_text("{")
    (folder / "empty.py").write_text("")
    (folder / "notebook_in_folder").mkdir()
    shutil.copy(ROOT / "solutions" / "optimizers_lab.ipynb", folder / "notebook_in_folder")
    (folder / "looper.py").write_text(
        answer.replace(LOOP, "    while True: pass\n    if momentum", 1))
    (folder / "exits.py").write_text("import os\nclass X:\n    os._exit(1)\n" + answer)
    (folder / "imports_torch.py").write_text("import torch\n" + answer)
    (folder / "forks.py").write_text(answer.replace(
        LOOP, "    import os\n    if os.fork() == 0:\n        os._exit(0)\n    if momentum", 1))
    return folder


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    source, out = make_class(base / "submissions"), base / "out"
    done = subprocess.run([sys.executable, "-m", "toolkit", "batch", str(source), "--out",
                           str(out), "--jobs", "2", "--timeout", "3"], cwd=ROOT,
                          capture_output=True, timeout=600)     # bytes: "\r" kept as it is
    assert done.returncode == 0, done.stderr[-3000:].decode(errors="replace")
    # Not a terminal: no progress bar, so a log holds no carriage returns.
    assert b"\r" not in done.stderr and b"submission/s" not in done.stderr
    return source, out


def test_the_progress_bar_shows_on_a_terminal(tmp_path, monkeypatch):
    """The bar (tqdm) counts submissions where standard error is a terminal."""
    import io

    from toolkit import batch

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    shown = Terminal()
    monkeypatch.setattr(sys, "stderr", shown)
    source = tmp_path / "class"
    source.mkdir()
    (source / "a.py").write_text("x = 1\n")
    (source / "b.py").write_text("x = 2\n")
    batch.run(source, tmp_path / "out", jobs=1)
    assert "/2 [" in shown.getvalue() and "\r" in shown.getvalue()


def rows(out):
    with open(out / "grades.csv") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def test_grade_book_has_every_student_and_section(graded_class):
    source, out = graded_class
    book = rows(out)
    assert len(book) == 30
    nesterov = "sgd-nesterov-as-momentum"
    expected = {"correct0": TOTAL, "notebook_in_folder": TOTAL, "syntax": 0, "broken": 0,
                "empty": 0, "exits": 0, "imports_torch": TOTAL, "looper": WITHOUT_SGD,
                nesterov: expected_points(load_cases(), FAILS[nesterov])}
    for student, final in expected.items():
        assert float(book[student]["final"]) == final, student
    row = book["adam-eps-inside-sqrt"]
    assert (float(row["adam"]), float(row["adamw"]), float(row["sgd"])) == (0, 0, POINTS["sgd"])
    assert float(row["max_stable_lr"]) == RUBRIC["questions"]["max_stable_lr"]["points"]
    assert float(row["total"]) == TOTAL - POINTS["adam"] - POINTS["adamw"]
    assert all(r["status"] == "graded" for r in book.values())


def test_feedback_and_results_per_student(graded_class):
    _, out = graded_class
    for key in rows(out):
        data = json.loads((out / "results" / f"{key}.json").read_text())
        assert_valid_results(data)
        assert (out / "feedback" / f"{key}.md").read_text() == data["output"]
    assert "`sgd-nesterov-as-momentum`" in (out / "feedback" / "sgd-nesterov-as-momentum.md"
                                              ).read_text()


def test_class_report(graded_class):
    _, out = graded_class
    md = (out / "report.md").read_text()
    assert "30 submissions" in md
    assert "| `rmsprop-alpha-swapped` | RMSprop's alpha and 1 - alpha swapped | 1 |" in md
    assert "- looper: not-run, timeout" in md
    html = (out / "report.html").read_text()
    assert html.count('<svg role="img"') == 3 and "<h2>Misconceptions named</h2>" in html
    assert ">rmsprop-alpha-swapped</text>" in html


def test_batch_results_equal_grading_each_alone(graded_class):
    source, out = graded_class
    for name in ("correct0.py", "adam-eps-hat.py", "rmsprop-centered-stale-mean.py",
                 "syntax.py", "forks.py"):
        alone = results(grade(source / name))
        batched = json.loads((out / "results" / f"{name[:-3]}.json").read_text())
        assert batched["score"] == alone["score"], name
        assert [(t["name"], t["score"], t["output"]) for t in batched["tests"]] == \
            [(t["name"], t["score"], t["output"]) for t in alone["tests"]], name


def test_rerun_skips_what_is_graded_unless_asked(graded_class):
    source, out = graded_class
    before = {p: p.stat().st_mtime for p in (out / "results").glob("*.json")}
    batch.run(source, out, show_progress=False)     # nothing regraded: no file rewritten
    assert {p: p.stat().st_mtime for p in (out / "results").glob("*.json")} == before
    os.utime(out / "results" / "correct0.json", (0, 0))
    batch.run(source, out, regrade=True, jobs=2, timeout=3, show_progress=False)
    assert (out / "results" / "correct0.json").stat().st_mtime > 0


def test_gradescope_export_with_late_policy(tmp_path, monkeypatch):
    export = tmp_path / "export"
    answer = complete_answer_key()
    meta = {}
    for n, (email, created, due) in enumerate([
            ("ontime@x.edu", "2026-11-20T10:00:00-08:00", None),
            ("late@x.edu", "2026-11-23T12:00:00-08:00", None),
            ("extended@x.edu", "2026-11-23T12:00:00-08:00", "2026-11-24T00:00:00-08:00")]):
        folder = export / f"submission_{n}"
        folder.mkdir(parents=True)
        (folder / "lab.py").write_text(answer)
        meta[f"submission_{n}"] = {":submitters": [{":name": email.split("@")[0],
                                                    ":email": email, ":sid": str(n)}],
                                   ":created_at": created,
                                   ":due_date": due or "2026-11-21T23:59:00-08:00"}
    (export / "submission_metadata.yml").write_text(yaml.safe_dump(meta))
    policy = {"enabled": True, "percent_per_day": 10, "max_percent": 50, "grace_minutes": 15}
    real = batch.load_rubric
    monkeypatch.setattr(batch, "load_rubric", lambda: {**real(), "late_policy": policy})
    batch.run(export, tmp_path / "out", show_progress=False)
    book = rows(tmp_path / "out")
    assert {k: float(r["final"]) for k, r in book.items()} == {
        "ontime@x.edu": TOTAL, "late@x.edu": TOTAL * 0.8, "extended@x.edu": TOTAL}
    assert book["late@x.edu"]["name"] == "late" and book["late@x.edu"]["sid"] == "1"
    assert float(book["late@x.edu"]["late_penalty_percent"]) == 20


def test_late_policy_honours_extensions_and_comes_from_the_spec():
    policy = {"enabled": True, "percent_per_day": 10, "max_percent": 50, "grace_minutes": 15}
    meta = {"created_at": "2026-11-25T00:10:00Z",
            "assignment": {"due_date": "2026-11-24T00:00:00Z"},
            "users": [{"assignment": {"due_date": "2026-11-25T00:00:00Z"}}]}
    assert late.penalty_percent(meta, policy) == 0          # 10 min late on the extension
    meta["users"] = []
    assert late.penalty_percent(meta, policy) == 10         # 1 day 10 min, less 15 min grace
    meta["created_at"] = "2026-11-25T01:00:00Z"
    assert late.penalty_percent(meta, policy) == 20         # 25 h less grace: 2 started days
    meta["created_at"] = "2026-12-24T00:00:00Z"
    assert late.penalty_percent(meta, policy) == 50         # capped
    assert late.penalty_percent(meta, {**policy, "enabled": False}) == 0
    from assignment.spec import LATE_POLICY
    assert RUBRIC["late_policy"] == LATE_POLICY           # one home: assignment/spec.py


ATTACK = '''
import glob, os, signal, time

def adam_step(param, grad, state, **hyper):
    """In every call for 1.5 s: kill every process this user may signal, read every other
    process's memory and command line, and every submission file those name."""
    stolen = 0
    end = time.time() + 1.5
    while time.time() < end:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        for proc in glob.glob("/proc/[0-9]*"):
            try:
                words = open(proc + "/cmdline", "rb").read().split(b"\\0")
                for word in words + [os.environ.get("AUTOGRADER_SUBMISSION", "").encode()]:
                    if word.endswith((b".py", b".ipynb")):
                        stolen += len(open(word, "rb").read())
            except OSError:
                pass
            try:
                with open(proc + "/mem", "rb") as mem:
                    mem.seek(0x400000)
                    stolen += len(mem.read(4096))
            except (OSError, ValueError, OverflowError):
                pass
        time.sleep(0.05)
    if stolen:
        raise RuntimeError(f"stole {stolen} bytes")
    return param
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox users need root")
def test_an_attacker_cannot_touch_the_submissions_graded_beside_it(tmp_path):
    source = tmp_path / "submissions"
    source.mkdir(mode=0o700)
    answer = complete_answer_key()
    for i in range(4):
        (source / f"victim{i}.py").write_text(answer)
    (source / "attacker.py").write_text(answer + ATTACK)
    out = tmp_path / "out"
    # A sandbox user this test holds as a grading would: no grading of the batch, running
    # at the same time, may be given it (users are machine-wide, claimed by a lock).
    held, lock = isolation.claim_user()
    try:
        batch.run(source, out, jobs=5, timeout=3, show_progress=False)
    finally:
        os.close(lock)
    for i in range(4):
        alone = results(grade(source / f"victim{i}.py"))
        batched = json.loads((out / "results" / f"victim{i}.json").read_text())
        assert batched["score"] == alone["score"] == TOTAL
        assert [(t["name"], t["score"], t["output"]) for t in batched["tests"]] == \
            [(t["name"], t["score"], t["output"]) for t in alone["tests"]]
    attacker = json.loads((out / "results" / "attacker.json").read_text())
    assert "stole" not in json.dumps(attacker)
    users = [u for key in ("attacker", *(f"victim{i}" for i in range(4))) for u in json.loads(
        (out / "results" / f"{key}.json").read_text())["extra_data"]["sandbox_users"]]
    assert len(users) == 5 and held not in users     # one each; never one held elsewhere
    for path in [out, out / "results", out / "feedback", *out.rglob("*")]:
        assert path.stat().st_mode & 0o077 == 0, path


def test_a_regrade_keeps_the_previous_grade_book_and_says_what_changed(tmp_path):
    source, out = tmp_path / "submissions", tmp_path / "out"
    source.mkdir(mode=0o700)
    (source / "alice.py").write_text(complete_answer_key())
    (source / "bob.py").write_text(buggy_source("sgd-nesterov-as-momentum"))
    batch.run(source, out, jobs=2, show_progress=False)
    first = (out / "grades.csv").read_text()
    (source / "bob.py").write_text(complete_answer_key())      # say, a case was fixed
    batch.run(source, out, jobs=2, regrade=True, show_progress=False)
    [kept] = (out / "history").iterdir()
    assert (kept / "grades.csv").read_text() == first
    assert (kept / "results" / "bob.json").exists()
    [diff] = out.glob("regrade-*.md")
    text = diff.read_text()
    lost = TOTAL - expected_points(load_cases(), FAILS["sgd-nesterov-as-momentum"])
    assert f"## bob: {TOTAL - lost:g} → {TOTAL:g} (+{lost:g})" in text
    assert "SGD: Nesterov momentum (public cases):" in text and "alice" not in text


def test_a_canvas_gradebook_matches_the_roster_and_lists_who_is_missing(tmp_path):
    source, out = tmp_path / "export", tmp_path / "out"
    (source / "submission_1").mkdir(parents=True)
    (source / "submission_1" / "lab.py").write_text(complete_answer_key())
    (source / "submission_2").mkdir()
    (source / "submission_2" / "lab.py").write_text(complete_answer_key())
    meta = {f"submission_{n}": {":submitters": [{":name": name, ":email": email, ":sid": sid}],
                                ":created_at": "2026-11-20T10:00:00-08:00",
                                ":due_date": "2026-11-21T23:59:00-08:00"}
            for n, name, email, sid in [(1, "Ada", "ada@x.edu", "101"),
                                        (2, '=HYPERLINK("http://x.test","Eve")',
                                         "eve@x.edu", "999")]}
    (source / "submission_metadata.yml").write_text(yaml.safe_dump(meta))
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                      "    Points Possible,,,,\n"
                      "\"Lovelace, Ada\",11,A101,ADA@x.edu,S1\n"
                      "\"Hopper, Grace\",12,102,grace@x.edu,S1\n"
                      "@SUM(1+1),13,-103,+mal@x.edu,S1\n")
    batch.run(source, out, show_progress=False, roster=roster)
    with open(out / "canvas.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       RUBRIC["title"]]
    assert rows[1][0].strip() == "Points Possible" and float(rows[1][5]) == TOTAL
    assert rows[2][:5] == ["Lovelace, Ada", "11", "A101", "ADA@x.edu", "S1"]
    assert float(rows[2][5]) == TOTAL           # matched by email, whatever its case
    assert rows[3][:2] == ["Hopper, Grace", "12"] and rows[3][5] == ""
    # No cell a spreadsheet would run as a formula (a name is the student's own text).
    assert rows[4][:4] == ["'@SUM(1+1)", "13", "-103", "+mal@x.edu"]
    with open(out / "grades.csv", newline="") as f:
        book = {r["email"]: r for r in csv.DictReader(f)}
    assert book["eve@x.edu"]["name"] == '\'=HYPERLINK("http://x.test","Eve")'
    assert float(book["eve@x.edu"]["final"]) == TOTAL
    unmatched = (out / "canvas-unmatched.txt").read_text()
    assert "eve@x.edu" in unmatched
    assert "Hopper, Grace" in unmatched
