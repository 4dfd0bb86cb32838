"""The misconception catalog, as data: stable ids, a title, a hint a student can act on, the
functions concerned, and known-buggy variants of the update.

A variant is a list of (find, replace) edits made inside one function of the answer key
(``solutions/optimizers.py``; in the Gradescope zip, ``data/answer_key.py``). The diagnosis
runs the variants on a failing case and names the misconception whose trajectory the
student's matches (``autograder.diagnose``). Ids without variants are recognised by rule
(an error the child reports, or the size of the error).

Two names the harness provides to variants: ``_CALLS`` (a one-item list, fresh per case) and
``_OPTIMIZER_STEP`` (a one-item list holding the 1-based optimizer step).
"""

from dataclasses import dataclass

SGD, RMS, ADAM, ADA = "sgd_step", "rmsprop_step", "_adam_update", "adagrad_step"
ADAMS = ("adam_step", "adamw_step")


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str
    hint: str
    functions: tuple             # student functions it concerns
    variants: tuple = ()         # ((answer-key function, ((find, replace), ...)), ...)


def _maximize_after_decay(function):
    return (function, (("g = -grad if maximize else grad\n", "g = grad\n"),
                       ("        g = g + weight_decay * param\n",
                        "        g = g + weight_decay * param\n    g = -g if maximize else g\n")))


def _step_counter(function, counter):
    return (function, (('state["step"] += 1', f'{counter}[0] += 1\n    state["step"] = {counter}[0]'
                        if counter == "_CALLS" else f'state["step"] = {counter}[0]'),))


_ADAM_DENOM = "np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps"
_ADAM_RETURN = 'return param - (lr / (1 - beta1 ** t)) * state["exp_avg"] / denom'
_RMS_SQUARE = 'alpha * state["square_avg"] + (1 - alpha) * g * g'
_RMS_MEAN = 'alpha * state["grad_avg"] + (1 - alpha) * g'

