import numpy as np


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    b1, b2 = betas
    g = -grad if maximize else grad
    g = g + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    m = b1 * state.get("exp_avg", 0 * param) + (1 - b1) * g
    v = b2 * state.get("exp_avg_sq", 0 * param) + (1 - b2) * g * g
    state["exp_avg"], state["exp_avg_sq"] = m, v
    if amsgrad:
        state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
        v = state["max_exp_avg_sq"]
    return param - lr * m / (np.sqrt(v) + eps)
