"""The late policy (``late_policy`` in ``data/rubric.json``, off by default), applied the same
way on Gradescope and in batch grading.

A submission's lateness is ``created_at`` minus its due date: the student's own due date
where the metadata gives one (an extension), else the assignment's. Past the grace period,
each started day costs ``percent_per_day`` of the score, up to ``max_percent``.
"""

from __future__ import annotations

import math
from datetime import datetime


def parse_time(text: str | None) -> datetime | None:
    """An aware datetime from Gradescope's ISO 8601 strings (``2026-11-24T18:00:00.123-08:00``
    or with a ``Z``), or None."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def due_date(metadata: dict, user_index: int = 0) -> datetime | None:
    """The due date that applies: the user's own (an extension), else the assignment's."""
    users = metadata.get("users") or []
    own = users[user_index].get("assignment", {}).get("due_date") if len(users) > user_index \
        else None
    return parse_time(own) or parse_time((metadata.get("assignment") or {}).get("due_date"))


def penalty_percent(metadata: dict, policy: dict) -> float:
    """Percent of the score to take off (0 when the policy is off or the data is missing)."""
    if not policy.get("enabled"):
        return 0.0
    created, due = parse_time(metadata.get("created_at")), due_date(metadata)
    if created is None or due is None:
        return 0.0
    late_minutes = (created - due).total_seconds() / 60 - policy.get("grace_minutes", 0)
    if late_minutes <= 0:
        return 0.0
    days = math.ceil(late_minutes / (24 * 60))
    return float(min(days * policy["percent_per_day"], policy["max_percent"]))


def apply(score: float, metadata: dict, policy: dict) -> tuple[float, float]:
    """(final score, penalty percent)."""
    percent = penalty_percent(metadata, policy)
    return round(score * (1 - percent / 100), 2), percent


def apply_to_results(data: dict, metadata: dict, policy: dict) -> dict:
    """Apply the policy to a results.json dict in place: its top-level score (which
    Gradescope takes over the tests' sum), a line of output, and the figures in extra_data."""
    final, percent = apply(data["score"], metadata, policy)
    data["extra_data"]["late_penalty_percent"] = percent
    data["extra_data"]["score_before_late_penalty"] = data["score"]
    if percent:
        data["output"] = (f"**Late penalty: {percent:g}%** (submitted {metadata.get('created_at')},"
                          f" due {due_date(metadata)}): score {data['score']:g} → {final:g}.\n\n"
                          + data["output"])
        data["score"] = final
    return data
