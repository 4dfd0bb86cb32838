"""The written answers of a notebook, for the people who grade them: each written question's
answer with the figure it refers to, as one self-contained HTML page (no LaTeX, no
converter). The student's notebook writes one for its own answers (``lab_support``), which
its export carries; ``batch`` writes one page per question across the class.

A notebook is student data: every answer is HTML-escaped, and a figure is kept only if its
bytes are a PNG (re-encoded here), so nothing in a page can run or load anything.
"""

import base64
import binascii
import html

PNG = b"\x89PNG\r\n\x1a\n"
MAX_FIGURE_BYTES = 2_000_000
MAX_ANSWER_CHARS = 20_000


def prompt(question):
    """The read-only line the notebook shows above a written question's answer cell."""
    return f"**Your answer ({question['title']}):**"


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _pngs(cell):
    for output in cell.get("outputs", []) or []:
        data = output.get("data", {}) if isinstance(output, dict) else {}
        encoded = data.get("image/png") if isinstance(data, dict) else None
        try:
            png = base64.b64decode("".join(encoded) if isinstance(encoded, list) else encoded,
                                   validate=False)
        except (TypeError, ValueError, binascii.Error):
            continue
        if png.startswith(PNG) and len(png) <= MAX_FIGURE_BYTES:
            yield png


def answers(nb, manual):
    """{question name: (answer text, [PNG bytes of its experiment's figures])} from a
    notebook (a dict, as JSON) for the rubric's written questions (``manual``)."""
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict)]
    found = {}
    for q in manual:
        at = next((i for i, c in enumerate(cells) if c.get("cell_type") == "markdown"
                   and prompt(q) in _source(c)), None)
        text = []
        for cell in cells[at + 1:] if at is not None else []:
            source = _source(cell)
            if "<!-- END QUESTION -->" in source or "<!-- BEGIN QUESTION -->" in source:
                break
            if cell.get("cell_type") == "markdown":
                text.append(source.strip())
        figures = [png for c in cells if c.get("cell_type") == "code" and q.get("figure")
                   and _source(c).startswith(f"# Experiment {q['figure']}") for png in _pngs(c)]
        found[q["name"]] = ("\n\n".join(text)[:MAX_ANSWER_CHARS], figures)
    return found


def page(title, sections):
    """An HTML page: ``sections`` is [(heading, answer text, [PNG bytes])]."""
    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
             ".answer{white-space:pre-wrap;border-left:3px solid #999;padding:0.5em 1em;"
             "background:#f6f6f6}img{max-width:100%}</style>", f"<h1>{html.escape(title)}</h1>"]
    for heading, text, figures in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(f"<div class='answer'>{html.escape(text) or '<em>(no answer)</em>'}</div>")
        parts += [f"<img alt='figure' src='data:image/png;base64,"
                  f"{base64.b64encode(png).decode()}'>" for png in figures]
    return "\n".join(parts) + "\n"
