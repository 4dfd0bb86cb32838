"""Points from case outcomes, by the rubric (``data/rubric.json``).

Each optimizer's feature groups carry points; a group earns its points in
proportion to the cases of that group that pass. With ``--public-only`` only
the public cases count (what a student's notebook check sees).
"""

import json
from dataclasses import dataclass
from pathlib import Path

RUBRIC = Path(__file__).resolve().parent / "data" / "rubric.json"


def load_rubric():
    return json.loads(RUBRIC.read_text())


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


def score(cases, outcomes, rubric):
    """[GroupScore] in rubric order, for the groups that have cases among ``cases``."""
    scores = []
    for optimizer, spec in rubric["optimizers"].items():
        for group, g in spec["groups"].items():
            mine = [c for c in cases if c.optimizer == optimizer and c.group == group]
            if mine:
                scores.append(GroupScore(optimizer, group, g["title"], g["points"],
                                         sum(outcomes[c.id].passed for c in mine), len(mine)))
    return scores
