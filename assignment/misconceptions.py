"""The misconception catalog: for each, a stable id, a title, a hint a student can act on, and
its known-buggy variants, each a small function (or class) that replaces one equation of an
optimizer's model (``assignment/models.py``).

``make build`` writes the ids, titles, hints and the functions concerned into the engine
(``autograder/data/misconceptions.json``); ``make references`` runs every variant on every
case of its optimizers and stores its trajectory wherever it differs from torch's, and
refuses a variant that equals torch on every case. Grading names a misconception when a
failing student's trajectory matches one of its variants' (``autograder/diagnose.py``).
Entries with ``functions=ALL`` and no variant are recognised by rule (an error the child
reports, or what the arithmetic shows).

A variant is registered with ``@entry.variant(Model, ...)`` on a function named after the
model's method it replaces, or on a class whose methods replace several (it may call
``super()``). For each model listed it is one variant. ``entry.fixed(Model, name, value)``
makes one that computes with a hyperparameter fixed whatever it is passed; the ``fixed-*``
entries at the end are generated that way from the spec, one per argument.
"""

import numpy as np

from assignment import spec
from assignment.models import MODELS, SGD, Adagrad, Adam, AdamW, RMSprop

ALL = "all"          # every optimizer's step function
ADAMS = (Adam, AdamW)


class Misconception:
    def __init__(self, id, title, hint, functions=()):
        self.id, self.title, self.hint = id, title, hint
        self.rule_functions = functions    # for an entry recognised by rule
        self.variants = []                 # models with the bug: one variant each
        CATALOG.append(self)

    def variant(self, *models):
        def register(bug):
            for model in models:
                if isinstance(bug, type):
                    made = type(f"{model.__name__}:{bug.__name__}", (bug, model), {})
                else:
                    made = type(f"{model.__name__}:{bug.__name__}", (model,),
                                {bug.__name__: bug})
                made.bug, made.model, made.label = bug, model, None
                self.variants.append(made)
            return bug
        return register

    def fixed(self, model, name, value):
        """A variant: ``model`` computing with ``name`` = ``value`` whatever it is passed;
        its label, shown with the diagnosis, says what the code seems to use."""
        made = type(f"{model.__name__}:{name}={value!r}", (model,), {"fixed": {name: value}})
        made.bug, made.label = None, f"{name} = {value!r}"
        made.model = getattr(model, "model", model)      # a written variant's own model
        self.variants.append(made)


CATALOG = []

EMA = Misconception(
    "sgd-ema-momentum", "SGD momentum written as an exponential moving average",
    "torch's buffer is b = momentum * b + (1 - dampening) * g (with dampening 0 by default), "
    "not momentum * b + (1 - momentum) * g.")


@EMA.variant(SGD)
def buffer(self, b, g, h):
    return np.array(g, copy=True) if b is None else h.momentum * b + (1 - h.momentum) * g


@EMA.variant(SGD)
def buffer(self, b, g, h):  # noqa: F811 - the same method, another variant
    return (1 - h.momentum) * g if b is None else h.momentum * b + (1 - h.momentum) * g


LR_IN_VELOCITY = Misconception(
    "sgd-lr-in-velocity", "the learning rate folded into the momentum buffer",
    "torch keeps lr out of the buffer: b = momentum * b + (1 - dampening) * g, then "
    "param -= lr * b. With lr inside, the buffer differs and a changing lr gives a different "
    "update.")


@LR_IN_VELOCITY.variant(SGD)
class LrInVelocity:
    def buffer(self, b, g, h):
        return super().buffer(b, h.lr * g, h)

    def direction(self, g, b, h):
        return (h.lr * g + h.momentum * b if h.nesterov else b) / h.lr


VELOCITY = Misconception(
    "sgd-velocity-form", "momentum written as a velocity, v = momentum * v - lr * g",
    "Keep torch's buffer b = momentum * b + (1 - dampening) * g (no lr, no minus sign, g itself "
    "on the first step) in state['momentum_buffer'] and step param -= lr * b (Nesterov: "
    "param -= lr * (g + momentum * b)); the velocity form holds -lr * b, and differs once lr "
    "changes or dampening is set.")


