# Correct, branch-free where it can be: flags become numbers (a sign, a 0/1 weight) and the
# update is one formula with those numbers in it.
import numpy as np


def _signed(grad, maximize):
    return (1.0 - 2.0 * bool(maximize)) * grad


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    g = _signed(grad, maximize) + weight_decay * param
    if momentum == 0:
        return param - lr * g
    prev = state.get("momentum_buffer")
    fresh = prev is None
    buf = g * 1.0 if fresh else momentum * prev + (1.0 - dampening) * g
    state["momentum_buffer"] = buf
    n = float(bool(nesterov))
    return param - lr * (n * (g + momentum * buf) + (1.0 - n) * buf)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    zero = np.zeros_like(param)
    g = _signed(grad, maximize) + weight_decay * param
    state["step"] = state.get("step", 0) + 1
    v = alpha * state.get("square_avg", zero) + (1.0 - alpha) * g * g
    state["square_avg"] = v
    c = float(bool(centered))
    mean = alpha * state.get("grad_avg", zero) + (1.0 - alpha) * g
    if centered:
        state["grad_avg"] = mean
    scaled = g / (np.sqrt(v - c * mean * mean) + eps)
    if momentum > 0:
        scaled = momentum * state.get("momentum_buffer", zero) + scaled
        state["momentum_buffer"] = scaled
    return param - lr * scaled


def _adam(param, grad, state, lr, betas, eps, l2, decay, amsgrad, maximize):
    zero = np.zeros_like(param)
    t = state.get("step", 0) + 1
    state["step"] = t
    g = _signed(grad, maximize) + l2 * param
    param = param * (1.0 - lr * decay)
    m = betas[0] * state.get("exp_avg", zero) + (1.0 - betas[0]) * g
    v = betas[1] * state.get("exp_avg_sq", zero) + (1.0 - betas[1]) * g * g
    state.update(exp_avg=m, exp_avg_sq=v)
    if amsgrad:
        v = np.maximum(state.get("max_exp_avg_sq", zero), v)
        state["max_exp_avg_sq"] = v
    step_size = lr / (1.0 - betas[0] ** t)
    return param - step_size * m / (np.sqrt(v) / np.sqrt(1.0 - betas[1] ** t) + eps)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return _adam(param, grad, state, lr, betas, eps, weight_decay, 0.0, amsgrad, maximize)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return _adam(param, grad, state, lr, betas, eps, 0.0, weight_decay, amsgrad, maximize)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    g = _signed(grad, maximize) + weight_decay * param
    t = state.get("step", 0) + 1
    s = state.get("sum", initial_accumulator_value + np.zeros_like(param)) + g * g
    state.update(step=t, sum=s)
    return param - lr * g / ((1.0 + lr_decay * (t - 1)) * (np.sqrt(s) + eps))
