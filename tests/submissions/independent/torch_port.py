# Correct, ported line by line from reading torch.optim's single-tensor code: small in-place
# helpers stand in for torch's mul_, add_, addcmul_, addcdiv_ and lerp_.
import numpy as np


def mul_(t, v):
    t[...] = t * v
    return t


def add_(t, other, alpha=1.0):
    t[...] = t + alpha * other
    return t


def addcmul_(t, a, b, value=1.0):
    t[...] = t + value * a * b
    return t


def addcdiv_(t, a, b, value=1.0):
    t[...] = t + value * a / b
    return t


def lerp_(t, end, weight):
    t[...] = t + weight * (end - t)
    return t


def clone(t):
    return np.array(t, dtype=np.float64, copy=True)


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    param = clone(param)
    d_p = clone(grad) if not maximize else -clone(grad)
    d_p = np.asarray(d_p)
    if weight_decay != 0:
        d_p = add_(clone(d_p), param, alpha=weight_decay)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = clone(d_p)
            state["momentum_buffer"] = buf
        else:
            add_(mul_(buf, momentum), d_p, alpha=1 - dampening)
        if nesterov:
            d_p = add_(clone(d_p), buf, alpha=momentum)
        else:
            d_p = buf
    return add_(param, d_p, alpha=-lr)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    param = clone(param)
    grad = clone(grad) if not maximize else -clone(grad)
    grad = np.asarray(grad)
    if len(state) == 0:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param)
        if momentum > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if centered:
            state["grad_avg"] = np.zeros_like(param)
    square_avg = state["square_avg"]
    state["step"] += 1
    if weight_decay != 0:
        grad = add_(grad, param, alpha=weight_decay)
    addcmul_(mul_(square_avg, alpha), grad, grad, value=1 - alpha)
    if centered:
        grad_avg = lerp_(state["grad_avg"], grad, 1 - alpha)
        avg = np.sqrt(addcmul_(clone(square_avg), grad_avg, grad_avg, value=-1)) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        buf = state["momentum_buffer"]
        addcdiv_(mul_(buf, momentum), grad, avg)
        return add_(param, buf, alpha=-lr)
    return addcdiv_(param, grad, avg, value=-lr)


def _single_tensor_adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize,
                        decoupled):
    param = clone(param)
    grad = clone(grad) if not maximize else -clone(grad)
    grad = np.asarray(grad)
    beta1, beta2 = betas
    if len(state) == 0:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    state["step"] += 1
    step = state["step"]
    if weight_decay != 0:
        if decoupled:
            mul_(param, 1 - lr * weight_decay)
        else:
            grad = add_(grad, param, alpha=weight_decay)
    lerp_(exp_avg, grad, 1 - beta1)
    addcmul_(mul_(exp_avg_sq, beta2), grad, grad, value=1 - beta2)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5
    if amsgrad:
        max_sq = state["max_exp_avg_sq"]
        max_sq[...] = np.maximum(max_sq, exp_avg_sq)
        denom = np.sqrt(max_sq) / bias_correction2_sqrt + eps
    else:
        denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
    return addcdiv_(param, exp_avg, denom, value=-step_size)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    return _single_tensor_adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad,
                               maximize, decoupled=False)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return _single_tensor_adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad,
                               maximize, decoupled=True)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    param = clone(param)
    grad = clone(grad) if not maximize else -clone(grad)
    grad = np.asarray(grad)
    if len(state) == 0:
        state["step"] = 0
        state["sum"] = np.full_like(param, initial_accumulator_value)
    state["step"] += 1
    if weight_decay != 0:
        grad = add_(grad, param, alpha=weight_decay)
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    addcmul_(state["sum"], grad, grad, value=1)
    std = np.sqrt(state["sum"]) + eps
    return addcdiv_(param, grad, std, value=-clr)
