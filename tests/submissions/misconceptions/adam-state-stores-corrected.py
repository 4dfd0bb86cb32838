import numpy as np


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    b1, b2 = betas
    g = (-grad if maximize else grad) + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    t = state["step"]
    m = b1 * state.get("exp_avg", np.zeros_like(param)) + (1 - b1) * g
    v = b2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - b2) * g ** 2
    state["exp_avg"] = m / (1 - b1 ** t)
    state["exp_avg_sq"] = v / (1 - b2 ** t)
    return param - lr * state["exp_avg"] / (np.sqrt(state["exp_avg_sq"]) + eps)
