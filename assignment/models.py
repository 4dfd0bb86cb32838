"""Each optimizer as a model: its step written one equation per method, the base that the
misconceptions' known-buggy variants (``assignment/misconceptions.py``) change one equation of.

A model is called like a student's step function, ``model(param, grad, state, **h)``, with
every hyperparameter given (torch's defaults filled in from ``assignment/spec.py``). The
instructor's side only, and NumPy only: ``make build`` requires every model to reproduce
torch on every case before it stores a variant's trajectory; no variant depends on the
answer key's text.
"""

from types import SimpleNamespace

import numpy as np


class Model:
    optimizer = None            # the optimizer's name in assignment/spec.py
    fixed = {}                  # hyperparameters a variant fixes, whatever the call passes

    def __init__(self):
        self.calls = 0              # calls so far in this case
        self.optimizer_step = 0     # the optimizer step under way, set by the harness

    def __call__(self, param, grad, state, **hyperparameters):
        self.calls += 1
        return self.step(param, grad, state,
                         SimpleNamespace(**{**hyperparameters, **self.fixed}))

    def count(self, state):
        """t: this parameter's own step count, 1 on its first step."""
        state["step"] = state.get("step", 0) + 1
        return state["step"]

    def gradient(self, param, grad, h):
        """g = -grad if maximize, then g + weight_decay * param (L2)."""
        g = -grad if h.maximize else grad
        return g + h.weight_decay * param if h.weight_decay else g

    def root(self, x, h):
        """sqrt(x) + eps: eps outside the square root."""
        return np.sqrt(x) + h.eps


class SGD(Model):
    optimizer = "sgd"

    def step(self, param, grad, state, h):
        g = self.gradient(param, grad, h)
        if h.momentum:
            state["momentum_buffer"] = self.buffer(state.get("momentum_buffer"), g, h)
            g = self.direction(g, state["momentum_buffer"], h)
        return self.update(param, g, h)

    def buffer(self, b, g, h):
        """b = g on the first step (a copy), then momentum * b + (1 - dampening) * g."""
        return np.array(g, copy=True) if b is None else h.momentum * b + (1 - h.dampening) * g

    def direction(self, g, b, h):
        """d = g + momentum * b with Nesterov, else b."""
        return g + h.momentum * b if h.nesterov else b

    def update(self, param, d, h):
        return param - h.lr * d


class RMSprop(Model):
    optimizer = "rmsprop"

    def step(self, param, grad, state, h):
        self.count(state)
        g = self.gradient(param, grad, h)
        zeros = np.zeros_like(param)
        v = state["square_avg"] = self.square_avg(state.get("square_avg", zeros), g, h)
        avg = self.centered(state, g, v, h) if h.centered else self.root(v, h)
        if h.momentum > 0:
            return self.with_momentum(param, state, g, avg, h)
        return param - h.lr * g / avg

    def square_avg(self, v, g, h):
        """v = alpha * v + (1 - alpha) * g**2."""
        return h.alpha * v + (1 - h.alpha) * g * g

    def grad_avg(self, gbar, g, h):
        """gbar = alpha * gbar + (1 - alpha) * g."""
        return h.alpha * gbar + (1 - h.alpha) * g

    def centered(self, state, g, v, h):
        """avg = sqrt(v - gbar**2) + eps with this step's gbar."""
        gbar = state["grad_avg"] = self.grad_avg(state.get("grad_avg", np.zeros_like(v)), g, h)
        return self.root(v - gbar ** 2, h)

    def with_momentum(self, param, state, g, avg, h):
        """b = momentum * b + g / avg; param - lr * b."""
        b = state.get("momentum_buffer", np.zeros_like(param))
        state["momentum_buffer"] = h.momentum * b + g / avg
        return param - h.lr * state["momentum_buffer"]


class Adam(Model):
    optimizer = "adam"

    def step(self, param, grad, state, h):
        t = self.count(state)
        param, g = self.decayed(param, grad, h)
        zeros = np.zeros_like(param)
        beta1, beta2 = h.betas
        state["exp_avg"] = beta1 * state.get("exp_avg", zeros) + (1 - beta1) * g
        state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", zeros) + (1 - beta2) * g * g
        v = self.amsgrad(state, state["exp_avg_sq"], t, h) if h.amsgrad else state["exp_avg_sq"]
        return self.update(param, state, v, t, h)

    def decayed(self, param, grad, h):
        """(param, g): Adam's weight decay is L2, in the gradient."""
        return param, self.gradient(param, grad, h)

    def amsgrad(self, state, v, t, h):
        """vmax = max(vmax, v) over the raw v; the denominator uses vmax."""
        state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(v)), v)
        return state["max_exp_avg_sq"]

    def denominator(self, v, t, h):
        """sqrt(v) / sqrt(1 - beta2**t) + eps."""
        return np.sqrt(v) / np.sqrt(1 - h.betas[1] ** t) + h.eps

    def update(self, param, state, v, t, h):
        """param - lr / (1 - beta1**t) * m / denominator."""
        return param - h.lr / (1 - h.betas[0] ** t) * state["exp_avg"] / self.denominator(v, t, h)


class AdamW(Adam):
    optimizer = "adamw"

    def decayed(self, param, grad, h):
        """(param * (1 - lr * weight_decay), g): decoupled decay, outside the gradient."""
        return param * (1 - h.lr * h.weight_decay), (-grad if h.maximize else grad)


class Adagrad(Model):
    optimizer = "adagrad"

    def step(self, param, grad, state, h):
        if "sum" not in state:
            state["sum"] = self.initial_sum(param, h)
        t = self.count(state)
        g = self.gradient(param, grad, h)
        clr = self.decayed_lr(t, h)
        state["sum"] = state["sum"] + g * g
        return param - clr * g / self.root(state["sum"], h)

    def initial_sum(self, param, h):
        return np.full_like(param, h.initial_accumulator_value)

    def decayed_lr(self, t, h):
        """clr = lr / (1 + (t - 1) * lr_decay)."""
        return h.lr / (1 + (t - 1) * h.lr_decay)


MODELS = [SGD, RMSprop, Adam, AdamW, Adagrad]
