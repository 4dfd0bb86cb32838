
def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    g = grad * (-1 if maximize else 1) + weight_decay * param
    if momentum == 0:
        return param - lr * g
    if "momentum_buffer" not in state:
        state["momentum_buffer"] = lr * g
    else:
        state["momentum_buffer"] = momentum * state["momentum_buffer"] + lr * (1 - dampening) * g
    if nesterov:
        return param - (lr * g + momentum * state["momentum_buffer"])
    return param - state["momentum_buffer"]
