"""Read a submission and keep only the code grading may load (static: nothing runs here).

Kept, from the top level of a ``.py`` file or of each notebook code cell:
``import``/``from`` statements, ``def``, ``class``, assignments whose value is a
literal (anything ``ast.literal_eval`` accepts), and assignments to the lab's
answer names whatever their value. Also kept: an assignment whose value calls
nothing (names, attributes, subscripts, operators and literals, or a lambda: a
type alias ``Array = NDArray[np.float64]``, ``ema = lambda m, g, b: ...``) when
the graded functions use its name and every name it reads is bound by kept code.
``from __future__`` imports go first. Everything else -- experiments, plots,
training loops -- is dropped; notebook magics and shell lines (``%...``,
``!...``) too. A name the graded functions use that only a dropped statement
sets is reported, with that statement's place. A cell with a syntax error
costs that cell only.
"""

from __future__ import annotations

import ast
import builtins
import copy
import errno
import io
import json
import os
import re
import stat
import symtable
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .child.guard import BLOCKED
from .untrusted import code as shown

SUFFIXES = (".ipynb", ".py")
# `python -m autograder grade -` grades the file this variable names (batch grading passes
# paths so, out of the command line, which every user of the machine can read).
SUBMISSION_VARIABLE = "AUTOGRADER_SUBMISSION"
# Read no more than this: a notebook with its plots, or a zip of one, is a few MB.
MAX_FILE_BYTES = 32 * 2**20
MAX_ZIP_ENTRIES = 10_000
# Parse no more than this much code (the lab's own notebook has about 30 KB).
MAX_CODE_CHARS = 512 * 2**10
MAX_CELLS = 2_000
# Names used but set only by dropped statements: one warning each for the first few.
MAX_UNKEPT_SHOWN = 5


class SubmissionError(Exception):
    """The submission cannot be read at all (message is for the student)."""


@dataclass
class Extracted:
    source: str = ""
    origins: list = field(default_factory=list)    # per source line: where it came from
    warnings: list = field(default_factory=list)   # messages for the student
    functions: dict = field(default_factory=dict)  # name -> ast.FunctionDef (last one wins)
    dropped: int = 0                               # top-level statements not kept
    blocked: dict = field(default_factory=dict)    # blocked library -> where it is imported
    assigned: set = field(default_factory=set)      # names assigned at top level, not to `...`


def read_cells(path: str | Path) -> list[tuple[str, str]]:
    """[(label, code)] of a ``.py``, ``.ipynb``, or a ``.zip`` holding one of them."""
    path = Path(path)
    if os.path.islink(path):          # (read_file refuses links too, where O_NOFOLLOW is)
        raise SubmissionError(f"{shown(path.name)} is a symbolic link, not a file: submit the "
                              "file itself.")
    if path.suffix not in SUFFIXES + (".zip",):
        raise SubmissionError(f"{shown(path.name)} is not a notebook (.ipynb) or Python file "
                              "(.py).")
    data = read_file(path)
    return _cells_from_zip(path.name, data) if path.suffix == ".zip" else _cells(path.name, data)


def read_file(path: str | Path) -> bytes:
    """The bytes of a submission file, refusing a symbolic link (it could point at another
    student's file or at the answer key), anything but a regular file, and more than
    MAX_FILE_BYTES, before reading."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SubmissionError(f"{shown(path.name)} is a symbolic link, not a file: submit "
                                  "the file itself.") from None
        raise SubmissionError(f"{shown(path.name)} could not be read ({exc.strerror}).") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{shown(path.name)} is not a regular file.")
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise SubmissionError(f"{shown(path.name)} is larger than {MAX_FILE_BYTES >> 20} MB: "
                              "clear the notebook's outputs (Kernel > Restart & Clear "
                              "Output) and submit it again.")
    return data


def _cells_from_zip(zip_name, data):
    """The cells of the notebook (else the .py file) in a zip."""
    return _cells(*_zip_member(zip_name, data))


def _zip_member(zip_name, data):
    """(name, bytes) of the notebook (else the .py file) in a zip, its sizes checked in the
    zip's directory before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise SubmissionError(f"{shown(zip_name)} holds more than {MAX_ZIP_ENTRIES} "
                                      "files.")
            found = [i for i in infos if i.filename.endswith(SUFFIXES)
                     and not i.filename.startswith("__MACOSX") and "/." not in "/" + i.filename]
            if not found:
                raise SubmissionError(f"{shown(zip_name)} holds no .ipynb or .py file.")
            info = sorted(found, key=lambda i: (not i.filename.endswith(".ipynb"),
                                                i.filename.count("/"), i.filename))[0]
            if info.file_size > MAX_FILE_BYTES:
                raise SubmissionError(f"{shown(info.filename)} in {shown(zip_name)} is larger "
                                      f"than {MAX_FILE_BYTES >> 20} MB.")
            with zf.open(info) as member:
                return info.filename, member.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
            NotImplementedError, RuntimeError):
        raise SubmissionError(f"{shown(zip_name)} is not a valid zip file.") from None
    except OSError as exc:
        raise SubmissionError(f"{shown(zip_name)} could not be read ({exc.strerror}).") from None


