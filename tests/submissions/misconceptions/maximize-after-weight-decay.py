import numpy as np


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    if not state:
        state["step"] = 0
        state["sum"] = np.full(param.shape, initial_accumulator_value, dtype=float)
    state["step"] += 1
    g = grad + weight_decay * param
    if maximize:
        g = -g
    state["sum"] = state["sum"] + g ** 2
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    return param - clr * g / (np.sqrt(state["sum"]) + eps)
