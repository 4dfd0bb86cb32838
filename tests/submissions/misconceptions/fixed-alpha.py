# RMSprop with Keras's rho = 0.9 as the decay of the average.
import numpy as np

RHO = 0.9


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    g = -grad if maximize else grad
    if weight_decay:
        g = g + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    state["square_avg"] = RHO * state.get("square_avg", 0.0 * param) + (1 - RHO) * g * g
    var = state["square_avg"]
    if centered:
        state["grad_avg"] = RHO * state.get("grad_avg", 0.0 * param) + (1 - RHO) * g
        var = var - state["grad_avg"] ** 2
    denom = np.sqrt(var) + eps
    if momentum > 0:
        state["momentum_buffer"] = momentum * state.get("momentum_buffer", 0.0 * param) + g / denom
        return param - lr * state["momentum_buffer"]
    return param - lr * g / denom