def read_notebook(path: str | Path) -> dict | None:
    """A submission's notebook as JSON (an ``.ipynb``, or the one in an export zip), with
    every check ``read_cells`` makes; None for a ``.py`` file or a notebook that is not one."""
    path = Path(path)
    if os.path.islink(path) or path.suffix not in (".ipynb", ".zip"):
        return None
    name, data = (_zip_member(path.name, read_file(path)) if path.suffix == ".zip"
                  else (path.name, read_file(path)))
    try:
        nb = json.loads(data.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    return nb if name.endswith(".ipynb") and isinstance(nb, dict) else None


def _cells(name, data):
    text = data.decode("utf-8", errors="replace")
    if not name.endswith(".ipynb"):
        cells = [(None, text)]
    else:
        try:
            cells = [(f"cell {i}", source) for i, (kind, source)
                     in enumerate(_notebook_cells(text), 1) if kind == "code"]
        except Exception as exc:  # noqa: BLE001 - any malformed notebook
            raise SubmissionError(f"{shown(name)} could not be read as a notebook "
                                  f"({shown(exc)}).") from None
    if len(cells) > MAX_CELLS or sum(len(c) for _, c in cells) > MAX_CODE_CHARS:
        raise SubmissionError(f"{shown(name)} has more than {MAX_CODE_CHARS >> 10} KB of code "
                              f"(or {MAX_CELLS} code cells): far more than the lab needs. "
                              "Submit the lab notebook itself.")
    return cells


def _notebook_cells(text):
    """[(cell type, source)] of a notebook. Version 4 (every notebook Jupyter writes today)
    is read as plain JSON; older versions go through nbformat's converter, imported only
    then (it takes a fifth of a second to import)."""
    nb = json.loads(text)
    if nb.get("nbformat") != 4:
        import nbformat

        nb = nbformat.reads(text, as_version=4)
    cells = [(c["cell_type"], c["source"]) for c in nb["cells"]]
    return [(kind, source if isinstance(source, str) else "".join(source))
            for kind, source in cells]


def _without_magics(code):
    """Replace IPython magic and shell lines with ``pass`` at the same indentation."""
    out = []
    for line in code.splitlines():
        stripped = line.lstrip()
        out.append(line[:len(line) - len(stripped)] + "pass"
                   if stripped.startswith(("%", "!")) else line)
    return "\n".join(out)


def _is_literal(node):
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _target_nodes(node):
    """Every node of an assignment's targets."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [n for t in targets for n in ast.walk(t)]


def _targets(node):
    """The names a top-level assignment binds."""
    return {n.id for n in _target_nodes(node) if isinstance(n, ast.Name)}


def _kept(node, answer_names):
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return (node.value is not None and _is_literal(node.value)) or bool(
            _targets(node) & set(answer_names))
    return False


# What evaluating an alias's value may not do: call, loop, await, bind or format.
_ACTIVE = (ast.Call, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Await,
           ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.JoinedStr)


def _alias_reads(node):
    """The names an assignment's value reads when it calls nothing (a lambda's body does
    not run: only its defaults count), else None. Targets must be plain names."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return None
    if not all(isinstance(n, (ast.Name, ast.Tuple, ast.List, ast.expr_context))
               for n in _target_nodes(node)):
        return None
    reads, stack = set(), [node.value]
    while stack:
        n = stack.pop()
        if isinstance(n, _ACTIVE):
            return None
        if isinstance(n, ast.Name):
            reads.add(n.id)
        if isinstance(n, ast.Lambda):
            stack.extend(d for d in n.args.defaults + n.args.kw_defaults if d)
        else:
            stack.extend(ast.iter_child_nodes(n))
    return reads