@VELOCITY.variant(SGD)
class Velocity:
    """v = momentum * v - lr * g (from zero, dampening ignored); param + v, or with Nesterov
    param - lr * g + momentum * v."""

    def buffer(self, b, g, h):
        return h.momentum * (0 if b is None else b) - h.lr * g

    def direction(self, g, b, h):
        return g - h.momentum * b / h.lr if h.nesterov else -b / h.lr


@VELOCITY.variant(SGD)
class DampenedVelocity(Velocity):
    """The same, with v = momentum * v - (1 - dampening) * lr * g after the first step."""

    def buffer(self, b, g, h):
        return -h.lr * g if b is None else h.momentum * b - (1 - h.dampening) * h.lr * g


DAMPENING_FIRST = Misconception(
    "sgd-dampening-first-step", "dampening applied on the first step",
    "On a parameter's first step torch sets the buffer to the gradient itself (a copy), "
    "with no dampening; dampening applies from the second step on.")


@DAMPENING_FIRST.variant(SGD)
def buffer(self, b, g, h):  # noqa: F811
    return (1 - h.dampening) * g if b is None else h.momentum * b + (1 - h.dampening) * g


NESTEROV = Misconception(
    "sgd-nesterov-as-momentum", "Nesterov momentum computed as plain momentum",
    "With nesterov=True the step direction is g + momentum * b (using the updated buffer), "
    "not b.")


@NESTEROV.variant(SGD)
def direction(self, g, b, h):
    return b


DECAY_AFTER_MOMENTUM = Misconception(
    "weight-decay-after-momentum", "weight decay added after the momentum buffer",
    "Add weight_decay * param to the gradient first, then update the momentum buffer with "
    "that sum.")


@DECAY_AFTER_MOMENTUM.variant(SGD)
class DecayAfterMomentum:
    def gradient(self, param, grad, h):
        return -grad if h.maximize else grad

    def update(self, param, d, h):
        return param - h.lr * (d + h.weight_decay * param)


MAXIMIZE_AFTER_DECAY = Misconception(
    "maximize-after-weight-decay", "maximize applied after weight decay",
    "Negate the gradient for maximize first, then add weight_decay * param.")


@MAXIMIZE_AFTER_DECAY.variant(SGD, RMSprop, Adam, Adagrad)
def gradient(self, param, grad, h):
    g = grad + h.weight_decay * param if h.weight_decay else grad
    return -g if h.maximize else g


NO_BIAS_CORRECTION = Misconception(
    "adam-no-bias-correction", "Adam without bias correction",
    "Divide by the bias corrections: step size lr / (1 - beta1**t) and "
    "sqrt(v) / sqrt(1 - beta2**t).")


@NO_BIAS_CORRECTION.variant(*ADAMS)
def update(self, param, state, v, t, h):
    return param - h.lr * state["exp_avg"] / (np.sqrt(v) + h.eps)


OFF_BY_ONE = Misconception(
    "adam-bias-correction-off-by-one", "bias correction with the step count off by one",
    "Increment state['step'] before using it: the first step uses t = 1, so "
    "1 - beta1**1 = 1 - beta1.")


@OFF_BY_ONE.variant(*ADAMS)
class CorrectedWithNextStep:
    def update(self, param, state, v, t, h):
        return super().update(param, state, v, t + 1, h)



ADAM_EPS_INSIDE = Misconception(
    "adam-eps-inside-sqrt", "Adam's eps inside the square root",
    "torch adds eps after the square root: denom = sqrt(v) / sqrt(1 - beta2**t) + eps.")


@ADAM_EPS_INSIDE.variant(*ADAMS)
def denominator(self, v, t, h):
    return np.sqrt(v / (1 - h.betas[1] ** t) + h.eps)


