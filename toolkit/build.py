"""Build everything students, the grading image and the answer key get from the sources in
``assignment/``, after checking those sources against each other (``make build``).

* ``assignment/spec.py`` (the optimizers, questions and policies) makes the engine's rubric
  and registry (``autograder/data/rubric.json``), the concept questions' answer key
  (``autograder/data/answers.json``, never shipped to students) and the notebook's question
  blocks; ``assignment/misconceptions.py`` makes the catalog grading names
  (``autograder/data/misconceptions.json``).
* ``assignment/optimizers.py`` is the single source of the step functions. Code between
  ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (otter-assign's markers) is the answer: kept
  without the markers in ``solutions/optimizers.py``, replaced by ``...`` in
  ``student_template/optimizers.py`` (a block at the top level disappears entirely).
* ``assignment/lab.py`` is the master notebook (a jupytext percent file in otter-assign's
  format): each ``# question: <name>`` line becomes that optimizer's or question's block
  (points from the spec; an optimizer's step function, with the private helpers defined
  just above it, from optimizers.py). ``otter assign`` makes the student notebook and its
  tests (``student_template/``) and the solution notebook (``solutions/``).
* ``assignment/lab_support/`` is copied to ``student_template/lab_support/``, and
  ``assignment/student_README.md`` to ``student_template/README.md``.
* ``python -m toolkit references --if-stale`` remakes the torch references and the
  variants' trajectories when their sources changed (it refuses an answer key or a model
  that differs from torch, or a variant that never does).
* ``student_template/autograder_engine.zip`` is the grading engine with the public data
  only, for the notebook's checks (``toolkit/deliverables.py``).

The build writes a file only when its bytes change (atomically), and deletes from the
folders it owns (``student_template/``, ``solutions/``, ``autograder/data/``) every file it
no longer makes.

    python -m toolkit build            check the sources, then write every output
    python -m toolkit build --check    exit 1 if a source is inconsistent or an output
                                          is out of date or stray
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from assignment import spec as SPEC
from autograder.written import prompt

from . import consistency

ROOT = Path(__file__).resolve().parent.parent

SOURCE = ROOT / "assignment" / "optimizers.py"
LAB = ROOT / "assignment" / "lab.py"          # the master notebook, as a jupytext percent file
NOTEBOOK = "optimizers_lab.ipynb"
QUESTION = re.compile(r"^# question: (\w+)[ \t]*$", re.M)
SUPPORT = ROOT / "assignment" / "lab_support"
DATA = ROOT / "autograder" / "data"
OWNED = [ROOT / "student_template", ROOT / "solutions", DATA]
# Made by ``make references`` (kept unless their sources go: see consistency).
REFERENCE_DATA = {"references-public.npz", "references-hidden.npz", "variants-public.npz",
                  "variants-hidden.npz", "provenance.json"}
ENGINE_ZIP = ROOT / "student_template" / "autograder_engine.zip"
IGNORED = {"__pycache__", ".ipynb_checkpoints", ".autograder_engine"}   # made at run time
WRITING = ".building-"        # a file another build is writing (renamed into place when done)
BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION( NO PROMPT)?\n(.*?)^[ \t]*# END SOLUTION\n",
                   re.M | re.S)
PLACEHOLDER = ("<!doctype html><meta charset='utf-8'><p>Run the notebook's cell above "
               "the export to write your written answers here.</p>\n")
HEADER = "# Generated from assignment/optimizers.py by python -m toolkit build: edit that file.\n"


def solution_text(source: str) -> str:
    return HEADER + BLOCK.sub(lambda m: m.group(3), source)


def skeleton_text(source: str) -> str:
    def prompt(match):
        indent, no_prompt = match.group(1), match.group(2)
        return "" if no_prompt or not indent else f"{indent}...\n"
    text = BLOCK.sub(prompt, source)
    return HEADER + re.sub(r"\n{3,}(?=\S)", "\n\n\n", text)


def segments(source: str) -> dict[str, str]:
    """{step function name: its top-level text, with the private helpers (``_name``) defined
    just above it}, solution markers and all."""
    starts = [m.start() for m in re.finditer(r"^(def |# BEGIN SOLUTION)", source, re.M)
              if not source[:m.start()].rstrip().endswith("# BEGIN SOLUTION NO PROMPT")]
    named, helpers = {}, []
    for start, end in zip(starts, starts[1:] + [len(source)]):
        chunk = source[start:end].rstrip() + "\n"
        found = re.search(r"^def (\w+)", chunk, re.M)
        assert found, chunk[:80]        # every start is a def or a solution block holding one
        name = found.group(1)
        if name.startswith("_"):
            helpers.append(chunk)
        else:
            named[name] = "\n\n".join(c.rstrip() for c in [*helpers, chunk])
            helpers = []
    return named


def raw(*lines: str) -> str:
    return "# %% [raw]\n" + "".join(f"# {line}\n" for line in lines)


def question_block(name: str, source_parts: dict[str, str]) -> str:
    """The otter-assign cells of question ``name`` (an optimizer, a concept or a written
    question of the spec)."""
    if name in SPEC.MANUAL:
        # otter-assign: the prompt cell stays read-only; the solution cell becomes the
        # student's editable answer cell ("Type your answer here"), the model answer in the
        # solution notebook.
        q = SPEC.MANUAL[name]
        answer = "".join(f"# {line}\n" for line in q["answer"].splitlines())
        return "\n".join([
            raw("# BEGIN QUESTION", f"name: {name}", "manual: true", f"points: {q['points']:g}"),
            "# %% [markdown]\n" + "".join(f"# {line}\n" for line in textwrap.wrap(
                q["prompt"], 90)) + f"#\n# {prompt(q)}\n",
            raw("# BEGIN SOLUTION"), f"# %% [markdown]\n{answer}", raw("# END SOLUTION"),
            raw("# END QUESTION")])
    if name in SPEC.QUESTIONS:
        # No otter test: nothing in the notebook knows the answer, so nothing may say
        # "passed". A plain cell checks the form and says it is graded after submission.
        q = SPEC.QUESTIONS[name]
        return "\n".join([
            raw("# BEGIN QUESTION", f"name: {name}", f"points: {q['points']:g}"),
            raw("# BEGIN SOLUTION"), f"# %%\n{name} = {q['answer']}  # SOLUTION\n",
            raw("# END SOLUTION"), f"# %%\nlab.check_answer({name!r}, {name});\n",
            raw("# END QUESTION")])
    o = SPEC.OPTIMIZERS[name]
    test = (f"def test_{name}():\n    import lab_support\n"
            f"    lab_support.check({o['function']!r})")
    return "\n".join([
        raw("# BEGIN QUESTION", f"name: {name}",
            f"points: {sum(p for p, _ in o['groups'].values()):g}"),
        raw("# BEGIN SOLUTION"), f"# %%\n{source_parts[o['function']].rstrip()}\n",
        raw("# END SOLUTION"), raw("# BEGIN TESTS"), f"# %%\n{test}\n", raw("# END TESTS"),
        raw("# END QUESTION")])


def master_notebook(source: str) -> dict:
    """The otter-assign master notebook: lab.py with each ``# question: name`` line replaced
    by that question's block."""
    import jupytext

    parts = segments(source)
    text = QUESTION.sub(lambda m: question_block(m.group(1), parts), LAB.read_text())
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    return nb


