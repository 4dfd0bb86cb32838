# expect: float32-precision
# Everything in float32, "for speed", returned as float32.
import numpy as np


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    p, g = param.astype(np.float32), grad.astype(np.float32)
    g = -g if maximize else g
    g = g + np.float32(weight_decay) * p
    state["step"] = state.get("step", 0) + 1
    sq = state["square_avg"] = np.float32(alpha) * state.get("square_avg", np.zeros_like(p)) \
        + np.float32(1 - alpha) * g * g
    if centered:
        mean = state["grad_avg"] = np.float32(alpha) * state.get("grad_avg", np.zeros_like(p)) \
            + np.float32(1 - alpha) * g
        sq = sq - mean * mean
    step = g / (np.sqrt(sq) + np.float32(eps))
    if momentum > 0:
        step = state["momentum_buffer"] = np.float32(momentum) * state.get(
            "momentum_buffer", np.zeros_like(p)) + step
    return p - np.float32(lr) * step
