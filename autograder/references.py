"""Golden trajectories from ``torch.optim`` (float64, CPU, fixed seeds).

For each case this module makes the inputs (initial parameters, problem data,
which parameter gets a gradient at which step, the lr at each step) with torch's
own generator, runs the torch optimizer, and records the parameters and every
state entry after every step. Public and hidden cases go to separate files, so
the hidden ones can be kept from students; provenance goes to a JSON file.

Reading the references needs NumPy only (the Gradescope image has no torch);
generating them imports torch.

Arrays of each file (keys are paths; ``<c>`` is a case id), packed by ``write_packed``:
    <c>/inputs/init/<param>          initial value
    <c>/inputs/mask/<param>          bool (steps,): does the parameter get a gradient
    <c>/inputs/lrs                   (steps,) learning rate at each step
    <c>/inputs/data/<name>           problem data (``grad/<param>`` for the stream)
    <c>/expected/param/<param>       (steps, *shape) parameter after each step
    <c>/expected/state/<param>/<key> (steps, *shape) state entry after each step,
                                     NaN before the parameter's first update
"""

import io
import json
import math
import platform
import zipfile
from pathlib import Path

import numpy as np

from .cases import CASES, OPTIMIZERS
from .child.problems import PARAM_SHAPES, gradients

DATA = Path(__file__).resolve().parent / "data"
FILES = {True: DATA / "references-public.npz", False: DATA / "references-hidden.npz"}
PROVENANCE = DATA / "provenance.json"
# Steps at which a stream parameter gets NO gradient (as torch skips a None grad):
# "scalar" starts late, so a step counter shared across parameters shows.
STREAM_SKIPS = {"scalar": {0, 1, 6}, "vector": {4}, "matrix": {8, 9}}


# ---------------------------------------------------------------- reading (NumPy only)

class Arrays(dict):
    """Arrays keyed by path, with the paths of each case indexed (built on first use)."""

    def keys_of(self, case_id):
        if not hasattr(self, "_by_case"):
            self._by_case = {}
            for key in self:
                self._by_case.setdefault(key.split("/", 1)[0], []).append(key)
        return self._by_case.get(case_id, [])


def load(public_only=False):
    """All stored arrays of the selected cases, as one dict keyed by path."""
    arrays = Arrays()
    for public, path in FILES.items():
        if public or not public_only:
            arrays.update(read_packed(path))
    return arrays


def split(arrays, case_id, part):
    """``{rest-of-path: array}`` under ``<case_id>/<part>/``."""
    prefix = f"{case_id}/{part}/"
    keys = arrays.keys_of(case_id) if isinstance(arrays, Arrays) else arrays
    return {k[len(prefix):]: arrays[k] for k in keys if k.startswith(prefix)}


def write_packed(path, arrays):
    """Arrays packed into one float64 vector plus a JSON index, in an ``.npz`` whose bytes
    depend on the arrays only (fixed timestamps, sorted keys). Reading 1,300 small arrays
    this way takes milliseconds instead of the half second separate members take."""
    index, chunks, offset = {}, [], 0
    for key in sorted(arrays):
        value = np.asarray(arrays[key])
        index[key] = [offset, list(value.shape), value.dtype.str]
        chunks.append(value.astype(np.float64).ravel())
        offset += value.size
    members = {"index": np.frombuffer(json.dumps(index).encode(), dtype=np.uint8),
               "values": np.concatenate(chunks)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, value in members.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value, allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)),
                        buffer.getvalue(), compress_type=zipfile.ZIP_DEFLATED)


def read_packed(path):
    with np.load(path, allow_pickle=False) as npz:
        index = json.loads(npz["index"].tobytes().decode())
        values = npz["values"]
    return {key: values[offset:offset + math.prod(shape)].reshape(shape).astype(dtype)
            for key, (offset, shape, dtype) in index.items()}


# ---------------------------------------------------------------- generating (torch)

