"""Run a submission's step functions over a list of cases (in the child process).

Reads the request on stdin (the kept submission source, each case's function and
config), then each case's inputs, read as that case begins. The source is compiled once;
for each case it is executed afresh (so module globals never carry over), the step
function is driven as a torch optimizer would drive its parameters, and one frame
goes to the original stdout: the trajectory it recorded, and the first error, if
any. The submission's own prints go to the null device: nothing reads them.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from types import CodeType, TracebackType
from typing import Any

import numpy as np

from . import wire
from .guard import block_imports, no_network, private_memory
from .problems import gradients

FILENAME = "<submission>"
MAX_WARNINGS = 100      # the parent shows 50; a frame's header stays small


class StepError(Exception):
    """A step function misbehaved; ``info`` is the error record sent to the parent."""

    def __init__(self, kind, **info):
        super().__init__(kind)
        self.info = {"kind": kind, **info}


def submission_frames(tb: TracebackType | None, lines: list[str]) -> list[tuple[int, str, str]]:
    """The submission's own traceback frames: [(line, function, text)]."""
    return [(n, f.name, lines[n - 1].strip() if 0 < n <= len(lines) else "")
            for f in traceback.extract_tb(tb) if f.filename == FILENAME
            for n in [f.lineno or 0]]


class Program:
    """The kept top-level statements, each compiled once, to execute afresh per case."""

    def __init__(self, source):
        self.lines = source.splitlines()
        body = ast.parse(source, FILENAME).body
        # Each statement is compiled alone: the file's `from __future__` imports (kept
        # first) must reach every one of them as compiler flags.
        flags = 0
        for node in body:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                for alias in node.names:
                    flags |= getattr(getattr(__future__, alias.name, None), "compiler_flag", 0)
        self.statements = [(node, self.compiled(node, flags)) for node in body]
        self.missing = set()   # statements that failed on a module not found: fail again

    @staticmethod
    def compiled(node: ast.stmt, flags: int) -> CodeType | BaseException:
        """The statement's code, or the error compiling it raised (what parses may still not
        compile: `break` outside a loop, an unknown `__future__` feature): it is raised at
        each load, as a statement that fails to run."""
        try:
            return compile(ast.Module([node], []), FILENAME, "exec", flags=flags,
                           dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            return exc

    def load(self) -> tuple[dict, list[dict]]:
        """Execute the statements one by one into a fresh namespace: (namespace, warnings).
        A one-name import of a module not found is skipped at later loads: it binds nothing
        and would fail the same way."""
        namespace = {"__name__": "submission", "__builtins__": builtins}
        warnings = []
        for index, (node, code) in enumerate(self.statements):
            if index in self.missing:
                continue
            try:
                if isinstance(code, BaseException):
                    raise code
                exec(code, namespace)
            except ModuleNotFoundError as exc:
                if isinstance(node, (ast.Import, ast.ImportFrom)) and len(node.names) == 1:
                    self.missing.add(index)
                warnings.append(self.warning(node, exc))
            except BaseException as exc:  # noqa: BLE001 - a submission may raise anything
                warnings.append(self.warning(node, exc))
        return namespace, warnings

    def warning(self, node: ast.stmt, exc: BaseException) -> dict:
        return {"line": node.lineno, "type": type(exc).__name__, "message": str(exc)[:300],
                "frames": submission_frames(exc.__traceback__, self.lines),
                "import": isinstance(node, (ast.Import, ast.ImportFrom))}


def checked_array(value: object, what: str, kinds: str = "") -> np.ndarray:
    """``value`` as an array (not copied) whose dtype is float64 or of one of ``kinds``."""
    try:
        array = np.asarray(value)
    except BaseException:  # noqa: BLE001
        raise StepError("not-an-array", what=what, type=type(value).__name__) from None
    if array.dtype != np.float64 and array.dtype.kind not in kinds:
        raise StepError("dtype", what=what, dtype=str(array.dtype), type=type(value).__name__)
    return array


def run_case(fn: Callable, case: dict, inputs: dict, lines: list[str],
             before_step: Callable[[int], None] | None = None,
             ) -> tuple[dict[str, np.ndarray], int, dict | None]:
    """Drive ``fn`` over one case; returns (trajectory arrays, steps completed, error).

    The trajectory holds, for each step completed, each parameter and each state entry
    torch keeps (``case["state_keys"]``: {param: {key: shape}}); NaN for the state of a
    parameter not updated yet. ``before_step(t)``, if given, is called before each step.
    """
    steps, problem = case["steps"], case["problem"]
    params = {name: np.array(inputs["init"][name], dtype=np.float64)
              for name in case["state_keys"]}
    config = {k: tuple(v) if isinstance(v, list) else v for k, v in case["config"].items()}
    states: dict[str, dict] = {name: {} for name in params}
    trace: dict[str, np.ndarray] = {}
    slots = {}      # param -> (its rows, [(state key, shape, its rows)]): filled step by step
    for name, state_keys in case["state_keys"].items():
        trace[f"param/{name}"] = np.empty((steps, *params[name].shape))
        entries = []
        for key, shape in state_keys.items():
            rows = trace[f"state/{name}/{key}"] = np.full((steps, *shape), np.nan)
            entries.append((key, tuple(shape), rows))
        slots[name] = (trace[f"param/{name}"], entries)
    updated = set()
    name = None
    for t in range(steps):
        if before_step:
            before_step(t)
        try:
            grads = gradients(problem, params, inputs["data"], t)
            step_config = {**config, "lr": float(inputs["lrs"][t])}
            for name, (param_rows, entries) in slots.items():
                if inputs["mask"][name][t]:
                    params[name] = step_param(fn, params[name], grads[name], states[name],
                                              step_config, lines)
                    updated.add(name)
                param_rows[t] = params[name]
                if name in updated:
                    record(t, states[name], entries)
        except StepError as err:
            return {key: rows[:t] for key, rows in trace.items()}, t, \
                {**err.info, "step": t + 1, "param": name}
    return trace, steps, None


def step_param(fn: Callable, param: np.ndarray, grad: np.ndarray, state: dict,
               config: dict, lines: list[str]) -> np.ndarray:
    """``fn``'s step of one parameter: the new parameter, checked; StepError if it raised,
    returned no array of the parameter's shape, or changed the gradient it was given."""
    grad_seen = np.array(grad, dtype=np.float64, order="C")   # ``grad`` stays as it was
    try:
        result = fn(param, grad_seen, state, **config)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        raise StepError("exception", type=type(exc).__name__, message=str(exc)[:500],
                        frames=submission_frames(exc.__traceback__, lines)) from None
    if result is None:
        raise StepError("returned-none", state_empty=not state)
    result = checked_array(result, "the returned parameter")
    if result.shape != param.shape:
        raise StepError("shape", what="the returned parameter", got=list(result.shape),
                        expected=list(param.shape))
    if grad_seen.tobytes() != np.asarray(grad).tobytes() and not np.array_equal(
            grad_seen, grad, equal_nan=True):
        raise StepError("grad-mutated")
    return np.array(result, dtype=np.float64, order="C")


def record(t: int, state: dict, entries: list[tuple[str, tuple[int, ...], np.ndarray]]) -> None:
    """Copy each state entry torch keeps into row ``t`` of its rows (``entries``: [(key,
    shape, rows)]), checked: StepError if one is missing, not numeric or not of its shape."""
    for key, shape, rows in entries:
        if key not in state:
            raise StepError("missing-state-key", key=key, present=sorted(map(str, state))[:10])
        value = checked_array(state[key], f'state["{key}"]', kinds="iuf")
        if value.shape != shape:
            raise StepError("shape", what=f'state["{key}"]', got=list(value.shape),
                            expected=list(shape))
        rows[t] = value


def answer_value(value: Any) -> float | str:
    """A concept answer as plain data: a float if it is a real number, else its repr."""
    try:
        if not isinstance(value, (bool, complex, str)):
            return float(value)
    except BaseException:  # noqa: BLE001 - any object may hide behind an answer name
        pass
    try:
        return repr(value)[:200]
    except BaseException:  # noqa: BLE001
        return f"<{type(value).__name__}>"


def unpack_inputs(inputs: dict[str, np.ndarray]) -> dict:
    """{"init": {param: ...}, "mask": {...}, "data": {...}, "lrs": ...} from the flat
    ``{"init/<param>": ..., "lrs": ...}`` of one case."""
    unpacked: dict[str, Any] = {"init": {}, "mask": {}, "data": {}}
    for key, value in inputs.items():
        part, _, rest = key.partition("/")
        if part == "lrs":
            unpacked["lrs"] = value
        else:
            unpacked[part][rest] = value
    return unpacked


LIMITS = {"cpu_seconds": "RLIMIT_CPU", "address_space": "RLIMIT_AS",
          "file_size": "RLIMIT_FSIZE", "processes": "RLIMIT_NPROC", "open_files": "RLIMIT_NOFILE"}


def apply_limits(limits: dict[str, int]) -> list[str]:
    """Lower soft and hard limits together: the submission cannot raise them again. Where
    the platform has no such limit or refuses it (Windows has no ``resource``; macOS
    refuses RLIMIT_AS), it is skipped: the names of those skipped."""
    try:
        import resource
    except ImportError:
        return sorted(limits)
    skipped = []
    for name, value in limits.items():
        try:
            resource.setrlimit(getattr(resource, LIMITS[name]), (value, value))
        except (AttributeError, ValueError, OSError):
            skipped.append(name)
    return skipped


def main(layers: Iterable[str] = (), network_filter: bool = True,
         prints: int | None = None, *, limits: dict[str, int]) -> None:
    """The child's side of the conversation: a ready frame once Python and NumPy are up (the
    parent's proof that the sandbox works, before any submission code exists here; with
    ``layers``, what of the isolation did not hold, and the network filter's word); then
    the request (source, cases); then, for each case, that case's inputs alone,
    read as the case begins, and one frame back. Then, until its input ends, more cases
    (``{"cases": [...]}``), each followed by its inputs as before: how the hidden cases
    follow the public ones, sent only once the public cases' frames are all in.

    ``limits`` (from the spec of a forked child, the command line of a fresh one) are
    applied before the ready frame, which names any not applied.
    What the submission prints goes to ``prints`` (a descriptor of the null device, opened
    before the child was confined; by default opened here): nothing reads it, so
    printing fills no file and stops no case."""
    if prints is None:
        prints = os.open(os.devnull, os.O_WRONLY)
    private_memory()
    network = no_network() if network_filter else "no network filter in the child " \
        "(switched off)"
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # nothing printed may reach the frame stream
    notes = [*layers, network] if network else list(layers)
    skipped = apply_limits(limits)
    if skipped:
        notes.append(f"per-process limits not applied in the child: {', '.join(skipped)}")
    out.write(wire.encode({"ready": True, "notes": notes}))
    out.flush()
    for fd in (1, 2):   # (until ready, stderr is the file the parent reads if it fails)
        os.dup2(prints, fd)
    os.close(prints)
    stdin = sys.stdin.buffer
    meta, _ = wire.read_frame(stdin)
    block_imports()
    program = Program(meta["source"])
    namespace, warnings = program.load()
    answers = {name: answer_value(namespace[name]) for name in meta.get("answers", ())
               if namespace.get(name, ...) is not ...}   # `x = ...` is the unanswered prompt
    out.write(wire.encode({"load_warnings": warnings[:MAX_WARNINGS], "answers": answers}))
    out.flush()
    del namespace
    cases = meta["cases"]
    while True:
        for case in cases:
            _, inputs = wire.read_frame(stdin)
            namespace, _ = program.load()   # every case starts from a fresh load
            fn = namespace.get(case["function"])
            error: dict | None
            if not callable(fn):
                trace: dict[str, np.ndarray] = {}
                done, error = 0, {"kind": "missing-function", "step": 1, "param": None}
            else:
                trace, done, error = run_case(fn, case, unpack_inputs(inputs), program.lines)
            del inputs, namespace, fn
            out.write(wire.encode({"case": case["id"], "completed": done, "error": error},
                                  trace if done else None))
            out.flush()
        try:    # more cases, sent only once every frame above has reached the parent
            cases = wire.read_frame(stdin)[0]["cases"]
        except EOFError:
            return
