"""Everything a child reports is hostile until rebuilt here (trusted side).

A child's records (the error of a case, the load warnings, the concept answers) are
rebuilt field by field from what the trusted side can check: a kind it knows, numbers in
range, names it chose itself (the case's parameters and state keys, the submission's own
function names), and student text kept only where it helps, capped and stripped of
control characters. A hidden case keeps no student text at all but an exception's type
name. Whatever survives is still the student's, so the report prints it through
``code()``, which no Markdown, HTML or table structure survives.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from .errors import Kind

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .cases import Case

KINDS = Kind.from_child()
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,59}")
DTYPE = re.compile(r"[a-z]{1,10}[0-9]{0,3}")
MESSAGE_CHARS = 200      # of an exception's or a load warning's message (public cases only)
KEY_CHARS, KEYS_SHOWN = 30, 10
ANSWER_CHARS = 60
FRAMES_SHOWN = 6
LINE_CHARS = 120


def text(value: object, limit: int) -> str | None:
    """A string's first ``limit`` characters, control characters made spaces; None if
    ``value`` is not a string."""
    if not isinstance(value, str):
        return None
    cut = value[:limit] + ("…" if len(value) > limit else "")
    return "".join(" " if ord(c) < 32 or 0x7f <= ord(c) < 0xa0 else c for c in cut)


def code(value: object, limit: int = MESSAGE_CHARS) -> str:
    """Student text as one inline code span: one line, capped, no backtick to close it, no
    table bar. Markdown renders it literally and HTML never sees a tag."""
    shown = (text(str(value), limit) or "").replace("`", "'").replace("|", "¦").strip()
    return f"`{shown}`" if shown else "``"


def source_line(value: object) -> str:
    """A line of the student's own source, safe inside a fenced code block."""
    return (text(value, LINE_CHARS) or "").replace("```", "'''")


def _among(value, allowed):
    """``value`` if it is a string in ``allowed``, else None (a forged list or dict is not
    even looked up: it cannot be hashed)."""
    return value if isinstance(value, str) and value in allowed else None


def _int(value, low, high):
    ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    return value if ok else None


def _identifier(value, default):
    return value if isinstance(value, str) and IDENTIFIER.fullmatch(value) else default


def frames(raw: Any, line_count: int, names: Collection[str]) -> list[tuple[int, str]]:
    """[(line, function name)] of a traceback, lines within the source, names among the
    submission's own functions (others shown as "?")."""
    kept = []
    for frame in raw if isinstance(raw, list) else []:
        line = _int(frame[0], 1, line_count) if isinstance(frame, list) and frame else None
        if line:
            name = (_among(frame[1], names) if len(frame) > 1 else None) or "?"
            kept.append((line, name))
    return kept[-FRAMES_SHOWN:]


def _shape(value):
    ok = isinstance(value, list) and len(value) <= 32 and all(
        _int(n, 0, 10**9) is not None for n in value)
    return tuple(value) if ok else None


def error(raw: Any, case: Case, keys: dict, line_count: int,
          names: Collection[str]) -> dict | None:
    """A case's error record rebuilt (``keys``: {param: {"shape", "keys": {key: shape}}}),
    or None."""
    if raw is None:
        return None
    kind = _among(raw.get("kind"), KINDS) if isinstance(raw, dict) else None
    if kind is None:
        return {"kind": Kind.MALFORMED.value}
    out = {"kind": kind}
    step = _int(raw.get("step"), 1, case.steps)
    param = _among(raw.get("param"), keys)
    if step and param:
        out.update(step=step, param=param)
    if kind == "exception":
        out["type"] = _identifier(raw.get("type"), "Exception")
        out["frames"] = frames(raw.get("frames"), line_count, names)
        if case.public:
            out["message"] = text(raw.get("message"), MESSAGE_CHARS) or ""
    elif kind == "returned-none":
        out["state_empty"] = raw.get("state_empty") is True
    elif kind in ("not-an-array", "dtype", "shape"):
        entries = keys.get(param, {}).get("keys", [])
        allowed = {"the returned parameter", *(f'state["{k}"]' for k in entries)}
        out["what"] = _among(raw.get("what"), allowed) or "a returned value"
        out["type"] = _identifier(raw.get("type"), "object")
        if kind == "dtype":
            dtype = raw.get("dtype")
            out["dtype"] = dtype if isinstance(dtype, str) and DTYPE.fullmatch(dtype) \
                else "not float64"
        if kind == "shape":
            got, expected = _shape(raw.get("got")), _shape(raw.get("expected"))
            if got is None or expected is None:
                return {"kind": Kind.MALFORMED.value}
            out.update(got=list(got), expected=list(expected))
    elif kind == "missing-state-key":
        if _among(raw.get("key"), keys.get(param, {}).get("keys", [])) is None:
            return {"kind": Kind.MALFORMED.value}
        present = raw.get("present") if isinstance(raw.get("present"), list) else []
        out["key"] = raw["key"]
        out["present_count"] = len(present)
        if case.public:
            out["present"] = [text(k, KEY_CHARS) for k in present[:KEYS_SHOWN]
                              if isinstance(k, str)]
    return out


def warnings(raw: Any, line_count: int, names: Collection[str]) -> list[dict]:
    """The load warnings rebuilt: line, exception type, capped message, frames, import."""
    kept = []
    for w in raw if isinstance(raw, list) else []:
        if isinstance(w, dict) and _int(w.get("line"), 1, line_count):
            kept.append({"line": w["line"], "type": _identifier(w.get("type"), "Exception"),
                         "message": text(w.get("message"), MESSAGE_CHARS) or "",
                         "frames": frames(w.get("frames"), line_count, names),
                         "import": w.get("import") is True})
    return kept[:50]


def answers(raw: Any, asked: Iterable[str]) -> dict[str, float | str]:
    """The concept answers asked for: a finite float, or the start of a repr."""
    kept = {}
    for name in asked:
        value = raw.get(name) if isinstance(raw, dict) else None
        if isinstance(value, float):
            kept[name] = value if math.isfinite(value) else repr(value)
        elif isinstance(value, str):
            kept[name] = text(value, ANSWER_CHARS) or ""
    return kept
