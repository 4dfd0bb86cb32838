# Correct, with factories: make_<optimizer>(settings) returns an update closure; the step
# functions build one per call and apply it to (param, grad, state).
import numpy as np


def make_sgd(lr, momentum, dampening, weight_decay, nesterov, maximize):
    def update(w, g, st):
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * w
        if not momentum:
            return w - lr * g
        b = st.get("momentum_buffer")
        b = g.copy() if b is None else momentum * b + (1 - dampening) * g
        st["momentum_buffer"] = b
        return w - lr * ((g + momentum * b) if nesterov else b)
    return update


def make_rmsprop(lr, alpha, eps, weight_decay, momentum, centered, maximize):
    def update(w, g, st):
        if not st:
            st["step"] = 0
            st["square_avg"] = np.zeros_like(w)
            if centered:
                st["grad_avg"] = np.zeros_like(w)
            if momentum > 0:
                st["momentum_buffer"] = np.zeros_like(w)
        st["step"] += 1
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * w
        st["square_avg"] = st["square_avg"] * alpha + g * g * (1 - alpha)
        if centered:
            st["grad_avg"] = st["grad_avg"] * alpha + g * (1 - alpha)
            avg = np.sqrt(st["square_avg"] - st["grad_avg"] * st["grad_avg"])
        else:
            avg = np.sqrt(st["square_avg"])
        avg = avg + eps
        if momentum > 0:
            st["momentum_buffer"] = st["momentum_buffer"] * momentum + g / avg
            return w - lr * st["momentum_buffer"]
        return w - lr * g / avg
    return update


def make_adam(lr, betas, eps, weight_decay, amsgrad, maximize, decoupled):
    beta1, beta2 = betas

    def update(w, g, st):
        if not st:
            st["step"] = 0
            st["exp_avg"] = np.zeros_like(w)
            st["exp_avg_sq"] = np.zeros_like(w)
            if amsgrad:
                st["max_exp_avg_sq"] = np.zeros_like(w)
        st["step"] += 1
        k = st["step"]
        g = -g if maximize else g
        if decoupled:
            w = w * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * w
        st["exp_avg"] = st["exp_avg"] * beta1 + g * (1 - beta1)
        st["exp_avg_sq"] = st["exp_avg_sq"] * beta2 + g * g * (1 - beta2)
        if amsgrad:
            st["max_exp_avg_sq"] = np.maximum(st["max_exp_avg_sq"], st["exp_avg_sq"])
            second = st["max_exp_avg_sq"]
        else:
            second = st["exp_avg_sq"]
        mhat = st["exp_avg"] / (1 - beta1 ** k)
        vhat = second / (1 - beta2 ** k)
        return w - lr * mhat / (np.sqrt(vhat) + eps)
    return update


def make_adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize):
    def update(w, g, st):
        if not st:
            st["step"] = 0
            st["sum"] = np.full_like(w, initial_accumulator_value)
        st["step"] += 1
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * w
        st["sum"] = st["sum"] + g * g
        rate = lr / (1 + (st["step"] - 1) * lr_decay)
        return w - rate * g / (np.sqrt(st["sum"]) + eps)
    return update


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    update = make_sgd(lr, momentum, dampening, weight_decay, nesterov, maximize)
    return update(param, grad, state)


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    update = make_rmsprop(lr, alpha, eps, weight_decay, momentum, centered, maximize)
    return update(param, grad, state)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    update = make_adam(lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=False)
    return update(param, grad, state)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    update = make_adam(lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=True)
    return update(param, grad, state)


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    update = make_adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize)
    return update(param, grad, state)
