# Correct, in the style of a course assignment's optim.py: each rule takes w, dw and a config
# dict of its settings, returns next_w, and keeps its running values in the config.
import numpy as np


def sgd_momentum(w, dw, config):
    mu = config["momentum"]
    if config["maximize"]:
        dw = -dw
    dw = dw + config["weight_decay"] * w
    if mu == 0:
        return w - config["learning_rate"] * dw
    if "momentum_buffer" in config:
        v = mu * config["momentum_buffer"] + (1 - config["dampening"]) * dw
    else:
        v = np.copy(dw)
    config["momentum_buffer"] = v
    if config["nesterov"]:
        next_w = w - config["learning_rate"] * (dw + mu * v)
    else:
        next_w = w - config["learning_rate"] * v
    return next_w


def rmsprop(w, dw, config):
    config["step"] = config.get("step", 0) + 1
    rho = config["decay_rate"]
    if config["maximize"]:
        dw = -dw
    dw = dw + config["weight_decay"] * w
    cache = config.get("square_avg", np.zeros_like(w))
    cache = rho * cache + (1 - rho) * (dw * dw)
    config["square_avg"] = cache
    if config["centered"]:
        mean = rho * config.get("grad_avg", np.zeros_like(w)) + (1 - rho) * dw
        config["grad_avg"] = mean
        cache = cache - mean * mean
    step_dir = dw / (np.sqrt(cache) + config["epsilon"])
    if config["momentum"] > 0:
        step_dir = config["momentum"] * config.get("momentum_buffer", np.zeros_like(w)) + step_dir
        config["momentum_buffer"] = step_dir
    next_w = w - config["learning_rate"] * step_dir
    return next_w


def adam(w, dw, config):
    config["step"] = config.get("step", 0) + 1
    t = config["step"]
    b1, b2 = config["beta1"], config["beta2"]
    if config["maximize"]:
        dw = -dw
    if config["decoupled"]:
        w = w - config["learning_rate"] * config["weight_decay"] * w
    else:
        dw = dw + config["weight_decay"] * w
    m = b1 * config.get("exp_avg", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("exp_avg_sq", np.zeros_like(w)) + (1 - b2) * (dw ** 2)
    config["exp_avg"], config["exp_avg_sq"] = m, v
    if config["amsgrad"]:
        v = np.maximum(config.get("max_exp_avg_sq", np.zeros_like(w)), v)
        config["max_exp_avg_sq"] = v
    mt = m / (1 - b1 ** t)
    vt = v / (1 - b2 ** t)
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w


def adagrad(w, dw, config):
    config["step"] = config.get("step", 0) + 1
    if config["maximize"]:
        dw = -dw
    dw = dw + config["weight_decay"] * w
    cache = config.get("sum", np.zeros_like(w) + config["initial_accumulator_value"])
    cache = cache + dw * dw
    config["sum"] = cache
    lr = config["learning_rate"] / (1 + (config["step"] - 1) * config["lr_decay"])
    next_w = w - lr * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w


def run(rule, param, grad, state, settings):
    """The lab's API around a course-style rule: settings and state share one config."""
    config = dict(state)
    config.update(settings)
    next_w = rule(param, grad, config)
    for key in list(config):
        if key not in settings:
            state[key] = config[key]
    return next_w


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    return run(sgd_momentum, param, grad, state, {
        "learning_rate": lr, "momentum": momentum, "dampening": dampening,
        "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize})


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    return run(rmsprop, param, grad, state, {
        "learning_rate": lr, "decay_rate": alpha, "epsilon": eps, "weight_decay": weight_decay,
        "momentum": momentum, "centered": centered, "maximize": maximize})


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return run(adam, param, grad, state, {
        "learning_rate": lr, "beta1": betas[0], "beta2": betas[1], "epsilon": eps,
        "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
        "decoupled": False})


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return run(adam, param, grad, state, {
        "learning_rate": lr, "beta1": betas[0], "beta2": betas[1], "epsilon": eps,
        "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
        "decoupled": True})


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    return run(adagrad, param, grad, state, {
        "learning_rate": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
        "initial_accumulator_value": initial_accumulator_value, "epsilon": eps,
        "maximize": maximize})
