"""The misconception catalog as grading knows it: stable ids, a title, a hint a student can
act on, and the step functions concerned (``data/misconceptions.json``, written by
``make build`` from ``assignment/misconceptions.py``, where each entry's known-buggy
variants live with the instructor)."""

import json
from dataclasses import dataclass
from pathlib import Path

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "misconceptions.json"


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str
    hint: str
    functions: tuple             # student functions it concerns


CATALOG = [Misconception(m["id"], m["title"], m["hint"], tuple(m["functions"]))
           for m in json.loads(CATALOG_FILE.read_text())]
BY_ID = {m.id: m for m in CATALOG}
