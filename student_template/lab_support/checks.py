"""The notebook's checks: the course autograder itself, on the public cases.

``check("adam_step")`` grades the code this session has run -- only what the autograder
keeps from a notebook (imports, ``def``, ``class``, literal assignments), each case from a
fresh load, in a separate process -- against the public ``torch.optim`` references, and
shows exactly the feedback Gradescope shows for those cases. The engine ships as
``autograder_engine.zip`` beside this folder and is unpacked on first use.
"""

import difflib
import hashlib
import math
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

HOME = Path(__file__).resolve().parent.parent
ENGINE_ZIP = HOME / "autograder_engine.zip"
ENGINE_DIR = HOME / ".autograder_engine"


def _engine():
    """Unpack the grading engine (once per version of the zip, into a folder named by its
    digest) and make it importable. Unpacked beside the folder, then renamed into place:
    two kernels checking at once never import a half-written engine."""
    digest = hashlib.sha256(ENGINE_ZIP.read_bytes()).hexdigest()[:16]
    home = ENGINE_DIR / digest
    if not home.is_dir():
        ENGINE_DIR.mkdir(exist_ok=True)
        unpacking = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=ENGINE_DIR))
        with zipfile.ZipFile(ENGINE_ZIP) as zf:
            zf.extractall(unpacking)
        try:
            os.rename(unpacking, home)
        except OSError:                  # another kernel unpacked this version first
            shutil.rmtree(unpacking, ignore_errors=True)
    if str(home) not in sys.path:
        sys.path.insert(0, str(home))


class CheckFailed(AssertionError):
    """A check's verdict: its message is the whole of what the student needs (otter shows it
    without quoting the line of its test file that called the check)."""


def session_cells():
    """[(label, code)] for every cell this IPython session has run, oldest first, but those
    fixed since (``latest_cells``)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("check() reads the cells you have run: call it from the notebook")
    return latest_cells([(f"In [{n}]", code)
                         for n, code in enumerate(shell.user_ns.get("In", [])) if code])


def latest_cells(cells):
    """``cells`` without each one that does not parse but was run again, fixed, later (a
    later cell that parses and defines the same functions, or reads mostly the same): a
    warning about a cell goes away once that cell is fixed and run again."""
    def parses(code):
        try:
            compile(code, "<cell>", "exec", 0x400)       # ast.PyCF_ONLY_AST
            return True
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False

    def same(old, new):
        defined = set(re.findall(r"^def (\w+)", old, re.M))
        if defined:
            return defined <= set(re.findall(r"^def (\w+)", new, re.M))
        return difflib.SequenceMatcher(None, old, new).ratio() > 0.6

    return [(label, code) for i, (label, code) in enumerate(cells)
            if parses(code) or not any(parses(new) and same(code, new)
                                       for _, new in cells[i + 1:])]


def check(function, cells=None):
    """Grade ``function`` on the public cases. If any fails: in a notebook, show the
    feedback as Markdown and raise a one-line AssertionError; elsewhere raise it with the
    feedback as text. Else print a one-line summary."""
    guard_export()
    _engine()
    from autograder.grade import grade
    from autograder.report import check_text
    from autograder.sandbox import Sandbox

    # Portable: as the student, on any OS, changing nothing outside a temporary folder.
    with Sandbox(portable=True) as sandbox:
        grading = grade(None, public_only=True, functions={function}, sandbox=sandbox,
                        cells=session_cells() if cells is None else cells)
    if not grading.cases:
        raise CheckFailed(f"no public case checks {function}: tell your instructor")
    text = check_text(grading)
    if text:
        failing = sum(not o.passed for o in grading.outcomes.values())
        if cells is None and _show_markdown(text):
            raise CheckFailed(f"{function}: {failing} of {len(grading.cases)} public cases "
                                 "differ from torch.optim (details above)")
        raise CheckFailed("\n" + text)
    print(f"{function}: all {len(grading.cases)} public cases match torch.optim.")


def _show_markdown(text):
    """Display ``text`` as Markdown in a running notebook; False where there is none."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    display(Markdown(text))
    return True


def check_answer(name, value, cells=None):
    """What the notebook can check of a concept answer: that it is a finite number, and that
    grading will see it -- the cells this session ran go through the autograder's own
    extraction and load (``cells``: [(label, code)] instead), so an answer computed from a
    name grading drops (``H = np.diag(...)``) is refused here, where it is typed. It says so
    without stopping a run of every cell. Whether it is right is graded after submission,
    against a key this notebook does not have. True if grading will record ``value``."""
    if value is Ellipsis:
        print(f"{name} is not answered yet: assign a number to it in the cell above.")
        return False
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value)):
        print(f"{name} must be a finite number, e.g. {name} = 0.5 (it is {value!r}): as it "
              "is, it cannot earn its points.")
        return False
    if cells is None:
        try:
            cells = session_cells()
        except (ImportError, RuntimeError):    # not in a notebook: nothing to compare with
            cells = None
    seen = _as_graded(name, cells) if cells is not None else (value, [])
    if seen[0] is None or not _same(seen[0], value):
        because = " ".join(seen[1]) or "its cell assigns it from something grading drops."
        print(f"{name} = {value!r} here, but grading will "
              + ("not see it" if seen[0] is None else f"see {seen[0]!r}")
              + f": {because} Grading keeps imports, functions, literal values and the "
              f"answer's own line: write the number, or an expression of numbers (e.g. "
              f"{name} = 2 / 25), and run this cell again.")
        return False
    print(f"{name} = {value!r} is recorded. This notebook does not know the answer: it is "
          "graded after you submit (here only its form is checked: a finite number).")
    return True


