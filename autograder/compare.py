"""Compare a submission's trajectory with torch's, step by step (trusted side).

Tolerance. An entry matches when, elementwise,

    |got - expected| <= ATOL + RTOL * |expected|.

A correct float64 implementation differs from torch only in the order of its
floating-point operations (textbook ``m_hat / (sqrt(v_hat) + eps)`` instead of
torch's ``(lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)``, ``g ** 2`` for
``g * g``, in-place updates...). Each operation rounds with relative error
2**-53 ~ 1.1e-16; over a dozen steps and our closed-loop problems the largest
difference measured across the answer key and ``tests/submissions/alternative_forms.py``
on every case is 6.9e-4 of this tolerance (3.9e-13 relative, on an entry that passes
near zero; ``tests/test_answer_key.py`` holds it under 1e-3). An update computed in
float32 and returned as float64 is off by ~1e-7 relative. RTOL = 1e-10 sits about three
orders of magnitude from each. (The quietest known bug, eps inside the square root at the default
eps = 1e-8, is off by only ~1e-10: cases with eps = 0.1 exist to expose it
plainly.) ATOL = 1e-13 keeps entries that pass through zero (a momentum buffer,
a gradient average) from failing on round-off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .errors import Kind

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .diagnose import Diagnosis
    from .execute import Run

RTOL = 1e-10
ATOL = 1e-13


@dataclass
class EntryDiff:
    entry: str               # "param" or a state key
    abs_error: float         # |got - expected| at ``index``, the largest absolute difference
    rel_error: float         # |got - expected| / |expected| at the same element
    index: tuple
    expected: float          # torch's value at ``index``
    got: float               # the submission's value at ``index``
    nonfinite: bool = False  # the submission produced NaN or inf where torch did not


@dataclass
class Outcome:
    passed: bool
    error: dict | None = None    # a run error (exception, timeout, missing key...)
    step: int | None = None      # first divergent step (1-based)
    param: str | None = None     # first divergent parameter
    diffs: list = field(default_factory=list)     # mismatching entries of that parameter
    matching: list = field(default_factory=list)  # entries of that parameter that still match
    steps_matched: int = 0       # steps that matched before the divergence or error
    diagnosis: Diagnosis | None = None   # for the failing cases a report shows


def entries_of(expected: Mapping[str, np.ndarray], param: str) -> list[str]:
    """The entries of a parameter in a trajectory: "param" first, then state keys."""
    prefix = f"state/{param}/"
    return ["param"] + sorted(k[len(prefix):] for k in expected if k.startswith(prefix))


def trace_key(param: str, entry: str) -> str:
    return f"param/{param}" if entry == "param" else f"state/{param}/{entry}"


def close(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Elementwise: ``got`` is within the tolerance of ``expected`` (NaN matches NaN, an
    infinity matches itself). The one definition of a match, shared with the diagnosis."""
    with np.errstate(invalid="ignore"):   # (an infinite tolerance would let any value in)
        return ((np.abs(got - expected) <= ATOL + RTOL * np.abs(expected))
                & np.isfinite(expected)
                | (got == expected) | (np.isnan(got) & np.isnan(expected)))


def diff_entry(entry: str, got: np.ndarray, expected: np.ndarray) -> EntryDiff | None:
    """An EntryDiff if ``got`` does not match ``expected`` (one step's values), else None."""
    known = ~np.isnan(expected)
    if not known.any():
        return None
    got, expected = np.broadcast_to(got, expected.shape), expected
    err = np.where(known, np.abs(got - expected), 0.0)
    bad = known & ~close(got, expected)      # NaN in got where torch's is known counts as bad
    if not bad.any():
        return None
    err = np.where(bad & ~np.isfinite(err), np.inf, err)
    flat = int(np.argmax(np.where(bad, err, -1.0)))
    index = np.unravel_index(flat, expected.shape) if expected.shape else ()
    rel = err[index] / max(abs(float(expected[index])), np.finfo(float).tiny)
    return EntryDiff(entry=entry, abs_error=float(err[index]), rel_error=float(rel),
                     index=tuple(int(i) for i in index), expected=float(expected[index]),
                     got=float(got[index]), nonfinite=bool(~np.isfinite(got[bad]).all()))


def _all_match(expected, run, steps):
    """True if every entry matches at every completed step (one vectorised check over all
    entries together)."""
    n = min(run.completed, steps)
    want = np.concatenate([value[:n].ravel() for value in expected.values()])
    got = np.concatenate([run.trace[key][:n].ravel() for key in expected])
    return bool((np.isnan(want) | close(got, want)).all())   # NaN in torch's: not compared


def compare(expected: Mapping[str, np.ndarray], run: Run, params: list[str],
            steps: int) -> Outcome:
    """The Outcome of one case: the first step at which any entry of any parameter diverges."""
    if run.completed == steps and run.error is None and _all_match(expected, run, steps):
        return Outcome(passed=True, steps_matched=steps)
    for t in range(min(run.completed, steps)):
        for param in params:
            diffs: list[EntryDiff] = []
            matching: list[str] = []
            for entry in entries_of(expected, param):
                key = trace_key(param, entry)
                d = diff_entry(entry, run.trace[key][t], expected[key][t])
                if d:
                    diffs.append(d)
                else:
                    matching.append(entry)
            if diffs:
                return Outcome(passed=False, step=t + 1, param=param, diffs=diffs,
                               matching=matching, steps_matched=t, error=run.error)
    if run.error:
        return Outcome(passed=False, error=run.error, steps_matched=run.completed)
    if run.completed < steps:
        return Outcome(passed=False, error={"kind": Kind.MALFORMED.value},
                       steps_matched=run.completed)
    return Outcome(passed=True, steps_matched=steps)
