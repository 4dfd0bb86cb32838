import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    g = grad * (-1.0 if maximize else 1.0) + weight_decay * param
    if not momentum:
        return param - lr * g
    b = state.get("momentum_buffer")
    b = np.copy(g) if b is None else momentum * b + g      # dampening left out
    state["momentum_buffer"] = b
    return param - lr * (g + momentum * b if nesterov else b)
