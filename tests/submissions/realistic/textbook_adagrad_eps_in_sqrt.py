# expect: adagrad-eps-inside-sqrt
# Adagrad as a textbook writes it: eps = 1e-6 inside the square root.
import numpy as np


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    s = state["sum"] = state.get("sum", np.full_like(param, initial_accumulator_value)) + g * g
    return param - lr / (1 + (state["step"] - 1) * lr_decay) * g / np.sqrt(s + 1e-6)
