# Correct, table-driven: update rules registered by a decorator, each declaring the state it
# needs; one driver creates the state, applies maximize and weight decay, and calls the rule.
import numpy as np

RULES = {}


def rule(name, slots, counts_steps=True, decay="l2"):
    def register(fn):
        RULES[name] = {"fn": fn, "slots": slots, "counts": counts_steps, "decay": decay}
        return fn
    return register


def _wanted_slots(spec, hp):
    return [slot for slot, needed in spec["slots"].items() if needed(hp)]


def drive(name, param, grad, state, hp):
    spec = RULES[name]
    if not state:
        for slot in _wanted_slots(spec, hp):
            state[slot] = np.full_like(param, hp.get("initial_accumulator_value", 0.0)) \
                if slot == "sum" else np.zeros_like(param)
        if spec["counts"]:
            state["step"] = 0
    if spec["counts"]:
        state["step"] += 1
    g = grad * -1.0 if hp["maximize"] else grad
    if spec["decay"] == "decoupled":
        param = param - hp["lr"] * hp["weight_decay"] * param
    elif hp["weight_decay"]:
        g = g + hp["weight_decay"] * param
    return param - spec["fn"](g, state, hp)


@rule("sgd", {}, counts_steps=False)
def _sgd(g, s, hp):
    mu = hp["momentum"]
    if not mu:
        return hp["lr"] * g
    if "momentum_buffer" in s:
        s["momentum_buffer"] = mu * s["momentum_buffer"] + (1 - hp["dampening"]) * g
    else:
        s["momentum_buffer"] = g.copy()
    b = s["momentum_buffer"]
    return hp["lr"] * (g + mu * b if hp["nesterov"] else b)


@rule("rmsprop", {"square_avg": lambda hp: True, "grad_avg": lambda hp: hp["centered"],
                  "momentum_buffer": lambda hp: hp["momentum"] > 0})
def _rmsprop(g, s, hp):
    a = hp["alpha"]
    s["square_avg"] = a * s["square_avg"] + (1 - a) * g * g
    var = s["square_avg"]
    if hp["centered"]:
        s["grad_avg"] = a * s["grad_avg"] + (1 - a) * g
        var = var - s["grad_avg"] ** 2
    step = g / (np.sqrt(var) + hp["eps"])
    if hp["momentum"] > 0:
        s["momentum_buffer"] = hp["momentum"] * s["momentum_buffer"] + step
        step = s["momentum_buffer"]
    return hp["lr"] * step


ADAM_SLOTS = {"exp_avg": lambda hp: True, "exp_avg_sq": lambda hp: True,
              "max_exp_avg_sq": lambda hp: hp["amsgrad"]}


@rule("adamw", ADAM_SLOTS, decay="decoupled")
@rule("adam", ADAM_SLOTS)
def _adam_update(g, s, hp):
    b1, b2 = hp["betas"]
    n = s["step"]
    s["exp_avg"] = b1 * s["exp_avg"] + (1 - b1) * g
    s["exp_avg_sq"] = b2 * s["exp_avg_sq"] + (1 - b2) * g * g
    v = s["exp_avg_sq"]
    if hp["amsgrad"]:
        s["max_exp_avg_sq"] = np.maximum(s["max_exp_avg_sq"], v)
        v = s["max_exp_avg_sq"]
    return hp["lr"] * (s["exp_avg"] / (1 - b1 ** n)) / (np.sqrt(v / (1 - b2 ** n)) + hp["eps"])



@rule("adagrad", {"sum": lambda hp: True})
def _adagrad(g, s, hp):
    s["sum"] = s["sum"] + g * g
    clr = hp["lr"] / (1 + (s["step"] - 1) * hp["lr_decay"])
    return clr * g / (np.sqrt(s["sum"]) + hp["eps"])


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    return drive("sgd", param, grad, state, locals_of(lr=lr, momentum=momentum,
                 dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                 maximize=maximize))


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    return drive("rmsprop", param, grad, state, locals_of(lr=lr, alpha=alpha, eps=eps,
                 weight_decay=weight_decay, momentum=momentum, centered=centered,
                 maximize=maximize))


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return drive("adam", param, grad, state, locals_of(lr=lr, betas=betas, eps=eps,
                 weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return drive("adamw", param, grad, state, locals_of(lr=lr, betas=betas, eps=eps,
                 weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    return drive("adagrad", param, grad, state, locals_of(lr=lr, lr_decay=lr_decay,
                 weight_decay=weight_decay, eps=eps, maximize=maximize,
                 initial_accumulator_value=initial_accumulator_value))


def locals_of(**hp):
    return hp
