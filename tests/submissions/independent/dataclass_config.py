# Correct, with dataclasses: hyperparameters as frozen configs with an update method each;
# the state dict is read into local names at the start and written back at the end.
from dataclasses import dataclass
from typing import Tuple

import numpy as np


@dataclass(frozen=True)
class SGDConfig:
    lr: float
    momentum: float
    dampening: float
    weight_decay: float
    nesterov: bool
    maximize: bool

    def update(self, w, dw, state):
        if self.maximize:
            dw = -dw
        if self.weight_decay:
            dw = dw + self.weight_decay * w
        if self.momentum:
            velocity = state.get("momentum_buffer")
            velocity = dw.copy() if velocity is None else \
                self.momentum * velocity + (1 - self.dampening) * dw
            state["momentum_buffer"] = velocity
            dw = dw + self.momentum * velocity if self.nesterov else velocity
        return w - self.lr * dw


@dataclass(frozen=True)
class RMSpropConfig:
    lr: float
    alpha: float
    eps: float
    weight_decay: float
    momentum: float
    centered: bool
    maximize: bool

    def update(self, w, dw, state):
        t = state.get("step", 0) + 1
        ms = state.get("square_avg", np.zeros_like(w))
        mg = state.get("grad_avg", np.zeros_like(w))
        buf = state.get("momentum_buffer", np.zeros_like(w))
        if self.maximize:
            dw = -dw
        dw = dw + self.weight_decay * w
        ms = self.alpha * ms + (1 - self.alpha) * dw ** 2
        if self.centered:
            mg = self.alpha * mg + (1 - self.alpha) * dw
            denom = np.sqrt(ms - mg ** 2) + self.eps
        else:
            denom = np.sqrt(ms) + self.eps
        state["step"], state["square_avg"] = t, ms
        if self.centered:
            state["grad_avg"] = mg
        if self.momentum > 0:
            buf = self.momentum * buf + dw / denom
            state["momentum_buffer"] = buf
            return w - self.lr * buf
        return w - self.lr * dw / denom


@dataclass(frozen=True)
class AdamConfig:
    lr: float
    betas: Tuple[float, float]
    eps: float
    weight_decay: float
    amsgrad: bool
    maximize: bool
    decoupled: bool = False

    def update(self, w, dw, state):
        beta1, beta2 = self.betas
        t = state.get("step", 0) + 1
        m = state.get("exp_avg", np.zeros_like(w))
        v = state.get("exp_avg_sq", np.zeros_like(w))
        if self.maximize:
            dw = -dw
        if self.decoupled:
            w = w * (1 - self.lr * self.weight_decay)
        else:
            dw = dw + self.weight_decay * w
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw ** 2
        state["step"], state["exp_avg"], state["exp_avg_sq"] = t, m, v
        if self.amsgrad:
            v = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(w)), v)
            state["max_exp_avg_sq"] = v
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        return w - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


@dataclass(frozen=True)
class AdagradConfig:
    lr: float
    lr_decay: float
    weight_decay: float
    initial_accumulator_value: float
    eps: float
    maximize: bool

    def update(self, w, dw, state):
        t = state.get("step", 0) + 1
        g2 = state.get("sum", np.zeros_like(w) + self.initial_accumulator_value)
        if self.maximize:
            dw = -dw
        dw = dw + self.weight_decay * w
        g2 = g2 + dw ** 2
        state["step"], state["sum"] = t, g2
        lr_t = self.lr / (1 + (t - 1) * self.lr_decay)
        return w - lr_t * dw / (np.sqrt(g2) + self.eps)


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    return SGDConfig(lr, momentum, dampening, weight_decay, nesterov, maximize).update(
        param, grad, state)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    return RMSpropConfig(lr, alpha, eps, weight_decay, momentum, centered, maximize).update(
        param, grad, state)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return AdamConfig(lr, tuple(betas), eps, weight_decay, amsgrad, maximize).update(
        param, grad, state)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    config = AdamConfig(lr, tuple(betas), eps, weight_decay, amsgrad, maximize, decoupled=True)
    return config.update(param, grad, state)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    return AdagradConfig(lr, lr_decay, weight_decay, initial_accumulator_value, eps,
                         maximize).update(param, grad, state)
