"""Make the golden trajectories with ``torch.optim`` (instructor side: needs torch).

For each case of ``assignment/cases.py`` this module makes the inputs (initial parameters,
problem data, which parameter gets a gradient at which step, the lr at each step) from
torch's own generator, runs the torch optimizer (float64, CPU, ``foreach=False``), and
records the parameters and every state entry after every step, in the file of the case's
visibility (``autograder/references.py`` reads them, and documents their layout).
Hidden cases' seeds are random and kept only in the hidden file: nothing a student has
determines them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import platform
import runpy
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder import cases, references
from autograder.cases import Case
from autograder.child.problems import PARAM_SHAPES, PROBLEMS, gradients
from autograder.compare import ATOL, RTOL
from autograder.diagnose import VARIANT_FILES

from .consistency import row_problems
from .variants import Refused, generate_variants

REPO = Path(__file__).resolve().parents[1]
ROWS = REPO / "assignment" / "cases.py"
# What the stored trajectories depend on besides torch: a change to any makes them stale.
SOURCES = [*(REPO / "assignment" / f"{n}.py" for n in ("spec", "cases", "models",
                                                        "misconceptions")),
           REPO / "solutions" / "optimizers.py", REPO / "autograder" / "child" / "problems.py",
           REPO / "autograder" / "child" / "main.py", Path(__file__),
           Path(__file__).with_name("variants.py")]
PROVENANCE = references.DATA / "provenance.json"
def make_inputs(case: Case, torch: ModuleType) -> dict:
    """Initial parameters, masks, lrs and problem data for one case, from torch's RNG (the
    problem's registry entry says what to draw)."""
    gen = torch.Generator().manual_seed(case.seed)
    problem = PROBLEMS[case.problem]
    init, data = problem.inputs(lambda *shape: bell_draws(torch, gen, shape), case.steps)
    mask = {name: np.array([t not in problem.skips.get(name, ()) for t in range(case.steps)])
            for name in problem.shapes}
    return {"init": init, "mask": mask, "lrs": np.array(case.lrs()), "data": data}


