"""What ships where: the student release holds no hidden case (id, configuration, seed or
data) and no line of the answer key or of its buggy variants; the grading image holds the
hidden data but no instructor tool, no torch and no answer-key code."""

import inspect
import io
import re
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT

from assignment import models
from assignment.misconceptions import CATALOG
from autograder import references
from autograder.cases import load_cases
from toolkit import deliverables
from toolkit.deliverables import build_zip

HIDDEN = [c for c in load_cases() if not c.public]
SOLUTION_CODE = ROOT / "solutions" / "optimizers.py"
SKELETON = ROOT / "student_template" / "optimizers.py"


def blobs(name, data):
    """(name, bytes) of a file and, for a zip or .npz inside it, of every member, unpacked."""
    yield name, data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.namelist():
                yield from blobs(f"{name}!{member}", zf.read(member))


def student_release():
    """Every file of student_template/ that git tracks (what students receive), unpacked."""
    tracked = subprocess.run(["git", "ls-files", "student_template"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    assert tracked
    return [blob for name in tracked for blob in blobs(name, (ROOT / name).read_bytes())]


def answer_key_lines():
    """Lines of the answer key's code that the skeleton does not have (20+ characters)."""
    skeleton = {line.strip() for line in SKELETON.read_text().splitlines()}
    return {line.strip() for line in SOLUTION_CODE.read_text().splitlines()
            if len(line.strip()) >= 20 and line.strip() not in skeleton}


def variant_fragments():
    """Code lines (20+ characters, not strings or comments) of the models and of every
    variant's bug."""
    texts = [inspect.getsource(models)] + [inspect.getsource(v.bug) for m in CATALOG
                                           for v in m.variants if v.bug]
    return {line.strip() for text in texts for line in text.splitlines()
            if len(line.strip()) >= 20 and not line.strip().startswith(("'", '"', "#"))}


def hidden_markers():
    """Byte strings any of which in a file would give away a hidden case."""
    arrays = references.load()
    for case in HIDDEN:
        yield f"hidden case id {case.id}", case.id.encode()
        yield f"seed of {case.id}", str(case.seed).encode()
        for key, value in references.split(arrays, case.id, "inputs").items():
            if key.startswith(("init/", "data/")) and value.size >= 2:
                yield f"inputs {case.id}/{key}", value.tobytes()[:16]
                yield f"inputs {case.id}/{key} as text", f"{value.flat[0]:.12g}".encode()


def found(markers, release):
    return [(what, name) for what, marker in markers for name, data in release
            if marker in data]


def test_the_student_release_holds_no_hidden_case():
    assert HIDDEN, "no hidden case to look for"
    assert found(hidden_markers(), student_release()) == []


def test_the_student_release_holds_no_answer_key_or_variant_code():
    code = answer_key_lines() | variant_fragments()
    assert len(code) > 40
    release = [(n, d) for n, d in student_release() if not n.endswith((".npy", ".npz"))]
    assert found([(line, line.encode()) for line in code], release) == []
    names = [name for name, _ in release]
    assert not [n for n in names if "toolkit" in n or "hidden" in n or "answers.json" in n]


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    path, _ = build_zip(tmp_path_factory.mktemp("image") / "autograder.zip")
    return list(blobs("autograder.zip", path.read_bytes()))


def test_the_grading_image_has_the_hidden_data_but_no_instructor_code(image):
    names = [name.split("!", 1)[1] for name, _ in image if "!" in name]
    assert "autograder/data/references-hidden.npz" in names
    assert not [n for n in names if n.startswith(("toolkit/", "solutions/", "assignment/"))]
    python = [(n, d.decode()) for n, d in image if n.endswith(".py")]
    assert not [n for n, text in python if re.search(r"^\s*(import|from) torch\b", text, re.M)]
    assert found([(line, line.encode()) for line in answer_key_lines() | variant_fragments()],
                 [(n, d) for n, d in image if n.endswith(".py")]) == []


def engine_files(package):
    return {str(p.relative_to(package)) for p in package.rglob("*.py")
            if "__pycache__" not in p.parts}


def test_what_ships_is_the_allow_list_and_nothing_else(tmp_path):
    """Every module of the engine is listed, every listed module exists, and a module added
    to the engine's folder without being listed fails here (checked in a scratch copy)."""
    package = ROOT / "autograder"
    assert engine_files(package) == set(deliverables.SHIPPED)
    shipped = {n for n in deliverables.student_engine() if n.endswith(".py")}
    assert shipped == {f"autograder/{m}" for m in deliverables.SHIPPED}
    copy = tmp_path / "autograder"
    copy.mkdir()
    for name in deliverables.SHIPPED:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((package / name).read_bytes())
    assert engine_files(copy) == set(deliverables.SHIPPED)
    (copy / "helpers.py").write_text("SECRET = 1\n")
    assert engine_files(copy) - set(deliverables.SHIPPED) == {"helpers.py"}


def test_the_engine_command_line_offers_only_what_the_engine_holds():
    """The student engine's ``python -m autograder`` grades; the instructor's commands are
    ``python -m toolkit``, which does not ship."""
    done = subprocess.run([sys.executable, "-m", "autograder", "--help"], cwd=ROOT,
                          capture_output=True, text=True)
    commands = set(re.search(r"\{([\w,-]+)\}", done.stdout).group(1).split(","))
    assert commands == {"grade", "worker", "gradescope", "prairielearn"}
    done = subprocess.run([sys.executable, "-m", "toolkit", "--help"], cwd=ROOT,
                          capture_output=True, text=True)
    assert {"build", "references", "batch", "report", "build-zip", "build-prairielearn"} <= \
        set(re.search(r"\{([\w,-]+)\}", done.stdout).group(1).split(","))
