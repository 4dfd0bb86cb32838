"""Build everything students and the answer key get from the sources in ``assignment/``.

* ``assignment/optimizers.py`` is the single source of the step functions. Code between
  ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (otter-assign's markers) is the answer: kept
  without the markers in ``solutions/optimizers.py``, replaced by ``...`` in
  ``student_template/optimizers.py`` (a block at the top level disappears entirely).
* ``assignment/lab_support/`` (data, the MLP, plotting, the notebook's checks) is copied
  to ``student_template/lab_support/``, and ``assignment/student_README.md`` to
  ``student_template/README.md``.
* ``student_template/autograder_engine.zip`` is the grading engine with the public
  references only, for the notebook's checks (``autograder/instructor/deliverables.py``
  says what it holds and what it never holds).
* ``assignment/lab.py`` is the master notebook (a jupytext percent file in otter-assign's
  format, step functions included from optimizers.py): ``otter assign`` makes the student
  notebook and its tests (``student_template/``) and the solution notebook
  (``solutions/``); the concept questions' solution lines make the autograder's answer key
  (``autograder/data/answers.json``).

    python assignment/build.py            write every output
    python assignment/build.py --check    exit 1 if any output is out of date
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder.instructor.deliverables import student_engine, zip_bytes  # noqa: E402

SOURCE = ROOT / "assignment" / "optimizers.py"
LAB = ROOT / "assignment" / "lab.py"          # the master notebook, as a jupytext percent file
NOTEBOOK = "optimizers_lab.ipynb"
INCLUDE = re.compile(r"^# include: (.+)$", re.M)
ANSWER = re.compile(r"^(\w+) = (.+?)\s+# SOLUTION$", re.M)   # a concept question's solution
SUPPORT = ROOT / "assignment" / "lab_support"
ENGINE = ROOT / "autograder"
BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION( NO PROMPT)?\n(.*?)^[ \t]*# END SOLUTION\n",
                   re.M | re.S)
HEADER = "# Generated from assignment/optimizers.py by assignment/build.py: edit that file.\n"


def solution_text(source: str) -> str:
    return HEADER + BLOCK.sub(lambda m: m.group(3), source)


def skeleton_text(source: str) -> str:
    def prompt(match):
        indent, no_prompt = match.group(1), match.group(2)
        return "" if no_prompt or not indent else f"{indent}...\n"
    text = BLOCK.sub(prompt, source)
    return HEADER + re.sub(r"\n{3,}(?=\S)", "\n\n\n", text)


def segments(source):
    """{function name: its top-level text}, a solution block around a def included."""
    starts = [m.start() for m in re.finditer(r"^(def |# BEGIN SOLUTION)", source, re.M)
              if not source[:m.start()].rstrip().endswith("# BEGIN SOLUTION NO PROMPT")]
    named = {}
    for start, end in zip(starts, starts[1:] + [len(source)]):
        chunk = source[start:end].rstrip() + "\n"
        named[re.search(r"^def (\w+)", chunk, re.M).group(1)] = chunk
    return named


def master_notebook(source):
    """The otter-assign master notebook: lab.py with each ``# include: name`` replaced by
    those functions from optimizers.py, solution markers and all."""
    import jupytext

    parts = segments(source)
    text = INCLUDE.sub(lambda m: "\n\n".join(parts[n].rstrip() for n in m.group(1).split()),
                       LAB.read_text())
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    return nb


def normalised(path):
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


def otter_outputs(source):
    """Run ``otter assign`` on the master notebook: {output path: bytes}."""
    import nbformat

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        nbformat.write(master_notebook(source), tmp / NOTEBOOK)
        done = subprocess.run([sys.executable, "-m", "otter", "assign", str(tmp / NOTEBOOK),
                               str(tmp / "dist")], capture_output=True, text=True, cwd=tmp)
        if done.returncode:
            raise SystemExit(f"otter assign failed:\n{done.stdout}\n{done.stderr}")
        out = {ROOT / "student_template" / NOTEBOOK: normalised(tmp / "dist/student" / NOTEBOOK),
               ROOT / "solutions" / NOTEBOOK: normalised(tmp / "dist/autograder" / NOTEBOOK)}
        for test in sorted((tmp / "dist/student/tests").glob("*.py")):
            out[ROOT / "student_template" / "tests" / test.name] = test.read_bytes()
        shutil.rmtree(tmp / "dist", ignore_errors=True)
    return out


def answer_key() -> bytes:
    """The concept questions' answers, from the notebook's solution cells (our own source,
    evaluated without builtins): the autograder's key, never shipped to students."""
    answers = {name: float(eval(expr, {"__builtins__": {}}))  # noqa: S307 - our own source
               for name, expr in ANSWER.findall(LAB.read_text())}
    return (json.dumps(answers, indent=1, sort_keys=True) + "\n").encode()


def outputs():
    """{output path: bytes}, everything this script generates."""
    source = SOURCE.read_text()
    out = {
        ROOT / "solutions" / "optimizers.py": solution_text(source).encode(),
        ROOT / "student_template" / "optimizers.py": skeleton_text(source).encode(),
        ROOT / "student_template" / "autograder_engine.zip": zip_bytes(student_engine()),
        ENGINE / "data" / "answers.json": answer_key(),
        ROOT / "student_template" / "README.md": (ROOT / "assignment" /
                                                  "student_README.md").read_bytes(),
    }
    for path in sorted(SUPPORT.glob("*.py")):
        out[ROOT / "student_template" / "lab_support" / path.name] = path.read_bytes()
    out.update(otter_outputs(source))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for path, data in outputs().items():
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path.relative_to(ROOT))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date (run `make student solutions`):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
