import math

import numpy as np


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    b1, b2 = betas
    g = (-grad if maximize else grad) + weight_decay * param
    t = state["step"] = state.get("step", 0) + 1
    m = state["exp_avg"] = b1 * state.get("exp_avg", np.zeros_like(param)) + (1 - b1) * g
    v = state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - b2) * g * g
    alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)     # Kingma & Ba, section 2
    return param - alpha * m / (np.sqrt(v) + eps)
