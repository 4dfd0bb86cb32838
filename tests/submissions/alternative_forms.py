"""Correct implementations written differently from the answer key (must get full marks).

Textbook bias-corrected Adam, in-place state updates, in-place parameter
updates, integer step counters, np.square/np.power, and a per-optimizer
structure with no shared helper.
"""
import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    d_p = grad.copy()
    if maximize:
        d_p *= -1
    if weight_decay:
        d_p += weight_decay * param
    if momentum:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = d_p.copy()
        else:
            buf *= momentum
            buf += (1.0 - dampening) * d_p
        d_p = d_p + momentum * buf if nesterov else buf
    param -= lr * d_p
    return param


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    g = np.negative(grad) if maximize else np.array(grad)
    if weight_decay:
        g = g + param * weight_decay
    state["step"] = state.get("step", 0) + 1
    sq = state.setdefault("square_avg", np.zeros(param.shape))
    sq[...] = alpha * sq + (1 - alpha) * np.square(g)
    if centered:
        ga = state.setdefault("grad_avg", np.zeros(param.shape))
        ga[...] = ga + (1 - alpha) * (g - ga)
        denom = np.sqrt(sq - np.power(ga, 2)) + eps
    else:
        denom = np.sqrt(sq) + eps
    if momentum > 0:
        buf = state.setdefault("momentum_buffer", np.zeros(param.shape))
        buf[...] = momentum * buf + g / denom
        return param - lr * buf
    return param - lr * (g / denom)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    b1, b2 = betas
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    if "step" not in state:
        state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
    state["step"] += 1
    t = state["step"]
    state["exp_avg"] = b1 * state["exp_avg"] + (1 - b1) * g
    state["exp_avg_sq"] = b2 * state["exp_avg_sq"] + (1 - b2) * g ** 2
    v = state["exp_avg_sq"]
    if amsgrad:
        state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
        v = state["max_exp_avg_sq"]
    m_hat = state["exp_avg"] / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    param = param - lr * weight_decay * param
    return adam_step(param, grad, state, lr=lr, betas=betas, eps=eps, weight_decay=0.0,
                     amsgrad=amsgrad, maximize=maximize)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    g = grad * (-1.0 if maximize else 1.0)
    g = g + weight_decay * param
    state.setdefault("sum", np.full(param.shape, float(initial_accumulator_value)))
    state["step"] = state.get("step", 0.0) + 1.0
    state["sum"] += g * g
    step_size = lr / (1.0 + (state["step"] - 1.0) * lr_decay)
    return param - step_size * g / (np.sqrt(state["sum"]) + eps)
