"""The CLI writes Gradescope-valid results.json for every kind of submission and exits 0."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, SKELETON, SOLUTION, STEP_POINTS, TOTAL, assert_valid_results

from tests.support.bugs import write as write_bugs


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def kinds(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{")
    hostile = tmp_path / "hostile.py"
    hostile.write_text("import os\nclass X:\n    os._exit(1)\n")
    return {"solution": SOLUTION, "skeleton": SKELETON, "broken": broken, "hostile": hostile,
            "buggy": write_bugs(["adam-eps-inside-sqrt"], tmp_path)[0]}


@pytest.mark.parametrize("kind", ["solution", "skeleton", "broken", "hostile", "buggy"])
def test_results_json_is_valid_and_scores_match(kind, tmp_path):
    path = kinds(tmp_path)[kind]
    out = tmp_path / "results" / "results.json"
    done = run_cli("grade", str(path), "--json", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert_valid_results(data)
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert sum(t["max_score"] for t in data["tests"]) == TOTAL
    assert data["output_format"] == "md" and all(t["output_format"] == "md" for t in data["tests"])
    assert f"**Score: {data['score']:g} / {TOTAL:g}**" in done.stdout
    expected = {"solution": TOTAL, "skeleton": 0, "broken": 0, "hostile": 0}
    if kind in expected:
        assert data["score"] == expected[kind]
    else:
        assert 0 < data["score"] < TOTAL
        assert any("adam" in t["tags"] and t["status"] == "failed" for t in data["tests"])


def test_public_only_flag(tmp_path):
    out = tmp_path / "results.json"
    assert run_cli("grade", str(SOLUTION), "--public-only", "--json", str(out)).returncode == 0
    data = json.loads(out.read_text())
    assert data["extra_data"]["public_only"] is True
    assert data["extra_data"]["cases"] < 76
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) == STEP_POINTS  # no Qs
