"""The cluster recipes in docs/scale-out/, checked as far as this machine allows: the
Kubernetes manifest against Kubernetes' own schema, the Slurm script by bash and by a dry run
with Slurm's variables, grading shards and merging them with nothing heavier than the
shard's requirements."""

import os
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml
from conftest import ROOT

from tests.support.bugs import complete_answer_key

DOCS = ROOT / "docs" / "scale-out"
# A shard needs no torch, no plotting and no similarity library: importing them fails here.
LEAN = """
import sys
class Refuse:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in {"torch", "matplotlib", "copydetect", "otter"}:
            raise ImportError(f"{name} is not in requirements/shard.txt")
sys.meta_path.insert(0, Refuse())
"""


def manifest():
    return yaml.safe_load((DOCS / "job.yaml").read_text())


def test_the_job_manifest_is_a_valid_indexed_job():
    job = manifest()
    kubernetes_validate.validate(job, kubernetes_validate.latest_version(), strict=True)
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    shards = {e["name"]: e["value"] for e in spec["template"]["spec"]["containers"][0]["env"]}
    assert int(shards["OLAB_SHARDS"]) == spec["completions"]


def test_the_schema_check_refuses_a_broken_manifest():
    job = manifest()
    job["spec"]["completionMode"] = 8
    del job["spec"]["template"]["spec"]["containers"][0]["image"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, kubernetes_validate.latest_version(), strict=True)


def test_the_slurm_script_grades_its_shard_and_the_merge_runs_with_the_shard_requirements(
        tmp_path):
    script = DOCS / "grade.sbatch"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    submissions = tmp_path / "submissions"
    submissions.mkdir(mode=0o700)
    for n in range(4):
        (submissions / f"student{n}.py").write_text(complete_answer_key())
    lean = tmp_path / "lean"
    lean.mkdir()
    (lean / "sitecustomize.py").write_text(LEAN)
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2",
           "LAB": str(ROOT), "SUBMISSIONS": str(submissions), "OUT": str(tmp_path / "grades"),
           "PYTHON": sys.executable, "PYTHONPATH": f"{lean}{os.pathsep}{ROOT}"}
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "shard 1 of 2, from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT" in done.stderr
    assert (tmp_path / "grades" / "shard-1-of-2" / "shard.json").exists()
    assert len(list((tmp_path / "grades" / "shard-1-of-2" / "results").glob("*.json"))) == 2
    # the other task, then the merge: grade book and class report, still without plotting
    done = subprocess.run(["bash", str(script)], env={**env, "SLURM_ARRAY_TASK_ID": "0"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    shards = sorted(str(p) for p in (tmp_path / "grades").glob("shard-*"))
    done = subprocess.run([sys.executable, "-m", "toolkit", "merge", *shards, "--out",
                           str(tmp_path / "merged")], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "4 submissions" in (tmp_path / "merged" / "report.md").read_text()
    assert (tmp_path / "merged" / "report.html").read_text().count("<svg") == 3


def test_the_shard_requirements_are_the_runtime_and_the_batch_command_s_own():
    lines = [line.split("#")[0].strip() for line in
             (ROOT / "requirements" / "shard.txt").read_text().splitlines()]
    assert [line for line in lines if line] == ["-r runtime.txt", "tqdm==4.70.1",
                                                "pyyaml==6.0.4"]
