# expect: fixed-eps
# A framework-style optimizer class with Keras's epsilon, wrapped to the lab's API.
import numpy as np


class Adam:
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def apply(self, w, g, slots, amsgrad=False):
        slots["step"] = t = slots.get("step", 0) + 1
        m = slots["exp_avg"] = self.beta_1 * slots.get("exp_avg", np.zeros_like(w)) \
            + (1 - self.beta_1) * g
        v = slots["exp_avg_sq"] = self.beta_2 * slots.get("exp_avg_sq", np.zeros_like(w)) \
            + (1 - self.beta_2) * np.square(g)
        if amsgrad:
            v = slots["max_exp_avg_sq"] = np.maximum(slots.get("max_exp_avg_sq", v), v)
        alpha = self.learning_rate / (1 - self.beta_1 ** t)
        return w - alpha * m / (np.sqrt(v / (1 - self.beta_2 ** t)) + self.epsilon)


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    g = (-grad if maximize else grad) + weight_decay * param
    return Adam(lr, *betas).apply(param, g, state, amsgrad)
