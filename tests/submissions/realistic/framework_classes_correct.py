# expect: none
# Correct code in a framework's style: optimizer objects, in-place arithmetic on copies,
# numpy ufuncs with out=, the textbook bias-corrected form.
import numpy as np


class SGD:
    def __init__(self, **h):
        self.h = h

    def __call__(self, p, g, s):
        h = self.h
        g = np.negative(g) if h["maximize"] else g.copy()
        if h["weight_decay"]:
            g += h["weight_decay"] * p
        if h["momentum"]:
            if "momentum_buffer" in s:
                b = s["momentum_buffer"] * h["momentum"]
                b += (1 - h["dampening"]) * g
            else:
                b = g.copy()
            s["momentum_buffer"] = b
            g = g + h["momentum"] * b if h["nesterov"] else b
        return p - h["lr"] * g


class Adagrad:
    def __init__(self, **h):
        self.h = h

    def __call__(self, p, g, s):
        h = self.h
        g = -g if h["maximize"] else g
        g = g + h["weight_decay"] * p
        s.setdefault("sum", np.full_like(p, h["initial_accumulator_value"]))
        s["step"] = s.get("step", 0) + 1
        total = np.add(s["sum"], np.multiply(g, g))
        s["sum"] = total
        clr = h["lr"] / (1 + (s["step"] - 1) * h["lr_decay"])
        return p - clr * g / (np.sqrt(total) + h["eps"])


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    return SGD(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
               nesterov=nesterov, maximize=maximize)(param, grad, state)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    return Adagrad(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                   initial_accumulator_value=initial_accumulator_value,
                   maximize=maximize)(param, grad, state)
