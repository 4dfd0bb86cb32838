# Correct, allocation-averse: state buffers created once and updated with NumPy's out=
# arguments; the parameter is copied once and updated in place.
import numpy as np


def _direction(grad, param, weight_decay, maximize):
    d = grad.copy()
    if maximize:
        np.negative(d, out=d)
    if weight_decay:
        d += np.multiply(param, weight_decay)
    return d


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    out = param.copy()
    d = _direction(grad, param, weight_decay, maximize)
    if momentum:
        if "momentum_buffer" in state:
            b = state["momentum_buffer"]
            np.multiply(b, momentum, out=b)
            np.add(b, np.multiply(d, 1 - dampening), out=b)
        else:
            b = state["momentum_buffer"] = d.copy()
        if nesterov:
            np.add(d, np.multiply(b, momentum), out=d)
        else:
            d = b
    np.subtract(out, np.multiply(d, lr), out=out)
    return out


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    if "square_avg" not in state:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param)
        if centered:
            state["grad_avg"] = np.zeros_like(param)
        if momentum > 0:
            state["momentum_buffer"] = np.zeros_like(param)
    state["step"] += 1
    out = param.copy()
    d = _direction(grad, param, weight_decay, maximize)
    sq = state["square_avg"]
    np.multiply(sq, alpha, out=sq)
    np.add(sq, np.multiply(np.multiply(d, d), 1 - alpha), out=sq)
    denom = sq.copy()
    if centered:
        ga = state["grad_avg"]
        np.multiply(ga, alpha, out=ga)
        np.add(ga, np.multiply(d, 1 - alpha), out=ga)
        np.subtract(denom, np.multiply(ga, ga), out=denom)
    np.sqrt(denom, out=denom)
    np.add(denom, eps, out=denom)
    if momentum > 0:
        buf = state["momentum_buffer"]
        np.multiply(buf, momentum, out=buf)
        np.add(buf, np.divide(d, denom), out=buf)
        np.subtract(out, np.multiply(buf, lr), out=out)
    else:
        np.subtract(out, np.multiply(np.divide(d, denom), lr), out=out)
    return out


def _adam_family(param, grad, state, lr, betas, eps, l2, decoupled, amsgrad, maximize):
    if "exp_avg" not in state:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
    state["step"] += 1
    step = state["step"]
    out = param.copy()
    if decoupled:
        np.multiply(out, 1 - lr * decoupled, out=out)
    d = _direction(grad, param, l2, maximize)
    m, v = state["exp_avg"], state["exp_avg_sq"]
    np.multiply(m, betas[0], out=m)
    np.add(m, np.multiply(d, 1 - betas[0]), out=m)
    np.multiply(v, betas[1], out=v)
    np.add(v, np.multiply(np.multiply(d, d), 1 - betas[1]), out=v)
    if amsgrad:
        np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        v = state["max_exp_avg_sq"]
    denom = np.sqrt(v, out=np.empty_like(v))
    np.divide(denom, np.sqrt(1 - betas[1] ** step), out=denom)
    np.add(denom, eps, out=denom)
    np.subtract(out, np.multiply(np.divide(m, denom), lr / (1 - betas[0] ** step)), out=out)
    return out


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return _adam_family(param, grad, state, lr, betas, eps, weight_decay, 0.0, amsgrad,
                        maximize)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return _adam_family(param, grad, state, lr, betas, eps, 0.0, weight_decay, amsgrad,
                        maximize)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    if "sum" not in state:
        state["step"] = 0
        state["sum"] = np.full_like(param, initial_accumulator_value)
    state["step"] += 1
    out = param.copy()
    d = _direction(grad, param, weight_decay, maximize)
    acc = state["sum"]
    np.add(acc, np.multiply(d, d), out=acc)
    std = np.sqrt(acc, out=np.empty_like(acc))
    np.add(std, eps, out=std)
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    np.subtract(out, np.multiply(np.divide(d, std), clr), out=out)
    return out
