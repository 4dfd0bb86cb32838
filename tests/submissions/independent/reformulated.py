# Correct, with the equations rearranged: averages as m += (1 - beta)(g - m), Adam's two
# bias corrections folded into one step size, the decay applied as a multiplicative factor.
import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    sign = -1.0 if maximize else 1.0
    g = sign * grad + weight_decay * param
    if momentum == 0.0:
        return param - lr * g
    if "momentum_buffer" not in state:
        state["momentum_buffer"] = np.copy(g)
    else:
        b = state["momentum_buffer"]
        state["momentum_buffer"] = momentum * b + g - dampening * g
    b = state["momentum_buffer"]
    if nesterov:
        return param - lr * g - lr * momentum * b
    return param - lr * b


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    sign = -1.0 if maximize else 1.0
    g = sign * grad + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    sq = state.get("square_avg", np.zeros_like(param))
    sq = sq + (1.0 - alpha) * (g * g - sq)
    state["square_avg"] = sq
    if centered:
        mean = state.get("grad_avg", np.zeros_like(param))
        mean = mean + (1.0 - alpha) * (g - mean)
        state["grad_avg"] = mean
        sq = sq - mean * mean
    inv = 1.0 / (np.sqrt(sq) + eps)
    if momentum > 0:
        buf = state.get("momentum_buffer", np.zeros_like(param)) * momentum + g * inv
        state["momentum_buffer"] = buf
        return param - lr * buf
    return param - lr * g * inv


def _adam_family(param, grad, state, lr, betas, eps, weight_decay, decoupled, amsgrad,
                 maximize):
    beta1, beta2 = betas
    sign = -1.0 if maximize else 1.0
    g = sign * grad
    if decoupled:
        param = (1.0 - lr * weight_decay) * param
    else:
        g = g + weight_decay * param
    t = state.get("step", 0) + 1
    state["step"] = t
    m = state.get("exp_avg", np.zeros_like(param))
    v = state.get("exp_avg_sq", np.zeros_like(param))
    m = m + (1.0 - beta1) * (g - m)
    v = v + (1.0 - beta2) * (g * g - v)
    state["exp_avg"], state["exp_avg_sq"] = m, v
    if amsgrad:
        v = np.maximum(v, state.get("max_exp_avg_sq", v))
        state["max_exp_avg_sq"] = v
    c2 = np.sqrt(1.0 - beta2 ** t)
    alpha_t = lr * c2 / (1.0 - beta1 ** t)
    return param - alpha_t * m / (np.sqrt(v) + eps * c2)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return _adam_family(param, grad, state, lr, betas, eps, weight_decay, False, amsgrad,
                        maximize)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return _adam_family(param, grad, state, lr, betas, eps, weight_decay, True, amsgrad,
                        maximize)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    sign = -1.0 if maximize else 1.0
    g = sign * grad + weight_decay * param
    t = state.get("step", 0) + 1
    acc = state.get("sum", np.zeros_like(param) + initial_accumulator_value) + g ** 2
    state["step"], state["sum"] = t, acc
    return param - (lr / (1.0 + lr_decay * (t - 1))) * (g / (np.sqrt(acc) + eps))
