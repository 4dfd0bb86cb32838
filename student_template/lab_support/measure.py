"""The experiments' measurements, shared by the notebook and the tests that check every claim
its text makes (``tests/system/test_experiments.py``, with the answer key, over 20 seeds or
more). Each function takes the student's step function(s) and returns plain numbers."""

import numpy as np

from .data import double_well, moving_target, ravine
from .experiments import run_optimizer
from .mlp import MLP


def steps_to(values, target):
    """The first step from which ``values`` stay below ``target`` (None if they do not end
    below it)."""
    below = np.flatnonzero(highest_ahead(values) < target)
    return int(below[0]) if below.size else None


def highest_ahead(values):
    """At each step, the highest value from that step on: an oscillating loss's envelope."""
    return np.maximum.accumulate(np.asarray(values)[::-1])[::-1]


def sign_changes(values):
    """How often a coordinate crosses zero: the zig-zag across a ravine."""
    signs = np.sign(np.asarray(values))
    return int(np.sum(signs[1:] * signs[:-1] < 0))


def ravine_starts(n, seed=0):
    """``n`` starting points on the ellipse x0^2/4 + x1^2/0.81 = 1 of the ravine."""
    angles = np.random.default_rng(seed).uniform(0, 2 * np.pi, n)
    return [np.array([2.0 * np.cos(a), 0.9 * np.sin(a)]) for a in angles]


def ravine_run(step, x0, steps, **hyper):
    """(f along the path, x1 along the path) on the ravine f = (x0^2 + 25 x1^2) / 2."""
    f, grad = ravine(25.0)
    path = run_optimizer(step, grad, x0, steps, **hyper)
    return f(path), path[:, 1]


def regression(seed):
    """A least-squares problem: 128 examples, 5 features, noise 0.3."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(128, 5))
    b = A @ rng.normal(size=5) + 0.3 * rng.normal(size=128)
    return A, b


def minibatch_run(step, seed, batch, epochs, lr=0.02):
    """Train least squares with ``step`` on minibatches of ``batch`` examples: (the loss of
    each step's own batch, the full-data loss after each step, examples processed so far)."""
    A, b = regression(seed)
    rng = np.random.default_rng(seed + 1000)
    w, state, batch_loss, full_loss = np.zeros(5), {}, [], []
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(b)), len(b) // batch):
            residual = A[idx] @ w - b[idx]
            batch_loss.append(0.5 * np.mean(residual ** 2))
            w = step(w, A[idx].T @ residual / len(idx), state, lr=lr)
            full_loss.append(0.5 * np.mean((A @ w - b) ** 2))
    return np.array(batch_loss), np.array(full_loss), batch * np.arange(1, len(full_loss) + 1)


def excess_loss(seed, loss):
    """How far a least-squares loss is above the problem's minimum."""
    A, b = regression(seed)
    w = np.linalg.lstsq(A, b, rcond=None)[0]
    return loss - 0.5 * np.mean((A @ w - b) ** 2)


def best_over(lrs, final):
    """(the learning rate of ``lrs`` with the lowest ``final(lr)``, that value): a sweep's
    best, a diverging run (not finite) counting as worst."""
    values = [final(lr) for lr in lrs]
    values = [v if np.isfinite(v) else np.inf for v in values]
    i = int(np.argmin(values))
    return float(lrs[i]), values[i]


def best_minibatch(step, seed, batch, epochs, lrs):
    """(best learning rate, excess loss there) of least squares after ``epochs`` passes on
    minibatches of ``batch``, over the learning rates ``lrs``."""
    return best_over(lrs, lambda lr: excess_loss(
        seed, minibatch_run(step, seed, batch=batch, epochs=epochs, lr=lr)[1][-1]))


def steps_to_converge(step, condition, x0, target=1e-6, limit=20000, **hyper):
    """Steps until f stays below ``target`` on the ravine of that condition number (None if
    not within ``limit``)."""
    f, grad = ravine(condition)
    with np.errstate(all="ignore"):
        return steps_to(f(run_optimizer(step, grad, x0, limit, **hyper)), target)


def tuned(condition):
    """The best constant settings for a quadratic with curvatures 1 and ``condition``:
    gradient descent's lr 2 / (1 + k), and heavy-ball momentum's (lr, momentum)
    4 / (1 + sqrt k)^2 and ((sqrt k - 1) / (sqrt k + 1))^2."""
    root = np.sqrt(condition)
    return {"gd": {"lr": 2 / (1 + condition)},
            "momentum": {"lr": 4 / (1 + root) ** 2, "momentum": ((root - 1) / (root + 1)) ** 2}}


def rises(values):
    """The share of steps on which ``values`` went up."""
    return float(np.mean(np.diff(values) > 0))


def noisy_descent(step, seed, sigma=12.0, steps=1000, lr=0.02, start=1.2):
    """x on the double well x^4 - 3x^2 + x after ``steps`` steps from the shallow well,
    with gradient noise of size ``sigma`` fading to zero (sigma = 0: plain gradient descent);
    the path."""
    f, grad = double_well()
    noise = sigma * np.random.default_rng(seed).normal(size=steps) * np.linspace(1, 0, steps)
    x, state, path = np.array(start), {}, [start]
    for t in range(steps):
        x = step(x, grad(x) + noise[t], state, lr=lr)
        path.append(float(x))
    return np.array(path)


def tracking_error(step, seed, steps=300, **hyper):
    """Distance to a target moving along a circle (a random phase per seed), one coordinate
    100 times weaker than the other: the objective changes every step."""
    targets, weights = moving_target(steps)
    phase = np.random.default_rng(seed).uniform(0, 2 * np.pi)
    rotation = np.array([[np.cos(phase), -np.sin(phase)], [np.sin(phase), np.cos(phase)]])
    targets = targets @ rotation.T
    x, state, error = np.zeros(2), {}, []
    for c in targets:
        x = step(x, weights ** 2 * (x - c), state, **hyper)
        error.append(float(np.linalg.norm(x - c)))
    return np.array(error)


def decay_fixed_point(step, steps=3000, lr=0.01, weight_decay=0.1):
    """Where ``step`` settles on f = 50 (x0 - 1)^2 + (x1 - 1)^2 / 2 with ``weight_decay``:
    both coordinates' minimum is 1, their curvatures 100 and 1."""
    curvature = np.array([100.0, 1.0])
    x, state = np.zeros(2), {}
    for _ in range(steps):
        x = step(x, curvature * (x - 1), state, lr=lr, weight_decay=weight_decay)
    return x


def spiral_loss(step, data, lr, epochs, seed=0, **hyper):
    """The spiral network's final training and test loss after ``epochs`` with ``step``."""
    X, y, X_test, y_test = data
    history = MLP(seed=seed).train(step, X, y, epochs=epochs, seed=seed, X_test=X_test,
                                   y_test=y_test, lr=lr, **hyper)
    return history
