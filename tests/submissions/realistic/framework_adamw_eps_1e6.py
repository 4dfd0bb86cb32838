# expect: fixed-eps
# AdamW as a NumPy deep-learning framework writes it: hyperparameters on the object, a fixed
# eps of 1e-6 (the "numerical stability" constant), in-place updates of copies.
import numpy as np


class AdamW:
    eps = 1e-6

    def __init__(self, lr, betas, weight_decay, amsgrad):
        self.lr, (self.b1, self.b2) = lr, betas
        self.wd, self.amsgrad = weight_decay, amsgrad

    def step(self, p, g, s):
        if not s:
            s.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
            if self.amsgrad:
                s["max_exp_avg_sq"] = np.zeros_like(p)
        s["step"] += 1
        p = p * (1.0 - self.lr * self.wd)
        m = s["exp_avg"].copy()
        m *= self.b1
        m += (1 - self.b1) * g
        v = s["exp_avg_sq"].copy()
        v *= self.b2
        v += (1 - self.b2) * g * g
        s["exp_avg"], s["exp_avg_sq"] = m, v
        if self.amsgrad:
            s["max_exp_avg_sq"] = v = np.maximum(s["max_exp_avg_sq"], v)
        bc1, bc2 = 1 - self.b1 ** s["step"], 1 - self.b2 ** s["step"]
        return p - self.lr * (m / bc1) / (np.sqrt(v / bc2) + self.eps)


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    return AdamW(lr, betas, weight_decay, amsgrad).step(param, -grad if maximize else grad,
                                                         state)
