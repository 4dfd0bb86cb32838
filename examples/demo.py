"""``make demo``: grade the bundled example submissions and print a summary table.

The solution notebook, the untouched student notebook, a correct set of step functions
written differently (a ``.py`` without the concept answers: 90 of 100), and buggy
submissions made from the answer key (``tests/support/bugs.py``).
Each is graded exactly as ``python -m autograder grade`` does; the reports and
``results.json`` files land in ``build/demo/``.
"""

import time
from pathlib import Path

from autograder.grade import grade
from autograder.report import summary
from autograder.results import results, write_atomic
from tests.support import bugs

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "demo"
SHOWN_BUGS = ["sgd-nesterov-as-momentum", "adam-bias-correction-off-by-one",
              "amsgrad-max-of-corrected", "float32-precision"]


def first_problem(grading):
    """The first failing case's function, and the misconception named or the symptom."""
    for case in grading.cases:
        o = grading.outcomes[case.id]
        if o.passed:
            continue
        if o.diagnosis and o.diagnosis.ids:
            return f"{case.function}: {', '.join(o.diagnosis.ids)}"
        if o.step:
            return f"{case.function}: {', '.join(d.entry for d in o.diffs)} off at step {o.step}"
        return f"{case.function}: {(o.error or {}).get('kind')}"
    return "-"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    submissions = [ROOT / "solutions" / "optimizers_lab.ipynb",
                   ROOT / "student_template" / "optimizers_lab.ipynb",
                   ROOT / "tests" / "submissions" / "alternative_forms.py",
                   *bugs.write(SHOWN_BUGS, OUT / "submissions")]
    rows = []
    for path in submissions:
        started = time.monotonic()
        grading = grade(path)
        seconds = time.monotonic() - started
        name = path.relative_to(ROOT)
        stem = path.stem if path.parent.name == "submissions" else str(name).replace("/", "_")
        (OUT / f"{stem}.md").write_text(summary(grading))
        write_atomic(OUT / f"{stem}.results.json", results(grading))
        passed = sum(o.passed for o in grading.outcomes.values())
        rows.append((str(name), f"{grading.points:g}/{grading.max_points:g}",
                     f"{passed}/{len(grading.outcomes)}", f"{seconds:.2f}", first_problem(grading)))
    header = ("submission", "score", "cases", "seconds", "first problem found (misconception)")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    print(f"\nReports and results.json files: {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
