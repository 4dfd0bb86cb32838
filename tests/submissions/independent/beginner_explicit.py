# Correct, written the long way: one statement per idea, explicit comparisons, an else for
# every if, and a temporary variable for each intermediate quantity.
import numpy as np


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    if maximize == True:
        gradient = -1 * grad
    else:
        gradient = grad
    if weight_decay != 0:
        gradient = gradient + weight_decay * param
    else:
        gradient = gradient
    if momentum != 0:
        if "momentum_buffer" in state.keys():
            old_buffer = state["momentum_buffer"]
            new_buffer = momentum * old_buffer + (1 - dampening) * gradient
        else:
            new_buffer = gradient.copy()
        state["momentum_buffer"] = new_buffer
        if nesterov == True:
            gradient = gradient + momentum * new_buffer
        else:
            gradient = new_buffer
    else:
        gradient = gradient
    new_param = param - lr * gradient
    return new_param


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    if state == {}:
        state["step"] = 0
        state["square_avg"] = np.zeros(param.shape)
        if centered == True:
            state["grad_avg"] = np.zeros(param.shape)
        if momentum > 0:
            state["momentum_buffer"] = np.zeros(param.shape)
    state["step"] = state["step"] + 1
    if maximize == True:
        gradient = -1 * grad
    else:
        gradient = grad
    if weight_decay != 0:
        gradient = gradient + weight_decay * param
    gradient_squared = gradient * gradient
    old_square_avg = state["square_avg"]
    new_square_avg = alpha * old_square_avg + (1 - alpha) * gradient_squared
    state["square_avg"] = new_square_avg
    if centered == True:
        old_grad_avg = state["grad_avg"]
        new_grad_avg = alpha * old_grad_avg + (1 - alpha) * gradient
        state["grad_avg"] = new_grad_avg
        variance = new_square_avg - new_grad_avg * new_grad_avg
        denominator = np.sqrt(variance) + eps
    else:
        denominator = np.sqrt(new_square_avg) + eps
    if momentum > 0:
        old_momentum = state["momentum_buffer"]
        new_momentum = momentum * old_momentum + gradient / denominator
        state["momentum_buffer"] = new_momentum
        new_param = param - lr * new_momentum
    else:
        new_param = param - lr * gradient / denominator
    return new_param


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False):
    beta1 = betas[0]
    beta2 = betas[1]
    if state == {}:
        state["step"] = 0
        state["exp_avg"] = np.zeros(param.shape)
        state["exp_avg_sq"] = np.zeros(param.shape)
        if amsgrad == True:
            state["max_exp_avg_sq"] = np.zeros(param.shape)
    state["step"] = state["step"] + 1
    step_number = state["step"]
    if maximize == True:
        gradient = -1 * grad
    else:
        gradient = grad
    if weight_decay != 0:
        gradient = gradient + weight_decay * param
    first_moment = beta1 * state["exp_avg"] + (1 - beta1) * gradient
    second_moment = beta2 * state["exp_avg_sq"] + (1 - beta2) * gradient * gradient
    state["exp_avg"] = first_moment
    state["exp_avg_sq"] = second_moment
    if amsgrad == True:
        biggest = np.maximum(state["max_exp_avg_sq"], second_moment)
        state["max_exp_avg_sq"] = biggest
        second_moment_used = biggest
    else:
        second_moment_used = second_moment
    correction1 = 1 - beta1 ** step_number
    correction2 = 1 - beta2 ** step_number
    first_corrected = first_moment / correction1
    second_corrected = second_moment_used / correction2
    new_param = param - lr * first_corrected / (np.sqrt(second_corrected) + eps)
    return new_param


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False, maximize=False):
    shrunk_param = param - lr * weight_decay * param
    new_param = adam_step(shrunk_param, grad, state, lr=lr, betas=betas, eps=eps,
                          weight_decay=0, amsgrad=amsgrad, maximize=maximize)
    return new_param


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    if state == {}:
        state["step"] = 0
        state["sum"] = np.zeros(param.shape) + initial_accumulator_value
    state["step"] = state["step"] + 1
    if maximize == True:
        gradient = -1 * grad
    else:
        gradient = grad
    if weight_decay != 0:
        gradient = gradient + weight_decay * param
    current_lr = lr / (1 + (state["step"] - 1) * lr_decay)
    new_sum = state["sum"] + gradient * gradient
    state["sum"] = new_sum
    new_param = param - current_lr * gradient / (np.sqrt(new_sum) + eps)
    return new_param
