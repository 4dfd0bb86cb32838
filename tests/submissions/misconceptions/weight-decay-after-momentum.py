
def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    g = -grad if maximize else grad
    if momentum != 0:
        if "momentum_buffer" in state:
            b = momentum * state["momentum_buffer"] + (1 - dampening) * g
        else:
            b = g.copy()
        state["momentum_buffer"] = b
        g = g + momentum * b if nesterov else b
    step = g + weight_decay * param
    return param - lr * step
