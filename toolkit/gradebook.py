"""The batch grade book beyond ``grades.csv``: a regrade's history and what it changed, and
a gradebook Canvas imports.

* ``keep_history`` copies ``grades.csv`` and ``results/`` to ``history/<time>/`` before a
  regrade; ``write_regrade_diff`` then writes ``regrade-<time>.md``: who changed, by how
  much, and which tests changed their points (the why).
* ``write_written`` writes ``written/<question>.html``: every student's answer to one written
  question, with the figure it refers to, so a grader marks one question across the class in
  one pass (``autograder/written.py``).
* ``write_canvas`` writes ``canvas.csv`` (Student, ID, SIS User ID, SIS Login ID, Section,
  then the assignment's column, and Canvas's "Points Possible" row), matching graded
  students to a Canvas roster (a gradebook export) by email (against SIS Login ID) or by
  student id (SIS User ID), and lists whoever it could not match, on either side.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

from autograder.extract import SubmissionError, read_notebook
from autograder.written import answers, page

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def keep_history(out: Path) -> Path | None:
    """A dated copy of the current grade book and results; its folder (None if there is
    nothing to keep)."""
    out = Path(out)
    if not (out / "results").is_dir() or not any((out / "results").iterdir()):
        return None
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S")
    dest = out / "history" / stamp
    dest.mkdir(parents=True, exist_ok=True)
    if (out / "grades.csv").exists():
        shutil.copy2(out / "grades.csv", dest / "grades.csv")
    shutil.copytree(out / "results", dest / "results", dirs_exist_ok=True)
    return dest


def _tests(data):
    return {t["name"]: t["score"] for t in data.get("tests", [])}


def write_regrade_diff(out: Path, before: Path) -> list:
    """``regrade-<time>.md`` comparing ``before`` (a ``keep_history`` folder) with the
    results now; the students whose score changed, as (key, old, new, [why])."""
    out, before = Path(out), Path(before)
    changed = []
    for path in sorted((out / "results").glob("*.json")):
        new = json.loads(path.read_text())
        old_path = before / "results" / path.name
        old = json.loads(old_path.read_text()) if old_path.exists() else None
        old_score = None if old is None else old.get("score", 0)
        if old_score == new.get("score", 0):
            continue
        old_tests, new_tests = _tests(old or {}), _tests(new)
        why = [f"{name}: {old_tests.get(name, '-')} → {new_tests.get(name, '-')}"
               for name in dict.fromkeys([*old_tests, *new_tests])
               if old_tests.get(name) != new_tests.get(name)]
        changed.append((path.stem, old_score, new.get("score", 0), why))
    lines = [f"# Regrade of {before.name}", "",
             f"{len(changed)} student(s) changed; the previous grade book and results are in "
             f"`history/{before.name}/`.", ""]
    for key, old, new, why in changed:
        delta = "new" if old is None else f"{new - old:+g}"
        lines += [f"## {key}: {'-' if old is None else f'{old:g}'} → {new:g} ({delta})", ""]
        lines += [f"- {w}" for w in why] + [""]
    (out / f"regrade-{before.name}.md").write_text("\n".join(lines), encoding="utf-8")
    return changed


def _roster(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r.get("Student", "").strip()
                and "Points Possible" not in r.get("Student", "")]
    missing = [c for c in IDENTITY if rows and c not in rows[0]]
    if missing:
        raise ValueError(f"{path}: not a Canvas gradebook export (no {', '.join(missing)})")
    return rows


# A spreadsheet reads a cell that starts so as a formula (=HYPERLINK(...) in a student's
# name): such a text cell is written with a leading apostrophe, which shows it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """``value`` as a CSV cell no spreadsheet evaluates: numbers as they are, text that
    starts like a formula behind an apostrophe (OWASP's advice against CSV injection)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write_canvas(out: Path, rows: list[dict], roster_path: str | Path, column: str,
                 points: float) -> tuple[list, list]:
    """``canvas.csv`` for the roster's students, ``column`` holding each one's final score
    (blank where nobody matched); (graded students not in the roster, roster students with
    no submission), also written to ``canvas-unmatched.txt``."""
    out = Path(out)
    roster = _roster(roster_path)
    by_login = {r["SIS Login ID"].strip().lower(): r for r in roster if r["SIS Login ID"]}
    by_sid = {r["SIS User ID"].strip(): r for r in roster if r["SIS User ID"]}
    scores, unmatched = {}, []
    for row in rows:
        emails = [e.strip().lower() for e in row.get("email", "").split(";") if e.strip()]
        sids = [s.strip() for s in str(row.get("sid", "")).split(";") if s.strip()]
        found = [by_login[e] for e in emails if e in by_login] + \
            [by_sid[s] for s in sids if s in by_sid]
        if not found:
            unmatched.append(row["student"])
        for person in found:
            scores[person["ID"]] = row["final"]
    absent = [r["Student"] for r in roster if r["ID"] not in scores]
    with open(out / "canvas.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(IDENTITY + [column])
        writer.writerow(["    Points Possible", "", "", "", "", f"{points:g}"])
        for r in roster:
            # (ids and logins stay exact: Canvas matches on them when it imports)
            writer.writerow([spreadsheet_cell(r[c]) if c in ("Student", "Section") else r[c]
                             for c in IDENTITY] + [scores.get(r["ID"], "")])
    (out / "canvas-unmatched.txt").write_text(
        "Graded but not in the roster (no score in canvas.csv):\n"
        + "".join(f"  {k}\n" for k in unmatched) + "In the roster with no submission graded "
        "(left blank):\n" + "".join(f"  {k}\n" for k in absent), encoding="utf-8")
    return unmatched, absent


def write_written(out: Path, entries: list, manual: list[dict]) -> list[Path]:
    """``written/<question>.html`` for each written question: each student's answer (and
    figure), by student key; the pages written."""
    per_question: dict[str, list] = {q["name"]: [] for q in manual}
    for entry in entries:
        try:
            nb = read_notebook(entry.path) if entry.path else None
        except SubmissionError:
            nb = None
        found = answers(nb or {}, manual)
        for q in manual:
            per_question[q["name"]].append((entry.key, None, *found[q["name"]]))
    folder = Path(out) / "written"
    folder.mkdir(exist_ok=True)
    pages = []
    for q in manual:
        path = folder / f"{q['name']}.html"
        path.write_text(page(f"{q['title']}: every answer", per_question[q["name"]],
                             q.get("prompt")), encoding="utf-8")
        pages.append(path)
    return pages
