# AdamW with the decay rate written into the update.
import numpy as np


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    b1, b2 = betas
    g = -grad if maximize else grad
    if not state:
        state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
    state["step"] += 1
    t = state["step"]
    param = param - lr * 0.01 * param
    state["exp_avg"] = b1 * state["exp_avg"] + (1 - b1) * g
    state["exp_avg_sq"] = b2 * state["exp_avg_sq"] + (1 - b2) * np.square(g)
    v = state["exp_avg_sq"]
    if amsgrad:
        v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
    m_hat = state["exp_avg"] / (1 - b1 ** t)
    return param - lr * m_hat / (np.sqrt(v / (1 - b2 ** t)) + eps)