def _as_graded(name, cells):
    """(the value grading records for ``name`` from ``cells``, or None; why it failed)."""
    _engine()
    from autograder.grade import answers_as_graded
    from autograder.sandbox import Sandbox

    with Sandbox(portable=True) as sandbox:
        answers, why = answers_as_graded(cells, [name], sandbox)
    return answers.get(name), why


def _same(seen, value):
    return isinstance(seen, float) and math.isclose(seen, float(value), rel_tol=1e-12,
                                                    abs_tol=0.0)


def unsaved_work(notebook, cells):
    """What grading would miss in the saved ``notebook`` of what ``cells`` (the session's)
    hold, read as grading reads both: a phrase for each step function whose saved code
    differs or is missing, and each concept answer not saved. [] if none; None if the
    saved file cannot be read."""
    import ast

    _engine()
    from autograder.extract import SubmissionError, extract, extract_cells
    from autograder.score import load_rubric

    rubric = load_rubric()
    names = list(rubric.get("questions", {}))
    graded = {spec["function"] for spec in rubric["optimizers"].values()}
    session = extract_cells(cells, names, graded)
    try:
        saved = extract(notebook, names, graded)
    except SubmissionError:
        return None
    lost = [f"`{f}`" for f in sorted(graded) if f in session.functions and (
        f not in saved.functions
        or ast.dump(saved.functions[f]) != ast.dump(session.functions[f]))]
    return lost + [f"`{n}`" for n in names if n in session.assigned
                   and n not in saved.assigned]


def guard_export():
    """Adapt otter, in the student's kernel, to what students should read. Its
    ``grader.export()`` refuses, with "save the notebook first", to zip a saved notebook that
    lacks what this session ran (``unsaved_work``): it would hand in the older version and
    still say "exported". A failing check's message is shown as it is, not under "Error at
    line 11 in test sgd", a file the student did not write. Called when ``lab_support`` is
    imported (where otter already is) and by each check; never imports otter itself."""
    Notebook = getattr(sys.modules.get("otter"), "Notebook", None)
    if Notebook is None or getattr(Notebook.export, "guarded", False):
        return
    export = Notebook.export

    def guarded(self, nb_path=None, *args, **kwargs):
        try:
            cells = session_cells()
            path = self._resolve_nb_path(nb_path, fail_silently=True)
        except Exception:  # noqa: BLE001 - outside a notebook, or no file: otter decides
            cells, path = None, None
        if cells and not path:
            print("Not exported: the saved notebook is not on this machine (as on Colab). "
                  "Download it (File > Download > .ipynb) and upload that file instead.")
            return None
        if cells and not export_allowed(path, cells):
            return None
        return export(self, nb_path, *args, **kwargs)

    guarded.guarded = True
    Notebook.export = guarded
    try:
        from otter.test_files.exception_test import ExceptionTestFile
    except ImportError:
        return
    message = ExceptionTestFile._generate_error_message

    def plain(self, excp, context=0):
        if isinstance(excp, CheckFailed):
            return str(excp).strip()
        return message(self, excp, context)

    ExceptionTestFile._generate_error_message = plain


def export_allowed(notebook, cells):
    """False (and why, printed) if the saved ``notebook`` lacks what ``cells`` hold."""
    lost = unsaved_work(notebook, cells)
    if lost:
        print(f"Not exported: {notebook} as saved lacks what you ran of {', '.join(lost)}, and "
              "grading reads the saved file. Save the notebook first (Ctrl-S, Cmd-S on a Mac, "
              "or File > Save), then export again. (On Colab, download the notebook with "
              "File > Download > .ipynb and upload that.)")
    return not lost


def written_answers(notebook, out="written_answers.html"):
    """Write ``out``: the written answers of the saved ``notebook`` with the figures they
    refer to, as the people grading them read them (``autograder/written.py``). First, if
    the saved file lacks what this session ran (``unsaved_work``), say so and stop: the
    export after this cell zips the saved file, and grading reads only that."""
    guard_export()
    try:
        cells = session_cells()
    except (ImportError, RuntimeError):
        cells = None
    lost = unsaved_work(notebook, cells) if cells else []
    if lost:
        raise RuntimeError(
            f"{notebook} as saved lacks what you ran of {', '.join(lost)}: grading reads the "
            "saved file, so it would grade the older version. Save the notebook first "
            "(Ctrl-S, Cmd-S on a Mac, or File > Save), then run this cell and the export "
            "again. (On Colab, download the notebook with File > Download > .ipynb and "
            "upload that.)")
    _engine()
    from autograder.extract import SubmissionError, read_notebook
    from autograder.score import load_rubric
    from autograder.written import answers, page

    manual = load_rubric().get("manual", [])
    try:
        found = answers(read_notebook(notebook) or {}, manual)
    except SubmissionError as exc:
        # The page is written all the same, so that the export never misses it; the
        # graders read the notebook itself.
        print(f"{notebook} could not be read ({exc}): the page says so. Save the notebook "
              "and run this cell again.")
        found = {q["name"]: (f"(not read: {notebook} could not be read when this page was "
                             "written; the answers are in the notebook)", []) for q in manual}
    sections = [(q["title"], q.get("prompt"), *found[q["name"]]) for q in manual]
    Path(out).write_text(page("Written answers", sections), encoding="utf-8")
    empty = [q["name"] for q in manual if not found[q["name"]][0]
             or "Type your answer here" in found[q["name"]][0]]
    print(f"wrote {out} ({len(manual)} written answers"
          + (f"; not answered yet: {', '.join(empty)}" if empty else "")
          + "). If you changed an answer since, save the notebook and run this cell again.")
