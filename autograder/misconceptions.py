"""The misconception catalog, as data: stable ids, a title, a hint a student can act on, and
the functions concerned.

Grading names a misconception when a failing student's trajectory matches a stored
trajectory of one of its known-buggy variants (``autograder.diagnose``); the variants
themselves are edits of the answer key, kept with the instructor
(``autograder/instructor/variants.py``). Ids without variants are recognised by rule
(an error the child reports, or what the arithmetic shows).
"""

from dataclasses import dataclass

ADAMS = ("adam_step", "adamw_step")
ALL = ("sgd_step", "rmsprop_step", "adam_step", "adamw_step", "adagrad_step")


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str
    hint: str
    functions: tuple             # student functions it concerns


CATALOG = [
    Misconception(
        "sgd-ema-momentum",
        "SGD momentum written as an exponential moving average",
        "torch's buffer is b = momentum * b + (1 - dampening) * g (with dampening 0 by default), "
        "not momentum * b + (1 - momentum) * g.",
        ("sgd_step",)),
    Misconception(
        "sgd-lr-in-velocity",
        "the learning rate folded into the momentum buffer",
        "torch keeps lr out of the buffer: b = momentum * b + (1 - dampening) * g, then "
        "param -= lr * b. With lr inside, the buffer differs and a changing lr gives a different "
        "update.",
        ("sgd_step",)),
    Misconception(
        "sgd-dampening-first-step",
        "dampening applied on the first step",
        "On a parameter's first step torch sets the buffer to the gradient itself (a copy), "
        "with no dampening; dampening applies from the second step on.",
        ("sgd_step",)),
    Misconception(
        "sgd-nesterov-as-momentum",
        "Nesterov momentum computed as plain momentum",
        "With nesterov=True the step direction is g + momentum * b (using the updated buffer), "
        "not b.",
        ("sgd_step",)),
    Misconception(
        "weight-decay-after-momentum",
        "weight decay added after the momentum buffer",
        "Add weight_decay * param to the gradient first, then update the momentum buffer with "
        "that sum.",
        ("sgd_step",)),
    Misconception(
        "maximize-after-weight-decay",
        "maximize applied after weight decay",
        "Negate the gradient for maximize first, then add weight_decay * param.",
        ("sgd_step", "rmsprop_step", "adam_step", "adagrad_step")),
    Misconception(
        "adam-no-bias-correction",
        "Adam without bias correction",
        "Divide by the bias corrections: step size lr / (1 - beta1**t) and "
        "sqrt(v) / sqrt(1 - beta2**t).",
        ADAMS),
    Misconception(
        "adam-bias-correction-off-by-one",
        "bias correction with the step count off by one",
        "Increment state['step'] before using it: the first step uses t = 1, so "
        "1 - beta1**1 = 1 - beta1.",
        ADAMS),
    Misconception(
        "adam-eps-inside-sqrt",
        "Adam's eps inside the square root",
        "torch adds eps after the square root: denom = sqrt(v) / sqrt(1 - beta2**t) + eps.",
        ADAMS),
    Misconception(
        "adam-eps-hat",
        "Adam's eps added before the bias correction (the paper's eps-hat form)",
        "Divide sqrt(v) by sqrt(1 - beta2**t) first, then add eps: "
        "sqrt(v) / sqrt(1 - beta2**t) + eps, not (sqrt(v) + eps) / sqrt(1 - beta2**t).",
        ADAMS),
    Misconception(
        "adam-state-stores-corrected",
        "bias-corrected moments stored back into the state",
        "Keep the raw moving averages in state['exp_avg'] and state['exp_avg_sq']; compute the "
        "bias-corrected values in local variables.",
        ADAMS),
    Misconception(
        "adamw-l2-instead-of-decoupled",
        "AdamW's weight decay added to the gradient (L2)",
        "AdamW decays the parameter directly, param *= 1 - lr * weight_decay, before the Adam "
        "update; the decay never enters the moments.",
        ("adamw_step",)),
    Misconception(
        "adam-decoupled-instead-of-l2",
        "Adam's weight decay applied to the parameter (AdamW's)",
        "Adam's weight_decay is L2: add weight_decay * param to the gradient before the moments. "
        "Decoupled decay is AdamW's.",
        ("adam_step",)),
    Misconception(
        "adamw-decay-without-lr",
        "AdamW's decay not scaled by the learning rate",
        "torch's decoupled decay is param *= 1 - lr * weight_decay (lr times weight_decay).",
        ("adamw_step",)),
    Misconception(
        "adamw-decay-after-update",
        "AdamW's decay applied after the Adam step",
        "Decay the parameter first (param *= 1 - lr * weight_decay), then apply the Adam update "
        "to the decayed parameter.",
        ("adamw_step",)),
    Misconception(
        "amsgrad-max-of-corrected",
        "AMSGrad's maximum taken over bias-corrected values",
        "Keep max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq) over the raw averages, and "
        "apply the bias correction to that maximum afterwards.",
        ADAMS),
    Misconception(
        "global-step-counter",
        "one step counter shared by all parameters",
        "Count steps per parameter in its own state['step']: a parameter that gets no gradient "
        "in a step is not passed, and its count must not advance.",
        ("rmsprop_step", "adam_step", "adamw_step", "adagrad_step")),
    Misconception(
        "rmsprop-eps-inside-sqrt",
        "RMSprop's eps inside the square root",
        "torch adds eps after the square root: avg = sqrt(square_avg) + eps.",
        ("rmsprop_step",)),
    Misconception(
        "rmsprop-alpha-swapped",
        "RMSprop's alpha and 1 - alpha swapped",
        "alpha is the weight of the OLD average: square_avg = alpha * square_avg + "
        "(1 - alpha) * g**2 (and likewise grad_avg when centered).",
        ("rmsprop_step",)),
    Misconception(
        "rmsprop-centered-stale-mean",
        "centered RMSprop with the previous step's mean",
        "Update grad_avg with this step's gradient first, then use it: "
        "avg = sqrt(square_avg - grad_avg**2) + eps.",
        ("rmsprop_step",)),
    Misconception(
        "rmsprop-momentum-before-normalising",
        "RMSprop's momentum buffer fed the raw gradient",
        "With momentum, torch buffers the normalised gradient: b = momentum * b + g / avg, then "
        "param -= lr * b.",
        ("rmsprop_step",)),
    Misconception(
        "adagrad-lr-decay-off-by-one",
        "Adagrad's lr decay with t instead of t - 1",
        "The decayed rate is lr / (1 + (t - 1) * lr_decay): no decay on a parameter's first step.",
        ("adagrad_step",)),
    Misconception(
        "adagrad-ignores-initial-accumulator",
        "Adagrad's initial_accumulator_value ignored",
        "Start state['sum'] at initial_accumulator_value (np.full_like(param, value)), not at 0.",
        ("adagrad_step",)),
    Misconception(
        "adagrad-eps-inside-sqrt",
        "Adagrad's eps inside the square root",
        "torch adds eps after the square root: param -= clr * g / (sqrt(sum) + eps).",
        ("adagrad_step",)),
    Misconception(
        "float32-precision",
        "arithmetic done in float32",
        "Keep every array float64: no astype(np.float32), no dtype=np.float32, no float32 "
        "constants.",
        ALL),
    Misconception(
        "grad-mutated-in-place",
        "the gradient modified in place",
        "Build new arrays (g = grad + ...) instead of grad += ... or grad *= ...: a training "
        "loop may reuse the gradient.",
        ALL),
    Misconception(
        "state-not-persisted",
        "state rebound instead of filled",
        "Fill the dict you are given (state['step'] = ...); `state = {...}` inside the function "
        "creates a new dict that is thrown away.",
        ALL),
    Misconception(
        "wrong-signature",
        "a signature that differs from torch's",
        "Use the exact signature given: param, grad, state, then the keyword-only "
        "hyperparameters with torch's names and defaults.",
        ALL),
]
BY_ID = {m.id: m for m in CATALOG}