@ADAM_EPS_INSIDE.variant(*ADAMS)
def denominator(self, v, t, h):  # noqa: F811
    return np.sqrt(v + h.eps) / np.sqrt(1 - h.betas[1] ** t)


EPS_HAT = Misconception(
    "adam-eps-hat", "Adam's eps added before the bias correction (the paper's eps-hat form)",
    "Divide sqrt(v) by sqrt(1 - beta2**t) first, then add eps: "
    "sqrt(v) / sqrt(1 - beta2**t) + eps, not (sqrt(v) + eps) / sqrt(1 - beta2**t).")


@EPS_HAT.variant(*ADAMS)
def denominator(self, v, t, h):  # noqa: F811
    return (np.sqrt(v) + h.eps) / np.sqrt(1 - h.betas[1] ** t)


STORES_CORRECTED = Misconception(
    "adam-state-stores-corrected", "bias-corrected moments stored back into the state",
    "Keep the raw moving averages in state['exp_avg'] and state['exp_avg_sq']; compute the "
    "bias-corrected values in local variables.")


@STORES_CORRECTED.variant(*ADAMS)
def update(self, param, state, v, t, h):  # noqa: F811
    beta1, beta2 = h.betas
    m = state["exp_avg"] = state["exp_avg"] / (1 - beta1 ** t)
    v = state["exp_avg_sq"] = state["exp_avg_sq"] / (1 - beta2 ** t)
    return param - h.lr * m / (np.sqrt(v) + h.eps)


ADAMW_L2 = Misconception(
    "adamw-l2-instead-of-decoupled", "AdamW's weight decay added to the gradient (L2)",
    "The gradient already carries the decay: AdamW decays the parameter directly, "
    "param *= 1 - lr * weight_decay, before the Adam update; the decay never enters the "
    "moments.")
ADAMW_L2.variant(AdamW)(Adam.decayed)


@ADAMW_L2.variant(AdamW)
def decayed(self, param, grad, h):  # noqa: F811
    """AdamW's decay term, lr * weight_decay * param, added to the gradient."""
    return param, (-grad if h.maximize else grad) + h.lr * h.weight_decay * param


ADAM_DECOUPLED = Misconception(
    "adam-decoupled-instead-of-l2", "Adam's weight decay applied to the parameter (AdamW's)",
    "Adam's weight_decay is L2: add weight_decay * param to the gradient before the moments. "
    "Decoupled decay is AdamW's.")
ADAM_DECOUPLED.variant(Adam)(AdamW.decayed)

DECAY_WITHOUT_LR = Misconception(
    "adamw-decay-without-lr", "AdamW's decay not scaled by the learning rate",
    "torch's decoupled decay is param *= 1 - lr * weight_decay (lr times weight_decay).")


@DECAY_WITHOUT_LR.variant(AdamW)
def decayed(self, param, grad, h):  # noqa: F811
    return param * (1 - h.weight_decay), (-grad if h.maximize else grad)


DECAY_AFTER_UPDATE = Misconception(
    "adamw-decay-after-update", "AdamW's decay applied after the Adam step",
    "Decay the parameter first (param *= 1 - lr * weight_decay), then apply the Adam update "
    "to the decayed parameter.")


@DECAY_AFTER_UPDATE.variant(AdamW)
class DecayAfterUpdate:
    def decayed(self, param, grad, h):
        return param, (-grad if h.maximize else grad)

    def update(self, param, state, v, t, h):
        return super().update(param, state, v, t, h) * (1 - h.lr * h.weight_decay)


AMSGRAD_CORRECTED = Misconception(
    "amsgrad-max-of-corrected", "AMSGrad's maximum taken over bias-corrected values",
    "Keep max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq) over the raw averages, and "
    "apply the bias correction to that maximum afterwards.")


@AMSGRAD_CORRECTED.variant(*ADAMS)
def amsgrad(self, state, v, t, h):
    correction = 1 - h.betas[1] ** t
    state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(v)),
                                         v / correction)
    return state["max_exp_avg_sq"] * correction


