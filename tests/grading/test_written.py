"""Written answers, for the people who grade them: the student's page (in the export) and
one page per question across a batch, each answer with its experiment's figure, and nothing
a student wrote able to run or load anything in them."""

import base64
import json
import os
import subprocess
import sys
import zipfile

from conftest import ROOT, RUBRIC

from autograder.written import PNG, answers
from toolkit import batch

TEMPLATE = ROOT / "student_template" / "optimizers_lab.ipynb"
FIGURE = PNG + b"a figure"


def answered(tmp_path, text, name="lab.ipynb"):
    """The student notebook with ``text`` in every written answer cell and a figure (and a
    forged non-PNG "image") in every experiment's output."""
    nb = json.loads(TEMPLATE.read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if "otter_answer_cell" in cell["metadata"].get("tags", []) and \
                cell["cell_type"] == "markdown":
            cell["source"] = text
        if cell["cell_type"] == "code" and source.startswith("# Experiment "):
            cell["outputs"] = [
                {"output_type": "display_data", "metadata": {},
                 "data": {"image/png": base64.b64encode(FIGURE).decode()}},
                {"output_type": "display_data", "metadata": {},
                 "data": {"image/png": base64.b64encode(b"<svg onload=alert(1)>").decode()}}]
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return path


def test_every_written_answer_is_found_with_its_figure(tmp_path):
    nb = json.loads(answered(tmp_path, "Momentum cancels the zig-zag.").read_text())
    found = answers(nb, RUBRIC["manual"])
    assert set(found) == {q["name"] for q in RUBRIC["manual"]}
    for text, figures in found.values():
        assert text == "Momentum cancels the zig-zag." and figures == [FIGURE]


def test_the_students_page_is_written_by_the_notebook_and_exported(tmp_path):
    path = answered(tmp_path, "<script>alert('x')</script> my answer: β → 0.9")
    out = tmp_path / "written_answers.html"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import lab_support; "
            "lab_support.written_answers(sys.argv[2], sys.argv[3])")
    # In an ASCII locale (as a Windows code page lacks "β"): the page is UTF-8 all the same.
    done = subprocess.run([sys.executable, "-X", "utf8=0", "-c", code,
                           str(ROOT / "student_template"), str(path), str(out)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0"})
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; my answer: β → 0.9" in page
    assert "<script>" not in page and "onload" not in page
    assert page.count("<img ") == len(RUBRIC["manual"])
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as zf:   # as grader.export() packs it
        zf.write(path, "optimizers_lab.ipynb")
        zf.write(out, "written_answers.html")
    exported = json.loads(zipfile.ZipFile(tmp_path / "export.zip").read("optimizers_lab.ipynb"))
    for text, figures in answers(exported, RUBRIC["manual"]).values():
        assert text.endswith("my answer: β → 0.9") and figures == [FIGURE]


def test_the_page_is_written_even_when_the_notebook_cannot_be_read(tmp_path):
    """Otter's export packs the page: a notebook not on disk (Colab) or not saved must not
    make the export fail."""
    out = tmp_path / "written_answers.html"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import lab_support; "
            "lab_support.written_answers(sys.argv[2], sys.argv[3])")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "student_template"),
                           str(tmp_path / "not-there.ipynb"), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "could not be read" in done.stdout
    assert out.read_text(encoding="utf-8").count("the answers are in the notebook") == \
        len(RUBRIC["manual"])


def test_a_batch_writes_one_page_per_question_with_every_students_answer(tmp_path):
    source = tmp_path / "submissions"
    source.mkdir(mode=0o700)
    answered(source, "Alice's answer", "alice.ipynb")
    answered(source, "Bob's <b>answer</b>", "bob.ipynb")
    (source / "carol.py").write_text("x = 1\n")                    # no notebook, no answer
    batch.run(source, tmp_path / "out", show_progress=False)
    for q in RUBRIC["manual"]:
        page = (tmp_path / "out" / "written" / f"{q['name']}.html").read_text()
        assert "Alice&#x27;s answer" in page and "Bob&#x27;s &lt;b&gt;answer&lt;/b&gt;" in page
        assert "<h2>carol</h2>" in page and "(no answer)" in page
        assert page.count("<img ") == 2


def test_the_page_shows_prompts_and_renders_answers_without_raw_html():
    """Each question's prompt above the answer; the answer's Markdown rendered (lists, bold,
    code), and nothing of the student's HTML surviving as HTML."""
    from autograder.written import page

    text = ("Momentum **zig-zags less**:\n\n- across: signs cancel\n- along: they add up\n\n"
            "`v = mu * v + g` <script>alert(1)</script> <img src=x onerror=alert(2)> "
            "[see](javascript:alert(3))")
    html_page = page("Written answers", [("momentum on a ravine", "**Question 1.** Predict",
                                          text, [])])
    assert "<strong>Question 1.</strong> Predict" in html_page
    assert "<strong>zig-zags less</strong>" in html_page
    assert "<li>across: signs cancel</li>" in html_page
    assert "<code>v = mu * v + g</code>" in html_page
    assert "<script" not in html_page and "<img src=x" not in html_page
    assert "&lt;script&gt;" in html_page and 'href' not in html_page
