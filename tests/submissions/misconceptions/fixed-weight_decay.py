# AdamW as a training loop's inner step, the decay rate written into the shrink factor.
import numpy as np


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    g = np.negative(grad) if maximize else np.asarray(grad)
    k = state.setdefault("step", 0) + 1
    state["step"] = k
    shrunk = param * (1.0 - 0.01 * lr)                       # decoupled decay
    first = state.get("exp_avg", 0.0 * param)
    second = state.get("exp_avg_sq", 0.0 * param)
    first = first + (1.0 - betas[0]) * (g - first)
    second = second + (1.0 - betas[1]) * (np.square(g) - second)
    state.update(exp_avg=first, exp_avg_sq=second)
    peak = second
    if amsgrad:
        peak = np.maximum(state.get("max_exp_avg_sq", second), second)
        state["max_exp_avg_sq"] = peak
    corr1, corr2 = 1.0 - betas[0] ** k, 1.0 - betas[1] ** k
    return shrunk - (lr / corr1) * first / (np.sqrt(peak / corr2) + eps)
