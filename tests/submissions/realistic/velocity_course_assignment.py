# expect: sgd-velocity-form
# The update rule as a well-known course assignment writes it (a config dict carried in the
# state), wrapped to this lab's signature without changing its math; no dampening.
import numpy as np


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    dw = -grad if maximize else grad
    dw = dw + weight_decay * param
    if momentum == 0:
        return param - lr * dw
    config = {"learning_rate": lr, "momentum": momentum}
    if "momentum_buffer" in state:
        config["velocity"] = state["momentum_buffer"]
    v_prev = config.get("velocity", np.zeros_like(param))
    next_w, config = sgd_momentum(param, dw, config)
    state["momentum_buffer"] = config["velocity"]
    if nesterov:
        return param - momentum * v_prev + (1 + momentum) * config["velocity"]
    return next_w
