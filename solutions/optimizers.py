# Generated from assignment/optimizers.py by python -m toolkit build: edit that file.
"""Optimizer step functions in NumPy, written to match ``torch.optim`` exactly.

Each function updates ONE parameter array:

* ``param`` -- the parameter (a float64 ndarray, possibly 0-d),
* ``grad``  -- its gradient (same shape; do not modify it in place),
* ``state`` -- this parameter's own state dict, ``{}`` before its first step.
  Keep running statistics in it under torch's names and mutate it
  (``state["exp_avg"] = ...``): never rebind it to a new dict.

Each returns the updated parameter. Hyperparameters are keyword arguments
with torch's names and defaults; ``lr`` may differ from one call to the next.
"""

import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    """SGD with optional momentum, Nesterov momentum and L2 weight decay.

        g <- -g if maximize;   g <- g + weight_decay * param
        b <- g                               (first step: no dampening)
        b <- momentum * b + (1 - dampening) * g   (later steps)
        d <- g + momentum * b if nesterov else b   (d = g when momentum == 0)
        param <- param - lr * d

    State: "momentum_buffer" (only when momentum != 0).
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    if momentum != 0:
        if "momentum_buffer" in state:
            buf = momentum * state["momentum_buffer"] + (1 - dampening) * g
        else:
            buf = np.array(g, copy=True)
        state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * g


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    """RMSprop: divide the gradient by a running RMS of recent gradients.

        g <- -g if maximize;   g <- g + weight_decay * param
        v <- alpha * v + (1 - alpha) * g**2
        centered: gbar <- alpha * gbar + (1 - alpha) * g;  avg <- sqrt(v - gbar**2) + eps
        otherwise:                                         avg <- sqrt(v) + eps
        momentum > 0: b <- momentum * b + g / avg;  param <- param - lr * b
        otherwise:                                  param <- param - lr * g / avg

    State: "step", "square_avg", "grad_avg" (centered), "momentum_buffer" (momentum > 0).
    """
    if not state:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param)
        if momentum > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if centered:
            state["grad_avg"] = np.zeros_like(param)
    state["step"] += 1
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
    if centered:
        state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g
        avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + eps
    else:
        avg = np.sqrt(state["square_avg"]) + eps
    if momentum > 0:
        state["momentum_buffer"] = momentum * state["momentum_buffer"] + g / avg
        return param - lr * state["momentum_buffer"]
    return param - lr * g / avg


def _adam_update(param, grad, state, *, lr, betas, eps, weight_decay, amsgrad, maximize,
                 decoupled):
    """Adam (decoupled=False: L2 decay in the gradient) or AdamW (decoupled=True)."""
    beta1, beta2 = betas
    if not state:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
    state["step"] += 1
    t = state["step"]
    g = -grad if maximize else grad
    if decoupled:
        param = param * (1 - lr * weight_decay)
    elif weight_decay != 0:
        g = g + weight_decay * param
    state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
    state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
    v = state["exp_avg_sq"]
    if amsgrad:
        state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        v = state["max_exp_avg_sq"]
    denom = np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps
    return param - (lr / (1 - beta1 ** t)) * state["exp_avg"] / denom


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    """Adam with L2 weight decay (added to the gradient).

        t <- t + 1;  g <- -g if maximize;  g <- g + weight_decay * param
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2;   amsgrad: vmax <- max(vmax, v), use vmax
        param <- param - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    State: "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (amsgrad).
    """
    return _adam_update(param, grad, state, lr=lr, betas=betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled=False)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    """AdamW: Adam with decoupled weight decay.

        param <- param * (1 - lr * weight_decay), then the Adam update with no L2 term.

    State: as adam_step.
    """
    return _adam_update(param, grad, state, lr=lr, betas=betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled=True)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    """Adagrad: per-coordinate step sizes from the sum of all squared gradients.

        s starts at initial_accumulator_value;  t <- t + 1
        g <- -g if maximize;  g <- g + weight_decay * param
        clr <- lr / (1 + (t - 1) * lr_decay)
        s <- s + g**2
        param <- param - clr * g / (sqrt(s) + eps)

    State: "step", "sum".
    """
    if not state:
        state["step"] = 0
        state["sum"] = np.full_like(param, initial_accumulator_value)
    state["step"] += 1
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    state["sum"] = state["sum"] + g * g
    return param - clr * g / (np.sqrt(state["sum"]) + eps)
