import numpy as np


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    g = -grad if maximize else grad
    g = g + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    G = state.get("sum", np.full_like(param, initial_accumulator_value)) + g * g
    state["sum"] = G
    return param - lr * g / (np.sqrt(G) + eps)
