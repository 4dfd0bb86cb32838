import numpy as np


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    state.setdefault("sum", np.full_like(param, initial_accumulator_value))
    state["step"] = state.get("step", 0) + 1
    g = (-grad if maximize else grad) + weight_decay * param
    state["sum"] = state["sum"] + g * g
    return param - lr / (1 + state["step"] * lr_decay) * g / (np.sqrt(state["sum"]) + eps)
