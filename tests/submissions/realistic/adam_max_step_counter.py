# expect: global-step-counter
# One counter for every parameter, kept as the largest step any has reached.
import numpy as np

_CLOCK = {"t": 0}


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    t = _CLOCK["t"] = max(_CLOCK["t"], state.get("step", 0) + 1)
    state["step"] = t
    b1, b2 = betas
    g = (-grad if maximize else grad) + weight_decay * param
    m = state["exp_avg"] = b1 * state.get("exp_avg", np.zeros_like(param)) + (1 - b1) * g
    v = state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - b2) * g * g
    if amsgrad:
        v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
    return param - lr / (1 - b1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)
