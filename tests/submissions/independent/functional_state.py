# Correct, functional: each rule is a pure function (param, grad, old state) -> (new param,
# new state); the step functions replace the dict's contents with the new state.
import copy

import numpy as np


def sgd_rule(p, g, old, lr, momentum, dampening, weight_decay, nesterov, maximize):
    g = (-g if maximize else g) + weight_decay * p
    new = {}
    if momentum != 0:
        if "momentum_buffer" in old:
            new["momentum_buffer"] = momentum * old["momentum_buffer"] + (1 - dampening) * g
        else:
            new["momentum_buffer"] = np.array(g)
        g = g + momentum * new["momentum_buffer"] if nesterov else new["momentum_buffer"]
    return p - lr * g, new


def rmsprop_rule(p, g, old, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    g = (-g if maximize else g) + weight_decay * p
    zeros = np.zeros_like(p)
    new = {"step": old.get("step", 0) + 1,
           "square_avg": alpha * old.get("square_avg", zeros) + (1 - alpha) * g * g}
    denom_sq = new["square_avg"]
    if centered:
        new["grad_avg"] = alpha * old.get("grad_avg", zeros) + (1 - alpha) * g
        denom_sq = denom_sq - new["grad_avg"] ** 2
    direction = g / (np.sqrt(denom_sq) + eps)
    if momentum > 0:
        new["momentum_buffer"] = momentum * old.get("momentum_buffer", zeros) + direction
        direction = new["momentum_buffer"]
    return p - lr * direction, new


def adam_rule(p, g, old, lr, betas, eps, l2, decoupled, amsgrad, maximize):
    b1, b2 = betas
    zeros = np.zeros_like(p)
    g = (-g if maximize else g) + l2 * p
    p = p * (1 - lr * decoupled)
    t = old.get("step", 0) + 1
    new = {"step": t,
           "exp_avg": b1 * old.get("exp_avg", zeros) + (1 - b1) * g,
           "exp_avg_sq": b2 * old.get("exp_avg_sq", zeros) + (1 - b2) * g * g}
    v = new["exp_avg_sq"]
    if amsgrad:
        new["max_exp_avg_sq"] = v = np.maximum(old.get("max_exp_avg_sq", zeros), v)
    m_hat = new["exp_avg"] / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), new


def adagrad_rule(p, g, old, lr, lr_decay, weight_decay, initial_accumulator_value, eps,
                 maximize):
    g = (-g if maximize else g) + weight_decay * p
    t = old.get("step", 0) + 1
    acc = old.get("sum", np.full_like(p, initial_accumulator_value)) + g * g
    clr = lr / (1 + (t - 1) * lr_decay)
    return p - clr * g / (np.sqrt(acc) + eps), {"step": t, "sum": acc}


def commit(state, result):
    new_param, new_state = result
    state.clear()
    state.update(copy.deepcopy(new_state))
    return new_param


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    return commit(state, sgd_rule(param, grad, state, lr, momentum, dampening, weight_decay,
                                  nesterov, maximize))


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    return commit(state, rmsprop_rule(param, grad, state, lr, alpha, eps, weight_decay,
                                      momentum, centered, maximize))


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return commit(state, adam_rule(param, grad, state, lr, betas, eps, weight_decay, 0.0,
                                   amsgrad, maximize))


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return commit(state, adam_rule(param, grad, state, lr, betas, eps, 0.0, weight_decay,
                                   amsgrad, maximize))


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    return commit(state, adagrad_rule(param, grad, state, lr, lr_decay, weight_decay,
                                      initial_accumulator_value, eps, maximize))
