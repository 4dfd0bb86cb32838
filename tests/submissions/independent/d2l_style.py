# Correct, in the style of a deep-learning textbook's from-scratch chapter: states created
# by init_* functions, hyperparameters in a dict, slice assignment (s[:] = ...) for updates.
import numpy as np


def init_momentum_states(p):
    return {"momentum_buffer": np.zeros_like(p)}


def init_rmsprop_states(p, hp):
    s = {"step": 0, "square_avg": np.zeros_like(p)}
    if hp["centered"]:
        s["grad_avg"] = np.zeros_like(p)
    if hp["momentum"] > 0:
        s["momentum_buffer"] = np.zeros_like(p)
    return s


def init_adam_states(p, hp):
    s = {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
    if hp["amsgrad"]:
        s["max_exp_avg_sq"] = np.zeros_like(p)
    return s


def effective_grad(p, g, hp):
    g = g * (-1 if hp["maximize"] else 1)
    return g + hp["weight_decay"] * p


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    hp = {"lr": lr, "momentum": momentum, "dampening": dampening,
          "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
    p = param.copy()
    g = effective_grad(p, grad, hp)
    if hp["momentum"] != 0:
        if not state:
            state.update(init_momentum_states(p))
            state["momentum_buffer"][...] = g
        else:
            v = state["momentum_buffer"]
            v[...] = hp["momentum"] * v + (1 - hp["dampening"]) * g
        v = state["momentum_buffer"]
        g = g + hp["momentum"] * v if hp["nesterov"] else v
    p[...] = p - hp["lr"] * g
    return p


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    hp = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
          "momentum": momentum, "centered": centered, "maximize": maximize}
    if not state:
        state.update(init_rmsprop_states(param, hp))
    p = param.copy()
    g = effective_grad(p, grad, hp)
    state["step"] += 1
    s = state["square_avg"]
    s[...] = hp["alpha"] * s + (1 - hp["alpha"]) * np.square(g)
    if hp["centered"]:
        m = state["grad_avg"]
        m[...] = hp["alpha"] * m + (1 - hp["alpha"]) * g
        denom = np.sqrt(s - np.square(m)) + hp["eps"]
    else:
        denom = np.sqrt(s) + hp["eps"]
    if hp["momentum"] > 0:
        b = state["momentum_buffer"]
        b[...] = hp["momentum"] * b + g / denom
        p[...] -= hp["lr"] * b
    else:
        p[...] -= hp["lr"] * g / denom
    return p


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    hp = {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps,
          "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize}
    if not state:
        state.update(init_adam_states(param, hp))
    p = param.copy()
    g = effective_grad(p, grad, hp)
    return _adam_update(p, g, state, hp)


def _adam_update(p, g, state, hp):
    state["step"] += 1
    t = state["step"]
    v, s = state["exp_avg"], state["exp_avg_sq"]
    v[...] = hp["beta1"] * v + (1 - hp["beta1"]) * g
    s[...] = hp["beta2"] * s + (1 - hp["beta2"]) * np.square(g)
    if hp["amsgrad"]:
        mx = state["max_exp_avg_sq"]
        mx[...] = np.maximum(mx, s)
        s = mx
    v_bias_corr = v / (1 - hp["beta1"] ** t)
    s_bias_corr = s / (1 - hp["beta2"] ** t)
    p[...] -= hp["lr"] * v_bias_corr / (np.sqrt(s_bias_corr) + hp["eps"])
    return p


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    hp = {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps,
          "weight_decay": 0.0, "amsgrad": amsgrad, "maximize": maximize}
    if not state:
        state.update(init_adam_states(param, hp))
    p = param.copy()
    p[...] *= 1 - lr * weight_decay
    g = effective_grad(p, grad, hp)
    return _adam_update(p, g, state, hp)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    hp = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay, "eps": eps,
          "maximize": maximize}
    if not state:
        state.update({"step": 0, "sum": np.full_like(param, initial_accumulator_value)})
    p = param.copy()
    g = effective_grad(p, grad, hp)
    state["step"] += 1
    s = state["sum"]
    s[...] += np.square(g)
    eta = hp["lr"] / (1 + (state["step"] - 1) * hp["lr_decay"])
    p[...] -= eta * g / (np.sqrt(s) + hp["eps"])
    return p
