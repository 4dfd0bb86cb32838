# Correct, one generic routine: every optimizer goes through step(kind, ...) with one branch
# per kind; the public functions only name their kind and pass their hyperparameters on.
import numpy as np

NEEDS_STEP_COUNT = {"rmsprop", "adam", "adamw", "adagrad"}


def step(kind, param, grad, state, hp):
    g = np.array(grad, dtype=np.float64)
    if hp.get("maximize"):
        g = -g
    wd = hp.get("weight_decay", 0.0)
    if kind == "adamw":
        param = param * (1.0 - hp["lr"] * wd)
    elif wd != 0.0:
        g = g + wd * param
    if kind in NEEDS_STEP_COUNT:
        state["step"] = state.get("step", 0) + 1
        n = state["step"]

    if kind == "sgd":
        mu = hp["momentum"]
        if mu != 0.0:
            if state.get("momentum_buffer") is None:
                state["momentum_buffer"] = g.copy()
            else:
                state["momentum_buffer"] = (mu * state["momentum_buffer"]
                                            + (1.0 - hp["dampening"]) * g)
            g = g + mu * state["momentum_buffer"] if hp["nesterov"] else state["momentum_buffer"]
        update = hp["lr"] * g
    elif kind == "rmsprop":
        a = hp["alpha"]
        state["square_avg"] = a * state.get("square_avg", 0.0 * param) + (1.0 - a) * g * g
        if hp["centered"]:
            state["grad_avg"] = a * state.get("grad_avg", 0.0 * param) + (1.0 - a) * g
            rms = np.sqrt(state["square_avg"] - state["grad_avg"] * state["grad_avg"])
        else:
            rms = np.sqrt(state["square_avg"])
        g = g / (rms + hp["eps"])
        if hp["momentum"] > 0.0:
            state["momentum_buffer"] = hp["momentum"] * state.get("momentum_buffer", 0.0 * param) + g
            g = state["momentum_buffer"]
        update = hp["lr"] * g
    elif kind in ("adam", "adamw"):
        b1, b2 = hp["betas"]
        state["exp_avg"] = b1 * state.get("exp_avg", 0.0 * param) + (1.0 - b1) * g
        state["exp_avg_sq"] = b2 * state.get("exp_avg_sq", 0.0 * param) + (1.0 - b2) * g * g
        second = state["exp_avg_sq"]
        if hp["amsgrad"]:
            state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", 0.0 * param), second)
            second = state["max_exp_avg_sq"]
        denom = np.sqrt(second) / np.sqrt(1.0 - b2 ** n) + hp["eps"]
        update = hp["lr"] / (1.0 - b1 ** n) * state["exp_avg"] / denom
    elif kind == "adagrad":
        state["sum"] = state.get("sum", np.full_like(param, hp["initial_accumulator_value"])) + g * g
        clr = hp["lr"] / (1.0 + (n - 1) * hp["lr_decay"])
        update = clr * g / (np.sqrt(state["sum"]) + hp["eps"])
    else:
        raise ValueError(f"unknown optimizer {kind!r}")
    return param - update


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    return step("sgd", param, grad, state, dict(lr=lr, momentum=momentum, dampening=dampening,
                weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    return step("rmsprop", param, grad, state, dict(lr=lr, alpha=alpha, eps=eps,
                weight_decay=weight_decay, momentum=momentum, centered=centered,
                maximize=maximize))


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return step("adam", param, grad, state, dict(lr=lr, betas=betas, eps=eps,
                weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return step("adamw", param, grad, state, dict(lr=lr, betas=betas, eps=eps,
                weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    return step("adagrad", param, grad, state, dict(lr=lr, lr_decay=lr_decay,
                weight_decay=weight_decay, initial_accumulator_value=initial_accumulator_value,
                eps=eps, maximize=maximize))
