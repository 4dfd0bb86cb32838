"""Feedback a student can act on, in Markdown (Gradescope renders it; terminals read it)."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from .child.problems import PARAM_SHAPES, PROBLEMS
from .errors import WORDS, Kind, message
from .misconceptions import BY_ID
from .sandbox import MEMORY_PER_GRADING
from .score import QUESTIONS, GroupScore
from .untrusted import ANSWER_CHARS, KEY_CHARS, code, source_line

if TYPE_CHECKING:   # (names for annotations only: no import at run time)
    from .cases import Case
    from .compare import Outcome
    from .diagnose import Diagnosis
    from .grade import Grading

CASES_SHOWN_PER_GROUP = 3  # failing cases detailed per rubric group (the rest are counted)


def failing_shown(cases: list[Case], outcomes: dict[str, Outcome]) -> list[Case]:
    """The failing cases a report details: the first CASES_SHOWN_PER_GROUP of each rubric
    group, in case order (the rest of a group's failures are only counted)."""
    count: dict[tuple[str, str], int] = {}
    shown: list[Case] = []
    for case in cases:
        group = (case.optimizer, case.group)
        if not outcomes[case.id].passed and count.get(group, 0) < CASES_SHOWN_PER_GROUP:
            count[group] = count.get(group, 0) + 1
            shown.append(case)
    return shown


def fmt(x: float) -> str:
    return f"{x:.12g}"


def config_text(case: Case) -> str:
    parts = [f"{k}={v}" for k, v in case.config.items()]
    if case.schedule:
        parts.append(f"lr schedule {case.schedule} (the `lr` argument changes between calls)")
    return ", ".join(parts)


def traceback_text(frames: list, source: tuple[list[str], list[str]]) -> str:
    """The student's own traceback lines, from their source (``source``: (origins, lines))."""
    origins, lines = source
    out = []
    for lineno, name in frames:
        where = origins[lineno - 1] if lineno <= len(origins) else f"line {lineno}"
        text = source_line(lines[lineno - 1].strip()) if lineno <= len(lines) else ""
        out.append(f"  {where}, in {name}: {text}")
    return "\n".join(out)


def error_text(err: dict, fn: str, source: tuple[list[str], list[str]]) -> str:
    """One short paragraph for a run error record (already rebuilt by ``untrusted``);
    ``source``: (origins, lines) of the kept submission. Every value the student made is
    quoted (``code``) before it reaches the template (``errors.MESSAGES``)."""
    kind, variant = Kind.of(err), None
    fields: dict[str, Any] = {"fn": fn, "at": f" at step {err['step']} (parameter `{err['param']}`)"
              if err.get("step") and err.get("param") else ""}
    if kind is Kind.MISSING_FUNCTION:
        variant = ("load-failed" if err.get("load_failed") else "rebound") if err.get(
            "defined_at") else "imported" if err.get("imported_from") else None
        fields.update(defined_at=err.get("defined_at"),
                      module=code(err.get("imported_from") or "", 60))
    elif kind is Kind.EXCEPTION:
        tb = traceback_text(err.get("frames") or [], source)
        fields.update(type=err.get("type"), traceback=f"\n\n```\n{tb}\n```" if tb else "",
                      message=f": {code(err['message'])}" if err.get("message") else "")
    elif kind in (Kind.DTYPE, Kind.NOT_AN_ARRAY, Kind.SHAPE):
        fields.update(what=err.get("what"), dtype=err.get("dtype"), type=err.get("type"),
                      got=tuple(err.get("got", ())), expected=tuple(err.get("expected", ())))
    elif kind is Kind.MISSING_STATE_KEY:
        count = err.get("present_count", 0)
        variant = "rebound" if not count and err.get("state_rebound") else None
        fields.update(key=err.get("key"), present=", ".join(
            code(k, KEY_CHARS) for k in err.get("present", [])) or (
            f"{count} other key(s)" if count else "nothing"))
    fields.update(seconds=err.get("seconds") or 0, exit_code=err.get("exit_code"),
                  mebibytes=MEMORY_PER_GRADING >> 20)
    return message(kind, variant, **fields)


def magnitude(x: float) -> str:
    """The nearest power of ten to a positive number, as 1e-03 (inf and NaN as themselves)."""
    return f"1e{round(math.log10(x)):+03d}" if math.isfinite(x) and x > 0 else f"{x}"


def divergence_text(outcome: Outcome, case: Case) -> str:
    """Where the trajectory left torch's. A public case shows the numbers; a hidden one
    only which entry, and the error's order of magnitude: no expected value, and none of
    the student's (they are computed from hidden inputs)."""
    shape = PARAM_SHAPES[case.problem][outcome.param]
    bad = ", ".join(f"`{d.entry}`" for d in outcome.diffs)
    good = ", ".join(f"`{e}`" for e in outcome.matching)
    lines = [f"Diverged from torch at **step {outcome.step}**, parameter `{outcome.param}` "
             f"(shape {shape}): {bad} differ{'s' if len(outcome.diffs) == 1 else ''}"
             + (f"; {good} still match{'es' if len(outcome.matching) == 1 else ''}." if good
                else ".")]
    if outcome.steps_matched:
        lines[0] += f" Steps 1–{outcome.steps_matched} matched."
    if "param" in outcome.matching:
        lines[0] += (" Your parameter is right at this step, the state is not: grading "
                     "compares every state entry torch keeps, so each must hold torch's "
                     "quantity under torch's name (the docstring gives its equation), even "
                     "where another quantity gives the same parameters.")
    if case.public:
        lines += ["", "| entry | index | expected (torch) | yours | abs. error | rel. error |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| `{d.entry}` | {list(d.index)} | {fmt(d.expected)} | {fmt(d.got)} | "
                  f"{d.abs_error:.2g} | {d.rel_error:.2g} |" for d in outcome.diffs]
    else:
        lines += ["", "| entry | abs. error about | rel. error about |", "|---|---|---|"]
        lines += [f"| `{d.entry}` | {magnitude(d.abs_error)} | {magnitude(d.rel_error)} |"
                  for d in outcome.diffs]
        lines += ["", "(A hidden case: its values are not shown.)"]
    if any(d.nonfinite for d in outcome.diffs):
        lines += ["", "Your values include NaN or inf where torch's are finite: look for a "
                      "division by zero or a square root of a negative number."]
    return "\n".join(lines)


def diagnosis_text(diagnosis: Diagnosis, named_before: Collection[str] = ()) -> str:
    """The named misconception(s) with their hints, or the reasoning when none fits; a
    misconception already explained above (``named_before``) is only named again."""
    out = []
    for mid in diagnosis.ids:
        m = BY_ID[mid]
        how = "your trajectory matches this known mistake exactly" if diagnosis.exact else \
            "recognised from the kind of failure"
        out.append(f"**Likely cause: the same, {m.title}** (`{mid}`)." if mid in named_before
                   else f"**Likely cause: {m.title}** (`{mid}`; {how}). {m.hint}")
    labels = sorted({label for mid in diagnosis.ids for label in diagnosis.details.get(mid, ())})
    if labels:
        out.append("Your trajectory is the one computed with "
                   + " or ".join(f"`{label}`" for label in labels) + ".")
    if diagnosis.reasoning and not diagnosis.exact:
        prefix = "" if diagnosis.ids else "No known mistake reproduces your trajectory. "
        out.append(prefix + diagnosis.reasoning)
    return "\n\n".join(out)


def case_text(case: Case, outcome: Outcome, source: tuple[list[str], list[str]],
              named_before: Collection[str] = ()) -> str:
    """One failing case (``source``: (origins, lines) of the kept submission)."""
    fn = case.function
    head = (f"**{'Public' if case.public else 'Hidden'} case** `{fn}({config_text(case)})` "
            f"on {PROBLEMS[case.problem].description}, {case.steps} steps.")
    body = divergence_text(outcome, case) if outcome.step else error_text(
        outcome.error or {}, fn, source)
    if outcome.step and outcome.error:
        body += "\n\nThen: " + error_text(outcome.error, fn, source)
    if outcome.diagnosis and (outcome.diagnosis.ids or outcome.diagnosis.reasoning):
        body += "\n\n" + diagnosis_text(outcome.diagnosis, named_before)
    return f"{head}\n\n{body}"


HIDDEN_WHEN = {"visible": "now", "after_due_date": "after the due date",
               "after_published": "once grades are published"}


def hidden_visibility(rubric: dict) -> str:
    """Gradescope's visibility for hidden cases' details: the rubric's policy (default:
    after the due date)."""
    return rubric.get("visibility", {}).get("hidden_cases", "after_due_date")


def split_part(grading: Grading, gs: GroupScore, public: bool) -> GroupScore:
    """The GroupScore of one visibility's cases of a group: their share of its points."""
    mine = [c for c in grading.cases if (c.optimizer, c.group) == (gs.optimizer, gs.group)]
    part = [c for c in mine if c.public == public]
    return GroupScore(gs.optimizer, gs.group, gs.title,
                      gs.max_points * len(part) / len(mine) if mine else 0.0,
                      sum(grading.outcomes[c.id].passed for c in part), len(part))


def section_title(rubric: dict, optimizer: str) -> str:
    return "Concept questions" if optimizer == QUESTIONS else \
        rubric["optimizers"][optimizer]["title"]


def question_text(grading: Grading, gs: GroupScore) -> str:
    """Whether a concept answer is right; never what the right answer is."""
    value = grading.answers.get(gs.group)
    if gs.passed:
        return f"Correct: {gs.points:g}/{gs.max_points:g} points."
    if value is None:
        return (f"No answer found: assign it at the top level of a cell, e.g. "
                f"`{gs.group} = 0.5` (an expression such as `2 / 3` works too). "
                f"0/{gs.max_points:g} points.")
    if not isinstance(value, float):
        return (f"`{gs.group}` must be a number; it is {code(value, ANSWER_CHARS)}. "
                f"0/{gs.max_points:g} points.")
    return f"`{gs.group} = {value:.6g}` is not correct. 0/{gs.max_points:g} points."


def case_line(case: Case, outcome: Outcome) -> str:
    """One failing case in one line: where it went wrong, and the named mistake if any."""
    head = f"`{case.function}({config_text(case)})` on the {case.problem} problem"
    if outcome.step:
        what = (f"diverges at step {outcome.step}, parameter `{outcome.param}` ("
                + ", ".join(f"`{d.entry}`" for d in outcome.diffs) + ")")
    else:
        what = WORDS[Kind.of(outcome.error or {})]
    ids = outcome.diagnosis.ids if outcome.diagnosis else []
    return f"- {head}: {what}" + (f"; likely `{'`, `'.join(ids)}`" if ids else "") + "."


def check_text(grading: Grading) -> str:
    """A notebook check's feedback, short: the first failing case in full (Gradescope's own
    text for it), then every other failing case in one line each."""
    failing = [c for c in grading.cases if not grading.outcomes[c.id].passed]
    if not failing:
        return ""
    first, rest = failing[0], failing[1:]
    passed = len(grading.cases) - len(failing)
    out = [f"**{passed} of {len(grading.cases)} public cases match torch.optim.**", ""]
    out += [f"Warning: {w}\n" for w in grading.warnings]
    out.append(case_text(first, grading.outcomes[first.id], (grading.origins, grading.lines)))
    if rest:
        out += ["", f"The other failing case{'s' if len(rest) > 1 else ''}:", ""]
        out += [case_line(c, grading.outcomes[c.id]) for c in rest]
    return "\n".join(out) + "\n"


def group_text(grading: Grading, gs: GroupScore, public: bool | None = None) -> str:
    """The Markdown of one rubric group: a summary line, then each failing case (of one
    visibility only, with ``public``; ``gs`` is then that part's score)."""
    if gs.optimizer == QUESTIONS:
        return question_text(grading, gs)
    mine = [c for c in grading.cases if c.optimizer == gs.optimizer and c.group == gs.group
            and public in (None, c.public)]
    which = {None: "", True: "public ", False: "hidden "}[public]
    out = [f"{gs.passed}/{gs.total} {which}cases match torch.optim: "
           f"{gs.points:g}/{gs.max_points:g} points."]
    failing = [c for c in mine if not grading.outcomes[c.id].passed]
    shown = failing_shown(mine, grading.outcomes)
    named: set[str] = set()
    for case in shown:
        outcome = grading.outcomes[case.id]
        out += ["", case_text(case, outcome, (grading.origins, grading.lines), named)]
        named |= set(outcome.diagnosis.ids if outcome.diagnosis else ())
    if len(failing) > len(shown):
        out += ["", f"({len(failing) - len(shown)} more failing case(s) of this group not shown: "
                    "fix the ones above first.)"]
    return "\n".join(out)


def summary(grading: Grading, hidden_details: bool = True) -> str:
    """The whole report: score, warnings, a table per optimizer, then failing cases (of the
    public cases only, without ``hidden_details``)."""
    scope = "public cases only" if grading.public_only else "public and hidden cases"
    out = [f"# {grading.rubric['title']}: autograder report", "",
           f"**Score: {grading.points:g} / {grading.max_points:g}** ({scope}; "
           f"{sum(o.passed for o in grading.outcomes.values())}/{len(grading.outcomes)} cases "
           "pass)"]
    if grading.warnings:
        out += ["", "**Warnings**", ""] + [f"- {w}" for w in grading.warnings]
    for optimizer, spec in grading.rubric["optimizers"].items():
        groups = [s for s in grading.scores if s.optimizer == optimizer]
        if not groups:
            continue
        got = sum(s.points for s in groups)
        total = sum(s.max_points for s in groups)
        out += ["", f"## {spec['title']} (`{spec['function']}`): {got:g} / {total:g}", "",
                "| feature | cases | points |", "|---|---|---|"]
        out += [f"| {s.title} | {s.passed}/{s.total} | {s.points:g}/{s.max_points:g} |"
                for s in groups]
        for s in groups:
            part = s if hidden_details else split_part(grading, s, public=True)
            if part.passed < part.total:
                out += ["", f"### {spec['title']}: {s.title}", "",
                        group_text(grading, part, None if hidden_details else True)]
    questions = [s for s in grading.scores if s.optimizer == QUESTIONS]
    if questions:
        out += ["", "## Concept questions: "
                f"{sum(s.points for s in questions):g} / {sum(s.max_points for s in questions):g}",
                ""] + [f"- **{s.title}** (`{s.group}`): {question_text(grading, s)}"
                       for s in questions]
    if not hidden_details and not grading.public_only:
        out += ["", "Hidden cases count in the score above; what went wrong in them is shown "
                    "in each feature's *hidden cases* test, when your course makes it visible "
                    f"({HIDDEN_WHEN.get(hidden_visibility(grading.rubric), 'never')})."]
    manual = grading.rubric.get("manual", [])
    if manual and not grading.public_only:
        out += ["", "Written questions (" + ", ".join(m["title"] for m in manual)
                + ") are graded by your instructor, separately from this score."]
    return "\n".join(out) + "\n"
