"""What ships where: the two deliverables built from this repository besides the
instructor's own tools, each from exactly what it needs.

* The student engine (``student_template/autograder_engine.zip``): the engine's modules (the
  allow-list ``SHIPPED``) and the public data. No hidden case (definition, seed or data), no
  concept-answer key, nothing of ``toolkit/`` and nothing of ``assignment/`` (the answer
  key, the models and their variants).
* The grading image (``build/autograder.zip`` for Gradescope): the engine's modules, every
  data file (hidden references and the answer key, readable by root only while student code
  runs), ``setup.sh`` and ``run_autograder``. No torch, nothing of ``toolkit/``.
* The PrairieLearn grader (``build/prairielearn/``): the same, with ``run.sh``, a template
  ``info.json`` and its README instead of Gradescope's two scripts.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "autograder"
GRADESCOPE_FILES = PACKAGE / "gradescope_files"
PUBLIC_DATA = {"references-public.npz", "variants-public.npz", "rubric.json",
               "misconceptions.json"}


# What ships, module by module: the engine's code is this list, not whatever lies in its
# folder (a test fails while a module there is missing from it, or listed and absent).
SHIPPED = (
    "__init__.py", "__main__.py",                    # the command line: grade, worker, ...
    "grade.py", "extract.py", "execute.py", "compare.py", "diagnose.py", "score.py",
    "cases.py", "references.py", "misconceptions.py", "report.py", "results.py",
    "written.py", "errors.py", "safely.py",
    "sandbox.py", "isolation.py", "launch.py", "untrusted.py",    # the trusted side
    "child/__init__.py", "child/main.py", "child/problems.py", "child/wire.py",
    "child/guard.py", "child/confine.py", "child/zygote.py",       # the untrusted side
    "gradescope.py", "prairielearn.py", "late.py",                # the platforms
)


def engine_modules() -> Iterator[tuple[str, Path]]:
    """The grading engine's Python modules, as the allow-list names them."""
    for name in SHIPPED:
        yield f"autograder/{name}", PACKAGE / name


def data_files(public_only: bool) -> Iterator[tuple[str, Path]]:
    for path in sorted((PACKAGE / "data").iterdir()):
        if path.is_file() and (path.name in PUBLIC_DATA or not public_only):
            yield str(path.relative_to(REPO)), path


def student_engine() -> dict[str, Path]:
    """{name in the zip: path}: what ``grader.check`` needs in the student's notebook."""
    return dict([*engine_modules(), *data_files(public_only=True)])


def grading_image() -> dict[str, Path]:
    """{name in the zip: path}: the Gradescope autograder."""
    return {"setup.sh": GRADESCOPE_FILES / "setup.sh",
            "run_autograder": GRADESCOPE_FILES / "run_autograder",
            "requirements.txt": REPO / "requirements" / "runtime.txt",
            **dict(engine_modules()), **dict(data_files(public_only=False))}


def prairielearn_folder() -> dict[str, Path]:
    """{path in the folder: path}: the PrairieLearn grader (``serverFilesCourse``): what the
    grading image holds, with ``run.sh`` for ``run_autograder``."""
    files = PACKAGE / "prairielearn_files"
    return {"run.sh": files / "run.sh", "info.json": files / "info.json",
            "README.md": files / "README.md",
            "requirements.txt": REPO / "requirements" / "runtime.txt",
            **dict(engine_modules()), **dict(data_files(public_only=False))}


def build_folder(out: str | Path, entries: dict[str, Path]) -> tuple[Path, int]:
    """Write ``entries`` into the folder ``out``, made afresh (executables keep their mode):
    (path, number of files)."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    for name, path in entries.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        target.chmod(0o755 if os.access(path, os.X_OK) else 0o644)
    return out, len(entries)


def zip_bytes(entries: dict[str, Path]) -> bytes:
    """A zip of ``entries`` whose bytes depend on the contents only (fixed timestamps);
    executables keep their mode."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in entries.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buffer.getvalue()


def build_zip(out: str | Path) -> tuple[Path, int]:
    """Write the Gradescope autograder zip to ``out``: (path, number of files)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = grading_image()
    out.write_bytes(zip_bytes(entries))
    return out, len(entries)
