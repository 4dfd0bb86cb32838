"""Honest but unusual notebooks (a fixture for tests and benchmarks): the solution notebook
written as students write, with any Unicode, tabs, CRLF line endings, statements joined by
';', walrus, f-strings, annotations, a cell edited after it ran and cells run out of order.
Each should cost nothing: it grades as the solution notebook itself does."""

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOLUTION_NB = ROOT / "solutions" / "optimizers_lab.ipynb"
EXTRA = {
    "unicode everywhere": ['η = 0.01  # learning rate η, β₁ = 0.9\nβ = (0.9, 0.999)\n'
                           'note = "Adam, β₂ = 0.99 — ε ≈ 1e-8 ✓"; label = "θ ← θ − η·ĝ"\n'
                           'def 学习率(x):\n    """η → η/2"""\n    return x / 2\n'],
    "joined by ';'": ['import math; import numpy as np; LR = 0.1; NAME = "β"\n'
                      'a = 1; b = (1, -2.5); run = print; c = {"k": [1, 2]}\n'],
    "walrus and f-strings": ["if (n := 3) > 2:\n    text = f\"{'β'} {n!r:>4}\"\n"
                             "def helper(xs):\n    return [y for x in xs if (y := x * 2) > 1]\n"],
    "annotations": ["lr: float = 0.01\nsteps: int = 10\nshape: tuple = (3, 2)\n"
                    "def typed(x: 'np.ndarray', *, k: float = 1.0) -> float:\n"
                    "    return float(k)\n"],
    "an old version above the new one": ["def sgd_step(param, grad, state, **kw):\n"
                                         "    return param  # first attempt\n"],
}


def variants():
    """(name, notebook) for each honest variant of the solution notebook."""
    for name, cells in EXTRA.items():
        nb = nbformat.read(SOLUTION_NB, as_version=4)
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        at = first_code + 1 if name != "an old version above the new one" else first_code
        for offset, code in enumerate(cells):
            nb.cells.insert(at + offset, nbformat.v4.new_code_cell(code))
        yield name, nb
    nb = nbformat.read(SOLUTION_NB, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace("\n", "\r\n")
    yield "CRLF line endings", nb
    nb = nbformat.read(SOLUTION_NB, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = re.sub(r"(?m)^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4),
                                 cell.source)
    yield "tabs", nb
    nb = nbformat.read(SOLUTION_NB, as_version=4)
    for n, cell in enumerate(c for c in reversed(nb.cells) if c.cell_type == "code"):
        cell.execution_count = n + 1          # run from the bottom up, as it were
    yield "run out of order", nb


VARIANTS = dict(variants())
