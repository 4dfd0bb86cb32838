# Correct, written coordinate by coordinate: explicit loops over every entry, math.sqrt.
import math

import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    new = np.array(param, dtype=float)
    first = "momentum_buffer" not in state
    if momentum != 0 and first:
        state["momentum_buffer"] = np.zeros_like(new)
    flat_p, flat_g = new.reshape(-1), np.asarray(grad).reshape(-1)
    for i in range(flat_p.size):
        gi = -flat_g[i] if maximize else flat_g[i]
        gi += weight_decay * flat_p[i]
        if momentum != 0:
            buf = state["momentum_buffer"].reshape(-1)
            if first:
                buf[i] = gi
            else:
                buf[i] = momentum * buf[i] + (1.0 - dampening) * gi
            if nesterov:
                gi = gi + momentum * buf[i]
            else:
                gi = buf[i]
        flat_p[i] -= lr * gi
    return new


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    new = np.array(param, dtype=float)
    if len(state) == 0:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(new)
        if centered:
            state["grad_avg"] = np.zeros_like(new)
        if momentum > 0:
            state["momentum_buffer"] = np.zeros_like(new)
    state["step"] += 1
    flat_p, flat_g = new.reshape(-1), np.asarray(grad).reshape(-1)
    sq = state["square_avg"].reshape(-1)
    for i in range(flat_p.size):
        gi = (-flat_g[i] if maximize else flat_g[i]) + weight_decay * flat_p[i]
        sq[i] = alpha * sq[i] + (1 - alpha) * gi * gi
        if centered:
            ga = state["grad_avg"].reshape(-1)
            ga[i] = alpha * ga[i] + (1 - alpha) * gi
            avg = math.sqrt(sq[i] - ga[i] * ga[i]) + eps
        else:
            avg = math.sqrt(sq[i]) + eps
        if momentum > 0:
            mb = state["momentum_buffer"].reshape(-1)
            mb[i] = momentum * mb[i] + gi / avg
            flat_p[i] -= lr * mb[i]
        else:
            flat_p[i] -= lr * gi / avg
    return new


def _adam_like(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled):
    new = np.array(param, dtype=float)
    if len(state) == 0:
        state["step"] = 0
        for key in ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ()):
            state[key] = np.zeros_like(new)
    state["step"] += 1
    t = state["step"]
    b1, b2 = betas
    flat_p, flat_g = new.reshape(-1), np.asarray(grad).reshape(-1)
    m, v = state["exp_avg"].reshape(-1), state["exp_avg_sq"].reshape(-1)
    for i in range(flat_p.size):
        gi = -flat_g[i] if maximize else flat_g[i]
        if decoupled:
            flat_p[i] *= 1 - lr * weight_decay
        else:
            gi += weight_decay * flat_p[i]
        m[i] = b1 * m[i] + (1 - b1) * gi
        v[i] = b2 * v[i] + (1 - b2) * gi * gi
        vi = v[i]
        if amsgrad:
            vmax = state["max_exp_avg_sq"].reshape(-1)
            vmax[i] = max(vmax[i], v[i])
            vi = vmax[i]
        m_hat = m[i] / (1 - b1 ** t)
        v_hat = vi / (1 - b2 ** t)
        flat_p[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return new


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return _adam_like(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize,
                      decoupled=False)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return _adam_like(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize,
                      decoupled=True)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    new = np.array(param, dtype=float)
    if len(state) == 0:
        state["step"] = 0
        state["sum"] = np.full(new.shape, initial_accumulator_value, dtype=float)
    state["step"] += 1
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    flat_p, flat_g = new.reshape(-1), np.asarray(grad).reshape(-1)
    acc = state["sum"].reshape(-1)
    for i in range(flat_p.size):
        gi = (-flat_g[i] if maximize else flat_g[i]) + weight_decay * flat_p[i]
        acc[i] += gi * gi
        flat_p[i] -= clr * gi / (math.sqrt(acc[i]) + eps)
    return new
