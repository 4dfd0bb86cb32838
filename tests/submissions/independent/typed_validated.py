"""Correct, defensive and typed: annotations, argument validation with clear errors,
NumPy-style docstrings, and constants for the state names."""
from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np
from numpy.typing import NDArray

State = Dict[str, Any]
Array = NDArray[np.float64]

STEP, SQUARE_AVG, GRAD_AVG, BUFFER = "step", "square_avg", "grad_avg", "momentum_buffer"
EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ, SUM = "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "sum"


def _check(lr: float, **nonnegative: float) -> None:
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    for name, value in nonnegative.items():
        if value < 0.0:
            raise ValueError(f"Invalid {name} value: {value}")


def _oriented(grad: Array, maximize: bool) -> Array:
    return np.negative(grad) if maximize else np.asarray(grad, dtype=np.float64)


def sgd_step(param: Array, grad: Array, state: State, *, lr: float = 1e-3,
             momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
             nesterov: bool = False, maximize: bool = False) -> Array:
    """One SGD step.

    Parameters
    ----------
    param, grad : arrays of the same shape
    state : this parameter's state; holds ``momentum_buffer`` when momentum is used
    """
    _check(lr, momentum=momentum, weight_decay=weight_decay)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    d_p: Array = _oriented(grad, maximize)
    if weight_decay != 0.0:
        d_p = d_p + weight_decay * param
    if momentum != 0.0:
        buf: Array | None = state.get(BUFFER)
        buf = d_p.copy() if buf is None else momentum * buf + (1.0 - dampening) * d_p
        state[BUFFER] = buf
        d_p = d_p + momentum * buf if nesterov else buf
    return param - lr * d_p


def rmsprop_step(param: Array, grad: Array, state: State, *, lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False,
                 maximize: bool = False) -> Array:
    """One RMSprop step; state holds step, square_avg, grad_avg and momentum_buffer."""
    _check(lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay)
    g: Array = _oriented(grad, maximize)
    if weight_decay != 0.0:
        g = g + weight_decay * param
    if STEP not in state:
        state[STEP] = 0
        state[SQUARE_AVG] = np.zeros_like(param, dtype=np.float64)
    state[STEP] += 1
    square_avg: Array = alpha * state[SQUARE_AVG] + (1.0 - alpha) * g * g
    state[SQUARE_AVG] = square_avg
    if centered:
        grad_avg: Array = alpha * state.get(GRAD_AVG, np.zeros_like(param)) + (1.0 - alpha) * g
        state[GRAD_AVG] = grad_avg
        avg: Array = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0.0:
        buf: Array = momentum * state.get(BUFFER, np.zeros_like(param)) + g / avg
        state[BUFFER] = buf
        return param - lr * buf
    return param - lr * g / avg


def _adam(param: Array, grad: Array, state: State, lr: float, betas: Tuple[float, float],
          eps: float, weight_decay: float, amsgrad: bool, maximize: bool,
          decoupled: bool) -> Array:
    beta1, beta2 = (float(b) for b in betas)
    _check(lr, eps=eps, weight_decay=weight_decay)
    if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
        raise ValueError(f"Invalid betas: {betas}")
    g: Array = _oriented(grad, maximize)
    if decoupled:
        param = param * (1.0 - lr * weight_decay)
    elif weight_decay != 0.0:
        g = g + weight_decay * param
    if STEP not in state:
        state[STEP] = 0
        state[EXP_AVG] = np.zeros_like(param, dtype=np.float64)
        state[EXP_AVG_SQ] = np.zeros_like(param, dtype=np.float64)
        if amsgrad:
            state[MAX_EXP_AVG_SQ] = np.zeros_like(param, dtype=np.float64)
    state[STEP] += 1
    t: int = state[STEP]
    state[EXP_AVG] = beta1 * state[EXP_AVG] + (1.0 - beta1) * g
    state[EXP_AVG_SQ] = beta2 * state[EXP_AVG_SQ] + (1.0 - beta2) * g * g
    second: Array = state[EXP_AVG_SQ]
    if amsgrad:
        state[MAX_EXP_AVG_SQ] = np.maximum(state[MAX_EXP_AVG_SQ], second)
        second = state[MAX_EXP_AVG_SQ]
    m_hat: Array = state[EXP_AVG] / (1.0 - beta1 ** t)
    v_hat: Array = second / (1.0 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps)


def adam_step(param: Array, grad: Array, state: State, *, lr: float = 1e-3,
              betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
              weight_decay: float = 0.0, amsgrad: bool = False,
              maximize: bool = False) -> Array:
    """One Adam step (L2 weight decay added to the gradient)."""
    return _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize, False)


def adamw_step(param: Array, grad: Array, state: State, *, lr: float = 1e-3,
               betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 1e-2, amsgrad: bool = False,
               maximize: bool = False) -> Array:
    """One AdamW step (decoupled weight decay)."""
    return _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize, True)


def adagrad_step(param: Array, grad: Array, state: State, *, lr: float = 1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10,
                 maximize: bool = False) -> Array:
    """One Adagrad step; state holds step and sum."""
    _check(lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
           initial_accumulator_value=initial_accumulator_value)
    g: Array = _oriented(grad, maximize)
    if weight_decay != 0.0:
        g = g + weight_decay * param
    if STEP not in state:
        state[STEP] = 0
        state[SUM] = np.full_like(param, initial_accumulator_value, dtype=np.float64)
    state[STEP] += 1
    state[SUM] = state[SUM] + g * g
    clr: float = lr / (1.0 + (state[STEP] - 1) * lr_decay)
    return param - clr * g / (np.sqrt(state[SUM]) + eps)
