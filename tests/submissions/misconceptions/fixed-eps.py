# Adam as a popular book writes it, with the Keras epsilon.
import numpy as np

EPSILON = 1e-7


def adam_step(param, grad, state, *, lr=0.001, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    beta_1, beta_2 = betas
    g = -grad if maximize else grad
    g = g + weight_decay * param
    t = state["step"] = state.get("step", 0) + 1
    m = state["exp_avg"] = beta_1 * state.get("exp_avg", 0 * param) + (1 - beta_1) * g
    s = state["exp_avg_sq"] = beta_2 * state.get("exp_avg_sq", 0 * param) + (1 - beta_2) * g ** 2
    if amsgrad:
        s = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", 0 * param), s)
    m_hat = m / (1 - beta_1 ** t)
    s_hat = s / (1 - beta_2 ** t)
    return param - lr * m_hat / (np.sqrt(s_hat) + EPSILON)
