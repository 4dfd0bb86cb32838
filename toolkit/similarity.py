"""Which submissions of a batch share code beyond the template (instructor side).

Every pair of submissions' kept code (what the grader runs: imports, functions, classes,
literal assignments, as ``extract`` keeps them) is compared with copydetect's winnowed
fingerprints, the student template's code discounted as boilerplate. A pair's score is the
larger of the two shares of code found in the other, so padding a copy with code of one's
own does not hide it (the original stays wholly inside the copy); pairs at ``THRESHOLD`` or
above go to ``similarity.md`` and ``similarity.html`` (side by side, shared regions
marked), most similar first. In a class of 30, 29 independently written submissions of this
lab share at most 51 % pairwise, a renamed and reordered copy 98 % with its original
(``tests/test_similarity.py``). A score is a reason to look, not a verdict.
"""

from __future__ import annotations

import html
import io
import itertools
from pathlib import Path

import numpy as np

from autograder.extract import SubmissionError, extract

K, WINDOW = 25, 1          # copydetect's noise threshold (characters) and window size
THRESHOLD = 0.6
TEMPLATE = Path(__file__).resolve().parents[1] / "student_template" / "optimizers.py"


def _fingerprint(code, boilerplate=()):
    from copydetect import CodeFingerprint

    return CodeFingerprint("submission.py", K, WINDOW, boilerplate=np.array(boilerplate),
                           language="python", fp=io.StringIO(code))


def kept_code(entries: list) -> dict[str, str]:
    """{student key: the code the grader keeps from their submission} (unreadable ones are
    left out)."""
    codes = {}
    for entry in entries:
        try:
            codes[entry.key] = extract(entry.path).source if entry.path else ""
        except SubmissionError:
            continue
    return {key: code for key, code in codes.items() if code.strip()}


def pairs(codes: dict[str, str],
          template: Path = TEMPLATE) -> list[tuple[float, str, str, tuple]]:
    """[(score, key a, key b, (slices in a, slices in b))], most similar first."""
    from copydetect import compare_files

    boilerplate = sorted(_fingerprint(template.read_text(encoding="utf-8")).hashes) \
        if template.exists() else []
    prints = {key: _fingerprint(code, boilerplate) for key, code in codes.items()}
    found = []
    for (a, fa), (b, fb) in itertools.combinations(prints.items(), 2):
        _, (share_a, share_b), slices = compare_files(fa, fb)
        found.append((round(float(max(share_a, share_b)), 3), a, b, slices))
    return sorted(found, key=lambda p: (-p[0], p[1], p[2]))


def _marked(code, slices):
    from copydetect.utils import highlight_overlap

    text, _ = highlight_overlap(code, slices, "\x00", "\x01")
    return html.escape(text).replace("\x00", "<mark>").replace("\x01", "</mark>")


def write(out: Path, entries: list, threshold: float = THRESHOLD) -> list:
    """Write ``similarity.md`` and ``similarity.html`` into ``out``; the pairs reported."""
    out = Path(out)
    codes = kept_code(entries)
    flagged = [p for p in pairs(codes) if p[0] >= threshold]
    lines = ["# Similar submissions", "",
             f"{len(flagged)} pair(s) of {len(codes) * (len(codes) - 1) // 2} share at least "
             f"{threshold:.0%} of their code beyond the template (copydetect, k = {K}). A "
             "reason to look, not a verdict: see similarity.html side by side.", "",
             "| score | student | student |", "|---|---|---|"]
    lines += [f"| {score:.0%} | {a} | {b} |" for score, a, b, _ in flagged]
    (out / "similarity.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    parts = ["<!doctype html><meta charset='utf-8'><title>Similar submissions</title>",
             "<style>body{font-family:sans-serif}table{width:100%;table-layout:fixed}"
             "td{vertical-align:top}pre{white-space:pre-wrap;font-size:12px}"
             "mark{background:#ffd27f}</style>", "<h1>Similar submissions</h1>",
             f"<p>{len(flagged)} pair(s) at or above {threshold:.0%}, most similar first; "
             "shared code is marked.</p>"]
    for score, a, b, (slices_a, slices_b) in flagged:
        parts.append(f"<h2>{score:.0%}: {html.escape(a)} and {html.escape(b)}</h2><table><tr>"
                     f"<td><pre>{_marked(codes[a], slices_a)}</pre></td>"
                     f"<td><pre>{_marked(codes[b], slices_b)}</pre></td></tr></table>")
    (out / "similarity.html").write_text("\n".join(parts) + "\n", encoding="utf-8")
    return flagged
