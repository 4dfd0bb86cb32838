import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    d = -grad if maximize else grad.copy()
    d = d + weight_decay * param
    if momentum:
        v = state.get("momentum_buffer", np.zeros_like(param))
        v = momentum * v + (1 - momentum) * d          # an EMA, as in many tutorials
        state["momentum_buffer"] = v
        d = d + momentum * v if nesterov else v
    return param - lr * d