def normalised(path: Path) -> bytes:
    """A notebook's bytes with cell ids and metadata made deterministic."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}, **{k: v for k, v in nb.metadata.items()
                                                          if k == "otter"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
        cell.source = cell.source.strip("\n")
        cell.metadata.pop("execution", None)
    return (nbformat.writes(nb) + "\n").encode()


def otter_outputs(source: str) -> dict[Path, bytes]:
    """Run ``otter assign`` on the master notebook: {output path: bytes}."""
    import nbformat

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        nbformat.write(master_notebook(source), tmp / NOTEBOOK)
        # (otter leaves temporary folders of its own: they go in this one, and with it)
        done = subprocess.run([sys.executable, "-m", "otter", "assign", str(tmp / NOTEBOOK),
                               str(tmp / "dist")], capture_output=True, text=True, cwd=tmp,
                              env={**os.environ, "TMPDIR": folder})
        if done.returncode:
            raise SystemExit(f"otter assign failed:\n{done.stdout}\n{done.stderr}")
        out = {ROOT / "student_template" / NOTEBOOK: normalised(tmp / "dist/student" / NOTEBOOK),
               ROOT / "solutions" / NOTEBOOK: normalised(tmp / "dist/autograder" / NOTEBOOK)}
        for test in sorted((tmp / "dist/student/tests").glob("*.py")):
            out[ROOT / "student_template" / "tests" / test.name] = test.read_bytes()
        shutil.rmtree(tmp / "dist", ignore_errors=True)
    return out


def json_bytes(value: object) -> bytes:
    return (json.dumps(value, indent=1) + "\n").encode()


def rubric() -> dict:
    """The engine's rubric and registry, from the spec."""
    def optimizer(o):
        return {"title": o["title"], "function": o["function"], "torch": o["torch"],
                "hyperparameters": o["hyperparameters"],
                "state": {k: {"shape": shape, "equation": eq}
                          for k, (shape, eq) in o["state"].items()},
                "update": o["update"], "benchmark": o["benchmark"],
                "groups": {g: {"points": p, "title": t} for g, (p, t) in o["groups"].items()}}
    return {"title": SPEC.TITLE, "total": SPEC.TOTAL, "visibility": SPEC.VISIBILITY,
            "optimizers": {n: optimizer(o) for n, o in SPEC.OPTIMIZERS.items()},
            "manual": [{"name": n, "points": q["points"], "title": q["title"],
                        "prompt": q["prompt"], "figure": q.get("figure")}
                       for n, q in SPEC.MANUAL.items()],
            "questions": {n: {k: q[k] for k in ("points", "title", "rtol") if k in q}
                          for n, q in SPEC.QUESTIONS.items()},
            "late_policy": SPEC.LATE_POLICY}


