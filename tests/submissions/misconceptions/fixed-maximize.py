import numpy as np


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    if "sum" not in state:
        state["sum"] = np.full(np.shape(param), float(initial_accumulator_value))
        state["step"] = 0
    state["step"] += 1
    g = grad + weight_decay * param if weight_decay else grad
    state["sum"] = state["sum"] + g ** 2
    rate = lr / (1 + (state["step"] - 1) * lr_decay)
    return param - rate * g / (np.sqrt(state["sum"]) + eps)
