"""Points from case outcomes and concept answers, by the rubric (``data/rubric.json``).

Each optimizer's feature groups carry points; a group earns its points in
proportion to the cases of that group that pass. With ``--public-only`` only
the public cases count (what a student's notebook check sees). Each auto-graded
concept question earns its points when the answer is within its tolerance of the
answer key (``data/answers.json``, generated from the notebook's solution cells and
never shipped to students). Written questions are graded by people, outside these
points.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .cases import Case

DATA = Path(__file__).resolve().parent / "data"
RUBRIC = DATA / "rubric.json"
ANSWER_KEY = DATA / "answers.json"
QUESTIONS = "questions"   # the GroupScore.optimizer of concept questions


VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")   # Gradescope's


def load_rubric() -> dict:
    rubric = json.loads(RUBRIC.read_text())
    for key, value in rubric.get("visibility", {}).items():
        if key not in ("public_cases", "hidden_cases") or value not in VISIBILITIES:
            raise ValueError(f"{RUBRIC.name}: visibility {key!r}: {value!r} is not one of "
                             f"{', '.join(VISIBILITIES)} (keys: public_cases, hidden_cases)")
    return rubric


def load_answer_key() -> dict:
    """{question: correct value}, or {} where the key is not installed (a student's copy)."""
    return json.loads(ANSWER_KEY.read_text()) if ANSWER_KEY.exists() else {}


@dataclass
class GroupScore:
    optimizer: str
    group: str
    title: str
    max_points: float
    passed: int
    total: int

    @property
    def points(self) -> float:
        return round(self.max_points * self.passed / self.total, 2) if self.total else 0.0


def question_scores(answers: dict, rubric: dict, key: dict) -> list[GroupScore]:
    """[GroupScore] for the concept questions the answer key covers: 1/1 when correct (within
    the question's rtol of the key's number, or inside the key's [low, high] range)."""
    scores = []
    for name, q in rubric.get("questions", {}).items():
        if name in key:
            value, want = answers.get(name), key[name]
            correct = isinstance(value, float) and math.isfinite(value) and (
                want[0] <= value <= want[1] if isinstance(want, list)
                else math.isclose(value, want, rel_tol=q["rtol"]))
            scores.append(GroupScore(QUESTIONS, name, q["title"], q["points"], int(correct), 1))
    return scores


def score(cases: list[Case], outcomes: dict, rubric: dict) -> list[GroupScore]:
    """[GroupScore] in rubric order, for the groups that have cases among ``cases``."""
    scores = []
    for optimizer, spec in rubric["optimizers"].items():
        for group, g in spec["groups"].items():
            mine = [c for c in cases if c.optimizer == optimizer and c.group == group]
            if mine:
                scores.append(GroupScore(optimizer, group, g["title"], g["points"],
                                         sum(outcomes[c.id].passed for c in mine), len(mine)))
    return scores