def catalog(entries: list) -> list[dict]:
    """The misconception catalog as grading knows it: id, title, hint, functions."""
    every = [o["function"] for o in SPEC.OPTIMIZERS.values()]

    def functions(m):
        if not m.variants:
            return every if m.rule_functions == "all" else list(m.rule_functions)
        mine = {SPEC.OPTIMIZERS[v.optimizer]["function"] for v in m.variants}
        return [f for f in every if f in mine]
    return [{"id": m.id, "title": m.title, "hint": m.hint, "functions": functions(m)}
            for m in entries]


def answer_key() -> dict:
    """The concept questions' keys: a number (our own expression, evaluated without
    builtins), or the [low, high] range a tuned choice must fall in."""
    return {name: list(q["accept"]) if "accept" in q else
            float(eval(q["answer"], {"__builtins__": {}}))  # noqa: S307 - our own source
            for name, q in sorted(SPEC.QUESTIONS.items())}


def problems() -> list[str]:
    """Every inconsistency among the sources (``toolkit/consistency.py``)."""
    import runpy

    from assignment.misconceptions import CATALOG
    from assignment.models import MODELS

    lab = LAB.read_text()
    rows = runpy.run_path(str(ROOT / "assignment" / "cases.py"))["ROWS"]
    texts = {"lab.py": lab, **{f"lab_support/{p.name}": p.read_text()
                               for p in sorted(SUPPORT.glob("*.py"))}}
    return (consistency.spec_problems() + consistency.row_problems(rows) +
            consistency.catalog_problems(CATALOG, MODELS) + consistency.lab_problems(lab) +
            consistency.stray_function_problems(texts) +
            consistency.answer_key_problems(SOURCE.read_text()))


def outputs() -> dict[Path, bytes]:
    """{output path: bytes} for everything but the references and the engine zip."""
    from assignment.misconceptions import CATALOG

    source = SOURCE.read_text()
    out = {
        ROOT / "solutions" / "optimizers.py": solution_text(source).encode(),
        ROOT / "student_template" / "optimizers.py": skeleton_text(source).encode(),
        DATA / "rubric.json": json_bytes(rubric()),
        DATA / "misconceptions.json": json_bytes(catalog(CATALOG)),
        DATA / "answers.json": json_bytes(answer_key()),
        ROOT / "student_template" / "README.md": (ROOT / "assignment" /
                                                  "student_README.md").read_bytes(),
        # Replaced by the notebook's last cells; there so that the export never misses it.
        ROOT / "student_template" / "written_answers.html": PLACEHOLDER.encode(),
    }
    for path in sorted(SUPPORT.glob("*.py")):
        out[ROOT / "student_template" / "lab_support" / path.name] = path.read_bytes()
    out.update(otter_outputs(source))
    return out


def engine_zip() -> bytes:
    from .deliverables import student_engine, zip_bytes

    return zip_bytes(student_engine())


def write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically, and only if it changes: a concurrent build
    or test run never reads half a file."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{WRITING}{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True


def strays(made: dict[Path, bytes]) -> list[Path]:
    """Files in the folders the build owns that it does not make."""
    keep = set(made) | {DATA / n for n in REFERENCE_DATA}
    return sorted(p for folder in OWNED for p in folder.rglob("*")
                  if p.is_file() and p not in keep and not IGNORED & set(p.parts)
            and not p.name.startswith(WRITING))


def references(check: bool) -> list[str]:
    """Run ``make references``' step: remake what is stale (or with ``check``, only say)."""
    if check:
        from .generate import up_to_date

        return [] if up_to_date() else ["autograder/data: the references were made from "
                                        "other sources (run make build)"]
    done = subprocess.run([sys.executable, "-m", "toolkit", "references", "--if-stale"],
                          cwd=ROOT)
    return ["make references refused (above)"] if done.returncode else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    found = problems()
    if found:
        print("The build refuses these sources; nothing was written:", *found, sep="\n  ")
        return 2
    made = outputs()
    stale = []
    for path, data in made.items():
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path)
        elif write(path, data):
            print(f"wrote {path.relative_to(ROOT)}")
    refused = references(args.check)
    if refused and not args.check:
        print(*refused, sep="\n")
        return 2
    made[ENGINE_ZIP] = engine_zip()
    if args.check:
        if not ENGINE_ZIP.exists() or ENGINE_ZIP.read_bytes() != made[ENGINE_ZIP]:
            stale.append(ENGINE_ZIP)
    elif write(ENGINE_ZIP, made[ENGINE_ZIP]):
        print(f"wrote {ENGINE_ZIP.relative_to(ROOT)}")
    extra = strays(made)
    for path in [] if args.check else extra:
        path.unlink()
        print(f"deleted {path.relative_to(ROOT)} (no longer made)")
    if args.check and (stale or extra or refused):
        print("out of date (run make build):", *(p.relative_to(ROOT) for p in stale),
              *(f"{p.relative_to(ROOT)} (not made by the build)" for p in extra), *refused,
              sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