CATALOG = [
    Misconception(
        "sgd-ema-momentum", "SGD momentum written as an exponential moving average",
        "torch's buffer is b = momentum * b + (1 - dampening) * g (with dampening 0 by default), "
        "not momentum * b + (1 - momentum) * g.",
        ("sgd_step",),
        ((SGD, (("(1 - dampening) * g", "(1 - momentum) * g"),)),
         (SGD, (("(1 - dampening) * g", "(1 - momentum) * g"),
                ("buf = np.array(g, copy=True)", "buf = (1 - momentum) * g"))))),
    Misconception(
        "sgd-lr-in-velocity", "the learning rate folded into the momentum buffer",
        "torch keeps lr out of the buffer: b = momentum * b + (1 - dampening) * g, then "
        "param -= lr * b. With lr inside, the buffer differs and a changing lr gives a different "
        "update.",
        ("sgd_step",),
        ((SGD, (("(1 - dampening) * g", "(1 - dampening) * lr * g"),
                ("buf = np.array(g, copy=True)", "buf = lr * g"),
                ("        g = g + momentum * buf if nesterov else buf\n",
                 "        return param - (lr * g + momentum * buf if nesterov else buf)\n"))),)),
    Misconception(
        "sgd-dampening-first-step", "dampening applied on the first step",
        "On a parameter's first step torch sets the buffer to the gradient itself (a copy), "
        "with no dampening; dampening applies from the second step on.",
        ("sgd_step",),
        ((SGD, (("buf = np.array(g, copy=True)", "buf = (1 - dampening) * g"),)),)),
    Misconception(
        "sgd-nesterov-as-momentum", "Nesterov momentum computed as plain momentum",
        "With nesterov=True the step direction is g + momentum * b (using the updated buffer), "
        "not b.",
        ("sgd_step",),
        ((SGD, (("g = g + momentum * buf if nesterov else buf", "g = buf"),)),)),
    Misconception(
        "weight-decay-after-momentum", "weight decay added after the momentum buffer",
        "Add weight_decay * param to the gradient first, then update the momentum buffer with "
        "that sum.",
        ("sgd_step",),
        ((SGD, (("    if weight_decay != 0:\n        g = g + weight_decay * param\n", ""),
                ("return param - lr * g", "return param - lr * (g + weight_decay * param)"))),)),
    Misconception(
        "maximize-after-weight-decay", "maximize applied after weight decay",
        "Negate the gradient for maximize first, then add weight_decay * param.",
        ("sgd_step", "rmsprop_step", "adam_step", "adagrad_step"),
        (_maximize_after_decay(SGD), _maximize_after_decay(RMS), _maximize_after_decay(ADAM),
         _maximize_after_decay(ADA))),
    Misconception(
        "adam-no-bias-correction", "Adam without bias correction",
        "Divide by the bias corrections: step size lr / (1 - beta1**t) and "
        "sqrt(v) / sqrt(1 - beta2**t).",
        ADAMS,
        ((ADAM, (("np.sqrt(v) / np.sqrt(1 - beta2 ** t)", "np.sqrt(v)"),
                 ("(lr / (1 - beta1 ** t))", "lr"))),)),
    Misconception(
        "adam-bias-correction-off-by-one", "bias correction with the step count off by one",
        "Increment state['step'] before using it: the first step uses t = 1, so "
        "1 - beta1**1 = 1 - beta1.",
        ADAMS,
        ((ADAM, (("beta2 ** t", "beta2 ** (t + 1)"), ("beta1 ** t", "beta1 ** (t + 1)"))),
         (ADAM, (("beta2 ** t", "beta2 ** (t - 1)"), ("beta1 ** t", "beta1 ** (t - 1)"))))),
    Misconception(
        "adam-eps-inside-sqrt", "Adam's eps inside the square root",
        "torch adds eps after the square root: denom = sqrt(v) / sqrt(1 - beta2**t) + eps.",
        ADAMS,
        ((ADAM, ((_ADAM_DENOM, "np.sqrt(v / (1 - beta2 ** t) + eps)"),)),
         (ADAM, ((_ADAM_DENOM, "np.sqrt(v + eps) / np.sqrt(1 - beta2 ** t)"),)))),
    Misconception(
        "adam-eps-hat", "Adam's eps added before the bias correction (the paper's eps-hat form)",
        "Divide sqrt(v) by sqrt(1 - beta2**t) first, then add eps: "
        "sqrt(v) / sqrt(1 - beta2**t) + eps, not (sqrt(v) + eps) / sqrt(1 - beta2**t).",
        ADAMS,
        ((ADAM, ((_ADAM_DENOM, "(np.sqrt(v) + eps) / np.sqrt(1 - beta2 ** t)"),)),)),
    Misconception(
        "adam-state-stores-corrected", "bias-corrected moments stored back into the state",
        "Keep the raw moving averages in state['exp_avg'] and state['exp_avg_sq']; compute the "
        "bias-corrected values in local variables.",
        ADAMS,
        ((ADAM, (("    denom = " + _ADAM_DENOM + "\n    " + _ADAM_RETURN,
                  '    state["exp_avg"] = state["exp_avg"] / (1 - beta1 ** t)\n'
                  '    state["exp_avg_sq"] = state["exp_avg_sq"] / (1 - beta2 ** t)\n'
                  '    return param - lr * state["exp_avg"] / (np.sqrt(state["exp_avg_sq"]) '
                  '+ eps)'),)),)),
    Misconception(
        "adamw-l2-instead-of-decoupled", "AdamW's weight decay added to the gradient (L2)",
        "AdamW decays the parameter directly, param *= 1 - lr * weight_decay, before the Adam "
        "update; the decay never enters the moments.",
        ("adamw_step",),
        ((ADAM, (("    if decoupled:\n        param = param * (1 - lr * weight_decay)\n    elif",
                  "    if"),)),)),
    Misconception(
        "adam-decoupled-instead-of-l2", "Adam's weight decay applied to the parameter (AdamW's)",
        "Adam's weight_decay is L2: add weight_decay * param to the gradient before the moments. "
        "Decoupled decay is AdamW's.",
        ("adam_step",),
        ((ADAM, (("    if decoupled:\n", "    if True:\n"),)),)),
    Misconception(
        "adamw-decay-without-lr", "AdamW's decay not scaled by the learning rate",
        "torch's decoupled decay is param *= 1 - lr * weight_decay (lr times weight_decay).",
        ("adamw_step",),
        ((ADAM, (("param * (1 - lr * weight_decay)", "param * (1 - weight_decay)"),)),)),
    Misconception(
        "adamw-decay-after-update", "AdamW's decay applied after the Adam step",
        "Decay the parameter first (param *= 1 - lr * weight_decay), then apply the Adam update "
        "to the decayed parameter.",
        ("adamw_step",),
        ((ADAM, (("        param = param * (1 - lr * weight_decay)\n", "        pass\n"),
                 (_ADAM_RETURN, 'new = param - (lr / (1 - beta1 ** t)) * state["exp_avg"] / denom'
                  "\n    return new * (1 - lr * weight_decay) if decoupled else new"))),)),
    Misconception(
        "amsgrad-max-of-corrected", "AMSGrad's maximum taken over bias-corrected values",
        "Keep max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq) over the raw averages, and "
        "apply the bias correction to that maximum afterwards.",
        ADAMS,
        ((ADAM, (('np.maximum(state["max_exp_avg_sq"], v)',
                  'np.maximum(state["max_exp_avg_sq"], v / (1 - beta2 ** t))'),
                 ('v = state["max_exp_avg_sq"]',
                  'v = state["max_exp_avg_sq"] * (1 - beta2 ** t)'))),)),
    Misconception(
        "global-step-counter", "one step counter shared by all parameters",
        "Count steps per parameter in its own state['step']: a parameter that gets no gradient "
        "in a step is not passed, and its count must not advance.",
        ("rmsprop_step", "adam_step", "adamw_step", "adagrad_step"),
        tuple(_step_counter(f, c) for f in (ADAM, RMS, ADA)
              for c in ("_CALLS", "_OPTIMIZER_STEP"))),
    Misconception(
        "rmsprop-eps-inside-sqrt", "RMSprop's eps inside the square root",
        "torch adds eps after the square root: avg = sqrt(square_avg) + eps.",
        ("rmsprop_step",),
        ((RMS, (('np.sqrt(state["square_avg"]) + eps', 'np.sqrt(state["square_avg"] + eps)'),
                ('np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps',
                 'np.sqrt(state["square_avg"] - state["grad_avg"] ** 2 + eps)'))),)),
    Misconception(
        "rmsprop-alpha-swapped", "RMSprop's alpha and 1 - alpha swapped",
        "alpha is the weight of the OLD average: square_avg = alpha * square_avg + "
        "(1 - alpha) * g**2 (and likewise grad_avg when centered).",
        ("rmsprop_step",),
        ((RMS, ((_RMS_SQUARE, '(1 - alpha) * state["square_avg"] + alpha * g * g'),)),
         (RMS, ((_RMS_SQUARE, '(1 - alpha) * state["square_avg"] + alpha * g * g'),
                (_RMS_MEAN, '(1 - alpha) * state["grad_avg"] + alpha * g'))))),
    Misconception(
        "rmsprop-centered-stale-mean", "centered RMSprop with the previous step's mean",
        "Update grad_avg with this step's gradient first, then use it: "
        "avg = sqrt(square_avg - grad_avg**2) + eps.",
        ("rmsprop_step",),
        ((RMS, (('        state["grad_avg"] = ' + _RMS_MEAN + '\n'
                 '        avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps\n',
                 '        avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps\n'
                 '        state["grad_avg"] = ' + _RMS_MEAN + '\n'),)),)),
    Misconception(
        "rmsprop-momentum-before-normalising", "RMSprop's momentum buffer fed the raw gradient",
        "With momentum, torch buffers the normalised gradient: b = momentum * b + g / avg, then "
        "param -= lr * b.",
        ("rmsprop_step",),
        ((RMS, (('momentum * state["momentum_buffer"] + g / avg\n'
                 '        return param - lr * state["momentum_buffer"]',
                 'momentum * state["momentum_buffer"] + g\n'
                 '        return param - lr * state["momentum_buffer"] / avg'),)),)),
    Misconception(
        "adagrad-lr-decay-off-by-one", "Adagrad's lr decay with t instead of t - 1",
        "The decayed rate is lr / (1 + (t - 1) * lr_decay): no decay on a parameter's first step.",
        ("adagrad_step",),
        ((ADA, (('(state["step"] - 1) * lr_decay', 'state["step"] * lr_decay'),)),)),
    Misconception(
        "adagrad-ignores-initial-accumulator", "Adagrad's initial_accumulator_value ignored",
        "Start state['sum'] at initial_accumulator_value (np.full_like(param, value)), not at 0.",
        ("adagrad_step",),
        ((ADA, (("np.full_like(param, initial_accumulator_value)", "np.zeros_like(param)"),)),)),
    Misconception(
        "adagrad-eps-inside-sqrt", "Adagrad's eps inside the square root",
        "torch adds eps after the square root: param -= clr * g / (sqrt(sum) + eps).",
        ("adagrad_step",),
        ((ADA, (('np.sqrt(state["sum"]) + eps', 'np.sqrt(state["sum"] + eps)'),)),)),
    # Recognised by rule, not by a variant:
    Misconception(
        "float32-precision", "arithmetic done in float32",
        "Keep every array float64: no astype(np.float32), no dtype=np.float32, no float32 "
        "constants.", ("sgd_step", "rmsprop_step", "adam_step", "adamw_step", "adagrad_step")),
    Misconception(
        "grad-mutated-in-place", "the gradient modified in place",
        "Build new arrays (g = grad + ...) instead of grad += ... or grad *= ...: a training "
        "loop may reuse the gradient.",
        ("sgd_step", "rmsprop_step", "adam_step", "adamw_step", "adagrad_step")),
    Misconception(
        "state-not-persisted", "state rebound instead of filled",
        "Fill the dict you are given (state['step'] = ...); `state = {...}` inside the function "
        "creates a new dict that is thrown away.",
        ("sgd_step", "rmsprop_step", "adam_step", "adamw_step", "adagrad_step")),
    Misconception(
        "wrong-signature", "a signature that differs from torch's",
        "Use the exact signature given: param, grad, state, then the keyword-only "
        "hyperparameters with torch's names and defaults.",
        ("sgd_step", "rmsprop_step", "adam_step", "adamw_step", "adagrad_step")),
]
BY_ID = {m.id: m for m in CATALOG}
