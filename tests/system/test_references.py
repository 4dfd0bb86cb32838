"""References come from torch only, are reproducible bit for bit on any processor that runs
the kernels that made them (within a stated bound elsewhere), and are split public/hidden."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT

from autograder import cases, references
from autograder.cases import OPTIMIZERS, load_cases
from autograder.child.problems import PARAM_SHAPES, gradients
from autograder.score import load_rubric
from toolkit import generate

CASES = load_cases()


def test_stored_references_equal_a_fresh_torch_run():
    reproduction = generate.check(generate.Reproduction(generate.exact_by_default()))
    assert reproduction.ok, reproduction.problems[:5] + [reproduction.summary()]


def _tanh_bits(env):
    code = "import numpy as np; print(np.tanh(np.linspace(-3, 3, 1001)).tobytes().hex())"
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                          capture_output=True, text=True, check=True).stdout


def test_one_ulp_fails_an_exact_comparison_and_passes_a_bounded_one():
    path = references.FILES[True]
    stored = references.read_packed(path)
    key = next(k for k in sorted(stored) if "/expected/param/" in k)
    moved = dict(stored, **{key: np.nextafter(stored[key], np.inf)})
    for exact, over in ((True, True), (False, False)):
        reproduction = generate.Reproduction(exact=True)
        reproduction.compare(path, moved, exact=exact)
        assert reproduction.over is over and reproduction.ok is not over
        assert reproduction.differing == stored[key].size and reproduction.worst_ulps == 1


def test_torch_values_are_held_bit_for_bit_only_where_its_sqrt_kernel_made_them(monkeypatch):
    """MKL picks torch's sqrt kernel per processor (AMD's and Intel's AVX-512 ones round
    differently); the references record the fingerprint of the kernel that made them."""
    stored = json.loads(generate.PROVENANCE.read_text())["vector_math"]
    assert len(stored) == 16 and generate.vector_math(torch) == generate.vector_math(torch)
    monkeypatch.setattr(generate, "vector_math", lambda torch: "another kernel")
    other = generate.check(generate.Reproduction(exact=True))
    assert other.ok and other.notes and stored in other.notes[0]
    # (on the processor that made them nothing differs, and the summary says so)
    assert "may differ by 0.001 of the tolerance" in other.summary()
    monkeypatch.setattr(generate, "vector_math", lambda torch: stored)
    same = generate.check(generate.Reproduction(exact=True))
    assert not same.notes and same.ok is (same.differing == 0)


def test_references_and_variants_reproduce_on_a_second_kernel_path():
    """NumPy, OpenBLAS, the C library and torch each take another kernel than they would
    here; the references and the variant trajectories must not move."""
    second = generate.second_kernel_path()
    if second["NPY_DISABLE_CPU_FEATURES"]:   # the path really is another one for NumPy
        assert _tanh_bits(second) != _tanh_bits({})
    done = subprocess.run([sys.executable, "-m", "toolkit", "references", "--check",
                           "--second-kernel-path"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "references and variant trajectories reproduced" in done.stdout


def test_provenance_records_versions_guarantee_and_every_case():
    prov = json.loads(generate.PROVENANCE.read_text())
    assert prov["torch"] == torch.__version__
    assert prov["kernels"] == generate.KERNELS
    assert prov["reproduction"] == generate.REPRODUCTION
    assert set(prov["made_with"]) == {"numpy", "python", "machine"}
    assert prov["dtype"] == "float64" and prov["device"] == "cpu"
    assert prov["cases"] == {"public": sum(c.public for c in CASES),
                             "hidden": sum(not c.public for c in CASES)}
    for public, path in references.FILES.items():
        stored = references.read_meta(path)["cases"]
        assert {d["public"] for d in stored} == {public}
        for definition in stored:
            assert definition["torch_class"] == OPTIMIZERS[definition["optimizer"]]["torch"]
    rows = generate.cases_from_rows()
    assert [c.definition() for c in rows] == [c.definition() for c in
                                             sorted(CASES, key=lambda c: rows.index(c))]


def test_hidden_seeds_are_random_and_kept_until_rotated():
    hidden = [c for c in CASES if not c.public]
    assert all(c.seed != cases.public_seed(c.id) for c in hidden)
    assert {c.id: c.seed for c in generate.cases_from_rows() if not c.public} == {
        c.id: c.seed for c in hidden}
    rotated = {c.id: c.seed for c in generate.cases_from_rows(rotate=True) if not c.public}
    assert set(rotated) == {c.id for c in hidden}
    assert not set(rotated.values()) & {c.seed for c in hidden}


def test_hidden_cases_are_only_in_the_hidden_file():
    def case_ids(path):
        return {key.split("/")[0] for key in references.read_packed(path)}
    assert case_ids(references.FILES[True]) == {c.id for c in CASES if c.public}
    assert case_ids(references.FILES[False]) == {c.id for c in CASES if not c.public}


def test_every_rubric_group_has_public_and_hidden_cases_of_at_least_seven_steps():
    rubric = load_rubric()
    for optimizer, spec in rubric["optimizers"].items():
        for group in spec["groups"]:
            mine = [c for c in CASES if (c.optimizer, c.group) == (optimizer, group)]
            assert any(c.public for c in mine) and any(not c.public for c in mine), group
    assert {(c.optimizer, c.group) for c in CASES} == {
        (o, g) for o, spec in rubric["optimizers"].items() for g in spec["groups"]}
    assert all(c.steps >= 7 for c in CASES)
    assert sum(s["points"] for o in rubric["optimizers"].values()
               for s in o["groups"].values()) + sum(
        q["points"] for q in rubric["questions"].values()) == rubric["total"]


def test_cases_cover_the_configs_that_expose_quiet_bugs():
    def some(pred):
        return any(pred(c) for c in CASES)
    assert some(lambda c: c.schedule)
    assert some(lambda c: c.config.get("dampening") == 0.5)
    assert some(lambda c: c.config.get("eps") == 0.1)
    assert some(lambda c: c.config.get("maximize") and c.config.get("weight_decay"))
    assert some(lambda c: c.config.get("centered") and c.config.get("momentum"))
    for key in ("amsgrad", "lr_decay", "initial_accumulator_value", "nesterov"):
        assert some(lambda c, k=key: c.config.get(k)), key
    assert {c.problem for c in CASES} == {"stream", "quadratic", "rosenbrock", "mlp"}
    assert {len(s) for s in PARAM_SHAPES["stream"].values()} == {0, 1, 2}
    masks = [references.split(references.load(), c.id, "inputs") for c in CASES
             if c.problem == "stream"][0]
    assert not all(masks[f"mask/{p}"].all() for p in PARAM_SHAPES["stream"])


def _torch_loss(problem, p, data):
    if problem == "quadratic":
        d = p["x"] - data["c"]
        return 0.5 * d @ data["H"] @ d
    if problem == "rosenbrock":
        x0, x1 = p["x"]
        return (1 - x0) ** 2 + 10 * (x1 - x0 ** 2) ** 2
    z = data["X"] @ p["W1"] + p["b1"]
    hidden = z / torch.sqrt(1 + z * z)
    return torch.mean((hidden @ p["w2"] + p["b2"] - data["y"]) ** 2)


@pytest.mark.parametrize("problem", ["quadratic", "rosenbrock", "mlp"])
def test_problem_gradients_equal_torch_autograd(problem):
    case = next(c for c in CASES if c.problem == problem)
    inputs = generate.make_inputs(case, torch)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in inputs["init"].items()}
    data = {k: torch.tensor(v) for k, v in inputs["data"].items()}
    _torch_loss(problem, params, data).backward()
    ours = gradients(problem, inputs["init"], inputs["data"], 0)
    for name, p in params.items():
        np.testing.assert_allclose(ours[name], p.grad.numpy(), rtol=1e-12, atol=1e-14)