def bell_draws(torch: ModuleType, gen: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Zero-mean, unit-variance draws from torch's generator: (u1 + u2 + u3 + u4 - 2) * sqrt(3)
    for four uniforms u = k / 2**53, a bell curve on +-3.46. Made from integers with exactly
    rounded operations, so every processor makes the same bits (``torch.randn`` calls the C
    library's log and cos, whose FMA and non-FMA builds differ in the last bit)."""
    k = torch.randint(0, 2 ** 53, (4, *shape), generator=gen, dtype=torch.int64).numpy()
    u = k.astype(np.float64) / 2.0 ** 53
    return np.asarray((u[0] + u[1] + u[2] + u[3] - 2.0) * np.sqrt(3.0))


def run_torch(case: Case, inputs: dict, torch: ModuleType) -> dict[str, np.ndarray]:
    """Run ``torch.optim`` on one case; the expected trajectory as path -> array."""
    params = {name: torch.nn.Parameter(torch.tensor(value, dtype=torch.float64))
              for name, value in inputs["init"].items()}
    cls = getattr(torch.optim, cases.OPTIMIZERS[case.optimizer]["torch"])
    opt = cls(list(params.values()), foreach=False, **case.config)
    trace: dict[str, dict[int, np.ndarray]] = {}  # path -> {step: value}
    for t in range(case.steps):
        opt.param_groups[0]["lr"] = float(inputs["lrs"][t])
        current = {name: p.detach().numpy().copy() for name, p in params.items()}
        grads = gradients(case.problem, current, inputs["data"], t)
        for name, p in params.items():
            p.grad = torch.tensor(grads[name]) if inputs["mask"][name][t] else None
        opt.step()
        for name, p in params.items():
            trace.setdefault(f"param/{name}", {})[t] = p.detach().numpy().copy()
            if t >= int(np.argmax(inputs["mask"][name])):  # from the first update on
                for key, value in opt.state.get(p, {}).items():
                    trace.setdefault(f"state/{name}/{key}", {})[t] = \
                        value.detach().numpy().astype(np.float64)
    # A state entry is NaN ("not compared") before its parameter's first update.
    return {key: np.stack([by_step.get(t, np.full_like(next(iter(by_step.values())), np.nan))
                           for t in range(case.steps)])
            for key, by_step in trace.items()}


# torch's element-wise kernels come in one build per SIMD level; the AVX2 and AVX-512 ones
# fuse multiply-adds, so the same optimizer step rounds differently on different processors.
# Generation pins the baseline kernels, which every x86-64 processor runs alike; with inputs
# and problem gradients made by exactly rounded operations (``bell_draws``,
# ``child/problems.py``), only torch's sqrt still depends on the processor (``vector_math``).
KERNELS = {"ATEN_CPU_CAPABILITY": "default"}
# The largest difference between torch's kernel builds, as a share of the grading tolerance
# (ATOL + RTOL * |x|, ``compare.py``), measured by ``python -m benchmarks kernel_paths``:
# 4.4e-4 (1.7e-13 relative) on an earlier draw of the hidden inputs, 1.6e-4 on the current.
KERNEL_DIFFERENCE = 4.4e-4
# Where kernels may differ anyway (another architecture's baseline fuses multiply-adds;
# another processor's MKL vector-math kernel rounds torch's sqrt otherwise, measured at
# 8.9e-5 of the tolerance, 56 ulps, between AMD's and Intel's AVX-512 kernels),
# reproduction means every value within this share of the tolerance of the stored one.
REPRODUCTION_BOUND = 1e-3


def import_torch(kernels: dict[str, str] = KERNELS) -> ModuleType:
    """torch, running the ``kernels`` asked for (torch chooses at its first operation)."""
    import os

    os.environ.update(kernels)
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    if capability.lower() != kernels["ATEN_CPU_CAPABILITY"]:
        raise RuntimeError(
            f"torch runs its {capability} kernels in this process; references are generated "
            f"with ATEN_CPU_CAPABILITY={kernels['ATEN_CPU_CAPABILITY']} set before torch starts "
            "(`python -m toolkit references` does)")
    return torch


def exact_by_default() -> bool:
    """Whether a fresh run must equal the stored files bit for bit here: on x86-64, where
    the pinned kernels are the ones that made them (torch's values also need the same
    vector-math kernel: ``vector_math``)."""
    return platform.machine().lower() in {"x86_64", "amd64"}


def vector_math(torch: ModuleType) -> str:
    """A fingerprint of the kernel torch's sqrt runs here. torch computes it with MKL's
    vector math (1 ulp, not exactly rounded), whose kernel MKL picks per processor (Intel's
    AVX-512, AVX2 or SSE4.2 one; a generic one on other vendors' processors), whatever
    ATEN_CPU_CAPABILITY says; RMSprop, Adagrad and Adam take square roots."""
    k = np.arange(1 << 12, dtype=np.float64)
    probe = np.concatenate([(1.0 + k / (1 << 12)) * 2.0 ** e for e in range(-60, 61, 8)])
    bits = torch.from_numpy(probe).sqrt().numpy().tobytes()
    return hashlib.sha256(bits).hexdigest()[:16]


def second_kernel_path() -> dict[str, str]:
    """Environment variables that send every library on this machine down another kernel
    path: NumPy's SIMD dispatch off, OpenBLAS's oldest core, the C library's maths without
    its FMA and AVX variants, and torch's widest kernels asked for (which generation must
    override). Set before a process starts: each library reads them once."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:   # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__  # type: ignore[no-redef]
    x86 = exact_by_default()
    return {"NPY_DISABLE_CPU_FEATURES": " ".join(f for f in __cpu_dispatch__
                                                 if __cpu_features__.get(f)),
            "OPENBLAS_CORETYPE": "Prescott" if x86 else "ARMV8",
            "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F,-AVX" if x86 else "",
            "ATEN_CPU_CAPABILITY": "avx512" if x86 else "sve256"}


def cases_from_rows(rotate: bool = False) -> list[Case]:
    """The cases of ``assignment/cases.py`` with their seeds: a public case's derived from its
    id; a hidden case's the one stored with the hidden references, or a fresh random one
    (for a new case, or for every hidden case with ``rotate``)."""
    rows = runpy.run_path(str(ROWS))["ROWS"]
    problems = row_problems(rows)
    if problems:
        raise Refused("\n".join(problems))
    stored = {} if rotate else {c.id: c.seed for c in cases.load_cases() if not c.public}
    made = []
    for optimizer, group, problem, public, config, *schedule in rows:
        case = cases.Case(optimizer, group, problem, public, config, *schedule)
        seed = cases.public_seed(case.id) if public else stored.get(case.id) or \
            secrets.randbits(63)
        made.append(dataclasses.replace(case, seed=seed))
    return made


def torch_problems(torch: ModuleType) -> list[str]:
    """Where the rubric (from ``assignment/spec.py``) disagrees with torch: a class that does
    not exist, a hyperparameter torch does not take or whose default differs."""
    problems = []
    for name, o in cases.OPTIMIZERS.items():
        cls = getattr(torch.optim, o["torch"], None)
        if cls is None:
            problems.append(f"spec.py: {name}: torch.optim has no class {o['torch']!r}")
            continue
        params = inspect.signature(cls.__init__).parameters
        for key, value in o["hyperparameters"].items():
            default = params[key].default if key in params else None
            if key not in params:
                problems.append(f"spec.py: {name}: torch.optim.{o['torch']} takes no {key!r}")
            elif (tuple(default) if isinstance(default, tuple) else default) != (
                    tuple(value) if isinstance(value, list) else value):
                problems.append(f"spec.py: {name}: {key}'s default is {default!r} in torch, "
                                f"not {value!r}")
    return problems


def state_problems(case: Case, trace: dict[str, np.ndarray]) -> list[str]:
    """State entries torch keeps for ``case`` that the spec does not list, or lists with
    another shape."""
    state = cases.OPTIMIZERS[case.optimizer]["state"]
    problems = []
    for key, value in trace.items():
        if key.startswith("state/"):
            _, param, entry = key.split("/", 2)
            shape = () if state.get(entry, {}).get("shape") == "scalar" else \
                PARAM_SHAPES[case.problem][param]
            if entry not in state or value.shape[1:] != shape:
                problems.append(f"spec.py: {case.optimizer}: torch keeps state {entry!r} of "
                                f"shape {value.shape[1:]}; list it in state with that shape")
    return problems


def generate(kernels: dict[str, str] = KERNELS, rotate: bool = False) -> tuple[dict, dict]:
    """All references in memory: ({public: (arrays, meta)}, provenance)."""
    torch = import_torch(kernels)
    torch.use_deterministic_algorithms(True)
    # float64 throughout, scalar state included (NAdam's mu_product is float32 otherwise)
    torch.set_default_dtype(torch.float64)
    problems = torch_problems(torch)
    files: dict[bool, tuple[dict, dict]] = {True: ({}, {"cases": []}),
                                            False: ({}, {"cases": []})}
    for case in [] if problems else cases_from_rows(rotate):
        inputs = make_inputs(case, torch)
        arrays, meta = files[case.public]
        for part in ("init", "mask", "data"):
            for name, value in inputs[part].items():
                arrays[f"{case.id}/inputs/{part}/{name}"] = value
        arrays[f"{case.id}/inputs/lrs"] = inputs["lrs"]
        trace = run_torch(case, inputs, torch)
        problems += [p for p in state_problems(case, trace) if p not in problems]
        for key, value in trace.items():
            arrays[f"{case.id}/expected/{key}"] = value
        meta["cases"].append({**case.definition(),
                              "torch_class": cases.OPTIMIZERS[case.optimizer]["torch"]})
    if problems:
        raise Refused("\n".join(problems))
    provenance = {
        "generator": "python -m toolkit references",
        "sources": sources_digest(),
        "torch": torch.__version__, "kernels": kernels, "dtype": "float64", "device": "cpu",
        "reproduction": REPRODUCTION, "vector_math": vector_math(torch),
        "cases": {"public": len(files[True][1]["cases"]),
                  "hidden": len(files[False][1]["cases"])},
        "made_with": {"numpy": np.__version__, "python": platform.python_version(),
                      "machine": platform.machine()},
    }
    return files, provenance


REPRODUCTION = (
    "A fresh run equals these files bit for bit on an x86-64 processor whose MKL vector-math "
    "kernel is the one that made them (its fingerprint: vector_math): inputs come from "
    "torch's generator, problem gradients use exactly rounded operations in a fixed order, "
    "and torch runs its baseline kernels (ATEN_CPU_CAPABILITY=default). Inputs and variant "
    "trajectories (NumPy) are bit for bit on every x86-64 processor. Elsewhere every value is "
    f"within {REPRODUCTION_BOUND:g} of the grading tolerance of the stored one "
    "(`python -m toolkit references --check` prints the largest difference).")


def write(rotate: bool = False) -> dict[str, int]:
    """Generate every reference and variant trajectory, and store them all only if nothing
    is refused; {file name: number of arrays}."""
    files, provenance = generate(rotate=rotate)
    variant_files = generate_variants(files)
    references.DATA.mkdir(exist_ok=True)
    for public, (arrays, meta) in files.items():
        references.write_packed(references.FILES[public], arrays, meta)
    for public, (arrays, meta) in variant_files.items():
        references.write_packed(VARIANT_FILES[public], arrays, meta)
    PROVENANCE.write_text(json.dumps(provenance, indent=1) + "\n")
    cases.load_cases.cache_clear()
    return {path.name: len(arrays) for path, arrays in (
        *((references.FILES[p], a) for p, (a, _) in files.items()),
        *((VARIANT_FILES[p], a) for p, (a, _) in variant_files.items()))}


def up_to_date() -> bool:
    """Whether the stored references were made from the sources as they are now."""
    return PROVENANCE.exists() and all(path.exists() for path in (
        *references.FILES.values(), *VARIANT_FILES.values())) and json.loads(
        PROVENANCE.read_text()).get("sources") == sources_digest()


def sources_digest() -> str:
    """sha256 of every file a reference or variant trajectory depends on."""
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update(f"{path.relative_to(REPO)}\n".encode() + path.read_bytes())
    return digest.hexdigest()


def check(reproduction: Reproduction) -> Reproduction:
    """Regenerate in memory (with the stored seeds) and compare with what is stored, into
    ``reproduction``."""
    files, provenance = generate()
    stored = json.loads(PROVENANCE.read_text())
    fresh = json.loads(json.dumps(provenance))
    for key in sorted(set(stored) | set(fresh)):
        if key == "sources" and stored.get(key) != fresh.get(key):
            reproduction.problems.append("provenance.json: the sources changed since these "
                                         "references were made (run make build)")
        elif key not in ("made_with", "vector_math") and stored.get(key) != fresh.get(key):
            reproduction.problems.append(f"provenance.json: {key!r} differs from a fresh run")
    same_kernel = stored.get("vector_math") == fresh["vector_math"]
    if reproduction.exact and not same_kernel:
        reproduction.notes.append(
            f"torch's sqrt runs another MKL vector-math kernel here ({fresh['vector_math']}) "
            f"than the one that made the references ({stored.get('vector_math')}): their "
            f"values may differ by {REPRODUCTION_BOUND:g} of the tolerance, NumPy's not at all")
    for public, (arrays, meta) in files.items():
        path = references.FILES[public]
        if json.loads(json.dumps(meta)) != references.read_meta(path):
            reproduction.problems.append(f"{path.name}: the case definitions differ from "
                                         f"{ROWS.name}'s rows (run make references)")
        reproduction.compare(path, arrays, exact=reproduction.exact and same_kernel)
    return reproduction


@dataclass
class Reproduction:
    """How stored arrays compare with freshly generated ones."""
    exact: bool                                   # bit for bit required
    problems: list = field(default_factory=list)  # missing, extra, dtype or shape changes
    notes: list = field(default_factory=list)     # why some files were allowed a bound
    over: bool = False                            # a value beyond what its file allows
    values: int = 0                               # values compared
    differing: int = 0                            # values not bit-identical
    worst_share: float = 0.0                      # max |diff| / (ATOL + RTOL |stored|)
    worst_relative: float = 0.0
    worst_ulps: float = 0.0
    worst_key: str = ""

    def compare(self, path: Path, fresh: dict[str, np.ndarray],
                exact: bool | None = None) -> None:
        """Compare ``fresh`` with ``path``'s arrays: bit for bit if ``exact`` (default: the
        reproduction's), else within REPRODUCTION_BOUND."""
        limit = 0.0 if (self.exact if exact is None else exact) else REPRODUCTION_BOUND
        stored = references.read_packed(path)
        for key in sorted(set(fresh) | set(stored)):
            if key not in stored or key not in fresh:
                where = "missing from" if key not in stored else "extra in"
                self.problems.append(f"{key}: {where} {path.name}")
                continue
            old, new = stored[key], np.asarray(fresh[key])
            if old.dtype != new.dtype or old.shape != new.shape:
                self.problems.append(f"{key}: dtype or shape in {path.name} differs")
                continue
            self.values += old.size
            same = (old == new) | (np.isnan(old) & np.isnan(new))
            if same.all():
                continue
            if old.dtype != np.float64:
                self.problems.append(f"{key}: stored values in {path.name} differ")
                continue
            a, b = old[~same], new[~same]
            diff = np.abs(a - b)
            share = float(np.max(diff / (ATOL + RTOL * np.abs(a)))) if np.isfinite(diff).all() \
                else np.inf
            self.differing += a.size
            self.over = self.over or share > limit
            if share > self.worst_share:
                self.worst_share, self.worst_key = share, key
            self.worst_relative = max(self.worst_relative,
                                      float(np.max(diff / np.maximum(np.abs(a), 1e-300))))
            self.worst_ulps = max(self.worst_ulps, float(np.max(diff / np.spacing(np.abs(a)))))

    @property
    def ok(self) -> bool:
        return not self.problems and not self.over

    def summary(self) -> str:
        notes = "".join(f" ({note})" for note in self.notes)
        if not self.differing:
            return f"all {self.values} values identical bit for bit{notes}"
        return (f"{self.differing} of {self.values} values differ; the largest by "
                f"{self.worst_share:.2g} of the grading tolerance ({self.worst_relative:.2g} "
                f"relative, {self.worst_ulps:.0f} ulps) at {self.worst_key}; allowed: "
                + ("none (bit for bit)" if self.exact and not self.notes
                   else f"{REPRODUCTION_BOUND:g}") + notes)
