"""The graded cases as the engine knows them: each stored with its references.

A case is (optimizer, feature group, problem, hyperparameters, optional lr schedule); its
definition and seed are stored in the references file of its visibility
(``data/references-public.npz`` or ``references-hidden.npz``), written by the instructor's
``make references`` from the rows in ``assignment/cases.py``. The engine reads whichever
of the two files it has: the student engine has only the public one, the grading image
both (the hidden one readable by root only while student code runs).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import cache, cached_property

from . import references
from .child.problems import PROBLEMS
from .score import load_rubric

# optimizer -> its entry in the rubric: "function" (the student's), "torch" (the
# torch.optim class), "title", "hyperparameters", "state", "update", "groups"
OPTIMIZERS = load_rubric()["optimizers"]
SCHEDULES = {
    None: lambda lr, step: lr,
    "halve-every-3": lambda lr, step: lr * 0.5 ** (step // 3),
}


@dataclass(frozen=True)
class Case:
    optimizer: str
    group: str
    problem: str
    public: bool
    config: dict = field(hash=False)
    schedule: str | None = None
    seed: int | None = field(default=None, compare=False)   # the inputs' seed (see ``seed_for``)

    @property
    def function(self) -> str:
        return OPTIMIZERS[self.optimizer]["function"]

    @property
    def steps(self) -> int:
        return PROBLEMS[self.problem].steps

    @cached_property
    def id(self) -> str:
        return case_id(self.optimizer, self.group, self.problem, self.config, self.schedule)

    def lrs(self) -> list[float]:
        """The learning rate passed at each step."""
        return [SCHEDULES[self.schedule](self.config["lr"], t) for t in range(self.steps)]

    def definition(self) -> dict:
        """The case as stored (JSON)."""
        return {"optimizer": self.optimizer, "group": self.group, "problem": self.problem,
                "public": self.public, "config": self.config, "schedule": self.schedule,
                "seed": self.seed}


def case_id(optimizer: str, group: str, problem: str, config: dict,
        schedule: str | None = None) -> str:
    settings = ",".join(f"{k}={v}" for k, v in config.items())
    if schedule:
        settings += f",schedule={schedule}"
    return f"{optimizer}:{group}:{problem}:{settings.replace(' ', '')}"


def public_seed(identifier: str) -> int:
    """A public case's seed: derived from its id (its inputs ship to students anyway).
    Hidden cases get random seeds, kept only with the hidden references."""
    return zlib.crc32(identifier.encode())


def from_definition(stored: dict) -> Case:
    config = {k: tuple(v) if isinstance(v, list) else v for k, v in stored["config"].items()}
    return Case(stored["optimizer"], stored["group"], stored["problem"], stored["public"],
                config, stored["schedule"], stored["seed"])


@cache
def load_cases() -> list[Case]:
    """Every case whose references this engine has, in stored order."""
    return [from_definition(d) for public, path in references.FILES.items()
            if path.exists() for d in references.read_meta(path).get("cases", [])]


def select(public_only: bool = False) -> list[Case]:
    """The cases to grade: all of them, or only those students have."""
    return [c for c in load_cases() if c.public or not public_only]