def _binds(node):
    """The top-level names a kept statement binds (``*`` for a star import); a dropped
    one's, of any kind, come from ``_module_binds``."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {a.asname or a.name.partition(".")[0] for a in node.names}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    return _targets(node) if isinstance(node, (ast.Assign, ast.AnnAssign)) else set()


class _Annotationless(ast.NodeTransformer):
    """Drops annotations (with ``from __future__ import annotations`` they never run)."""

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: Any) -> ast.AST:
        node.returns = None
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.stmt:
        return ast.Assign([node.target], node.value, lineno=node.lineno) \
            if node.value is not None else ast.Pass()


def _global_reads(node, text, lazy_annotations):
    """(names read when the statement runs, names read by it and by the functions it
    defines when they run): the global names of its scopes (symtable)."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                             ast.Assign, ast.AnnAssign)):
        return set(), set()                 # imports bind, literals read nothing
    if lazy_annotations:
        text = ast.unparse(ast.fix_missing_locations(_Annotationless().visit(copy.deepcopy(node))))
    try:
        top = symtable.symtable(text, "submission", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(), set()
    now, later, tables = set(), set(), [(top, True)]
    while tables:
        table, running = tables.pop()
        reads = {s.get_name() for s in table.get_symbols() if s.is_referenced()
                 and (s.is_global() or (table is top and not s.is_imported()))}
        (now if running else later).update(reads)
        tables.extend((child, running and isinstance(child, symtable.Class))
                      for child in table.get_children())
    return now, now | later


def _needed(entries, kept, graded, lazy_annotations):
    """Which alias entries the kept code needs -- what its statements read as they run,
    what the graded functions (None: every kept function) and what they use read -- and
    {name: entry index} of names those functions read that only a dropped statement binds."""
    bound = {n for i in kept for n in _binds(entries[i][0])}
    if "*" in bound:
        return set(), {}
    aliases, known = set(), bound | set(dir(builtins))
    for i, (node, _) in enumerate(entries):
        reads = None if i in kept else _alias_reads(node)
        if reads is not None and reads <= known and not _targets(node) & bound:
            aliases.add(i)
            known |= _targets(node)
    binders = {}
    for i in sorted(kept | aliases):
        for name in _binds(entries[i][0]):
            binders.setdefault(name, []).append(i)
    reads = {i: _global_reads(entries[i][0], "\n".join(t for t, _ in entries[i][1]),
                              lazy_annotations) for i in sorted(kept | aliases)}

    def closure(start, names):
        """Entries reached from ``start`` and ``names`` through the names their code reads,
        and those names."""
        seen, used, todo = set(), set(), []

        def reach(found):
            for j in found:
                if j not in seen:
                    seen.add(j)
                    todo.append(j)

        reach(start)
        reach(j for n in names for j in binders.get(n, ()))
        while todo:
            i = todo.pop()
            used |= reads[i][1]
            reach(j for n in reads[i][1] for j in binders.get(n, ()))
        return seen, used

    roots = [i for i in kept if graded is None or _binds(entries[i][0]) & graded]
    for_graded, used = closure(roots, ())
    for_loading, _ = closure((), {n for i in kept for n in reads[i][0]})
    missing, unkept = used - known, {}
    for i, (_, chunk) in enumerate(entries):
        text = "" if i in kept or not missing else "\n".join(t for t, _ in chunk)
        if missing & set(re.findall(r"\w+", text)):
            for name in sorted(_module_binds(text) & missing):
                unkept.setdefault(name, i)
    return (for_graded | for_loading) & aliases, dict(sorted(unkept.items()))


def _module_binds(text):
    """The top-level names a statement binds, whatever its kind (an ``if``, ``try``, ``for``
    or ``with`` block's too)."""
    try:
        top = symtable.symtable(text, "submission", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}


def _cut(text, start, end=None):
    """``text`` cut at columns as ``ast`` counts them: UTF-8 bytes, not characters (``η``
    is two), so a line with non-ASCII text before the cut keeps what it should."""
    return text.encode("utf-8", "surrogatepass")[start:end].decode("utf-8", "surrogatepass")


def _segment(node, lines, label):
    """The node's own lines, cut at its columns (so ``a = 1; run()`` keeps only ``a = 1``)."""
    decorated = getattr(node, "decorator_list", None)
    first = decorated[0].lineno if decorated else node.lineno
    chunk = [lines[i - 1] if i <= len(lines) else "" for i in range(first, node.end_lineno + 1)]
    chunk[-1] = _cut(chunk[-1], 0, node.end_col_offset)
    if not decorated:
        chunk[0] = _cut(chunk[0], node.col_offset)
    return [(text, f"{label}, line {i}" if label else f"line {i}")
            for i, text in enumerate(chunk, first)]


def imported_modules(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """(module, line) for every import in ``tree``, dynamic ``__import__("x")`` ones too."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module, node.lineno
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and getattr(node.func, "id", getattr(node.func, "attr", None))
              in ("__import__", "import_module")):
            yield node.args[0].value, node.lineno


def extract(path: str | Path, answer_names: Iterable[str] = (),
            graded: Iterable[str] | None = None) -> Extracted:
    """The kept source of a submission file (see ``extract_cells``)."""
    return extract_cells(read_cells(path), answer_names, graded)


def extract_cells(cells: Iterable[tuple[str, str]], answer_names: Iterable[str] = (),
                  graded: Iterable[str] | None = None) -> Extracted:
    """The kept source of [(label, code)] cells, with each line's origin, warnings and
    functions. A notebook's label is "cell N"; a live session's, "In [N]". ``graded``: the
    names of the functions grading calls, whose needs decide which aliases are kept (None:
    every kept statement's)."""
    result = Extracted()
    entries: list[tuple[Any, list]] = []    # every top-level statement: (node, segment)
    kept: set[int] = set()                        # the kept ones
    for label, code in cells:
        code = _without_magics(code)
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError) as exc:
            place = f"{label}, line {getattr(exc, 'lineno', '?')}" if label else \
                f"line {getattr(exc, 'lineno', '?')}"
            result.warnings.append(
                f"Syntax error in {place}: {shown(getattr(exc, 'msg', exc))}. Nothing in "
                f"{label or 'the file'} could be graded; fix it and resubmit.")
            continue
        except (RecursionError, MemoryError):
            result.warnings.append(
                f"{label or 'The file'} is nested too deeply for Python to read; nothing in it "
                "could be graded.")
            continue
        # (only a cell that spells a blocked name can import it: most cells need no walk)
        for module, line in imported_modules(tree) if any(
                name in code for name in BLOCKED) else ():
            name = module.partition(".")[0]
            if name in BLOCKED:
                result.blocked.setdefault(name, f"{label}, line {line}" if label else
                                          f"line {line}")
        lines = code.splitlines()
        for node in tree.body:
            if _kept(node, answer_names):
                kept.add(len(entries))
            entries.append((node, _segment(node, lines, label)))
    for name, where in result.blocked.items():
        result.warnings.append(
            f"`{name}` is imported at {where}. The lab is to implement each update in NumPy: "
            f"{name} cannot be imported while grading, so code that uses it fails.")
    future = [i for i in sorted(kept) if isinstance(entries[i][0], ast.ImportFrom)
              and entries[i][0].module == "__future__"]
    lazy = any(a.name == "annotations" for i in future for a in entries[i][0].names)
    aliases, unkept = _needed(entries, kept, None if graded is None else set(graded),
                              lazy)
    for name, i in list(unkept.items())[:MAX_UNKEPT_SHOWN]:
        result.warnings.append(
            f"Your functions use {shown(name, 40)}, but only {entries[i][1][0][1]} sets it, and "
            "grading does not keep that statement: it keeps top-level imports, `def`, `class` "
            "and assignments of plain values or of names (`Array = np.ndarray`), not results "
            "of calls nor what an `if`, `try`, `for` or `with` block sets. Set it so at the "
            "top level, or inside the function that uses it.")
    if len(unkept) > MAX_UNKEPT_SHOWN:
        result.warnings.append(f"... and {len(unkept) - MAX_UNKEPT_SHOWN} more names your "
                               "functions use that only statements grading drops set.")
    result.dropped = len(entries) - len(kept) - len(aliases)
    order = future + sorted((kept | aliases) - set(future))
    for chunk in (entries[i][1] for i in order):
        for text, origin in chunk:
            result.origins.append(origin)
            result.source += text + "\n"
    try:
        tree = ast.parse(result.source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise SubmissionError("The code kept for grading could not be read back (a cell's "
                              "statements may only parse together with the code around "
                              "them).") from None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            result.functions[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and not (
                isinstance(node.value, ast.Constant) and node.value.value is Ellipsis):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            result.assigned |= {n.id for t in targets for n in ast.walk(t)
                                if isinstance(n, ast.Name)}
    return result


def is_stub(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True if a function's body holds only a docstring, ``...``, ``pass`` or
    ``raise NotImplementedError``: the untouched skeleton."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                       and isinstance(s.value.value, str))]
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr)
                                          and isinstance(stmt.value, ast.Constant)
                                          and stmt.value.value is Ellipsis):
            continue
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
            continue
        return False
    return True

