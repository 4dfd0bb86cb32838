import math

import numpy as np


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    beta1, beta2 = 0.9, 0.999                 # the paper's values
    g = -grad if maximize else grad
    param = param * (1 - lr * weight_decay)
    t = state["step"] = state.get("step", 0) + 1
    m = state["exp_avg"] = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * g
    v = state["exp_avg_sq"] = (beta2 * state.get("exp_avg_sq", np.zeros_like(param))
                               + (1 - beta2) * g * g)
    if amsgrad:
        v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
    step_size = lr / (1 - beta1 ** t)
    return param - step_size * m / (np.sqrt(v) / math.sqrt(1 - beta2 ** t) + eps)
