"""The problems cases run on: where each step's gradients come from.

Shared by the reference generator (which feeds these gradients to torch) and
the sandboxed child (which feeds them to the student's step function), so a
correct submission sees exactly the gradients torch saw. Pure NumPy.

A problem's inputs (initial parameters and any fixed data) are arrays stored
with the references; ``gradients(name, params, data, step)`` returns the
gradient of every parameter at the current parameters.

* ``stream``     -- a fixed stream of gradients (``data["grad/<param>"][step]``):
                    isolates the update rule; three parameters of shapes (), (4,)
                    and (3, 2), some of which get no gradient on some steps.
* ``quadratic``  -- ill-conditioned 2-D quadratic 1/2 (x - c)^T H (x - c), cond(H) = 25.
* ``rosenbrock`` -- (1 - x0)^2 + 10 (x1 - x0^2)^2.
* ``mlp``        -- a 3-4-1 network, mean squared error on 8 fixed samples, with the
                    tanh-shaped activation s(z) = z / sqrt(1 + z^2).

Every processor computes the same bits. Gradients use only IEEE operations that are
exactly rounded (+, -, *, /, sqrt), each in a fixed order: no BLAS matrix product (its
kernels sum in processor-specific orders, with or without fused multiply-adds), no
reduction whose order NumPy may choose, and no transcendental function (NumPy's SIMD
``tanh`` and the C library's differ by an ulp from one processor to another). Hence
the activation above rather than tanh.
"""

import numpy as np

PARAM_SHAPES = {
    "stream": {"scalar": (), "vector": (4,), "matrix": (3, 2)},
    "quadratic": {"x": (2,)},
    "rosenbrock": {"x": (2,)},
    "mlp": {"W1": (3, 4), "b1": (4,), "w2": (4,), "b2": ()},
}


def gradients(problem, params, data, step):
    """Gradients of every parameter of ``problem`` at ``params`` (step counts from 0)."""
    if problem == "stream":
        return {name: data["grad/" + name][step] for name in params}
    if problem == "quadratic":
        return {"x": matmul(data["H"], params["x"] - data["c"])}
    if problem == "rosenbrock":
        x0, x1 = params["x"]
        inner = x1 - x0 * x0
        return {"x": np.array([-2 * (1 - x0) - 40 * x0 * inner, 20 * inner])}
    if problem == "mlp":
        return _mlp_gradients(params, data["X"], data["y"])
    raise ValueError(f"unknown problem {problem!r}")


def matmul(a, b):
    """``a @ b`` summed over the shared axis in index order, from elementwise products."""
    return sum(np.multiply.outer(a[..., k], b[k]) for k in range(len(b)))


def activation(z):
    """s(z) = z / sqrt(1 + z^2) and its derivative s'(z) = (1 + z^2)^(-3/2)."""
    r = 1 / np.sqrt(1 + z * z)
    return z * r, r * r * r


def _mlp_gradients(p, X, y):
    hidden, slope = activation(matmul(X, p["W1"]) + p["b1"])
    residual = matmul(hidden, p["w2"]) + p["b2"] - y
    d_out = 2 * residual / len(y)
    d_hidden = np.multiply.outer(d_out, p["w2"]) * slope
    return {"W1": matmul(X.T, d_hidden), "b1": sum(d_hidden), "w2": matmul(hidden.T, d_out),
            "b2": np.array(sum(d_out))}
