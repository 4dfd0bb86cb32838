"""Grade a folder of submissions in parallel, exactly as Gradescope grades one, and write the
grade book: ``grades.csv``, one feedback file and one ``results.json`` per student, the
class report, and one page per written question with every student's answer.

Accepted layouts: one ``.ipynb``/``.py``/``.zip`` per student or one folder per student (the
name is the student's key); or a Gradescope "Export Submissions" folder or zip, whose
``submission_metadata.yml`` gives names, emails, ids and submission times (for the late
policy). ``jobs`` long-lived worker processes (``python -m autograder worker``) grade the
submissions, each in a sandbox of its own, so a broken or hostile one costs only its own
time limits; finished ones are skipped on a re-run unless ``regrade``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import queue
import re
import select
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from autograder import late
from autograder.extract import SubmissionError
from autograder.results import write_atomic
from autograder.safely import find_submission, internal_error_results
from autograder.sandbox import TIMEOUT_PER_SUBMISSION, Sandbox
from autograder.score import QUESTIONS, load_rubric

from . import gradebook, shards

PACKAGE_PARENT = Path(__file__).resolve().parents[1]


@dataclass
class Entry:
    key: str                                       # the student's key: file names, CSV rows
    path: Path | None = None                       # what to grade (None: nothing found)
    student: dict = field(default_factory=dict)    # name, email, sid where known
    metadata: dict = field(default_factory=dict)   # Gradescope-style, for the late policy


def _key(text):
    return re.sub(r"[^\w.@-]+", "_", str(text)).strip("_") or "submission"


def discover(source: str | Path, scratch: Path) -> list[Entry]:
    """The submissions in ``source`` (a folder or a Gradescope export zip)."""
    source = Path(source)
    if source.is_file() and source.suffix == ".zip":
        shutil.rmtree(scratch, ignore_errors=True)
        with zipfile.ZipFile(source) as zf:
            zf.extractall(scratch)
        tops = [p for p in scratch.iterdir() if not p.name.startswith(("__MACOSX", "."))]
        source = tops[0] if len(tops) == 1 and tops[0].is_dir() else scratch
    meta = source / "submission_metadata.yml"
    return _gradescope_export(source, meta) if meta.exists() else _plain_folder(source)


def _plain_folder(source):
    entries = []
    for item in sorted(source.iterdir()):
        if item.name.startswith("."):
            continue
        if item.is_symlink():      # a link to another student's work: graded as a link
            entries.append(Entry(_key(item.stem), item))
        elif item.is_dir():
            try:
                entries.append(Entry(_key(item.name), find_submission(item)))
            except SubmissionError:
                entries.append(Entry(_key(item.name)))
        elif item.suffix in (".ipynb", ".py", ".zip"):
            entries.append(Entry(_key(item.stem), item))
    return entries


def _gradescope_export(source, meta):
    import yaml

    entries = []
    for folder, info in sorted((yaml.safe_load(meta.read_text()) or {}).items()):
        submitters = info.get(":submitters") or [{}]
        first = submitters[0]
        student = {"name": "; ".join(str(s.get(":name", "")) for s in submitters),
                   "email": "; ".join(str(s.get(":email", "")) for s in submitters),
                   "sid": "; ".join(str(s.get(":sid", "")) for s in submitters)}
        metadata = {"created_at": str(info.get(":created_at", "")),
                    "assignment": {"due_date": str(info.get(":due_date", "") or "")}}
        key = _key(first.get(":email") or first.get(":name") or folder)
        try:
            path = find_submission(source / folder)
        except SubmissionError:
            path = None
        entries.append(Entry(key, path, student, metadata))
    return entries


class Worker:
    """A long-lived ``python -m autograder worker``: it forks its zygote once, then grades
    the submissions it is sent one after another, each in a sandbox of its own. One that
    hangs past a submission's budget or ends is replaced; only that submission is lost."""

    def __init__(self):
        self.proc = None

    def grade(self, path: Path, result: Path, timeout: float | None) -> tuple[bool, str]:
        """(graded, why not) for one submission, its results written to ``result``."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([sys.executable, "-m", "autograder", "worker"],
                                         cwd=PACKAGE_PARENT, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                         text=True, bufsize=1)
        job = {"path": str(path), "json": str(result), "timeout": timeout}
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return False, f"the grading process ended (exit code {self.stop()})"
        wait = TIMEOUT_PER_SUBMISSION + 60
        if not select.select([self.proc.stdout], [], [], wait)[0]:
            self.stop()
            return False, "the grading process itself ran out of time"
        line = self.proc.stdout.readline()
        if not line:
            return False, f"the grading process ended (exit code {self.stop()})"
        code = json.loads(line).get("code")
        return code == 0 and result.exists(), f"the grading process said {code}"

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code


def grade_entry(entry: Entry, out: Path, timeout: float | None = None,
                policy: dict | None = None, workers: queue.Queue | None = None) -> dict:
    """Grade one entry with a worker from ``workers`` (a queue; one is made without it);
    write results/<key>.json and feedback/<key>.md."""
    started = time.monotonic()
    result = out / "results" / f"{entry.key}.json"
    if entry.path is None:
        data = internal_error_results(started, "no submission file")
        data["output"] = ("No .ipynb, .py or .zip file was found in this submission.")
        data["extra_data"]["status"] = "empty"
    else:
        own = workers is None
        workers = workers or _pool(1)
        worker = workers.get()
        try:
            ok, detail = worker.grade(entry.path, result, timeout)
        finally:
            workers.put(worker)
            if own:
                worker.stop()
        data = json.loads(result.read_text()) if ok else internal_error_results(started, detail)
        data["extra_data"]["status"] = "graded" if ok else "internal-error"
    data["extra_data"]["student"] = {"key": entry.key, **entry.student}
    late.apply_to_results(data, entry.metadata, policy or {})
    write_atomic(result, data)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    (out / "feedback" / f"{entry.key}.md").write_text(data["output"], encoding="utf-8")
    return data


def _pool(jobs):
    workers = queue.Queue()
    for _ in range(jobs):
        workers.put(Worker())
    return workers


def run(source: str | Path, out: str | Path, jobs: int | None = None, regrade: bool = False,
        timeout: float | None = None, show_progress: bool = True,
        roster: str | Path | None = None, similar: bool = False,
        shard: tuple[int, int] | None = None) -> list[dict]:
    """Grade every submission in ``source`` into ``out``; returns the grade-book rows. With
    ``regrade``, the previous grade book is kept under ``history/`` and what changed is
    written to ``regrade-<time>.md``; with ``roster`` (a Canvas gradebook export),
    ``canvas.csv`` is written too (``gradebook.py``); with ``similar``, the pairs of
    submissions that share code (``similarity.py``). With ``shard`` (index, count), only
    that shard's share, into ``out/shard-<index>-of-<count>/``, for ``merge`` (``shards.py``;
    no grade book: returns []). ``jobs``: worker processes, by default one per core this
    process may run on. Raises SandboxBroken, before grading anyone, if the sandbox cannot
    run a child here. Everything written is readable by its owner only (names, emails, ids,
    feedback)."""
    with Sandbox() as sandbox:
        sandbox.check()
    if os.geteuid() == 0 and Path(source).stat().st_mode & 0o007:
        print(f"warning: {source} is open to other users of this machine: keep submissions "
              "where only you can read them (chmod o-rwx), so that no submission's code can "
              "read another's.", file=sys.stderr)
    jobs = jobs or cores()
    previous = os.umask(0o077)
    try:
        if shard is not None:
            _grade_shard(source, Path(out), shard, jobs, regrade, timeout, show_progress)
            return []
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        out.chmod(0o700)
        before = gradebook.keep_history(out) if regrade else None
        entries = discover(source, out / ".export")
        rubric = load_rubric()
        _grade(entries, out, jobs, regrade, timeout, show_progress, rubric)
        return finish(out, entries, rubric, before, roster, similar)
    finally:
        os.umask(previous)


def cores(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may use: those it may run on (a Slurm task's or a pinned
    container's cpuset), fewer where a CPU quota caps them (a Kubernetes CPU limit: cgroup v2
    ``cpu.max``, v1 ``cpu/cpu.cfs_quota_us``), rounded up."""
    try:
        allowed = max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:        # not Linux
        return os.cpu_count() or 1
    for quota_file, period_file in ((cgroup / "cpu.max", None),
                                    (cgroup / "cpu" / "cpu.cfs_quota_us",
                                     cgroup / "cpu" / "cpu.cfs_period_us")):
        try:
            fields = quota_file.read_text().split()
            if period_file is not None:
                fields.append(period_file.read_text().strip())
            quota, period = int(fields[0]), int(fields[1])
        except (OSError, ValueError, IndexError):   # "max", absent, unreadable: no quota
            continue
        if quota > 0 and period > 0:
            return max(min(allowed, -(-quota // period)), 1)
    return allowed


def _grade(entries, out, jobs, regrade, timeout, show_progress, rubric):
    """Grade ``entries`` into ``out`` with ``jobs`` workers (those graded before are skipped
    unless ``regrade``)."""
    (out / "results").mkdir(parents=True, exist_ok=True)
    todo = [e for e in entries if regrade or not (out / "results" / f"{e.key}.json").exists()]
    workers = _pool(jobs)
    # A bar on a terminal; nothing where output is a log (no carriage returns in a file).
    bar = tqdm(total=len(todo), unit="submission", file=sys.stderr, leave=False,
               disable=not (show_progress and todo and sys.stderr.isatty()))
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(grade_entry, e, out, timeout, rubric.get("late_policy"),
                                   workers) for e in todo]
            for future in as_completed(futures):
                future.result()
                bar.update()
    finally:
        bar.close()
        while not workers.empty():
            workers.get().stop()


def _grade_shard(source, out, shard, jobs, regrade, timeout, show_progress):
    index, count = shard
    here = shards.folder(out, index, count)
    here.mkdir(parents=True, exist_ok=True)
    here.chmod(0o700)
    (here / shards.MANIFEST).unlink(missing_ok=True)      # finished again only at the end
    entries = discover(source, here / ".export")
    keys = [e.key for e in entries]
    share = shards.assigned(keys, count)
    mine = [(order, e) for order, e in enumerate(entries) if share[e.key] == index]
    _grade([e for _, e in mine], here, jobs, regrade, timeout, show_progress, load_rubric())
    students = []
    for order, entry in mine:
        kept = shards.keep_submission(here, entry.key, entry.path)
        students.append({"order": order, "key": entry.key, "student": entry.student,
                         "metadata": entry.metadata,
                         "file": str(kept.relative_to(here)) if kept else None})
    shards.write_manifest(here, index, count, keys, students)


def merge(shard_folders: list[str | Path], out: str | Path, roster: str | Path | None = None,
          similar: bool = False) -> list[dict]:
    """The grade book of a finished set of shards, written into ``out`` exactly as ``run``
    writes it for the whole class; ShardError (naming them) if a shard is missing or did not
    finish. Returns the grade-book rows."""
    students = shards.read_set(shard_folders)
    lost = [f"{s['shard']}: {part}/{s['key']}{suffix} is missing: run that shard again with "
            "--regrade" for s in students for part, suffix in (("results", ".json"),
                                                               ("feedback", ".md"))
            if not (Path(s["shard"]) / part / f"{s['key']}{suffix}").exists()]
    if lost:
        raise shards.ShardError("cannot merge:\n  " + "\n  ".join(lost))
    out = Path(out)
    previous = os.umask(0o077)
    try:
        out.mkdir(parents=True, exist_ok=True)
        out.chmod(0o700)
        entries = []
        for s in students:
            shard = Path(s["shard"])
            for part, suffix in (("results", ".json"), ("feedback", ".md")):
                (out / part).mkdir(exist_ok=True)
                shutil.copyfile(shard / part / f"{s['key']}{suffix}",
                                out / part / f"{s['key']}{suffix}")
            entries.append(Entry(s["key"], shard / s["file"] if s["file"] else None,
                                 s["student"], s["metadata"]))
        return finish(out, entries, load_rubric(), None, roster, similar)
    finally:
        os.umask(previous)


def finish(out: Path, entries: list[Entry], rubric: dict, before: Path | None = None,
           roster: str | Path | None = None, similar: bool = False) -> list[dict]:
    """Everything after grading, from the results in ``out/results`` and the submissions:
    the grade book, timings, written-answer pages, similarity, regrade diff, class report
    and Canvas CSV (the same for one machine and for merged shards)."""
    rows = write_grades(out, entries, rubric)
    write_timings(out, entries)
    from .class_report import write_report

    gradebook.write_written(out, entries, rubric.get("manual", []))
    if similar:
        from .similarity import write as write_similarity

        write_similarity(out, entries)
    if before:
        gradebook.write_regrade_diff(out, before)
    write_report(out, rubric)
    if roster:
        unmatched, _ = gradebook.write_canvas(out, rows, roster, rubric["title"],
                                              rubric["total"])
        if unmatched:
            print(f"{len(unmatched)} graded student(s) not in the roster: see "
                  f"{out}/canvas-unmatched.txt", file=sys.stderr)
    return rows


def write_timings(out: Path, entries: list[Entry]) -> None:
    """``timings.csv``: each student's grading seconds and its children's peak memory, the
    numbers that change from one run to the next."""
    rows = []
    for e in entries:
        result = out / "results" / f"{e.key}.json"
        if result.exists():
            data = json.loads(result.read_text())
            rows.append({"student": gradebook.spreadsheet_cell(e.key),
                         "seconds": data.get("execution_time", 0),
                         "children_peak_memory_mb": data.get("extra_data", {}).get(
                             "children_peak_memory_mb", "")})
    if rows:
        with open(out / "timings.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def grade_row(entry: Entry, data: dict, rubric: dict) -> dict:
    """One grades.csv row from a student's results.json."""
    row = {"student": entry.key, "name": entry.student.get("name", ""),
           "email": entry.student.get("email", ""), "sid": entry.student.get("sid", ""),
           "file": entry.path.name if entry.path else ""}
    sections = list(rubric["optimizers"]) + list(rubric.get("questions", {}))
    points = dict.fromkeys(sections, 0.0)
    for test in data.get("tests", []):
        tag, group = test["tags"][0], test["tags"][1]
        points[group if tag == QUESTIONS else tag] += test["score"]
    row.update({k: round(v, 2) for k, v in points.items()})
    extra = data.get("extra_data", {})
    row["total"] = extra.get("score_before_late_penalty", data.get("score", 0))
    row["late_penalty_percent"] = extra.get("late_penalty_percent", 0.0)
    row["final"] = data.get("score", 0)
    row["status"] = extra.get("status", "graded")
    return row


def write_grades(out: Path, entries: list[Entry], rubric: dict) -> list[dict]:
    rows = [grade_row(e, json.loads((out / "results" / f"{e.key}.json").read_text()), rubric)
            for e in entries if (out / "results" / f"{e.key}.json").exists()]
    if rows:
        with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: gradebook.spreadsheet_cell(v) for k, v in row.items()}
                             for row in rows)
    return rows
