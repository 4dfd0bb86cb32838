"""The class report: one self-contained HTML page (plots embedded) and a Markdown summary,
from a batch's ``results/*.json``: score distribution, pass rate per optimizer and feature
group, how often each misconception was named, and the submissions whose grading hit a
limit. It depends on the results only, not on how long gradings took: seconds and memory per
student are in ``timings.csv`` (the one place a grade book holds run-dependent numbers)."""

from __future__ import annotations

import base64
import html
import io
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


def _figure_png(draw, size=(7, 3.2)):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size)
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def figures(s: dict) -> dict[str, str]:
    def hist(ax):
        ax.hist(s["finals"], bins=range(0, 105, 5), color="#1f77b4", edgecolor="white")
        ax.set(xlabel="final score", ylabel="students", title="Score distribution")

    def rates(ax):
        names = list(s["pass_rates"])
        ax.barh(names, [100 * s["pass_rates"][n] for n in names], color="#2ca02c")
        ax.set(xlabel="% of students with full points", xlim=(0, 100),
               title="Pass rate per optimizer feature and question")
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)

    def misconceptions(ax):
        ids = [m for m, _ in s["misconceptions"]] or ["(none)"]
        counts = [c for _, c in s["misconceptions"]] or [0]
        ax.barh(ids, counts, color="#9467bd")
        ax.set(xlabel="students", title="Misconceptions named")
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=8)

    return {"Score distribution": _figure_png(hist),
            "Pass rates": _figure_png(rates, (8, 0.22 * len(s["pass_rates"]) + 1.2)),
            "Misconceptions": _figure_png(misconceptions,
                                          (7, 0.3 * max(len(s["misconceptions"]), 1) + 1.2))}


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
    images = "".join(f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{b}">'
                     f"</figure>" for t, b in figures(s).items())
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
th{{background:#f4f4f4}}figure{{margin:1em 0}}img{{max-width:100%}}.big{{font-size:1.3em}}</style>
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
