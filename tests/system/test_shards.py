"""Batch grading split over a scheduler's array jobs and merged: three shards run as separate
processes with the schedulers' own environment variables, merged, give byte for byte the
grade book one machine's batch writes; a missing or unfinished shard is named; re-running
one shard completes the set."""

import csv
import json
import os
import shutil
import subprocess
import sys
import threading

import pytest
from conftest import ROOT

from tests.support.bugs import FAILS, buggy_notebook, complete_answer_key
from toolkit import shards

SOLUTION = ROOT / "solutions" / "optimizers_lab.ipynb"
SKELETON = ROOT / "student_template" / "optimizers_lab.ipynb"
# Each run's own: how long it took, its children's peak memory, the sandbox user it got.
MEASURED = [("execution_time",), ("extra_data", "children_peak_memory_mb"),
            ("extra_data", "sandbox_users")]


def make_class(folder):
    """64 submissions: 12 solutions, 6 skeletons, every demo bug (25), 13 correct .py files,
    hostile and broken ones, a folder, an empty folder and a link to another's file."""
    folder.mkdir()
    answer = complete_answer_key()
    for i in range(12):
        shutil.copy(SOLUTION, folder / f"solution{i:02d}.ipynb")
    for i in range(6):
        shutil.copy(SKELETON, folder / f"skeleton{i}.ipynb")
    for bug in sorted(FAILS):
        (folder / f"{bug}.ipynb").write_text(buggy_notebook(bug))
    for i in range(13):
        (folder / f"answer{i:02d}.py").write_text(answer)
    (folder / "syntax.py").write_text("def sgd_step(:\n")
    (folder / "broken.ipynb").write_text("{")
    (folder / "exits.py").write_text("import os\nclass X:\n    os._exit(1)\n" + answer)
    (folder / "imports_torch.py").write_text("import torch\n" + answer)
    (folder / "reads_others.py").write_text(
        "import glob\nstolen = [open(p).read() for p in glob.glob('/tmp/**/*.py', "
        "recursive=True)[:50]]\n" + answer)
    (folder / "in_a_folder").mkdir()
    shutil.copy(SOLUTION, folder / "in_a_folder")
    (folder / "nothing_inside").mkdir()
    (folder / "link_to_solution00.ipynb").symlink_to(folder / "solution00.ipynb")
    os.chmod(folder, 0o700)
    assert len(list(folder.iterdir())) == 64
    return folder


def toolkit(*args, env=None):
    return subprocess.run([sys.executable, "-m", "toolkit", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, **(env or {})})


# The three schedulers, one shard each: their own variables, as their array jobs set them.
SCHEDULERS = [{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1",
               "SLURM_ARRAY_TASK_COUNT": "3"},
              {"JOB_COMPLETION_INDEX": "1", "OLAB_SHARDS": "3"},
              {"AWS_BATCH_JOB_ARRAY_INDEX": "2", "OLAB_SHARDS": "3"}]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("shards")
    source = make_class(base / "class")
    one = toolkit("batch", source, "--out", base / "one", "--jobs", "2", "--similarity")
    assert one.returncode == 0, one.stderr[-3000:]
    runs = [subprocess.Popen([sys.executable, "-m", "toolkit", "batch", str(source), "--out",
                              str(base / "shards"), "--jobs", "1"], cwd=ROOT,
                             env={**os.environ, **env}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for env in SCHEDULERS]
    said = [proc.communicate(timeout=900) for proc in runs]
    assert all(proc.returncode == 0 for proc in runs), [err[-2000:] for _, err in said]
    return source, base, [err for _, err in said]


def files(folder):
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}


def without_measured(path):
    data = json.loads(path.read_text())
    for keys in MEASURED:
        holder = data
        for key in keys[:-1]:
            holder = holder.get(key, {})
        holder.pop(keys[-1], None)
    return data


def test_each_shard_says_where_its_index_came_from(graded):
    _, _, said = graded
    assert "shard 0 of 3, from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job " \
           "array)" in said[0]
    assert "shard 1 of 3, from JOB_COMPLETION_INDEX and OLAB_SHARDS (a Kubernetes Indexed " \
           "Job)" in said[1]
    assert "shard 2 of 3, from AWS_BATCH_JOB_ARRAY_INDEX and OLAB_SHARDS (an AWS Batch array " \
           "job)" in said[2]


def test_the_shares_are_balanced_disjoint_and_cover_the_class(graded):
    _, base, _ = graded
    share = [json.loads((shards.folder(base / "shards", i, 3) / "shard.json").read_text())
             for i in range(3)]
    keys = [s["key"] for d in share for s in d["students"]]
    assert len(keys) == len(set(keys)) == 64
    assert sorted(len(d["students"]) for d in share) == [21, 21, 22]
    # independent of order and machine: a function of the keys alone
    assert shards.assigned(sorted(keys), 3) == shards.assigned(sorted(keys, reverse=True), 3)


def test_merged_shards_write_what_one_machine_writes_byte_for_byte(graded):
    _, base, _ = graded
    done = toolkit("merge", *sorted((base / "shards").glob("shard-*")), "--out",
                   base / "merged", "--similarity")
    assert done.returncode == 0, done.stderr[-3000:]
    one, merged = files(base / "one"), files(base / "merged")
    assert set(one) == set(merged)
    assert {"grades.csv", "report.md", "report.html", "similarity.md", "similarity.html",
            "timings.csv"} <= set(one) and len([n for n in one if n.startswith("written/")]) == 2
    for name, path in one.items():
        if name.startswith("results/"):      # the same, but for what each run measured
            assert without_measured(path) == without_measured(merged[name]), name
        elif name != "timings.csv":          # the one file of run-dependent numbers
            assert path.read_bytes() == merged[name].read_bytes(), name
    with open(base / "one" / "grades.csv") as f:
        book = {r["student"]: r for r in csv.DictReader(f)}
    assert len(book) == 64 and book["solution00"]["final"] == "100.0"
    assert book["nothing_inside"]["status"] == "empty" and book["syntax"]["final"] == "0.0"
    with open(base / "merged" / "timings.csv") as f:
        assert len(list(csv.DictReader(f))) == 64


