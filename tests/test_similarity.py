"""Similarity in batch: a copied-and-renamed submission and a padded copy are found, at the
top; independently written ones are not paired; the class report links the pages."""

import re
import shutil

from conftest import ANSWER_KEY, SUBMISSIONS

from autograder.instructor import batch

# Written independently of each other, in different styles (the answer key included).
INDEPENDENT = sorted((SUBMISSIONS / "realistic").glob("*.py")) + [
    SUBMISSIONS / "alternative_forms.py", ANSWER_KEY]


def renamed(source):
    """``source`` with its variables renamed, as a student hiding a copy would."""
    for old, new in [("state", "memory"), ("param", "weights"), ("grad", "gradient"),
                     ("beta1", "b_one"), ("beta2", "b_two")]:
        source = re.sub(rf"\b{old}\b", new, source)
    return re.sub(r"def (\w+)\(weights, gradient, memory", r"def \1(param, grad, state", source)


def test_a_renamed_copy_is_the_one_pair_found(tmp_path):
    source = tmp_path / "submissions"
    source.mkdir(mode=0o700)
    for path in INDEPENDENT:
        shutil.copy(path, source / f"{path.stem}.py")
    (source / "mallory.py").write_text(renamed((SUBMISSIONS / "alternative_forms.py")
                                               .read_text()))
    # A copy padded with twice as much code of the copier's own: the answer key stays
    # wholly inside it.
    padding = "\n\n".join(f"def helper_{i}(x, scale={i + 3}):\n    total = x * scale - {i * 7}\n"
                          f"    for k in range({i + 2}):\n        total = (total + k * {i}) % "
                          f"{97 + i}\n    return [total, scale ** {i % 5}]" for i in range(60))
    (source / "trudy.py").write_text(ANSWER_KEY.read_text() + "\n\n" + padding + "\n")
    out = tmp_path / "out"
    batch.run(source, out, show_progress=False, similar=True)
    rows = [line for line in (out / "similarity.md").read_text().splitlines()
            if line.startswith("| ") and "%" in line]
    assert rows[0] == "| 100% | alternative_forms | mallory |"
    assert rows[1:] == ["| 100% | optimizers | trudy |"]
    page = (out / "similarity.html").read_text()
    assert page.count("<h2>") == 2 and "<mark>" in page
    assert "similarity.html" in (out / "report.md").read_text()
