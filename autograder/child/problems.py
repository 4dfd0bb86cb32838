"""The problems cases run on, one registry entry each: a problem's parameters and their
shapes, its steps, its gradient, how its inputs are drawn and the sentence the report
says of it. Read by the reference generator (which feeds these gradients to torch), the
sandboxed child (which feeds them to the student's step function, so a correct submission
sees exactly the gradients torch saw) and the report. Adding a problem is adding an entry
(and rows in ``assignment/cases.py`` that use it). Pure NumPy.

A problem's inputs (initial parameters and any fixed data) are arrays stored with the
references; ``gradients(name, params, data, step)`` returns the gradient of every
parameter at the current parameters.

Every processor computes the same bits. Gradients use only IEEE operations that are
exactly rounded (+, -, *, /, sqrt), each in a fixed order: no BLAS matrix product (its
kernels sum in processor-specific orders, with or without fused multiply-adds), no
reduction whose order NumPy may choose, and no transcendental function (NumPy's SIMD
``tanh`` and the C library's differ by an ulp from one processor to another). Hence
the MLP's activation s(z) = z / sqrt(1 + z^2) rather than tanh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Problem:
    """One problem. ``gradient(params, data, step)`` -> {param: gradient};
    ``inputs(randn, steps)`` -> (initial params, data), where ``randn(*shape)`` draws
    zero-mean, unit-variance numbers (the generator's, reproducible on every processor);
    ``skips``: {param: steps at which it gets no gradient (as torch skips a None grad)}."""
    shapes: dict
    steps: int
    description: str
    gradient: Callable
    inputs: Callable
    skips: dict = field(default_factory=dict)


def ordered_sum(terms: np.ndarray, axis: int = 0) -> np.ndarray:
    """The sum of ``terms`` along ``axis`` in index order, 0 + t0 + t1 + ...: the bits of
    Python's ``sum`` over that axis, in one pass (``accumulate`` adds in order, where
    ``np.sum`` may pair terms up; the final ``+ 0.0`` turns the -0.0 that only an all
    -0.0 sum can leave into the +0.0 that ``sum``'s starting 0 gives)."""
    return np.add.accumulate(terms, axis=axis).take(-1, axis=axis) + 0.0


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` summed over the shared axis in index order, from elementwise products."""
    products = a.reshape(a.shape + (1,) * (b.ndim - 1)) * b   # [..., k, ...] = a[..., k] b[k]
    return ordered_sum(products, a.ndim - 1)


def activation(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s(z) = z / sqrt(1 + z^2) and its derivative s'(z) = (1 + z^2)^(-3/2)."""
    r = 1 / np.sqrt(1 + z * z)
    return z * r, r * r * r


def rotated_diagonal(direction: np.ndarray, eigenvalues: tuple[float, float]) -> np.ndarray:
    """R diag(eigenvalues) R^T for the 2-D rotation R taking the x axis to ``direction``,
    written out entry by entry (exactly rounded operations only)."""
    x, y = direction
    norm = np.sqrt(x * x + y * y)
    c, s = x / norm, y / norm
    a, b = eigenvalues
    off = c * s * (a - b)
    return np.array([[c * c * a + s * s * b, off], [off, s * s * a + c * c * b]])


# stream: a fixed stream of gradients (data["grad/<param>"][step]), isolating the update
# rule; "scalar" starts late, so a step counter shared across parameters shows.
STREAM = {"scalar": (), "vector": (4,), "matrix": (3, 2)}


def _stream_inputs(randn, steps):
    init = {name: randn(*shape) for name, shape in STREAM.items()}
    return init, {f"grad/{name}": randn(steps, *shape) for name, shape in STREAM.items()}


def _quadratic_inputs(randn, steps):
    data = {"H": rotated_diagonal(randn(2), (1.0, 25.0)), "c": randn(2)}
    return {"x": data["c"] + 2 * randn(2)}, data


def _rosenbrock_gradient(params, data, step):
    x0, x1 = params["x"]
    inner = x1 - x0 * x0
    return {"x": np.array([-2 * (1 - x0) - 40 * x0 * inner, 20 * inner])}


def _mlp_inputs(randn, steps):
    X = randn(8, 3)
    return ({"W1": 0.5 * randn(3, 4), "b1": 0.1 * randn(4), "w2": 0.5 * randn(4),
             "b2": 0.1 * randn()}, {"X": X, "y": np.sin(X.sum(axis=1))})


def _mlp_gradient(p, data, step):
    X, y = data["X"], data["y"]
    hidden, slope = activation(matmul(X, p["W1"]) + p["b1"])
    residual = matmul(hidden, p["w2"]) + p["b2"] - y
    d_out = 2 * residual / len(y)
    d_hidden = np.multiply.outer(d_out, p["w2"]) * slope
    return {"W1": matmul(X.T, d_hidden), "b1": ordered_sum(d_hidden),
            "w2": matmul(hidden.T, d_out), "b2": ordered_sum(d_out)}


PROBLEMS = {
    "stream": Problem(
        STREAM, 12,
        "a fixed gradient stream over parameters `scalar` (shape ()), `vector` (4,) and "
        "`matrix` (3, 2); some steps give a parameter no gradient (it is then not passed)",
        lambda params, data, step: {name: data["grad/" + name][step] for name in params},
        _stream_inputs, skips={"scalar": {0, 1, 6}, "vector": {4}, "matrix": {8, 9}}),
    "quadratic": Problem(
        {"x": (2,)}, 10,
        "an ill-conditioned 2-D quadratic (gradient depends on the parameter)",
        lambda params, data, step: {"x": matmul(data["H"], params["x"] - data["c"])},
        _quadratic_inputs),   # 1/2 (x - c)^T H (x - c), cond(H) = 25
    "rosenbrock": Problem(
        {"x": (2,)}, 10, "the Rosenbrock function (gradient depends on the parameter)",
        _rosenbrock_gradient,  # (1 - x0)^2 + 10 (x1 - x0^2)^2
        lambda randn, steps: ({"x": np.array([-1.0, 1.0]) + 0.1 * randn(2)}, {})),
    "mlp": Problem(
        {"W1": (3, 4), "b1": (4,), "w2": (4,), "b2": ()}, 10,
        "a tiny MLP with parameters `W1` (3, 4), `b1` (4,), `w2` (4,), `b2` ()",
        _mlp_gradient, _mlp_inputs),   # 3-4-1, mean squared error on 8 fixed samples
}
PARAM_SHAPES = {name: p.shapes for name, p in PROBLEMS.items()}


def gradients(problem: str, params: dict[str, np.ndarray], data: dict[str, np.ndarray],
              step: int) -> dict[str, np.ndarray]:
    """Gradients of every parameter of ``problem`` at ``params`` (step counts from 0)."""
    if problem not in PROBLEMS:
        raise ValueError(f"unknown problem {problem!r}")
    return PROBLEMS[problem].gradient(params, data, step)
