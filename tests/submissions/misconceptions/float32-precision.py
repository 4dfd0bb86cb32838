import numpy as np


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    p = param.astype(np.float32)                      # "to save memory"
    g = (-grad if maximize else grad).astype(np.float32) + np.float32(weight_decay) * p
    state["step"] = state.get("step", 0) + 1
    sq = alpha * state.get("square_avg", np.zeros_like(p)) + (1 - alpha) * g * g
    state["square_avg"] = sq
    if centered:
        mean = state["grad_avg"] = alpha * state.get("grad_avg", np.zeros_like(p)) + (1 - alpha) * g
        sq = sq - mean ** 2
    rms = np.sqrt(sq) + np.float32(eps)
    if momentum > 0:
        buf = momentum * state.get("momentum_buffer", np.zeros_like(p)) + g / rms
        state["momentum_buffer"] = buf
        return (p - np.float32(lr) * buf).astype(np.float64)
    return (p - np.float32(lr) * g / rms).astype(np.float64)