def make_inputs(case, torch):
    """Initial parameters, masks, lrs and problem data for one case, from torch's RNG."""
    gen = torch.Generator().manual_seed(case.seed)

    def randn(*shape):
        return torch.randn(shape, generator=gen, dtype=torch.float64).numpy()

    shapes = PARAM_SHAPES[case.problem]
    data = {}
    if case.problem == "stream":
        init = {name: randn(*shape) for name, shape in shapes.items()}
        data = {f"grad/{name}": randn(case.steps, *shape) for name, shape in shapes.items()}
    elif case.problem == "quadratic":
        angle = float(randn()) * np.pi
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        data = {"H": rot @ np.diag([1.0, 25.0]) @ rot.T, "c": randn(2)}
        init = {"x": data["c"] + 2 * randn(2)}
    elif case.problem == "rosenbrock":
        init = {"x": np.array([-1.0, 1.0]) + 0.1 * randn(2)}
    elif case.problem == "mlp":
        X = randn(8, 3)
        data = {"X": X, "y": np.sin(X.sum(axis=1))}
        init = {"W1": 0.5 * randn(3, 4), "b1": 0.1 * randn(4), "w2": 0.5 * randn(4),
                "b2": 0.1 * randn()}
    skips = STREAM_SKIPS if case.problem == "stream" else {}
    mask = {name: np.array([t not in skips.get(name, ()) for t in range(case.steps)])
            for name in shapes}
    return {"init": init, "mask": mask, "lrs": np.array(case.lrs()), "data": data}


def run_torch(case, inputs, torch):
    """Run ``torch.optim`` on one case; the expected trajectory as path -> array."""
    params = {name: torch.nn.Parameter(torch.tensor(value, dtype=torch.float64))
              for name, value in inputs["init"].items()}
    cls = getattr(torch.optim, OPTIMIZERS[case.optimizer][1])
    opt = cls(list(params.values()), foreach=False, **case.config)
    trace = {}  # path -> {step: value}
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


def generate():
    """All references in memory: ({public: arrays}, provenance)."""
    import torch

    torch.use_deterministic_algorithms(True)
    files = {True: {}, False: {}}
    cases = {}
    for case in CASES:
        inputs = make_inputs(case, torch)
        arrays = files[case.public]
        for part in ("init", "mask", "data"):
            for name, value in inputs[part].items():
                arrays[f"{case.id}/inputs/{part}/{name}"] = value
        arrays[f"{case.id}/inputs/lrs"] = inputs["lrs"]
        for key, value in run_torch(case, inputs, torch).items():
            arrays[f"{case.id}/expected/{key}"] = value
        cases[case.id] = {
            "optimizer": case.optimizer, "torch_class": OPTIMIZERS[case.optimizer][1],
            "group": case.group, "problem": case.problem, "public": case.public,
            "config": case.config, "schedule": case.schedule, "steps": case.steps,
            "seed": case.seed,
        }
    provenance = {
        "generator": "python -m autograder references",
        "torch": torch.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "dtype": "float64", "device": "cpu",
        "cases": cases,
    }
    return files, provenance


def write():
    files, provenance = generate()
    DATA.mkdir(exist_ok=True)
    for public, arrays in files.items():
        write_packed(FILES[public], arrays)
    PROVENANCE.write_text(json.dumps(provenance, indent=1) + "\n")
    return {str(FILES[p].name): len(a) for p, a in files.items()}


def check():
    """Regenerate in memory; the list of differences from what is stored (empty: identical)."""
    files, provenance = generate()
    problems = []
    stored_prov = json.loads(PROVENANCE.read_text())
    if json.loads(json.dumps(provenance)) != stored_prov:
        problems.append("provenance.json differs from a fresh run (cases or versions changed)")
    for public, fresh in files.items():
        problems += packed_differences(FILES[public], fresh)
    return problems


def packed_differences(path, fresh):
    """How the arrays stored at ``path`` differ from ``fresh`` ones (empty: identical,
    dtypes included)."""
    stored, problems = read_packed(path), []
    for key in sorted(set(fresh) | set(stored)):
        if key not in stored or key not in fresh:
            problems.append(f"{key}: {'missing from' if key not in stored else 'extra in'}"
                            f" {path.name}")
        elif (stored[key].dtype != np.asarray(fresh[key]).dtype
              or not np.array_equal(stored[key], fresh[key], equal_nan=True)):
            problems.append(f"{key}: stored values in {path.name} differ from a fresh run")
    return problems
