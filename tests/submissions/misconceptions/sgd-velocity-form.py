# Momentum as a velocity, in the style of a well-known course assignment's optim.py.
import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    dx = -grad if maximize else grad
    if weight_decay:
        dx = dx + weight_decay * param
    if momentum == 0:
        return param - lr * dx
    v_prev = state.get("momentum_buffer", np.zeros_like(param))
    v = momentum * v_prev - lr * dx          # integrate velocity
    state["momentum_buffer"] = v
    if nesterov:
        return param - momentum * v_prev + (1 + momentum) * v
    return param + v                          # integrate position
