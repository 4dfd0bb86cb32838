"""Similarity in batch: in a class of 32, a copied-and-renamed submission is the one pair
found, at the top, and 31 independently written ones (20 correct in as many styles) pair with
none; a copy padded with code of its own is still found; the class report links the pages."""

import builtins
import io
import keyword
import re
import shutil
import tokenize

from conftest import ANSWER_KEY, SUBMISSIONS

from autograder.cases import OPTIMIZERS
from toolkit import batch, similarity

CORRECT = sorted((SUBMISSIONS / "independent").glob("*.py"))
# Written independently of each other, in different styles.
INDEPENDENT = CORRECT + sorted((SUBMISSIONS / "realistic").glob("*.py")) + [
    SUBMISSIONS / "alternative_forms.py"]
# What a copy must keep to still be graded: the API's names.
API = {o["function"] for o in OPTIMIZERS.values()} | {
    name for o in OPTIMIZERS.values() for name in o["hyperparameters"]}


def disguised(source):
    """``source`` as a student hiding a copy would hand it in: every name of its own
    renamed (variables, helpers, classes, parameters but the API's), comments dropped, and
    its top-level blocks in reverse order."""
    keep = API | set(keyword.kwlist) | set(dir(builtins)) | {"np", "numpy", "self"}
    out, after_dot = [], False
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            tok = tok._replace(string="")
        elif tok.type == tokenize.NAME and tok.string not in keep and not after_dot:
            tok = tok._replace(string=f"my_{tok.string[::-1].strip('_')}")
        after_dot = tok.type == tokenize.OP and tok.string == "."
        out.append(tok)
    text = tokenize.untokenize(out)
    blocks = re.split(r"\n(?=\S)", text)
    return "\n".join(reversed(blocks)) + "\n"


def flagged(out):
    return [line for line in (out / "similarity.md").read_text().splitlines()
            if line.startswith("| ") and "%" in line]


def test_in_a_class_of_32_the_renamed_copy_is_the_one_pair_found(tmp_path):
    assert len(CORRECT) == 20 and len(INDEPENDENT) == 31
    source = tmp_path / "submissions"
    source.mkdir(mode=0o700)
    for path in INDEPENDENT:
        shutil.copy(path, source / f"{path.stem}.py")
    original = SUBMISSIONS / "independent" / "closures.py"
    copy = disguised(original.read_text())
    assert "make_adam" not in copy and "def adam_step(my_marap, my_darg, my_etats," in copy
    (source / "mallory.py").write_text(copy)
    out = tmp_path / "out"
    rows = batch.run(source, out, show_progress=False, similar=True)
    assert len(rows) == 32
    # The disguised copy still earns what the original earns: the same code, graded.
    points = {r["student"]: float(r["total"]) for r in rows}
    assert points["mallory"] == points["closures"] == max(points.values())
    [row] = flagged(out)
    score = int(re.match(r"\| (\d+)%", row).group(1))
    assert row.endswith("| closures | mallory |") and score >= similarity.THRESHOLD * 100
    page = (out / "similarity.html").read_text()
    assert page.count("<h2>") == 1 and "<mark>" in page
    assert "similarity.html" in (out / "report.md").read_text()


def test_a_copy_padded_with_code_of_its_own_is_found(tmp_path):
    source = tmp_path / "submissions"
    source.mkdir(mode=0o700)
    for path in [ANSWER_KEY, *CORRECT[:4]]:
        shutil.copy(path, source / f"{path.stem}.py")
    # Twice as much code of the copier's own: the answer key stays wholly inside it.
    padding = "\n\n".join(f"def helper_{i}(x, scale={i + 3}):\n    total = x * scale - {i * 7}\n"
                          f"    for k in range({i + 2}):\n        total = (total + k * {i}) % "
                          f"{97 + i}\n    return [total, scale ** {i % 5}]" for i in range(60))
    (source / "trudy.py").write_text(ANSWER_KEY.read_text() + "\n\n" + padding + "\n")
    out = tmp_path / "out"
    batch.run(source, out, show_progress=False, similar=True)
    assert flagged(out) == ["| 100% | optimizers | trudy |"]
