# Correct, terse: conditional expressions, setdefault, the walrus operator, a line an idea.
import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    g = (-grad if maximize else grad) + weight_decay * param
    if momentum:
        b = state["momentum_buffer"] = (momentum * state["momentum_buffer"] + (1 - dampening) * g
                                        if "momentum_buffer" in state else g.copy())
        g = g + momentum * b if nesterov else b
    return param - lr * g


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    z = np.zeros_like(param)
    state["step"] = state.setdefault("step", 0) + 1
    g = (-grad if maximize else grad) + weight_decay * param
    v = state["square_avg"] = alpha * state.setdefault("square_avg", z) + (1 - alpha) * g * g
    if centered:
        state["grad_avg"] = (ga := alpha * state.get("grad_avg", z) + (1 - alpha) * g)
        v = v - ga ** 2
    u = g / (np.sqrt(v) + eps)
    if momentum > 0:
        u = state["momentum_buffer"] = momentum * state.setdefault("momentum_buffer", z) + u
    return param - lr * u


def _adam(param, grad, state, lr, b1, b2, eps, wd, dwd, ams, maximize):
    z = np.zeros_like(param)
    t = state["step"] = state.get("step", 0) + 1
    g = (-grad if maximize else grad) + wd * param
    m = state["exp_avg"] = b1 * state.get("exp_avg", z) + (1 - b1) * g
    v = state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", z) + (1 - b2) * g * g
    if ams:
        v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", z), v)
    return param * (1 - lr * dwd) - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return _adam(param, grad, state, lr, *betas, eps, weight_decay, 0, amsgrad, maximize)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return _adam(param, grad, state, lr, *betas, eps, 0, weight_decay, amsgrad, maximize)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    t = state["step"] = state.get("step", 0) + 1
    g = (-grad if maximize else grad) + weight_decay * param
    s = state["sum"] = state.get("sum", np.full_like(param, initial_accumulator_value)) + g * g
    return param - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
