"""The build: generated files come from one source, inconsistent sources are refused with a
reason, and the lab is customised as data (an optimizer added or removed in a scratch copy
of the repository, with no engine file touched)."""

import copy
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import types

import pytest
from conftest import ROOT, SKELETON, SOLUTION

from assignment import misconceptions, models
from assignment import spec as SPEC
from assignment.cases import ROWS
from toolkit import build as toolkit_build
from toolkit import consistency, variants


def test_skeleton_has_no_solution_code():
    text = SKELETON.read_text()
    assert "BEGIN SOLUTION" not in text and "_adam_update" not in text
    assert "BEGIN SOLUTION" not in SOLUTION.read_text()


def test_otter_assign_leaves_nothing_in_the_temporary_folder(tmp_path, monkeypatch):
    """``otter assign`` leaves temporary folders of its own behind: the build gives it a
    temporary folder inside its own, removed with it."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)      # read TMPDIR again
    made = toolkit_build.otter_outputs(toolkit_build.SOURCE.read_text())
    assert ROOT / "student_template" / "optimizers_lab.ipynb" in made
    assert list(temp.iterdir()) == []


def test_the_sources_as_they_are_are_consistent():
    lab = (ROOT / "assignment" / "lab.py").read_text()
    assert consistency.spec_problems() == []
    assert consistency.row_problems(ROWS) == []
    assert consistency.catalog_problems(misconceptions.CATALOG, models.MODELS) == []
    assert consistency.lab_problems(lab) == []
    assert consistency.stray_function_problems({"lab.py": lab}) == []
    assert consistency.answer_key_problems(
        (ROOT / "assignment" / "optimizers.py").read_text()) == []


def edited_spec(**changes):
    spec = types.SimpleNamespace(**{k: copy.deepcopy(getattr(SPEC, k)) for k in dir(SPEC)
                                    if k.isupper()})
    for key, value in changes.items():
        setattr(spec, key, value)
    return spec


def test_a_case_in_a_group_that_does_not_exist_is_refused():
    rows = [("sgd", "basics", *ROWS[0][2:])] + ROWS[1:]
    problems = consistency.row_problems(rows)
    assert any("sgd has no group 'basics'" in p for p in problems), problems


def test_a_group_without_public_or_hidden_cases_is_refused():
    rows = [r for r in ROWS if not (r[0], r[1], r[3]) == ("adam", "amsgrad", False)]
    problems = consistency.row_problems(rows)
    assert sorted(problems) == [
        "cases.py: adam's group 'amsgrad' has no hidden case (each group needs both)",
        "cases.py: no hidden case of adam sets amsgrad to other than its default False (for "
        "lr: or a schedule): code that hard-codes it would lose no points"]


def test_a_hyperparameter_no_public_case_varies_is_refused():
    rows = [r for r in ROWS if not (r[0] == "rmsprop" and r[3] and "alpha" in r[4])]
    assert consistency.row_problems(rows) == [
        "cases.py: no public case of rmsprop sets alpha to other than its default 0.99 (for "
        "lr: or a schedule): code that hard-codes it would lose no points"]


def test_an_optimizer_with_no_rows_is_refused():
    problems = consistency.row_problems([r for r in ROWS if r[0] != "adagrad"])
    assert len(problems) == 2 * (len(SPEC.OPTIMIZERS["adagrad"]["groups"]) +
                                 len(SPEC.OPTIMIZERS["adagrad"]["hyperparameters"]))


def test_a_config_outside_the_signature_and_a_twice_listed_case_are_refused():
    rows = ROWS + [("sgd", "basic", "stream", True, dict(lr=0.05)),
                   ("sgd", "basic", "stream", True, dict(lr=0.05, betas=(0.9, 0.9)))]
    problems = consistency.row_problems(rows)
    assert any("appear twice" in p for p in problems)
    assert any("not ['betas']" in p for p in problems)


def test_points_that_do_not_add_up_are_refused():
    spec = edited_spec()
    spec.OPTIMIZERS["sgd"]["groups"]["basic"] = (6, "plain update")
    assert consistency.spec_problems(spec) == [
        "spec.py: the groups' and concept questions' points add up to 101, not TOTAL = 100"]


def test_the_catalog_and_models_must_name_optimizers_of_the_spec():
    spec = edited_spec()
    del spec.OPTIMIZERS["adagrad"]
    problems = consistency.catalog_problems(misconceptions.CATALOG, models.MODELS, spec)
    assert "models.py: Adagrad models 'adagrad', which spec.py does not define: delete it, " \
           "or add the optimizer" in problems
    assert any("'adagrad-eps-inside-sqrt': a variant" in p for p in problems)


def test_every_question_needs_its_block_and_every_function_its_optimizer():
    lab = (ROOT / "assignment" / "lab.py").read_text()
    assert consistency.lab_problems(lab.replace("# question: rmsprop\n", "")) == [
        "lab.py: '# question: rmsprop' appears 0 times (once: where its question block goes)"]
    assert consistency.lab_problems(lab + "\n# question: lion\n") == [
        "lab.py: '# question: lion' names nothing in spec.py"]
    problems = consistency.stray_function_problems({"lab.py": lab + "\nlion_step(x)\n"})
    assert len(problems) == 1 and "uses lion_step" in problems[0]


def test_an_answer_key_whose_signature_is_not_the_specs_is_refused():
    source = (ROOT / "assignment" / "optimizers.py").read_text()
    problems = consistency.answer_key_problems(source.replace("eps=1e-10", "eps=1e-8"))
    assert len(problems) == 1 and problems[0].startswith("optimizers.py: adagrad_step must be")


def test_an_answer_key_that_differs_from_torch_stores_no_variant(monkeypatch):
    real = variants.answer_key()
    wrong = dict(real, sgd_step=lambda param, grad, state, **h: real["sgd_step"](
        param, grad, state, **{**h, "lr": h.get("lr", 1e-3) * 1.01}))
    monkeypatch.setattr(variants, "answer_key", lambda: wrong)
    with pytest.raises(variants.Refused, match="the answer key's sgd_step differs from torch"):
        variants.generate_variants(variants.stored())


def test_a_variant_that_never_differs_from_torch_is_refused(monkeypatch):
    entry = misconceptions.Misconception.__new__(misconceptions.Misconception)
    entry.id, entry.variants = "no-bug", []
    entry.variant(models.Adagrad)(models.Adagrad.initial_sum)     # the model's own equation
    monkeypatch.setattr(variants, "CATALOG", [entry])
    with pytest.raises(variants.Refused, match="no-bug's variant .* equals torch on every"):
        variants.generate_variants(variants.stored())


# A scratch copy of the repository, customised as an instructor would.
NADAM_SPEC = '''
OPTIMIZERS["nadam"] = dict(
    function="nadam_step", torch="NAdam", title="NAdam",
    hyperparameters=dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                         momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False),
    state={"step": STEP, "mu_product": (SCALAR, "mu_product = mu_product * mu_t"),
           "exp_avg": EXP_AVG, "exp_avg_sq": EXP_AVG_SQ},
    update="param - lr (1 - mu_t) / (1 - mu_product) g / denom - lr mu_{t+1} / "
           "(1 - mu_product mu_{t+1}) m / denom",
    groups={"basic": (4, "momentum-decayed update"), "weight_decay": (1, "weight decay")},
    benchmark=dict(lr=2e-3))
TOTAL = 105
'''
NADAM_SOLUTION = '''

def nadam_step(param, grad, state, *, lr=2e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=0.0, momentum_decay=4e-3, decoupled_weight_decay=False,
               maximize=False):
    """NAdam: Adam with Nesterov momentum and a decaying momentum schedule mu_t."""
    # BEGIN SOLUTION
    beta1, beta2 = betas
    if not state:
        state.update(step=0, mu_product=1.0, exp_avg=np.zeros_like(param),
                     exp_avg_sq=np.zeros_like(param))
    state["step"] += 1
    t = state["step"]
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    state["mu_product"] *= mu
    state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
    state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
    denom = np.sqrt(state["exp_avg_sq"] / (1 - beta2 ** t)) + eps
    param = param - lr * (1 - mu) / (1 - state["mu_product"]) * g / denom
    return param - lr * mu_next / (1 - state["mu_product"] * mu_next) * state["exp_avg"] / denom
    # END SOLUTION
'''
NADAM_SECTION = '''
# %% [markdown]
# ## 5. NAdam
#
# NAdam is Adam with Nesterov momentum, its momentum coefficient decaying over steps.

# question: nadam

'''
NADAM_ROWS = '''
ROWS += [
    ("nadam", "basic", "stream", PUB, dict(lr=0.01)),
    ("nadam", "basic", "stream", PUB, dict(lr=0.01, betas=(0.8, 0.9), eps=0.1,
                                          momentum_decay=0.01, maximize=True)),
    ("nadam", "basic", "mlp", HID, dict(lr=0.01)),
    ("nadam", "basic", "quadratic", HID, dict(lr=0.01, betas=(0.85, 0.95), eps=0.05,
                                             momentum_decay=0.02, maximize=True)),
    ("nadam", "weight_decay", "stream", PUB, dict(lr=0.01, weight_decay=0.1,
                                                 decoupled_weight_decay=True)),
    ("nadam", "weight_decay", "quadratic", HID, dict(lr=0.01, weight_decay=0.5)),
    ("nadam", "weight_decay", "stream", HID, dict(lr=0.01, weight_decay=0.2,
                                                 decoupled_weight_decay=True))]
'''
NADAM_MODEL = '''

class NAdam(Model):
    optimizer = "nadam"

    def step(self, param, grad, state, h):
        t = self.count(state)
        beta1, beta2 = h.betas
        if h.decoupled_weight_decay:
            param, g = param * (1 - h.lr * h.weight_decay), (-grad if h.maximize else grad)
        else:
            g = self.gradient(param, grad, h)
        mu, mu_next = self.mu(t, h), self.mu(t + 1, h)
        state["mu_product"] = state.get("mu_product", 1.0) * mu
        zeros = np.zeros_like(param)
        m = state["exp_avg"] = beta1 * state.get("exp_avg", zeros) + (1 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", zeros) + (1 - beta2) * g * g
        denom = np.sqrt(v / (1 - beta2 ** t)) + h.eps
        product = state["mu_product"]
        return (param - h.lr * (1 - mu) / (1 - product) * g / denom
                - h.lr * mu_next / (1 - product * mu_next) * m / denom)

    def mu(self, t, h):
        return h.betas[0] * (1 - 0.5 * 0.96 ** (t * h.momentum_decay))


MODELS.append(NAdam)
'''
NADAM_MISCONCEPTION = '''
from assignment.models import NAdam  # noqa: E402

NO_DECAY = Misconception(
    "nadam-constant-momentum", "NAdam's momentum coefficient kept constant",
    "mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)) changes every step.")


@NO_DECAY.variant(NAdam)
def mu(self, t, h):
    return h.betas[0]
'''
IN_COPY = '''
import json
from autograder.grade import grade
from tests.support.bugs import buggy_source, complete_answer_key
from pathlib import Path

def named(g):
    return sorted({i for o in g.outcomes.values() if o.diagnosis for i in o.diagnosis.ids})

Path("solution.py").write_text(complete_answer_key())
Path("buggy.py").write_text(buggy_source("nadam-constant-momentum"))
solution, skeleton, buggy = (grade(p) for p in ("solution.py",
                              "student_template/optimizers.py", "buggy.py"))
print(json.dumps({"solution": [solution.points, solution.max_points],
                  "skeleton": skeleton.points, "buggy": buggy.points, "named": named(buggy),
                  "nadam_cases": sum(c.optimizer == "nadam" for c in solution.cases)}))
'''


def scratch_copy(dst):
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns(
        ".venv*", ".git", "build", "__pycache__", ".autograder_engine", ".*_cache"))
    return dst


def append(path, text):
    path.write_text(path.read_text() + text)


def engine_code(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "autograder").rglob("*.py"))
            if "__pycache__" not in p.parts}


def build(root, *args):
    return subprocess.run([sys.executable, "-m", "toolkit", "build", *args], cwd=root,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def with_nadam(tmp_path_factory):
    root = scratch_copy(tmp_path_factory.mktemp("scratch") / "lab")
    before = engine_code(root)
    lab = root / "assignment"
    append(lab / "spec.py", NADAM_SPEC)
    append(lab / "optimizers.py", NADAM_SOLUTION)
    text = (lab / "lab.py").read_text()
    at = text.index("# %% [markdown]\n# ## Experiment A.")
    (lab / "lab.py").write_text(text[:at] + NADAM_SECTION.lstrip() + text[at:])
    append(lab / "cases.py", NADAM_ROWS)
    append(lab / "models.py", NADAM_MODEL)
    append(lab / "misconceptions.py", NADAM_MISCONCEPTION)
    done = build(root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert engine_code(root) == before        # no engine file touched
    return root


def test_adding_an_optimizer_is_adding_data_and_its_solution(with_nadam):
    root = with_nadam
    rubric = json.loads((root / "autograder/data/rubric.json").read_text())
    assert rubric["optimizers"]["nadam"]["function"] == "nadam_step"
    catalog = json.loads((root / "autograder/data/misconceptions.json").read_text())
    assert "nadam_step" in next(m for m in catalog if m["id"] == "float32-precision")["functions"]
    assert (root / "student_template/tests/nadam.py").exists()
    assert "points = 5" in (root / "student_template/tests/nadam.py").read_text()
    done = subprocess.run([sys.executable, "-c", IN_COPY], cwd=root, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["nadam_cases"] == 7
    assert got["solution"] == [105, 105] and got["skeleton"] == 0
    assert got["named"] == ["nadam-constant-momentum"] and got["buggy"] < 105
    assert build(root, "--check").returncode == 0


def test_the_build_deletes_what_it_no_longer_makes(with_nadam):
    stray = with_nadam / "student_template" / "tests" / "adagrad_old.py"
    stray.write_text("name = 'gone'\n")
    done = build(with_nadam, "--check")
    assert done.returncode == 1 and "adagrad_old.py (not made by the build)" in done.stdout
    done = build(with_nadam)
    assert done.returncode == 0 and not stray.exists()
    assert "deleted student_template/tests/adagrad_old.py" in done.stdout


BOWL = '''
    "bowl": Problem(
        {"x": (3,)}, 8, "an axis-aligned bowl 1/2 sum(a_i x_i^2)",
        lambda params, data, step: {"x": data["a"] * params["x"]},
        lambda randn, steps: ({"x": randn(3)}, {"a": 1 + randn(3) * randn(3)})),
}
PARAM_SHAPES = '''
BOWL_ROWS = '''
ROWS += [("sgd", "basic", "bowl", PUB, dict(lr=0.1)),
         ("adam", "basic", "bowl", HID, dict(lr=0.05, betas=(0.8, 0.9)))]
'''
BOWL_IN_COPY = '''
import json
from autograder.grade import grade
from autograder.report import summary
from tests.support.bugs import complete_answer_key
from pathlib import Path

Path("solution.py").write_text(complete_answer_key())
Path("still.py").write_text(complete_answer_key().replace(   # wrong on shape (3,) only
    "return param - lr * g\\n", "return param if param.shape == (3,) else param - lr * g\\n",
    1))
solution, half = grade("solution.py"), grade("still.py")
bowl = [c for c in solution.cases if c.problem == "bowl"]
print(json.dumps({"solution": [solution.points, solution.max_points], "half": half.points,
                  "bowl": [[c.id, c.steps, solution.outcomes[c.id].passed] for c in bowl],
                  "report": summary(half)}))
'''


def test_adding_a_problem_is_adding_a_registry_entry_and_rows(tmp_path):
    """One registry entry (shapes, steps, gradient, inputs, description) and rows that use it:
    the build draws its inputs and torch's trajectories, the child runs it, the report
    describes it."""
    root = scratch_copy(tmp_path / "lab")
    problems = root / "autograder" / "child" / "problems.py"
    text = problems.read_text()
    assert text.count("\n}\nPARAM_SHAPES = ") == 1
    problems.write_text(text.replace("\n}\nPARAM_SHAPES = ", "\n" + BOWL.lstrip("\n"), 1))
    append(root / "assignment" / "cases.py", BOWL_ROWS)
    done = build(root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    done = subprocess.run([sys.executable, "-c", BOWL_IN_COPY], cwd=root, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["solution"][0] == got["solution"][1]
    assert sorted(got["bowl"]) == [["adam:basic:bowl:lr=0.05,betas=(0.8,0.9)", 8, True],
                                   ["sgd:basic:bowl:lr=0.1", 8, True]]
    assert got["half"] < got["solution"][0]
    assert "an axis-aligned bowl 1/2 sum(a_i x_i^2), 8 steps" in got["report"]


def test_removing_an_optimizer_says_what_else_refers_to_it(tmp_path):
    root = scratch_copy(tmp_path / "lab")
    lab = root / "assignment"
    spec = (lab / "spec.py").read_text()
    start, end = spec.index('    "adagrad": dict('), spec.index("}\n\n# Auto-graded")
    (lab / "spec.py").write_text(spec[:start] + spec[end:].replace("TOTAL = 100", "TOTAL = 85"))
    cases = (lab / "cases.py").read_text()
    (lab / "cases.py").write_text("\n".join(line for line in cases.splitlines()
                                            if '("adagrad"' not in line
                                            and "initial_accumulator_value=" not in line))
    source = (lab / "optimizers.py").read_text()
    (lab / "optimizers.py").write_text(source[:source.index("\n\ndef adagrad_step(")] + "\n")
    (lab / "lab.py").write_text((lab / "lab.py").read_text().replace("# question: adagrad\n",
                                                                      ""))
    done = build(root)
    assert done.returncode == 2, done.stdout
    assert "nothing was written" in done.stdout
    for mention in ("models.py: Adagrad models 'adagrad'",
                    "'adagrad-lr-decay-off-by-one': a variant of Adagrad concerns 'adagrad'",
                    "lab.py:", "uses adagrad_step"):
        assert mention in done.stdout, mention
