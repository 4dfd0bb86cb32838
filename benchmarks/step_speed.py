"""Step speed: the solution's step function against the matching ``torch.optim`` step on one
parameter of 10^6 float64 values, per optimizer, as a ratio of median step times (NumPy
runs single-threaded; torch with its default threads, and with one thread for reference).
"""

import statistics
import time

import numpy as np
import torch

from autograder.cases import OPTIMIZERS
from benchmarks.figures import ROOT, Figure, held_to

SIZE = 10**6
STEPS, WARMUP = 40, 3
# optimizer: (step function, torch class, hyperparameters): each optimizer's "benchmark"
# configuration in the rubric (assignment/spec.py)
CONFIGS = {name: (o["function"], getattr(torch.optim, o["torch"]), o["benchmark"])
           for name, o in OPTIMIZERS.items()}


def solution():
    namespace = {}
    exec(compile((ROOT / "solutions" / "optimizers.py").read_text(), "solution", "exec"),
         namespace)
    return namespace


def median_seconds(*steps):
    """Median wall time of each of ``steps`` over STEPS calls, after WARMUP unmeasured ones;
    the calls interleaved, so that machine noise falls on all of them alike."""
    for _ in range(WARMUP):
        for step in steps:
            step()
    seconds = [[] for _ in steps]
    for _ in range(STEPS):
        for step, times in zip(steps, seconds):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in seconds]


def ours(fn, grad, config):
    """One step of the solution's ``fn`` on a parameter of its own, per call."""
    box = {"param": np.random.default_rng(1).standard_normal(SIZE)}
    state = {}

    def step():
        box["param"] = fn(box["param"], grad, state, **config)
    return step


def theirs(cls, grad, config):
    """One ``torch.optim`` step on a parameter of its own, per call."""
    param = torch.nn.Parameter(torch.from_numpy(np.random.default_rng(1).standard_normal(SIZE)))
    param.grad = torch.from_numpy(grad.copy())
    return cls([param], **config).step


def side_by_side(fn, cls, grad, config, threads):
    """(ours, torch's) median step seconds, interleaved, torch with ``threads`` threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return median_seconds(ours(fn, grad, config), theirs(cls, grad, config))
    finally:
        torch.set_num_threads(before)


def run(scratch=None):
    functions = solution()
    grad = np.random.default_rng(0).standard_normal(SIZE)
    default_threads = torch.get_num_threads()
    figures = []
    for name, (function, cls, config) in CONFIGS.items():
        mine, torch_default = side_by_side(functions[function], cls, grad, config,
                                           default_threads)
        mine_again, torch_one = side_by_side(functions[function], cls, grad, config, 1)
        figures.append(held_to(Figure(
            f"step speed, {name}", mine / torch_default, "x torch",
            f"solution {function} {mine * 1e3:.2f} ms vs torch.optim.{cls.__name__}.step "
            f"{torch_default * 1e3:.2f} ms with torch's {default_threads} threads; against "
            f"torch on 1 thread, as NumPy runs: {mine_again * 1e3:.2f} vs "
            f"{torch_one * 1e3:.2f} ms, ratio {mine_again / torch_one:.2f}; medians of {STEPS} "
            f"interleaved steps, 10^6 float64, {config}"), "<= 1.5"))
    return figures
