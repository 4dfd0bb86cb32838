"""One vocabulary for what can go wrong: every kind of failure a case can end in, with its
words in a one-line summary and its message to the student (filled in by
``report.error_text``); and the error that is the grader's fault, never the student's.

A case's error is a record ``{"kind": <Kind value>, ...}``: plain data, so that it travels
in results.json and from a child (whose records ``untrusted.error`` rebuilds, accepting
only ``Kind.from_child()``). Adding a kind is adding a member, its words and its message.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class SandboxBroken(Exception):
    """A child could not start in the sandbox: no submission code ran, nothing was graded.
    The message is for the instructor."""


class Kind(str, Enum):
    """How a case failed (a ``str``: the record holds the value itself)."""

    # Reported by the child running the step function.
    EXCEPTION = "exception"
    RETURNED_NONE = "returned-none"
    NOT_AN_ARRAY = "not-an-array"
    DTYPE = "dtype"
    SHAPE = "shape"
    GRAD_MUTATED = "grad-mutated"
    MISSING_STATE_KEY = "missing-state-key"
    MISSING_FUNCTION = "missing-function"
    # Concluded by the trusted side.
    NOT_IMPLEMENTED = "not-implemented"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASH = "crash"
    NOT_RUN = "not-run"
    UNREADABLE = "unreadable"
    MALFORMED = "malformed"

    @classmethod
    def of(cls, record: Any) -> Kind:
        """The kind of an error record (MALFORMED for anything else)."""
        try:
            return cls(record.get("kind"))
        except (AttributeError, ValueError, TypeError):
            return cls.MALFORMED

    @classmethod
    def from_child(cls) -> set[str]:
        """The kinds a child may report."""
        return {k.value for k in (cls.EXCEPTION, cls.RETURNED_NONE, cls.NOT_AN_ARRAY,
                                  cls.DTYPE, cls.SHAPE, cls.GRAD_MUTATED,
                                  cls.MISSING_STATE_KEY, cls.MISSING_FUNCTION)}


# "`adam_step(lr=0.1)` on the mlp problem: <words>."
WORDS = {
    Kind.EXCEPTION: "raised an exception", Kind.RETURNED_NONE: "returned None",
    Kind.NOT_AN_ARRAY: "returned something that is not an array",
    Kind.DTYPE: "returned a non-float64 array", Kind.SHAPE: "returned the wrong shape",
    Kind.GRAD_MUTATED: "modified grad in place",
    Kind.MISSING_STATE_KEY: "left a state entry missing",
    Kind.MISSING_FUNCTION: "is missing", Kind.NOT_IMPLEMENTED: "is not implemented",
    Kind.TIMEOUT: "did not finish in time", Kind.CRASH: "ended its process",
    Kind.MEMORY: "ran out of memory", Kind.NOT_RUN: "was not run (an earlier case failed)",
    Kind.UNREADABLE: "could not be read", Kind.MALFORMED: "failed",
}

# The paragraph for a failing case: (kind, variant) -> template. Fields: fn (the function),
# at (" at step 3 (parameter `x`)" or ""), and what each kind's record gives
# (``report.error_text`` quotes every student-made value before it is filled in).
MESSAGES = {
    (Kind.NOT_IMPLEMENTED, None): "`{fn}` is not implemented yet: its body is still `...`.",
    (Kind.MISSING_FUNCTION, "load-failed"):
        "`{fn}` is defined at {defined_at}, but running that definition failed when your "
        "code was loaded (see the warnings above), so there was no `{fn}` to grade.",
    (Kind.MISSING_FUNCTION, "rebound"):
        "`{fn}` is defined at {defined_at}, but when grading calls it the name no longer "
        "holds a function: a later statement rebinds `{fn}`.",
    (Kind.MISSING_FUNCTION, "imported"):
        "`{fn}` comes from an import of {module}, a module grading does not have: code "
        "imported from a file beside the notebook is not graded. Paste the functions into "
        "the notebook (and remove the import).",
    (Kind.MISSING_FUNCTION, None):
        "No top-level function named `{fn}` was found. Define it with exactly this name and "
        "signature (a cell with a syntax error is skipped whole).",
    (Kind.EXCEPTION, None): "`{fn}` raised `{type}`{message}{at}.{traceback}",
    (Kind.RETURNED_NONE, None):
        "`{fn}` returned `None`{at}: it must return the updated parameter "
        "(e.g. `return param - lr * ...`).",
    (Kind.DTYPE, None):
        "{what} has dtype `{dtype}`{at}; it must be float64. Do not convert to float32 or "
        "to integers: compute in float64 throughout.",
    (Kind.NOT_AN_ARRAY, None): "{what} is a `{type}`{at}, not an array of numbers.",
    (Kind.SHAPE, None):
        "{what} has shape {got}{at}; expected {expected}, the parameter's shape.",
    (Kind.GRAD_MUTATED, None):
        "`{fn}` modified `grad` in place{at}. A training loop may reuse the gradient: write "
        "`g = grad + ...` rather than `grad += ...` or `grad *= ...`.",
    (Kind.MISSING_STATE_KEY, "rebound"):
        "After the update{at}, `state` has no `\"{key}\"` (it holds {present}). `state` is "
        "empty after the call: fill the dict you are given (`state[\"step\"] = ...`) "
        "instead of rebinding `state = {{...}}`.",
    (Kind.MISSING_STATE_KEY, None):
        "After the update{at}, `state` has no `\"{key}\"` (it holds {present}). torch keeps "
        "this entry with this case's settings: use torch's state names, and check that "
        "your code uses every argument it is given.",
    (Kind.TIMEOUT, None):
        "`{fn}` did not finish within {seconds:.0f} s (an infinite loop, or a very slow "
        "update?); its remaining cases were not run.",
    (Kind.MEMORY, None):
        "`{fn}` ran out of memory: all the processes of one grading may use {mebibytes} MiB "
        "together. Its remaining cases were not run.",
    (Kind.CRASH, None):
        "The process running `{fn}` ended abruptly (exit code {exit_code}): a call to "
        "`sys.exit`/`os._exit`, or a crash. Its remaining cases were not run.",
    (Kind.NOT_RUN, None): "Not run: an earlier case of `{fn}` timed out or crashed.",
    (Kind.UNREADABLE, None): "The submission could not be read (see above).",
    (Kind.MALFORMED, None):
        "The grader received malformed output while running `{fn}`; nothing was trusted.",
}


def message(kind: Kind, variant: str | None = None, **fields: object) -> str:
    """The student's paragraph for a failing case of ``kind``."""
    return MESSAGES[kind, variant].format(**fields)
