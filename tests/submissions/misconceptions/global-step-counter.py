import numpy as np

t = 0   # one counter for the whole optimizer


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    global t
    t += 1
    b1, b2 = betas
    g = (-grad if maximize else grad) + weight_decay * param
    m = b1 * state.get("exp_avg", np.zeros_like(param)) + (1 - b1) * g
    v = b2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - b2) * g * g
    state.update(step=t, exp_avg=m, exp_avg_sq=v)
    if amsgrad:
        v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
    return param - lr / (1 - b1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)
