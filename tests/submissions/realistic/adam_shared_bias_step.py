# expect: global-step-counter
# Each parameter's own state['step'] is right, but the bias correction uses the largest
# step any parameter has reached: t = max(t_shared, state['step']).
import numpy as np

TRAINING = {"t": 0}


def _moments(state, g, beta1, beta2, shape):
    first = state.setdefault("exp_avg", np.zeros(shape))
    second = state.setdefault("exp_avg_sq", np.zeros(shape))
    first = state["exp_avg"] = first * beta1 + g * (1.0 - beta1)
    second = state["exp_avg_sq"] = second * beta2 + np.square(g) * (1.0 - beta2)
    return first, second


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    direction = np.negative(grad) if maximize else np.asarray(grad)
    if weight_decay != 0:
        direction = direction + param * weight_decay
    state["step"] = state.get("step", 0) + 1
    TRAINING["t"] = max(TRAINING["t"], state["step"])
    k = TRAINING["t"]
    first, second = _moments(state, direction, betas[0], betas[1], np.shape(param))
    if amsgrad:
        peak = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", second), second)
        second = peak
    unbiased_first = first / (1.0 - betas[0] ** k)
    unbiased_second = second / (1.0 - betas[1] ** k)
    return param - lr * unbiased_first / (np.sqrt(unbiased_second) + eps)
