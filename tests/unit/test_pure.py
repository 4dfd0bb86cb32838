"""The grader's pure functions on their own: the match, the first divergence, the score, the
error vocabulary and its texts, the rebuilding of a child's records. No sandbox, no child."""

import math
import re

import numpy as np
import pytest

from autograder import untrusted
from autograder.cases import Case, case_id
from autograder.compare import ATOL, RTOL, close, compare
from autograder.errors import MESSAGES, WORDS, Kind, message
from autograder.execute import Run
from autograder.report import case_line, error_text
from autograder.sandbox import grader_reserve
from autograder.score import GroupScore, question_scores, score

CASE = Case("adam", "basic", "stream", True, {"lr": 0.01})
HIDDEN = Case("adam", "basic", "stream", False, {"lr": 0.02})
KEYS = {"vector": {"shape": [4], "keys": {"exp_avg": [4]}}}


def test_close_is_the_tolerance_nan_with_nan_and_an_infinity_with_itself():
    want = np.array([1.0, 1e6, np.nan, np.inf, 0.0])
    assert close(want + [ATOL / 2, RTOL * 1e6 / 2, 0, 0, 0], want).all()
    assert close(np.array([1.0, 1e6, np.nan, np.inf, 0.0]), want).all()
    off = close(want + [3 * ATOL + 3 * RTOL, 3 * RTOL * 1e6, 0, 0, 0], want)
    assert off.tolist() == [False, False, True, True, True]
    assert not close(np.array([np.nan]), np.array([1.0])).any()
    assert not close(np.array([-np.inf, 1e308, 0.0]), np.array([np.inf] * 3)).any()


def trajectory(steps=3, bump=None):
    """A two-entry trajectory; ``bump``: (key, step, index) made wrong by 1."""
    trace = {"param/vector": np.arange(steps * 4, dtype=float).reshape(steps, 4),
             "state/vector/exp_avg": np.ones((steps, 4))}
    got = {k: v.copy() for k, v in trace.items()}
    if bump:
        key, t, i = bump
        got[key][t, i] += 1.0
    return trace, got


def test_compare_passes_an_exact_run_and_names_the_first_divergence():
    want, got = trajectory()
    assert compare(want, Run(trace=got, completed=3), ["vector"], 3).passed
    want, got = trajectory(bump=("state/vector/exp_avg", 1, 2))
    outcome = compare(want, Run(trace=got, completed=3), ["vector"], 3)
    assert (outcome.passed, outcome.step, outcome.param, outcome.steps_matched) == \
        (False, 2, "vector", 1)
    assert [d.entry for d in outcome.diffs] == ["exp_avg"] and outcome.matching == ["param"]
    assert (outcome.diffs[0].index, outcome.diffs[0].abs_error) == ((2,), 1.0)


def test_torch_nan_is_not_compared_and_a_short_run_is_not_a_pass():
    want, got = trajectory()
    want["state/vector/exp_avg"][0] = np.nan          # no state before the first update
    got["state/vector/exp_avg"][0] = 123.0
    assert compare(want, Run(trace=got, completed=3), ["vector"], 3).passed
    short = compare(want, Run(trace={k: v[:2] for k, v in got.items()}, completed=2),
                    ["vector"], 3)
    assert not short.passed and Kind.of(short.error) is Kind.MALFORMED
    error = {"kind": "timeout"}
    stopped = compare(want, Run(trace=got, completed=2, error=error), ["vector"], 3)
    assert not stopped.passed and stopped.error is error and stopped.steps_matched == 2


def test_a_group_scores_its_share_of_passed_cases_and_a_question_its_tolerance():
    rubric = {"optimizers": {"adam": {"groups": {"basic": {"title": "Adam", "points": 7}}}}}
    other = Case("adam", "basic", "mlp", False, {"lr": 0.1})

    class Outcome:
        def __init__(self, passed):
            self.passed = passed
    [group] = score([CASE, other], {CASE.id: Outcome(True), other.id: Outcome(False)}, rubric)
    assert (group.passed, group.total, group.points) == (1, 2, 3.5)
    assert GroupScore("a", "b", "t", 5, 0, 0).points == 0.0
    rubric = {"questions": {"q": {"title": "Q", "points": 2, "rtol": 0.01},
                            "r": {"title": "R", "points": 1, "rtol": 0.0}}}
    key = {"q": 10.0, "r": [1.0, 2.0]}
    scored = question_scores({"q": 10.05, "r": 2.5}, rubric, key)
    assert [(s.group, s.points) for s in scored] == [("q", 2.0), ("r", 0.0)]
    for wrong in (float("nan"), float("inf"), "10.0", None, True):
        assert question_scores({"q": wrong}, rubric, {"q": 10.0})[0].points == 0


def test_case_ids_name_the_optimizer_group_problem_settings_and_schedule():
    assert case_id("sgd", "momentum", "mlp", {"lr": 0.1, "betas": (0.9, 0.99)},
                   "halve-every-3") == "sgd:momentum:mlp:lr=0.1,betas=(0.9,0.99)," \
                                       "schedule=halve-every-3"
    assert CASE.id == "adam:basic:stream:lr=0.01" and CASE.steps == 12


