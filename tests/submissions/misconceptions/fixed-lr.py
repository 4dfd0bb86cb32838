# RMSprop with the learning rate as a module constant.
import numpy as np

LEARNING_RATE = 0.01


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    g = (-grad if maximize else grad) + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    cache = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * g * g
    state["square_avg"] = cache
    if centered:
        mean = alpha * state.get("grad_avg", np.zeros_like(param)) + (1 - alpha) * g
        state["grad_avg"] = mean
        cache = cache - mean * mean
    step = g / (np.sqrt(cache) + eps)
    if momentum > 0:
        step = state["momentum_buffer"] = momentum * state.get(
            "momentum_buffer", np.zeros_like(param)) + step
    return param - LEARNING_RATE * step
