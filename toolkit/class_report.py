"""The class report: one self-contained HTML page (charts drawn inline as SVG) and a
Markdown summary, from a batch's ``results/*.json``: score distribution, pass rate per
optimizer and feature group, how often each misconception was named, and the submissions
whose grading hit a limit. It depends on the results only, not on how long gradings took:
seconds and memory per student are in ``timings.csv`` (the one place a grade book holds
run-dependent numbers)."""

from __future__ import annotations

import html
import json
import statistics
from pathlib import Path

from autograder.misconceptions import BY_ID

LIMIT_KINDS = {"timeout", "crash", "memory", "not-run", "malformed"}


def load_results(out: str | Path) -> dict[str, dict]:
    paths = sorted((Path(out) / "results").glob("*.json"))
    return {p.stem: json.loads(p.read_text()) for p in paths}


def summarise(results: dict[str, dict]) -> dict:
    """Everything the report shows, as plain data."""
    finals = [r.get("score", 0) for r in results.values()]
    groups: dict[str, list] = {}
    named: dict[str, int] = {}
    limits: list = []
    for key, r in results.items():
        for test in r.get("tests", []):
            passed = test["score"] >= test["max_score"]
            groups.setdefault(test["name"], []).append(passed)
        for mid in r.get("extra_data", {}).get("misconceptions", {}):
            named[mid] = named.get(mid, 0) + 1
        failing = r.get("extra_data", {}).get("failing_cases", {}).values()
        kinds = sorted({f.get("error") for f in failing} & LIMIT_KINDS)
        if kinds or r.get("extra_data", {}).get("status") == "internal-error":
            limits.append((key, ", ".join(kinds) or "internal error"))
    return {
        "n": len(finals), "finals": finals,
        "mean": statistics.mean(finals) if finals else 0,
        "median": statistics.median(finals) if finals else 0,
        "pass_rates": {name: sum(v) / len(v) for name, v in groups.items()},
        "misconceptions": sorted(named.items(), key=lambda kv: (-kv[1], kv[0])),
        "limits": limits,
    }


WIDTH, ROW, CHAR = 760, 18, 6.8     # a chart's width, a bar's height, a character's (12 px)


def _svg(title: str, height: int, body: list[str], width: float = WIDTH) -> str:
    """An inline SVG chart: drawn as text, so the report needs no plotting library."""
    return (f'<svg role="img" aria-label="{html.escape(title)}" width="{width:.0f}" '
            f'height="{height}" viewBox="0 0 {width:.0f} {height}" font-size="12" '
            f'font-family="system-ui,sans-serif"><title>{html.escape(title)}</title>'
            f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>'
            + "".join(body) + "</svg>")


def bar_chart(title: str, rows: list[tuple[str, float]], scale: float, color: str,
              unit: str = "") -> str:
    """Horizontal bars, one per (label, value), the longest ``scale`` long, each value
    written at its end; the labels' column as wide as the longest label."""
    left = CHAR * max((len(label) for label, _ in rows), default=0) + 10
    body, span = [], 400
    for n, (label, value) in enumerate(rows):
        y, length = 26 + n * ROW, span * value / scale if scale else 0
        body.append(f'<text x="{left - 6:.1f}" y="{y + 12}" text-anchor="end">'
                    f'{html.escape(label)}</text><rect x="{left:.1f}" y="{y + 2}" '
                    f'width="{length:.1f}" height="{ROW - 4}" fill="{color}"/>'
                    f'<text x="{left + length + 4:.1f}" y="{y + 12}">{value:g}{unit}</text>')
    return _svg(title, 32 + ROW * len(rows), body, max(left + span + 50, WIDTH))


def histogram(title: str, values: list[float], edges: list[float], color: str) -> str:
    """Vertical bars counting ``values`` between consecutive ``edges`` (the last bin holds
    its upper edge), the count above each bar and the edges below."""
    counts = [sum(lo <= v < hi or (hi == edges[-1] and v == hi) for v in values)
              for lo, hi in zip(edges, edges[1:])]
    top, floor, width = max(counts, default=0) or 1, 190, (WIDTH - 40) / len(counts)
    body = []
    for n, count in enumerate(counts):
        x, height = 20 + n * width, 150 * count / top
        body.append(f'<rect x="{x + 1:.1f}" y="{floor - height:.1f}" width="{width - 2:.1f}" '
                    f'height="{height:.1f}" fill="{color}"/>')
        if count:
            body.append(f'<text x="{x + width / 2:.1f}" y="{floor - height - 3:.1f}" '
                        f'text-anchor="middle">{count}</text>')
        body.append(f'<text x="{x:.1f}" y="{floor + 14}" text-anchor="middle">'
                    f"{edges[n]:g}</text>")
    body.append(f'<text x="{WIDTH - 20}" y="{floor + 14}" text-anchor="middle">'
                f"{edges[-1]:g}</text>")
    return _svg(title, floor + 22, body)


