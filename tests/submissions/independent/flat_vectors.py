# Correct, vector-minded: every array is flattened to 1-D on the way in, the maths runs on
# vectors, and results are reshaped to the parameter's shape on the way out.
import numpy as np


def _vec(a):
    return np.asarray(a, dtype=np.float64).ravel().copy()


def _shaped(v, like):
    return v.reshape(np.shape(like))


def _load(state, key, like, fill=0.0):
    if key in state:
        return _vec(state[key])
    return np.full(np.size(like), fill, dtype=np.float64)


def _store(state, like, **vectors):
    for key, v in vectors.items():
        state[key] = _shaped(v, like)


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    w, g = _vec(param), _vec(grad)
    if maximize:
        g = -g
    g += weight_decay * w
    if momentum != 0:
        if "momentum_buffer" in state:
            buf = momentum * _vec(state["momentum_buffer"]) + (1 - dampening) * g
        else:
            buf = g.copy()
        _store(state, param, momentum_buffer=buf)
        g = g + momentum * buf if nesterov else buf
    return _shaped(w - lr * g, param)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    w, g = _vec(param), _vec(grad)
    if maximize:
        g = -g
    g += weight_decay * w
    state["step"] = int(state.get("step", 0)) + 1
    sq = alpha * _load(state, "square_avg", param) + (1 - alpha) * g * g
    _store(state, param, square_avg=sq)
    if centered:
        ga = alpha * _load(state, "grad_avg", param) + (1 - alpha) * g
        _store(state, param, grad_avg=ga)
        denom = np.sqrt(sq - ga * ga) + eps
    else:
        denom = np.sqrt(sq) + eps
    if momentum > 0:
        buf = momentum * _load(state, "momentum_buffer", param) + g / denom
        _store(state, param, momentum_buffer=buf)
        return _shaped(w - lr * buf, param)
    return _shaped(w - lr * g / denom, param)


def _adam_vectors(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize,
                  decoupled):
    w, g = _vec(param), _vec(grad)
    if maximize:
        g = -g
    if decoupled:
        w *= 1 - lr * weight_decay
    else:
        g += weight_decay * w
    t = int(state.get("step", 0)) + 1
    state["step"] = t
    m = betas[0] * _load(state, "exp_avg", param) + (1 - betas[0]) * g
    v = betas[1] * _load(state, "exp_avg_sq", param) + (1 - betas[1]) * g * g
    _store(state, param, exp_avg=m, exp_avg_sq=v)
    if amsgrad:
        v = np.maximum(_load(state, "max_exp_avg_sq", param), v)
        _store(state, param, max_exp_avg_sq=v)
    m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
    return _shaped(w - lr * m_hat / (np.sqrt(v_hat) + eps), param)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return _adam_vectors(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize,
                         decoupled=False)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return _adam_vectors(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize,
                         decoupled=True)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    w, g = _vec(param), _vec(grad)
    if maximize:
        g = -g
    g += weight_decay * w
    t = int(state.get("step", 0)) + 1
    state["step"] = t
    acc = _load(state, "sum", param, initial_accumulator_value) + g * g
    _store(state, param, sum=acc)
    clr = lr / (1 + (t - 1) * lr_decay)
    return _shaped(w - clr * g / (np.sqrt(acc) + eps), param)
