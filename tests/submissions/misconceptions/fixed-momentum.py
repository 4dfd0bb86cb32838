# Momentum turned on by the argument, but its coefficient written in.
import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    d_p = -grad if maximize else grad
    if weight_decay != 0:
        d_p = d_p + weight_decay * param
    if momentum != 0:
        mu = 0.9
        if "momentum_buffer" not in state:
            buf = d_p.copy()
        else:
            buf = mu * state["momentum_buffer"] + (1 - dampening) * d_p
        state["momentum_buffer"] = buf
        d_p = d_p + mu * buf if nesterov else buf
    return param - lr * d_p