def figures(s: dict) -> dict[str, str]:
    """{title: inline SVG}: the score distribution, the pass rate of each feature and
    question, and how many students each misconception was named for."""
    rates = [(name, round(100 * rate)) for name, rate in s["pass_rates"].items()]
    named = s["misconceptions"] or [("(none)", 0)]
    return {"Score distribution": histogram("Score distribution (students per 5 points of "
                                            "final score)", s["finals"],
                                            list(range(0, 105, 5)), "#1f77b4"),
            "Pass rates": bar_chart("Pass rate per optimizer feature and question (% of "
                                    "students with full points)", rates, 100, "#2ca02c", "%"),
            "Misconceptions": bar_chart("Misconceptions named (students)", named,
                                        max(c for _, c in named) or 1, "#9467bd")}


def markdown(s: dict) -> str:
    out = ["# Class report", "",
           f"{s['n']} submissions; mean {s['mean']:.1f}, median {s['median']:.1f}, "
           f"min {min(s['finals'], default=0):g}, max {max(s['finals'], default=0):g}.", "",
           "## Pass rate per feature", "", "| feature | students with full points |",
           "|---|---|"]
    out += [f"| {n} | {100 * r:.0f}% |" for n, r in s["pass_rates"].items()]
    out += ["", "## Misconceptions named", "", "| id | mistake | students |", "|---|---|---|"]
    out += [f"| `{m}` | {BY_ID[m].title if m in BY_ID else ''} | {c} |"
            for m, c in s["misconceptions"]] or ["| - | none | 0 |"]
    out += ["", "## Grading hit a limit", ""]
    out += [f"- {k}: {why}" for k, why in s["limits"]] or ["None."]
    if s.get("links"):
        out += ["", "## Also in this folder", ""]
        out += [f"- [{title}]({path})" for title, path in s["links"]]
    return "\n".join(out) + "\n"


def page(s: dict, md: str) -> str:
    images = "".join(f"<figure>{chart}</figure>" for chart in figures(s).values())
    rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{100 * r:.0f}%</td></tr>"
                   for n, r in s["pass_rates"].items())
    mis = "".join(f"<tr><td><code>{m}</code></td><td>{html.escape(BY_ID[m].title)}</td>"
                  f"<td>{c}</td></tr>" for m, c in s["misconceptions"] if m in BY_ID)
    limits = "".join(f"<li>{html.escape(k)}: {html.escape(w)}</li>" for k, w in s["limits"])
    links = "".join(f'<li><a href="{html.escape(p)}">{html.escape(t)}</a></li>'
                    for t, p in s.get("links", []))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Class report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ddd;padding:4px 10px}}
th{{background:#f4f4f4}}figure{{margin:1em 0}}svg{{max-width:100%;height:auto}}
.big{{font-size:1.3em}}</style>
</head><body><h1>Class report</h1>
<p class="big">{s['n']} submissions &middot; mean {s['mean']:.1f}
&middot; median {s['median']:.1f}</p>
{images}
<h2>Pass rate per feature</h2><table><tr><th>feature</th><th>students with full points</th></tr>
{rows}</table>
<h2>Misconceptions named</h2>
<table><tr><th>id</th><th>mistake</th><th>students</th></tr>{mis}</table>
<h2>Grading hit a limit</h2><ul>{limits or '<li>None.</li>'}</ul>
{f"<h2>Also in this folder</h2><ul>{links}</ul>" if links else ""}
</body></html>
"""


def write_report(out: str | Path, rubric: dict | None = None) -> dict:
    """Write report.md and report.html into ``out``; the summary dict."""
    out = Path(out)
    s = summarise(load_results(out))
    s["links"] = [(title, str(path.relative_to(out))) for title, path in (
        [("Seconds and memory per student", out / "timings.csv"),
         ("Similar submissions (pairs to look at)", out / "similarity.html")]
        + [(f"Written answers, one question: {p.stem}", p)
           for p in sorted((out / "written").glob("*.html"))]
        + [(f"What a regrade changed: {p.stem}", p) for p in sorted(out.glob("regrade-*.md"))])
        if path.exists()]
    md = markdown(s)
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(page(s, md), encoding="utf-8")
    return s
