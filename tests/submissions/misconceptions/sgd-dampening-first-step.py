import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    g = (-grad if maximize else grad) + weight_decay * param
    if momentum != 0:
        buf = state.setdefault("momentum_buffer", np.zeros_like(param))
        buf[...] = momentum * buf + (1 - dampening) * g    # zero start, dampened from step 1
        g = g + momentum * buf if nesterov else buf
    return param - lr * g