GLOBAL_STEP = Misconception(
    "global-step-counter", "one step counter shared by all parameters",
    "Count steps per parameter in its own state['step'], and use that count wherever the "
    "step enters the update (the bias correction): a parameter that gets no gradient in a "
    "step is not passed, and its count must not advance.")


@GLOBAL_STEP.variant(*ADAMS, RMSprop, Adagrad)
def count(self, state):
    """The calls so far, over every parameter."""
    state["step"] = self.calls
    return state["step"]


@GLOBAL_STEP.variant(*ADAMS, RMSprop, Adagrad)
def count(self, state):  # noqa: F811
    """The optimizer's step, whichever parameters got a gradient."""
    state["step"] = self.optimizer_step
    return state["step"]


@GLOBAL_STEP.variant(*ADAMS, RMSprop, Adagrad)
def count(self, state):  # noqa: F811
    """The largest step any parameter has reached, or this one's own next, if larger."""
    self.largest = max(getattr(self, "largest", 0), state.get("step", 0) + 1)
    state["step"] = self.largest
    return state["step"]


@GLOBAL_STEP.variant(*ADAMS)
def count(self, state):  # noqa: F811
    """Its own state['step'], right, but the largest step any parameter has reached used in
    the bias correction."""
    state["step"] = state.get("step", 0) + 1
    self.largest = max(getattr(self, "largest", 0), state["step"])
    return self.largest


RMSPROP_EPS_INSIDE = Misconception(
    "rmsprop-eps-inside-sqrt", "RMSprop's eps inside the square root",
    "torch adds eps after the square root: avg = sqrt(square_avg) + eps.")


@RMSPROP_EPS_INSIDE.variant(RMSprop)
def root(self, x, h):
    return np.sqrt(x + h.eps)


ALPHA_SWAPPED = Misconception(
    "rmsprop-alpha-swapped", "RMSprop's alpha and 1 - alpha swapped",
    "alpha is the weight of the OLD average: square_avg = alpha * square_avg + "
    "(1 - alpha) * g**2 (and likewise grad_avg when centered).")


@ALPHA_SWAPPED.variant(RMSprop)
def square_avg(self, v, g, h):
    return (1 - h.alpha) * v + h.alpha * g * g


@ALPHA_SWAPPED.variant(RMSprop)
class BothAveragesSwapped:
    def square_avg(self, v, g, h):
        return (1 - h.alpha) * v + h.alpha * g * g

    def grad_avg(self, gbar, g, h):
        return (1 - h.alpha) * gbar + h.alpha * g


STALE_MEAN = Misconception(
    "rmsprop-centered-stale-mean", "centered RMSprop with the previous step's mean",
    "Update grad_avg with this step's gradient first, then use it: "
    "avg = sqrt(square_avg - grad_avg**2) + eps.")


@STALE_MEAN.variant(RMSprop)
def centered(self, state, g, v, h):
    gbar = state.get("grad_avg", np.zeros_like(v))
    state["grad_avg"] = self.grad_avg(gbar, g, h)
    return self.root(v - gbar ** 2, h)


MOMENTUM_RAW = Misconception(
    "rmsprop-momentum-before-normalising", "RMSprop's momentum buffer fed the raw gradient",
    "With momentum, torch buffers the normalised gradient: b = momentum * b + g / avg, then "
    "param -= lr * b.")


@MOMENTUM_RAW.variant(RMSprop)
def with_momentum(self, param, state, g, avg, h):
    b = state.get("momentum_buffer", np.zeros_like(param))
    state["momentum_buffer"] = h.momentum * b + g
    return param - h.lr * state["momentum_buffer"] / avg


LR_DECAY = Misconception(
    "adagrad-lr-decay-off-by-one", "Adagrad's lr decay with t instead of t - 1",
    "The decayed rate is lr / (1 + (t - 1) * lr_decay): no decay on a parameter's first step.")


