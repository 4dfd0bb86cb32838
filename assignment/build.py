"""Build the answer key and the student skeleton from the annotated source.

``assignment/optimizers.py`` is the single source of truth. Code between
``# BEGIN SOLUTION`` and ``# END SOLUTION`` (otter-assign's markers) is the
answer: kept without the markers in ``solutions/``, replaced by ``...`` in
``student_template/`` (a block at the top level disappears entirely).

    python assignment/build.py            write both outputs
    python assignment/build.py --check    exit 1 if either is out of date
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assignment" / "optimizers.py"
BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION\n(.*?)^[ \t]*# END SOLUTION\n", re.M | re.S)
HEADER = "# Generated from assignment/optimizers.py by assignment/build.py: edit that file.\n"


def solution_text(source: str) -> str:
    return HEADER + BLOCK.sub(lambda m: m.group(2), source)


def skeleton_text(source: str) -> str:
    def prompt(match):
        indent = match.group(1)
        return f"{indent}...\n" if indent else ""
    text = BLOCK.sub(prompt, source)
    return HEADER + re.sub(r"\n{3,}(?=\S)", "\n\n\n", text)


OUTPUTS = {
    ROOT / "solutions" / "optimizers.py": solution_text,
    ROOT / "student_template" / "optimizers.py": skeleton_text,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    source = SOURCE.read_text()
    stale = []
    for path, render in OUTPUTS.items():
        text = render(source)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date (run `make student solutions`):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
