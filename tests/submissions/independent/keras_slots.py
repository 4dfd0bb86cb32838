# Correct, in a Keras-like vocabulary: optimizers own "slots" (velocity, accumulator, rms,
# momentums) under their own names; a table maps them to torch's state names.
import numpy as np

TORCH_NAME = {"velocity": "momentum_buffer", "rms": "square_avg", "mg": "grad_avg",
              "m": "exp_avg", "v": "exp_avg_sq", "vhat": "max_exp_avg_sq",
              "accumulator": "sum", "iterations": "step"}


class Slots:
    """A view of the state dict under Keras-style slot names."""

    def __init__(self, state):
        self.state = state

    def has(self, name):
        return TORCH_NAME[name] in self.state

    def get(self, name, like=None, fill=0.0):
        key = TORCH_NAME[name]
        if key not in self.state:
            return np.full(np.shape(like), fill, dtype=np.float64)
        return self.state[key]

    def set(self, name, value):
        self.state[TORCH_NAME[name]] = value


def apply_gradient(variable, gradient, slots, kind, cfg):
    if cfg["maximize"]:
        gradient = np.negative(gradient)
    if kind == "adamw":
        variable = variable - cfg["learning_rate"] * cfg["weight_decay"] * variable
    elif cfg["weight_decay"] != 0.0:
        gradient = gradient + cfg["weight_decay"] * variable
    if kind != "sgd":
        slots.set("iterations", slots.get("iterations", 0) + 1)
    if kind == "sgd":
        return _sgd(variable, gradient, slots, cfg)
    if kind == "rmsprop":
        return _rmsprop(variable, gradient, slots, cfg)
    if kind == "adagrad":
        return _adagrad(variable, gradient, slots, cfg)
    return _adam(variable, gradient, slots, cfg)


def _sgd(variable, gradient, slots, cfg):
    beta = cfg["momentum"]
    if beta == 0.0:
        return variable - cfg["learning_rate"] * gradient
    if slots.has("velocity"):
        velocity = beta * slots.get("velocity") + (1.0 - cfg["dampening"]) * gradient
    else:
        velocity = np.array(gradient, copy=True)
    slots.set("velocity", velocity)
    step = gradient + beta * velocity if cfg["nesterov"] else velocity
    return variable - cfg["learning_rate"] * step


def _rmsprop(variable, gradient, slots, cfg):
    rho = cfg["rho"]
    rms = rho * slots.get("rms", variable) + (1.0 - rho) * np.square(gradient)
    slots.set("rms", rms)
    denominator = rms
    if cfg["centered"]:
        mg = rho * slots.get("mg", variable) + (1.0 - rho) * gradient
        slots.set("mg", mg)
        denominator = rms - np.square(mg)
    increment = gradient / (np.sqrt(denominator) + cfg["epsilon"])
    if cfg["momentum"] > 0.0:
        increment = cfg["momentum"] * slots.get("velocity", variable) + increment
        slots.set("velocity", increment)
    return variable - cfg["learning_rate"] * increment


def _adam(variable, gradient, slots, cfg):
    beta_1, beta_2 = cfg["beta_1"], cfg["beta_2"]
    local_step = slots.get("iterations")
    m = beta_1 * slots.get("m", variable) + (1.0 - beta_1) * gradient
    v = beta_2 * slots.get("v", variable) + (1.0 - beta_2) * np.square(gradient)
    slots.set("m", m)
    slots.set("v", v)
    if cfg["amsgrad"]:
        v = np.maximum(slots.get("vhat", variable), v)
        slots.set("vhat", v)
    alpha = cfg["learning_rate"] * np.sqrt(1.0 - beta_2 ** local_step) / (1.0 - beta_1 ** local_step)
    return variable - alpha * m / (np.sqrt(v) + cfg["epsilon"] * np.sqrt(1.0 - beta_2 ** local_step))


def _adagrad(variable, gradient, slots, cfg):
    accumulator = slots.get("accumulator", variable, cfg["initial_accumulator_value"])
    accumulator = accumulator + np.square(gradient)
    slots.set("accumulator", accumulator)
    rate = cfg["learning_rate"] / (1.0 + (slots.get("iterations") - 1) * cfg["lr_decay"])
    return variable - rate * gradient / (np.sqrt(accumulator) + cfg["epsilon"])


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    cfg = {"learning_rate": lr, "momentum": momentum, "dampening": dampening,
           "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
    return apply_gradient(param, grad, Slots(state), "sgd", cfg)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    cfg = {"learning_rate": lr, "rho": alpha, "epsilon": eps, "weight_decay": weight_decay,
           "momentum": momentum, "centered": centered, "maximize": maximize}
    return apply_gradient(param, grad, Slots(state), "rmsprop", cfg)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    cfg = {"learning_rate": lr, "beta_1": betas[0], "beta_2": betas[1], "epsilon": eps,
           "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize}
    return apply_gradient(param, grad, Slots(state), "adam", cfg)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    cfg = {"learning_rate": lr, "beta_1": betas[0], "beta_2": betas[1], "epsilon": eps,
           "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize}
    return apply_gradient(param, grad, Slots(state), "adamw", cfg)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    cfg = {"learning_rate": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
           "initial_accumulator_value": initial_accumulator_value, "epsilon": eps,
           "maximize": maximize}
    return apply_gradient(param, grad, Slots(state), "adagrad", cfg)
