"""Batch grading split over the array jobs of a scheduler (a Kubernetes Indexed Job, a Slurm
job array, an AWS Batch array job, HTCondor's ``$(Process)``), then merged.

Every shard reads the same submissions folder and grades its own share: the students are
ranked by a hash of their key and dealt out in turn, so the shares differ in size by one at
most and depend on nothing but the keys (not on file order, the machine or the time). A
shard writes only into its own folder, ``shard-<I>-of-<N>/``: results, feedback, a copy of
each submission it graded (the merge's written-answer pages and similarity read them) and,
last, ``shard.json``. A shard that did not finish has no ``shard.json``: run it again.

``merge`` checks that every shard of the set is there and finished, names any that is not,
and writes the grade book, reports, written-answer pages, Canvas CSV and similarity report
with the very code one machine's ``batch`` uses: the same files, byte for byte, for the same
results. Run-dependent measurements (seconds, peak memory) are in ``timings.csv`` and in
each results file's ``execution_time`` and ``children_peak_memory_mb``, nowhere else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Mapping
from pathlib import Path

from autograder.extract import MAX_FILE_BYTES

# (index variable, count variable or None, scheduler): the count of a scheduler that does
# not export one comes from OLAB_SHARDS (or --shards).
SCHEDULERS = [("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "a Slurm job array"),
              ("JOB_COMPLETION_INDEX", None, "a Kubernetes Indexed Job"),
              ("AWS_BATCH_JOB_ARRAY_INDEX", None, "an AWS Batch array job")]
COUNT_VARIABLE = "OLAB_SHARDS"
MANIFEST = "shard.json"


class ShardError(Exception):
    """A shard set that cannot be merged, or a shard that cannot be named (for the
    instructor: says which shard and what to do)."""


def parse(text: str) -> tuple[int, int]:
    """(index, count) from "I/N" (0 <= I < N)."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ShardError(f"--shard {text!r}: write it as INDEX/COUNT, e.g. 0/3") from None
    if not 0 <= index < count:
        raise ShardError(f"--shard {text}: the index must be 0 to {count - 1}")
    return index, count


def from_environment(env: Mapping[str, str],
                     count: int | None = None) -> tuple[int, int, str] | None:
    """(index, count, where they came from) from a scheduler's variables, or None when no
    scheduler's index is set. ``count``: --shards, else OLAB_SHARDS, else the scheduler's."""
    for index_name, count_name, scheduler in SCHEDULERS:
        if index_name not in env:
            continue
        index = int(env[index_name])
        if index_name == "SLURM_ARRAY_TASK_ID":     # arrays may start anywhere (--array=1-3)
            index -= int(env.get("SLURM_ARRAY_TASK_MIN", 0))
        if count:
            total, said = count, "--shards"
        elif COUNT_VARIABLE in env:
            total, said = int(env[COUNT_VARIABLE]), COUNT_VARIABLE
        elif count_name and count_name in env:
            total, said = int(env[count_name]), count_name
        else:
            raise ShardError(f"{index_name} is set ({scheduler}) but not how many shards "
                             f"there are: set {COUNT_VARIABLE} or pass --shards")
        if not 0 <= index < total:
            raise ShardError(f"{index_name}={env[index_name]} is not a shard of {total}")
        return index, total, f"{index_name} and {said} ({scheduler})"
    return None


def assigned(keys: list[str], count: int) -> dict[str, int]:
    """{student key: its shard}: ranked by a hash of the key, dealt out in turn."""
    ranked = sorted(keys, key=lambda k: (hashlib.sha256(k.encode()).hexdigest(), k))
    return {key: rank % count for rank, key in enumerate(ranked)}


def folder(out: str | Path, index: int, count: int) -> Path:
    return Path(out) / f"shard-{index}-of-{count}"


def class_id(keys: list[str]) -> str:
    """A fingerprint of the whole class: shards of different folders never merge."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]


def keep_submission(shard: Path, key: str, path: Path | None) -> Path | None:
    """Keep what a shard graded for the merge's pages and similarity: a copy of a regular
    file, a link as a link (never followed). Anything else - a file larger than grading
    reads, a pipe, a device - is kept as an empty file of the same name: as unreadable to
    the merge as it was to grading, and never opened here (copying a pipe ends the shard)."""
    if path is None:
        return None
    target = shard / "submissions" / key / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        target.unlink()
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        target.symlink_to(os.readlink(path))
    elif stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES:
        shutil.copyfile(path, target)
    else:
        target.touch()
    return target


def write_manifest(shard: Path, index: int, count: int, keys: list[str],
                   mine: list[dict]) -> None:
    """``shard.json``, written last and atomically: this shard finished."""
    data = {"index": index, "count": count, "class": class_id(keys), "students": mine}
    tmp = shard / f".{MANIFEST}.writing"
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, shard / MANIFEST)


def read_set(shards: list[str | Path]) -> list[dict]:
    """The students of a complete, finished set of shards, in the class's order, each with
    its shard folder; ShardError naming every shard missing or unfinished."""
    found, problems = {}, []
    for path in map(Path, shards):
        manifest = path / MANIFEST
        if not manifest.exists():
            problems.append(f"{path}: no {MANIFEST}, so this shard did not finish: run it "
                            "again (its graded students are kept)")
            continue
        data = json.loads(manifest.read_text())
        found[path] = data
    sets = {(d["count"], d["class"]) for d in found.values()}
    if len(sets) > 1:
        raise ShardError("these shards come from different splits or different classes: "
                         + ", ".join(f"{p} ({d['index']} of {d['count']})"
                                     for p, d in found.items()))
    if sets:
        count = next(iter(sets))[0]
        have = {d["index"] for d in found.values()}
        problems += [f"shard {i} of {count} (shard-{i}-of-{count}) is missing: run it, then "
                     "merge again" for i in range(count) if i not in have]
        if len(have) < len(found):
            problems.append("a shard was given twice")
    if problems or not found:
        raise ShardError("cannot merge:\n  " + "\n  ".join(problems or ["no shard given"]))
    students = [dict(s, shard=str(p)) for p, d in found.items() for s in d["students"]]
    return sorted(students, key=lambda s: s["order"])
