# Correct, object-oriented: an abstract optimizer with a template method; each optimizer
# overrides how the direction is computed from the (regularised) gradient.
import numpy as np


class Optimizer:
    def __init__(self, lr, weight_decay=0.0, maximize=False):
        self.lr = lr
        self.weight_decay = weight_decay
        self.maximize = maximize

    def regularised(self, p, g):
        if self.maximize:
            g = -g
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        return g

    def init_state(self, p, state):
        pass

    def direction(self, p, g, state):
        raise NotImplementedError

    def step(self, p, g, state):
        if not state:
            self.init_state(p, state)
        d = self.direction(p, self.regularised(p, g), state)
        return p - self.lr * d


class MomentumSGD(Optimizer):
    def __init__(self, lr, momentum, dampening, nesterov, **kw):
        super().__init__(lr, **kw)
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov

    def direction(self, p, g, state):
        if self.momentum == 0:
            return g
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = g.copy()
        else:
            state["momentum_buffer"] = (self.momentum * state["momentum_buffer"]
                                        + (1 - self.dampening) * g)
        if self.nesterov:
            return g + self.momentum * state["momentum_buffer"]
        return state["momentum_buffer"]


class RMSprop(Optimizer):
    def __init__(self, lr, alpha, eps, momentum, centered, **kw):
        super().__init__(lr, **kw)
        self.alpha, self.eps, self.momentum, self.centered = alpha, eps, momentum, centered

    def init_state(self, p, state):
        state["step"] = 0
        state["square_avg"] = np.zeros(p.shape)
        if self.momentum > 0:
            state["momentum_buffer"] = np.zeros(p.shape)
        if self.centered:
            state["grad_avg"] = np.zeros(p.shape)

    def direction(self, p, g, state):
        a = self.alpha
        state["step"] = state["step"] + 1
        state["square_avg"] = a * state["square_avg"] + (1 - a) * g ** 2
        var = state["square_avg"]
        if self.centered:
            state["grad_avg"] = a * state["grad_avg"] + (1 - a) * g
            var = var - state["grad_avg"] ** 2
        scaled = g / (np.sqrt(var) + self.eps)
        if self.momentum > 0:
            state["momentum_buffer"] = self.momentum * state["momentum_buffer"] + scaled
            return state["momentum_buffer"]
        return scaled


class Adam(Optimizer):
    def __init__(self, lr, betas, eps, amsgrad, **kw):
        super().__init__(lr, **kw)
        self.beta1, self.beta2 = betas
        self.eps, self.amsgrad = eps, amsgrad

    def init_state(self, p, state):
        state["step"] = 0
        state["exp_avg"] = np.zeros(p.shape)
        state["exp_avg_sq"] = np.zeros(p.shape)
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.zeros(p.shape)

    def direction(self, p, g, state):
        state["step"] += 1
        t = state["step"]
        state["exp_avg"] = self.beta1 * state["exp_avg"] + (1 - self.beta1) * g
        state["exp_avg_sq"] = self.beta2 * state["exp_avg_sq"] + (1 - self.beta2) * g * g
        second = state["exp_avg_sq"]
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], second)
            second = state["max_exp_avg_sq"]
        m_hat = state["exp_avg"] / (1 - self.beta1 ** t)
        v_hat = second / (1 - self.beta2 ** t)
        return m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Decoupled decay: shrink the weights first, then an Adam step without L2."""

    def __init__(self, lr, betas, eps, amsgrad, weight_decay, maximize):
        super().__init__(lr, betas, eps, amsgrad, weight_decay=0.0, maximize=maximize)
        self.decay = weight_decay

    def step(self, p, g, state):
        return super().step(p * (1 - self.lr * self.decay), g, state)


class Adagrad(Optimizer):
    def __init__(self, lr, lr_decay, initial_accumulator_value, eps, **kw):
        super().__init__(lr, **kw)
        self.lr_decay, self.init_acc, self.eps = lr_decay, initial_accumulator_value, eps

    def init_state(self, p, state):
        state["step"] = 0
        state["sum"] = np.ones(p.shape) * self.init_acc

    def direction(self, p, g, state):
        state["step"] += 1
        state["sum"] = state["sum"] + g * g
        decay = 1 + (state["step"] - 1) * self.lr_decay
        return g / (np.sqrt(state["sum"]) + self.eps) / decay


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    opt = MomentumSGD(lr, momentum, dampening, nesterov, weight_decay=weight_decay,
                      maximize=maximize)
    return opt.step(param, grad, state)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    opt = RMSprop(lr, alpha, eps, momentum, centered, weight_decay=weight_decay,
                  maximize=maximize)
    return opt.step(param, grad, state)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    opt = Adam(lr, betas, eps, amsgrad, weight_decay=weight_decay, maximize=maximize)
    return opt.step(param, grad, state)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return AdamW(lr, betas, eps, amsgrad, weight_decay, maximize).step(param, grad, state)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    opt = Adagrad(lr, lr_decay, initial_accumulator_value, eps, weight_decay=weight_decay,
                  maximize=maximize)
    return opt.step(param, grad, state)
