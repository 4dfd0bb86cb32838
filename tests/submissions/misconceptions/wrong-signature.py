
def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False):          # no maximize
    g = grad + weight_decay * param
    if momentum != 0:
        if "momentum_buffer" in state:
            state["momentum_buffer"] = momentum * state["momentum_buffer"] + (1 - dampening) * g
        else:
            state["momentum_buffer"] = g.copy()
        g = g + momentum * state["momentum_buffer"] if nesterov else state["momentum_buffer"]
    return param - lr * g
