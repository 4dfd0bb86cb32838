# expect: fixed-eps
# RMSprop with a "safe" epsilon of 1e-4.
import numpy as np


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    grad = -grad if maximize else grad
    grad = grad + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    ms = state["square_avg"] = alpha * state.get("square_avg", np.zeros_like(param)) \
        + (1 - alpha) * grad ** 2
    if centered:
        mg = state["grad_avg"] = alpha * state.get("grad_avg", np.zeros_like(param)) \
            + (1 - alpha) * grad
        ms = ms - mg ** 2
    update = grad / (np.sqrt(ms) + 1e-4)
    if momentum > 0:
        update = state["momentum_buffer"] = momentum * state.get(
            "momentum_buffer", np.zeros_like(param)) + update
    return param - lr * update
