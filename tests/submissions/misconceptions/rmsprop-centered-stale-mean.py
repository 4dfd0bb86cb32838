import numpy as np


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    g = (-grad if maximize else grad) + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    sq = state["square_avg"] = alpha * state.get("square_avg", 0 * param) + (1 - alpha) * g * g
    if centered:
        old_mean = state.get("grad_avg", 0 * param)
        sq = sq - old_mean ** 2
        state["grad_avg"] = alpha * old_mean + (1 - alpha) * g
    rms = np.sqrt(sq) + eps
    if momentum > 0:
        buf = state["momentum_buffer"] = momentum * state.get("momentum_buffer", 0 * param) + g / rms
        return param - lr * buf
    return param - lr * g / rms
