# Correct, in the style of a gradient-transformation library: each optimizer is a chain of
# small transforms (negate, add decay, scale by a statistic, scale by -lr) applied in order.
import numpy as np


def negate_if(flag):
    def transform(updates, params, state):
        return -updates if flag else updates
    return transform


def add_weight_decay(rate):
    def transform(updates, params, state):
        return updates + rate * params if rate else updates
    return transform


def trace(decay, dampening, nesterov):
    def transform(updates, params, state):
        if not decay:
            return updates
        if "momentum_buffer" in state:
            state["momentum_buffer"] = decay * state["momentum_buffer"] + (1 - dampening) * updates
        else:
            state["momentum_buffer"] = np.copy(updates)
        if nesterov:
            return updates + decay * state["momentum_buffer"]
        return state["momentum_buffer"]
    return transform


def count():
    def transform(updates, params, state):
        state["step"] = state.get("step", 0) + 1
        return updates
    return transform


def scale_by_rms(alpha, eps, centered):
    def transform(updates, params, state):
        nu = state.get("square_avg", np.zeros_like(params))
        nu = alpha * nu + (1 - alpha) * np.square(updates)
        state["square_avg"] = nu
        if centered:
            mu = alpha * state.get("grad_avg", np.zeros_like(params)) + (1 - alpha) * updates
            state["grad_avg"] = mu
            nu = nu - np.square(mu)
        return updates / (np.sqrt(nu) + eps)
    return transform


def rms_momentum(momentum):
    def transform(updates, params, state):
        if momentum <= 0:
            return updates
        buf = state.get("momentum_buffer", np.zeros_like(params))
        state["momentum_buffer"] = momentum * buf + updates
        return state["momentum_buffer"]
    return transform


def scale_by_adam(b1, b2, eps, amsgrad):
    def transform(updates, params, state):
        t = state["step"]
        mu = b1 * state.get("exp_avg", np.zeros_like(params)) + (1 - b1) * updates
        nu = b2 * state.get("exp_avg_sq", np.zeros_like(params)) + (1 - b2) * np.square(updates)
        state["exp_avg"], state["exp_avg_sq"] = mu, nu
        if amsgrad:
            nu = np.maximum(state.get("max_exp_avg_sq", nu), nu)
            state["max_exp_avg_sq"] = nu
        mu_hat = mu / (1 - b1 ** t)
        nu_hat = nu / (1 - b2 ** t)
        return mu_hat / (np.sqrt(nu_hat) + eps)
    return transform


def scale_by_sum_of_squares(initial, eps):
    def transform(updates, params, state):
        acc = state.get("sum", np.full_like(params, initial)) + np.square(updates)
        state["sum"] = acc
        return updates / (np.sqrt(acc) + eps)
    return transform


def scale_by_schedule(lr, lr_decay):
    def transform(updates, params, state):
        return -lr / (1 + (state["step"] - 1) * lr_decay) * updates
    return transform


def scale(factor):
    def transform(updates, params, state):
        return factor * updates
    return transform


def apply(chain, param, grad, state):
    updates = grad
    for transform in chain:
        updates = transform(updates, param, state)
    return param + updates


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    chain = [negate_if(maximize), add_weight_decay(weight_decay),
             trace(momentum, dampening, nesterov), scale(-lr)]
    return apply(chain, param, grad, state)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    chain = [count(), negate_if(maximize), add_weight_decay(weight_decay),
             scale_by_rms(alpha, eps, centered), rms_momentum(momentum), scale(-lr)]
    return apply(chain, param, grad, state)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    chain = [count(), negate_if(maximize), add_weight_decay(weight_decay),
             scale_by_adam(*betas, eps, amsgrad), scale(-lr)]
    return apply(chain, param, grad, state)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    shrunk = param * (1 - lr * weight_decay)
    chain = [count(), negate_if(maximize), scale_by_adam(*betas, eps, amsgrad), scale(-lr)]
    return apply(chain, shrunk, grad, state)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    chain = [count(), negate_if(maximize), add_weight_decay(weight_decay),
             scale_by_sum_of_squares(initial_accumulator_value, eps),
             scale_by_schedule(lr, lr_decay)]
    return apply(chain, param, grad, state)