# One record per kind and variant, as the trusted side would hold it after rebuilding.
RECORDS = {
    (Kind.NOT_IMPLEMENTED, None): {},
    (Kind.MISSING_FUNCTION, "load-failed"): {"defined_at": "cell 3, line 1", "load_failed": 1},
    (Kind.MISSING_FUNCTION, "rebound"): {"defined_at": "cell 3, line 1"},
    (Kind.MISSING_FUNCTION, "imported"): {"imported_from": "helpers"},
    (Kind.MISSING_FUNCTION, None): {},
    (Kind.EXCEPTION, None): {"type": "ValueError", "message": "bad", "frames": [[1, "f"]]},
    (Kind.RETURNED_NONE, None): {},
    (Kind.DTYPE, None): {"what": "the returned parameter", "dtype": "float32"},
    (Kind.NOT_AN_ARRAY, None): {"what": "the returned parameter", "type": "list"},
    (Kind.SHAPE, None): {"what": "the returned parameter", "got": [3], "expected": [4]},
    (Kind.GRAD_MUTATED, None): {},
    (Kind.MISSING_STATE_KEY, "rebound"): {"key": "exp_avg", "state_rebound": True},
    (Kind.MISSING_STATE_KEY, None): {"key": "exp_avg", "present": ["m"], "present_count": 1},
    (Kind.TIMEOUT, None): {"seconds": 20.0},
    (Kind.MEMORY, None): {},
    (Kind.CRASH, None): {"exit_code": -9},
    (Kind.NOT_RUN, None): {},
    (Kind.UNREADABLE, None): {},
    (Kind.MALFORMED, None): {},
}


def test_every_kind_has_words_and_every_message_a_record_here():
    assert set(WORDS) == set(Kind)
    assert set(MESSAGES) == set(RECORDS)
    assert {k for k, _ in MESSAGES} == set(Kind)


@pytest.mark.parametrize("kind, variant", sorted(RECORDS, key=str), ids=str)
def test_each_record_is_told_by_its_own_template_filled_in(kind, variant):
    record = {"kind": kind.value, "step": 2, "param": "vector", **RECORDS[kind, variant]}
    text = error_text(record, "adam_step", (["cell 3, line 1"], ["x = f(1)"]))
    template = re.escape(MESSAGES[kind, variant]).replace(r"\{\{", "{").replace(r"\}\}", "}")
    assert re.fullmatch(re.sub(r"\\\{[a-z_]+(?::[^}]*)?\\\}", ".*", template), text, re.S)
    assert "{" not in text.replace("{...}", "") and "None" not in text.replace("`None`", "")
    line = case_line(CASE, type("O", (), {"step": None, "error": record, "diagnosis": None}))
    assert WORDS[kind] in line


def test_student_text_in_a_message_cannot_open_markdown_or_html():
    record = {"kind": "exception", "type": "ValueError", "frames": [],
              "message": "`</code><script>x</script> | a | b |` **bold**\n# title"}
    text = error_text(record, "adam_step", ([], []))
    span = re.search(r": (`[^`]*`)\.$", text).group(1)
    assert "|" not in span and "\n" not in span and span.count("`") == 2


def test_a_kind_out_of_the_vocabulary_is_malformed_and_said_so():
    assert Kind.of({"kind": "root-access"}) is Kind.MALFORMED
    assert Kind.of(["exception"]) is Kind.MALFORMED
    assert message(Kind.MALFORMED, fn="f") == error_text({"kind": "nope"}, "f", ([], []))


@pytest.mark.parametrize("raw", [
    {"kind": "timeout"},                          # a trusted-side kind, forged by a child
    {"kind": "missing-state-key", "key": "secret", "step": 1, "param": "vector"},
    {"kind": "shape", "got": "huge", "expected": [4], "step": 1, "param": "vector"},
    {"kind": ["exception"]},
])
def test_a_forged_child_record_is_malformed(raw):
    assert untrusted.error(raw, CASE, KEYS, 10, {"f"}) == {"kind": "malformed"}


def test_a_rebuilt_record_keeps_only_what_the_trusted_side_can_check():
    raw = {"kind": "exception", "type": "Bad Type!", "message": "m" * 10_000, "step": 99,
           "param": "vector", "frames": [[1, "f"], [500, "f"], [2, "stolen"]], "extra": 1}
    public = untrusted.error(raw, CASE, KEYS, 10, {"f"})
    assert public["type"] == "Exception" and len(public["message"]) <= 201
    assert "step" not in public and "extra" not in public
    assert public["frames"] == [(1, "f"), (2, "?")]   # in the source; names its own or "?"
    hidden = untrusted.error(raw, HIDDEN, KEYS, 10, {"f"})
    assert "message" not in hidden                # hidden cases keep no student text


def test_a_concept_answer_is_a_finite_float_or_nothing():
    got = untrusted.answers({"q": 1.5, "r": "1e400", "s": math.nan, "t": 2.0}, ["q", "r", "s"])
    assert got["q"] == 1.5 and "t" not in got


@pytest.mark.parametrize("budget, kept", [(120, 10), (20, 5), (5, 2), (3, 1.5), (1, 0.5)])
def test_the_grader_keeps_a_quarter_of_the_budget_at_least_2_s_at_most_10_s_or_half(budget,
                                                                                     kept):
    assert grader_reserve(budget) == kept
