
def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    g = (-grad if maximize else grad) + weight_decay * param
    if momentum != 0:
        if "momentum_buffer" in state:
            state["momentum_buffer"] = momentum * state["momentum_buffer"] + (1 - dampening) * g
        else:
            state["momentum_buffer"] = g.copy()
        g = state["momentum_buffer"]          # nesterov flag ignored
    return param - lr * g
