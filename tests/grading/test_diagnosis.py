"""The misconception catalog: every id is recognised in a submission written differently
from its own variant, nothing unsupported is ever named, and the report's wording is pinned."""

import json
import os
import re
from pathlib import Path

import pytest
from conftest import SUBMISSIONS, TESTS, graded

from assignment import misconceptions
from autograder import grade as grade_module
from autograder.cases import OPTIMIZERS, load_cases
from autograder.misconceptions import BY_ID, CATALOG
from autograder.report import summary
from tests.support.bugs import write
from toolkit import generate
from toolkit.variants import check_variants

HANDWRITTEN = SUBMISSIONS / "misconceptions"
SNAPSHOT = TESTS / "snapshots" / "amsgrad-max-of-corrected.md"
SNAPSHOT_RUBRIC = TESTS / "snapshots" / "rubric.json"


def test_every_spec_id_is_in_the_catalog_with_a_hint():
    spec_ids = """sgd-ema-momentum sgd-lr-in-velocity sgd-dampening-first-step
        sgd-nesterov-as-momentum weight-decay-after-momentum maximize-after-weight-decay
        adam-no-bias-correction adam-bias-correction-off-by-one adam-eps-inside-sqrt adam-eps-hat
        adam-state-stores-corrected adamw-l2-instead-of-decoupled adam-decoupled-instead-of-l2
        adamw-decay-without-lr amsgrad-max-of-corrected global-step-counter
        rmsprop-eps-inside-sqrt rmsprop-alpha-swapped rmsprop-centered-stale-mean
        adagrad-lr-decay-off-by-one adagrad-ignores-initial-accumulator float32-precision
        grad-mutated-in-place state-not-persisted""".split()
    assert set(spec_ids) <= set(BY_ID)
    assert len(BY_ID) == len(CATALOG)
    for m in CATALOG:
        assert m.title and m.hint.endswith(".") and m.functions


def test_the_engine_catalog_is_the_sources_catalog():
    assert [m.id for m in CATALOG] == [m.id for m in misconceptions.CATALOG]
    for mine, source in zip(CATALOG, misconceptions.CATALOG):
        assert (mine.title, mine.hint) == (source.title, source.hint)
        assert {v.model.optimizer for v in source.variants} <= {
            c.optimizer for c in load_cases() if c.function in mine.functions}


def test_stored_variant_trajectories_are_up_to_date():
    reproduction = check_variants(generate.Reproduction(generate.exact_by_default()))
    assert reproduction.ok, reproduction.problems[:5] + [reproduction.summary()]


@pytest.mark.parametrize("mid", sorted(BY_ID))
def test_handwritten_bug_is_detected_and_named_and_nothing_else(mid):
    path = HANDWRITTEN / f"{mid}.py"
    assert path.exists(), f"write a submission with this mistake: {path}"
    grading = graded(path)
    mine = [c for c in grading.cases if c.function in BY_ID[mid].functions]
    diagnosed = [grading.outcomes[c.id].diagnosis for c in mine
                 if not grading.outcomes[c.id].passed and grading.outcomes[c.id].diagnosis]
    named = {i for d in diagnosed for i in d.ids}
    assert named == {mid}
    report = summary(grading)
    assert f"(`{mid}`;" in report and BY_ID[mid].hint in report


def test_an_unknown_bug_is_not_named(write):
    source = (SUBMISSIONS.parent.parent / "solutions" / "optimizers.py").read_text()
    grading = graded(write(source.replace("return param - lr * g", "return param - 2 * lr * g")))
    diagnoses = [o.diagnosis for o in grading.outcomes.values() if o.diagnosis]
    assert diagnoses and not any(d.ids for d in diagnoses)
    assert "No known mistake reproduces your trajectory. The parameter differs at step 1" \
        in summary(grading)


@pytest.mark.parametrize("path", [SUBMISSIONS / "alternative_forms.py",
                                  *sorted((SUBMISSIONS / "independent").glob("*.py"))],
                         ids=lambda p: p.stem)
def test_correct_code_in_any_style_is_never_flagged(path):
    grading = graded(path)
    assert not any(o.diagnosis for o in grading.outcomes.values())
    assert not grading.warnings


def test_report_snapshot(tmp_path, monkeypatch):
    """The Markdown report of one buggy submission's Adam, pinned so wording changes are
    deliberate: regenerate with UPDATE_SNAPSHOTS=1. Scored by a fixed test rubric
    (``snapshots/rubric.json``) on Adam's cases only, so the lab's points and its other
    optimizers do not move it."""
    if "adam" not in OPTIMIZERS:
        pytest.skip("this lab has no Adam")
    monkeypatch.setattr(grade_module, "load_rubric",
                        lambda: json.loads(SNAPSHOT_RUBRIC.read_text()))
    [path] = write(["amsgrad-max-of-corrected"], tmp_path)
    text = summary(grade_module.grade(path, functions=("adam_step",)))
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text)
    assert text == Path(SNAPSHOT).read_text()


REALISTIC = sorted((SUBMISSIONS / "realistic").glob("*.py"))


def defined_functions(path):
    return set(re.findall(r"^def (\w+_step)\(", path.read_text(), re.M))


@pytest.mark.parametrize("path", REALISTIC, ids=lambda p: p.stem)
def test_code_in_other_styles_is_named_by_its_own_mistake_and_nothing_else(path):
    """Code written as course assignments, books and NumPy frameworks write it (the first
    line says what it gets wrong, established against torch by hand): every failing case
    of its functions that is named is named by that mistake, and no other; correct code
    fails nothing."""
    expect = re.match(r"# expect: ([\w-]+)", path.read_text()).group(1)
    grading = graded(path)
    mine = [c for c in grading.cases if c.function in defined_functions(path)]
    failing = [c for c in mine if not grading.outcomes[c.id].passed]
    named = {i for c in failing if grading.outcomes[c.id].diagnosis
             for i in grading.outcomes[c.id].diagnosis.ids}
    if expect == "none":
        assert not failing
    else:
        assert failing and named == {expect}
