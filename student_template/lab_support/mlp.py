"""A small multilayer perceptron in NumPy, with forward and backward passes provided,
trained with any of the lab's step functions."""

import numpy as np


class MLP:
    """2 -> hidden -> hidden -> 1, tanh hidden layers, sigmoid output, binary cross-entropy."""

    def __init__(self, sizes=(2, 32, 32, 1), seed=0):
        rng = np.random.default_rng(seed)
        self.params = {}
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.params[f"W{i}"] = rng.normal(0, np.sqrt(1 / n_in), (n_in, n_out))
            self.params[f"b{i}"] = np.zeros(n_out)
        self.layers = len(sizes) - 1

    def forward(self, X):
        """Probabilities of class 1, and the activations the backward pass needs."""
        acts = [X]
        for i in range(self.layers):
            z = acts[-1] @ self.params[f"W{i}"] + self.params[f"b{i}"]
            acts.append(np.tanh(z) if i < self.layers - 1 else 1 / (1 + np.exp(-z)))
        return acts[-1][:, 0], acts

    def loss(self, X, y):
        p, _ = self.forward(X)
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def gradients(self, X, y):
        """Gradient of the mean binary cross-entropy for every parameter."""
        p, acts = self.forward(X)
        delta = ((p - y) / len(y))[:, None]
        grads = {}
        for i in reversed(range(self.layers)):
            grads[f"W{i}"] = acts[i].T @ delta
            grads[f"b{i}"] = delta.sum(axis=0)
            if i:
                delta = (delta @ self.params[f"W{i}"].T) * (1 - acts[i] ** 2)
        return grads

    def train(self, step, X, y, epochs=150, batch=32, seed=0, X_test=None, y_test=None,
              **hyper):
        """Minibatch training with ``step`` (one of the lab's step functions).
        Returns {"train": losses per epoch, "test": ...}."""
        rng = np.random.default_rng(seed)
        states = {name: {} for name in self.params}
        history = {"train": [], "test": []}
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch):
                idx = order[start:start + batch]
                grads = self.gradients(X[idx], y[idx])
                for name in self.params:
                    self.params[name] = step(self.params[name], grads[name], states[name],
                                             **hyper)
            history["train"].append(self.loss(X, y))
            if X_test is not None:
                history["test"].append(self.loss(X_test, y_test))
        return history