def test_a_missing_shard_is_named_and_nothing_is_written(graded, tmp_path):
    _, base, _ = graded
    done = toolkit("merge", shards.folder(base / "shards", 0, 3),
                   shards.folder(base / "shards", 2, 3), "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "shard 1 of 3 (shard-1-of-3) is missing" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_shard_that_failed_is_named_and_running_it_again_completes_the_set(graded,
                                                                              tmp_path):
    source, base, _ = graded
    copy = tmp_path / "shards"
    shutil.copytree(base / "shards", copy, symlinks=True)
    broken = shards.folder(copy, 1, 3)
    (broken / "shard.json").unlink()                 # killed before it finished
    for result in list((broken / "results").glob("*.json"))[:5]:
        result.unlink()
    done = toolkit("merge", *sorted(copy.glob("shard-*")), "--out", tmp_path / "out")
    assert done.returncode == 2 and f"{broken}: no shard.json" in done.stderr
    again = toolkit("batch", source, "--out", copy, "--shard", "1/3", "--jobs", "2")
    assert again.returncode == 0, again.stderr[-3000:]
    done = toolkit("merge", *sorted(copy.glob("shard-*")), "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "out" / "grades.csv").read_bytes() == \
        (base / "one" / "grades.csv").read_bytes()


def test_a_finished_shard_missing_a_result_is_named_not_skipped(graded, tmp_path):
    _, base, _ = graded
    copy = tmp_path / "shards"
    shutil.copytree(base / "shards", copy, symlinks=True)
    shard = shards.folder(copy, 2, 3)
    gone = sorted((shard / "results").glob("*.json"))[0]
    gone.unlink()                                     # shard.json says it finished
    done = toolkit("merge", *sorted(copy.glob("shard-*")), "--out", tmp_path / "out")
    assert done.returncode == 2 and f"results/{gone.name} is missing" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_pipe_or_an_oversized_file_is_kept_as_an_empty_file_never_opened(tmp_path):
    shard, source = tmp_path / "shard", tmp_path / "class"
    source.mkdir()
    os.mkfifo(source / "pipe.py")                     # shutil refuses it; open() blocks
    with open(source / "huge.ipynb", "wb") as f:
        f.truncate(shards.MAX_FILE_BYTES + 1)
    (source / "fine.py").write_text("x = 1\n")
    (source / "link.py").symlink_to("/etc/hostname")
    def keep():
        for name in ("pipe.py", "huge.ipynb", "fine.py", "link.py"):
            shards.keep_submission(shard, name, source / name)

    worker = threading.Thread(target=keep, daemon=True)   # a blocked open fails, not hangs
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    kept = shard / "submissions"
    assert (kept / "pipe.py" / "pipe.py").stat().st_size == 0
    assert (kept / "huge.ipynb" / "huge.ipynb").stat().st_size == 0
    assert (kept / "fine.py" / "fine.py").read_text() == "x = 1\n"
    assert os.readlink(kept / "link.py" / "link.py") == "/etc/hostname"


def test_shards_of_another_split_do_not_merge(graded, tmp_path):
    source, base, _ = graded
    done = toolkit("batch", source, "--out", tmp_path, "--shard", "0/2", "--jobs", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    done = toolkit("merge", shards.folder(tmp_path, 0, 2), shards.folder(base / "shards", 1, 3),
                   shards.folder(base / "shards", 2, 3), "--out", tmp_path / "out")
    assert done.returncode == 2 and "different splits or different classes" in done.stderr


@pytest.mark.parametrize("env, wanted", [
    ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_COUNT": "5"},
     (2, 5)),
    ({"JOB_COMPLETION_INDEX": "0", "OLAB_SHARDS": "8"}, (0, 8)),
    ({"AWS_BATCH_JOB_ARRAY_INDEX": "3", "OLAB_SHARDS": "4"}, (3, 4)),
    ({}, None),
])
def test_the_schedulers_variables(env, wanted):
    found = shards.from_environment(env)
    assert (found[:2] if found else None) == wanted


def test_an_index_without_a_count_or_out_of_range_is_refused():
    with pytest.raises(shards.ShardError, match="set OLAB_SHARDS or pass --shards"):
        shards.from_environment({"JOB_COMPLETION_INDEX": "0"})
    with pytest.raises(shards.ShardError, match="is not a shard of 3"):
        shards.from_environment({"JOB_COMPLETION_INDEX": "3", "OLAB_SHARDS": "3"})
    with pytest.raises(shards.ShardError, match="the index must be 0 to 2"):
        shards.parse("3/3")


@pytest.mark.parametrize("files, wanted", [
    ({"cpu.max": "150000 100000\n"}, 2),                     # v2: 1.5 cores, rounded up
    ({"cpu.max": "max 100000\n"}, None),                      # no quota
    ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),   # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_jobs_default_to_the_cores_a_cpu_quota_leaves(tmp_path, files, wanted):
    from toolkit.batch import cores

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    allowed = len(os.sched_getaffinity(0))
    assert cores(tmp_path) == (allowed if wanted is None else min(allowed, wanted))
