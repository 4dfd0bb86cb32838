# Correct, built from tiny named helpers (ema, bias_correction, l2, flip) so that each
# optimizer reads as a few lines of its equations.
import numpy as np


def flip(g, maximize):
    return -g if maximize else g


def l2(g, p, weight_decay):
    return g + weight_decay * p


def ema(avg, x, beta):
    return beta * avg + (1 - beta) * x


def bias_correction(beta, t):
    return 1 - beta ** t


def zeros_for(p):
    return np.zeros(np.shape(p))


def tick(state):
    state["step"] = state.get("step", 0) + 1
    return state["step"]


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    g = l2(flip(grad, maximize), param, weight_decay)
    if momentum == 0:
        return param - lr * g
    if "momentum_buffer" in state:
        buf = momentum * state["momentum_buffer"] + (1 - dampening) * g
    else:
        buf = g + 0.0
    state["momentum_buffer"] = buf
    return param - lr * (g + momentum * buf if nesterov else buf)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    tick(state)
    g = l2(flip(grad, maximize), param, weight_decay)
    state["square_avg"] = ema(state.get("square_avg", zeros_for(param)), g * g, alpha)
    mean_sq = state["square_avg"]
    if centered:
        state["grad_avg"] = ema(state.get("grad_avg", zeros_for(param)), g, alpha)
        mean_sq = mean_sq - state["grad_avg"] ** 2
    normalised = g / (np.sqrt(mean_sq) + eps)
    if momentum > 0:
        state["momentum_buffer"] = momentum * state.get("momentum_buffer", zeros_for(param)) \
            + normalised
        normalised = state["momentum_buffer"]
    return param - lr * normalised


def adam_core(param, g, state, lr, betas, eps, amsgrad):
    t = tick(state)
    state["exp_avg"] = ema(state.get("exp_avg", zeros_for(param)), g, betas[0])
    state["exp_avg_sq"] = ema(state.get("exp_avg_sq", zeros_for(param)), g * g, betas[1])
    v = state["exp_avg_sq"]
    if amsgrad:
        v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
    m_hat = state["exp_avg"] / bias_correction(betas[0], t)
    v_hat = v / bias_correction(betas[1], t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    g = l2(flip(grad, maximize), param, weight_decay)
    return adam_core(param, g, state, lr, betas, eps, amsgrad)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    decayed = param * (1 - lr * weight_decay)
    return adam_core(decayed, flip(grad, maximize), state, lr, betas, eps, amsgrad)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    t = tick(state)
    g = l2(flip(grad, maximize), param, weight_decay)
    start = zeros_for(param) + initial_accumulator_value
    state["sum"] = state.get("sum", start) + g * g
    return param - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(state["sum"]) + eps)