@LR_DECAY.variant(Adagrad)
def decayed_lr(self, t, h):
    return h.lr / (1 + t * h.lr_decay)


INITIAL_ACCUMULATOR = Misconception(
    "adagrad-ignores-initial-accumulator", "Adagrad's initial_accumulator_value ignored",
    "Start state['sum'] at initial_accumulator_value (np.full_like(param, value)), not at 0.")


@INITIAL_ACCUMULATOR.variant(Adagrad)
def initial_sum(self, param, h):
    return np.zeros_like(param)


ADAGRAD_EPS_INSIDE = Misconception(
    "adagrad-eps-inside-sqrt", "Adagrad's eps inside the square root",
    "torch adds eps after the square root: param -= clr * g / (sqrt(sum) + eps).")
ADAGRAD_EPS_INSIDE.variant(Adagrad)(root)     # the same bug as RMSprop's

Misconception(
    "float32-precision", "arithmetic done in float32",
    "Keep every array float64: no astype(np.float32), no dtype=np.float32, no float32 "
    "constants.", ALL)
Misconception(
    "grad-mutated-in-place", "the gradient modified in place",
    "Build new arrays (g = grad + ...) instead of grad += ... or grad *= ...: a training "
    "loop may reuse the gradient.", ALL)
Misconception(
    "state-not-persisted", "state rebound instead of filled",
    "Fill the dict you are given (state['step'] = ...); `state = {...}` inside the function "
    "creates a new dict that is thrown away.", ALL)
Misconception(
    "wrong-signature", "a signature that differs from torch's",
    "Use the exact signature given: param, grad, state, then the keyword-only "
    "hyperparameters with torch's names and defaults.", ALL)


# Hard-coded hyperparameters: one entry per argument (nesterov's and
# initial_accumulator_value's have their own above), with a variant per model that takes it
# and per value a student may have fixed it at: torch's default, and constants common in
# public code. Switching off a feature that keeps state (momentum 0, centered or amsgrad
# False) leaves its state entry out, which the report names plainly instead.
COMMON = {"lr": (1e-3, 1e-2), "eps": (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-10), "momentum": (0.9,),
          "betas": ((0.9, 0.999),), "alpha": (0.99, 0.9), "weight_decay": (0.0, 1e-2)}
NAMED_ABOVE = {"nesterov", "initial_accumulator_value"}
KEEPS_STATE = {"momentum": 0.0, "centered": False, "amsgrad": False}


def fixed_values(name, default):
    default = tuple(default) if isinstance(default, list) else default
    values = dict.fromkeys((default, *COMMON.get(name, ())))
    return [v for v in values if name not in KEEPS_STATE or v != KEEPS_STATE[name]]


for name in dict.fromkeys(h for o in spec.OPTIMIZERS.values() for h in o["hyperparameters"]):
    takes = [(model, spec.OPTIMIZERS[model.optimizer]["hyperparameters"][name])
             for model in MODELS if name in spec.OPTIMIZERS.get(model.optimizer, {}).get(
                 "hyperparameters", {})]
    if name in NAMED_ABOVE or not any(fixed_values(name, d) for _, d in takes):
        continue
    entry = Misconception(
        f"fixed-{name}", f"`{name}` fixed in the code instead of taken from the argument",
        f"Use the `{name}` argument as given: cases pass other values than torch's default, "
        "and a default in the signature other than torch's changes every case that omits it.")
    for model, default in takes:
        for value in fixed_values(name, default):
            entry.fixed(model, name, value)


# eps inside the square root is often a constant too (np.sqrt(v + 1e-8)): each of those
# variants also with eps fixed, named under its own entry, the value in the label.
for entry in (ADAM_EPS_INSIDE, RMSPROP_EPS_INSIDE, ADAGRAD_EPS_INSIDE):
    for variant in list(entry.variants):
        for value in COMMON["eps"]:
            entry.fixed(variant, "eps", value)
