"""Running a step function on a problem, and telling the student when it is not ready."""

import numpy as np


def implemented(*functions):
    """True if every function returns an array on a tiny problem; otherwise print which to
    implement first (an experiment then skips itself instead of failing)."""
    missing = []
    for fn in functions:
        try:
            ok = fn(np.ones(2), np.ones(2), {}) is not None
        except NotImplementedError:
            ok = False
        except Exception as exc:  # noqa: BLE001 - report, do not crash the notebook
            print(f"{fn.__name__} raised {type(exc).__name__}: {exc}")
            ok = False
        if not ok:
            missing.append(fn.__name__)
    if missing:
        print("This experiment needs " + ", ".join(missing) + ": implement "
              + ("it" if len(missing) == 1 else "them") + " above, then run this cell again.")
    return not missing


def run_optimizer(step, grad, x0, steps, **hyper):
    """Minimise with ``step`` from ``x0``: the trajectory, shape (steps + 1, *x0.shape).
    ``hyper`` may hold a callable ``lr(t)`` for a schedule."""
    x = np.array(x0, dtype=float)
    state = {}
    path = [x.copy()]
    lr = hyper.pop("lr", 1e-3)
    for t in range(steps):
        x = step(x, grad(x), state, lr=lr(t) if callable(lr) else lr, **hyper)
        path.append(np.array(x, dtype=float))
    return np.array(path)
