"""Objectives and a dataset for the experiments. Everything is generated (nothing is
downloaded), from fixed seeds."""

import numpy as np


def ravine(condition=25.0):
    """f(x) = 1/2 (x0^2 + condition * x1^2): a bowl when condition = 1, a ravine when large.

    Returns (f, grad): f takes an array of shape (..., 2); grad one of shape (2,)."""
    scales = np.array([1.0, condition])

    def f(x):
        return 0.5 * np.sum(scales * np.asarray(x) ** 2, axis=-1)

    def grad(x):
        return scales * x

    return f, grad


def double_well():
    """f(x) = x^4 - 3 x^2 + x: a shallow minimum near x = 1.13 and a deeper one near -1.30."""
    def f(x):
        return x ** 4 - 3 * x ** 2 + x

    def grad(x):
        return 4 * x ** 3 - 6 * x + 1

    return f, grad


def moving_target(steps, speed=0.02, seed=0):
    """Targets c_t (shape (steps, 2)) drifting along a slow circle, with two scales:
    minimise f_t(x) = 1/2 |D (x - c_t)|^2 with D = diag(1, 0.01) (one coordinate 100x weaker)."""
    t = np.arange(steps)
    targets = np.stack([np.cos(speed * t), np.sin(speed * t)], axis=1)
    return targets, np.array([1.0, 0.01])


def spirals(n=300, noise=0.25, seed=0):
    """Two interleaved spirals in 2-D, labels 0/1: a small non-linear classification set.
    Returns (X_train, y_train, X_test, y_test), 2/3 for training."""
    rng = np.random.default_rng(seed)
    half = n // 2
    theta = np.sqrt(rng.uniform(0, 1, half)) * 3 * np.pi
    arm = np.stack([theta * np.cos(theta), theta * np.sin(theta)], axis=1) / (3 * np.pi)
    X = np.concatenate([arm, -arm]) + noise * rng.normal(size=(2 * half, 2)) / 3
    y = np.concatenate([np.zeros(half), np.ones(half)])
    order = rng.permutation(2 * half)
    X, y = X[order], y[order]
    cut = 2 * len(X) // 3
    return X[:cut], y[:cut], X[cut:], y[cut:]
