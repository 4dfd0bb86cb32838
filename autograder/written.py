"""The written answers of a notebook, for the people who grade them: each written question's
answer with the figure it refers to, as one self-contained HTML page (no LaTeX, no
converter). The student's notebook writes one for its own answers (``lab_support``), which
its export carries; ``batch`` writes one page per question across the class.

A notebook is student data: every answer is HTML-escaped before a small subset of Markdown
is rendered from it (paragraphs, lists, headings, bold, italics, code; a link shows its
address as text), and a figure is kept only if its bytes are a PNG (re-encoded here), so
nothing in a page can run or load anything.
"""

from __future__ import annotations

import base64
import binascii
import html
import re

PNG = b"\x89PNG\r\n\x1a\n"
MAX_FIGURE_BYTES = 2_000_000
MAX_ANSWER_CHARS = 20_000


def prompt(question: dict) -> str:
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


def answers(nb: dict, manual: list[dict]) -> dict[str, tuple[str, list[bytes]]]:
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


INLINE = [(re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
          (re.compile(r"\*\*([^*\n]+)\*\*"), r"<strong>\1</strong>"),
          (re.compile(r"(?<![\w*])[*_]([^*_\n]+)[*_](?![\w*])"), r"<em>\1</em>"),
          (re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)"), r"\1 (\2)")]


BULLET = re.compile(r"^\s*([-*+]|\d+[.)])\s+")


def markdown(text: str) -> str:
    """HTML for Markdown ``text`` (student data): escaped first, then the subset of the
    module's doc rendered; no tag, attribute or address of the student's survives as such."""
    blocks = []
    for block in re.split(r"\n\s*\n", html.escape(text.strip(), quote=True)):
        lines = block.splitlines()
        if not lines:
            continue
        if all(re.match(r"\s*([-*+]|\d+[.)])\s", line) for line in lines):
            tag = "ol" if re.match(r"\s*\d", lines[0]) else "ul"
            items = "".join(f"<li>{_inline(BULLET.sub('', line))}</li>" for line in lines)
            blocks.append(f"<{tag}>{items}</{tag}>")
        elif re.match(r"#{1,6}\s", lines[0]) and len(lines) == 1:
            blocks.append(f"<h4>{_inline(lines[0].lstrip('#').strip())}</h4>")
        else:
            blocks.append(f"<p>{'<br>'.join(_inline(line) for line in lines)}</p>")
    return "\n".join(blocks)


def _inline(text):
    for pattern, replacement in INLINE:
        text = pattern.sub(replacement, text)
    return text


def page(title: str, sections: list, prompt_text: str | None = None) -> str:
    """An HTML page: ``sections`` is [(heading, prompt or None, answer text, [PNG bytes])];
    ``prompt_text``, a question shown once under the title (a page of one question)."""
    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
             ".prompt{color:#333}.answer{border-left:3px solid #999;padding:0.5em 1em;"
             "background:#f6f6f6}img{max-width:100%}</style>", f"<h1>{html.escape(title)}</h1>"]
    if prompt_text:
        parts.append(f"<div class='prompt'>{markdown(prompt_text)}</div>")
    for heading, prompt_of, text, figures in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if prompt_of:
            parts.append(f"<div class='prompt'>{markdown(prompt_of)}</div>")
        parts.append(f"<div class='answer'>{markdown(text) or '<em>(no answer)</em>'}</div>")
        parts += [f"<img alt='figure' src='data:image/png;base64,"
                  f"{base64.b64encode(png).decode()}'>" for png in figures]
    return "\n".join(parts) + "\n"
