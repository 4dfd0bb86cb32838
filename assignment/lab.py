# %% [raw]
# # ASSIGNMENT CONFIG
# name: optimizers-lab
# init_cell: false
# check_all_cell: true
# run_tests: false
# generate: false
# solutions_pdf: false
# template_pdf: false
# export_cell:
#     pdf: false
#     run_tests: false
#     instructions: Upload the zip file this cell makes to Gradescope. On Colab, where it does not work, download this notebook (File > Download > .ipynb) and upload that instead; the notebook itself is accepted.
# tests:
#     files: true
#     ok_format: false

# %% [markdown]
# # Lab: Experiment with Different Optimizers
#
# Every deep-learning framework ships the same handful of optimizers. In this lab you
# implement five of them exactly as `torch.optim` does -- **SGD** (with momentum, dampening
# and Nesterov), **RMSprop**, **Adam**, **AdamW** and **Adagrad** -- in NumPy, then use your
# own implementations to see what each one is good at.
#
# **How your work is graded.** An autograder runs your step functions on fixed cases and
# compares every parameter and every state entry, after every step, with recordings of
# `torch.optim` itself (float64). Matching to about 1e-10 relative is required: any
# mathematically equivalent formula passes, a different formula does not.
#
# * Each function updates **one** parameter array: it takes `param`, its `grad`, and that
#   parameter's own `state` dict (`{}` before its first step), and **returns the updated
#   parameter**. Keep running statistics in `state` under torch's names (`"step"`,
#   `"exp_avg"`, ...) and *mutate* the dict (`state["step"] = ...`); never rebind it.
# * Do not modify `grad` in place (`grad += ...`): a training loop may reuse it.
# * `lr` may change from one call to the next (a schedule): use the value you are given.
# * A parameter that gets no gradient in a step is simply not passed that step, so keep
#   step counts per parameter in `state["step"]`, never in a global variable.
# * Compute in float64 (no `astype(np.float32)`).
# * The autograder keeps only your top-level `import`s, `def`s, `class`es and assignments of
#   plain values (`x = 0.5`) plus the answers to the questions; everything else (experiments,
#   plots) is dropped, and every case starts from a fresh load of that code. It runs in a
#   plain Python with NumPy only: torch, TensorFlow and JAX are not available.
#
# `grader.check("sgd")` after each function runs that same autograder on the public cases and
# shows the same feedback Gradescope will. Hidden cases use other configurations and problems.

# %%
# Set-up: run this cell first. It checks what the lab needs and says what to do if
# something is missing (README.md, beside this notebook, has the details).
import sys
from pathlib import Path

if sys.version_info < (3, 9):
    raise RuntimeError(f"This lab needs Python 3.9 or newer; this notebook runs "
                       f"{sys.version.split()[0]}. Choose another kernel (Kernel > Change "
                       "kernel) or install a newer Python.")
# Where students on Colab get the lab's files: the URL of a zip of the student folder, set
# by the instructor; or a zip of that folder the student uploads beside the notebook.
SUPPORT_URL = ""
if not Path("lab_support").is_dir():
    import io
    import shutil
    import zipfile

    def _holds_lab(path):
        with zipfile.ZipFile(path) as zf:
            return any(n.endswith("lab_support/__init__.py") for n in zf.namelist())

    found = [z for z in sorted(Path.cwd().glob("*.zip")) if _holds_lab(z)]
    if not found and SUPPORT_URL:
        from urllib.request import urlopen

        found = [io.BytesIO(urlopen(SUPPORT_URL, timeout=60).read())]
    for archive in found[:1]:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            top = next(n for n in names if n.endswith("lab_support/__init__.py"))[:-23]
            for name in names:
                part = name[len(top):]
                if name.startswith(top) and ".." not in part and part.split("/")[0] in (
                        "lab_support", "tests", "autograder_engine.zip", "README.md"):
                    zf.extract(name, "_lab_files")
            for item in (Path("_lab_files") / top).iterdir():
                if not Path(item.name).exists():
                    item.rename(item.name)
        shutil.rmtree("_lab_files", ignore_errors=True)
if not Path("lab_support").is_dir():
    raise FileNotFoundError(f"lab_support/ is not in this notebook's folder ({Path.cwd()}): "
                            "open the notebook from inside the lab's folder. On Colab, "
                            "upload the zip of the lab's folder, then run this cell again.")
try:
    import otter
except ImportError:
    raise ImportError("otter-grader is not installed for this notebook's Python: run "
                      "%pip install otter-grader==7.0.0 in a new cell, restart the kernel "
                      "and run this cell again.") from None
NOTEBOOK = "optimizers_lab.ipynb"
if not Path(NOTEBOOK).exists() and "google.colab" not in sys.modules:
    found = sorted(p.name for p in Path.cwd().glob("*.ipynb"))
    if len(found) != 1:
        raise FileNotFoundError(f"{NOTEBOOK} is not in {Path.cwd()}: rename your copy of the "
                                f"lab notebook back to {NOTEBOOK} (a browser may have saved "
                                "it as 'optimizers_lab (1).ipynb').")
    NOTEBOOK = found[0]   # a renamed copy, e.g. "optimizers_lab (1).ipynb"
grader = otter.Notebook(NOTEBOOK)

# %%
import lab_support as lab
import matplotlib.pyplot as plt
import numpy as np
from lab_support import COLORS

plt.rcParams.update({"figure.dpi": 90, "axes.spines.top": False, "axes.spines.right": False})

# %% [markdown]
# ## 1. SGD, momentum and Nesterov
#
# Plain gradient descent moves against the gradient: $\theta \leftarrow \theta - \eta\, g$.
# **Momentum** keeps a velocity buffer $b \leftarrow \mu b + (1-\tau) g$ (torch sets
# $b = g$ on a parameter's first step, with no dampening $\tau$) and steps along it;
# **Nesterov** steps along $g + \mu b$ instead. Weight decay adds $\lambda\theta$ to the
# gradient first; `maximize` negates the gradient before that.

# question: sgd

# %% [markdown]
# ## 2. RMSprop
#
# RMSprop divides each coordinate's step by a running root-mean-square of its gradients:
# $v \leftarrow \alpha v + (1-\alpha) g^2$, $\theta \leftarrow \theta - \eta\, g / (\sqrt{v} + \epsilon)$.
# Note where torch puts $\epsilon$. With `centered=True` it subtracts the squared running mean
# of the gradient inside the square root.

# question: rmsprop

# %% [markdown]
# ## 3. Adam and AdamW
#
# Adam keeps running averages of the gradient ($m$) and of its square ($v$), corrects their
# bias towards zero in the first steps, and steps by $\eta\, \hat m / (\sqrt{\hat v} + \epsilon)$.
# AdamW differs only in its weight decay: it shrinks the parameter directly,
# $\theta \leftarrow \theta (1 - \eta\lambda)$, instead of adding $\lambda\theta$ to the gradient.
# You may share code between the two.

# question: adam

# question: adamw

# %% [markdown]
# ## 4. Adagrad
#
# Adagrad divides by the root of the *sum* of all squared gradients so far, so each
# coordinate's step size only shrinks: $s \leftarrow s + g^2$,
# $\theta \leftarrow \theta - \eta_t\, g / (\sqrt{s} + \epsilon)$ with
# $\eta_t = \eta / (1 + (t-1)\,\text{lr\_decay})$.

# question: adagrad

# %% [markdown]
# ## Experiment A. Gradient descent and the learning rate
#
# On $f(x) = \tfrac12(x_0^2 + 25 x_1^2)$, a ravine 25 times steeper across than along, plain
# gradient descent (your `sgd_step` with no momentum) from the same start with three
# learning rates: too small crawls, too large overshoots and diverges.

# %%
if lab.implemented(sgd_step):
    f, grad = lab.ravine(25.0)
    x0 = np.array([-2.0, 0.9])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    runs = {f"lr = {lr}": (lab.run_optimizer(sgd_step, grad, x0, 40, lr=lr), color)
            for lr, color in [(0.005, "#9ecae1"), (0.07, COLORS["SGD"]), (0.082, "#d62728")]}
    lab.contour_with_paths(axes[0], f, runs, title="Gradient descent on a ravine")
    lab.loss_curves(axes[1], {k: (f(p), c) for k, (p, c) in runs.items()},
                    title="Loss (log scale)", ylabel="f(x)")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# **Question A (auto-graded).** For $f(x) = \tfrac12 x^\top H x$ with $H = \mathrm{diag}(1, 25)$,
# gradient descent converges from every start exactly when the learning rate is below some
# value. What is that value? Assign it to `max_stable_lr` (a number or an expression).

# question: max_stable_lr

# %% [markdown]
# ## Experiment B. Full-batch gradient descent vs. minibatch SGD
#
# Left: least-squares regression trained on the full batch and on minibatches of 8; the
# minibatch loss is noisy but each step is 16 times cheaper. Right: on
# $f(x) = x^4 - 3x^2 + x$, gradient descent started in the shallow well stays there; the same
# steps with minibatch-like gradient noise escape to the deeper well.

# %%
if lab.implemented(sgd_step):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(128, 5))
    w_true = rng.normal(size=5)
    b = A @ w_true + 0.3 * rng.normal(size=128)

    def train_regression(batch, epochs=8, lr=0.02):
        w, state, losses = np.zeros(5), {}, []
        for _ in range(epochs):
            for idx in np.array_split(rng.permutation(128), 128 // batch):
                g = A[idx].T @ (A[idx] @ w - b[idx]) / len(idx)
                w = sgd_step(w, g, state, lr=lr)
                losses.append(0.5 * np.mean((A @ w - b) ** 2))
        return np.array(losses)

    full, mini = train_regression(128, epochs=60), train_regression(8, epochs=60)
    f1, g1 = lab.double_well()
    gd = lab.run_optimizer(sgd_step, g1, np.array(1.2), 400, lr=0.02)
    # Gradient noise like a minibatch's, fading out over the run (as a decaying lr would).
    noise = 8.0 * np.random.default_rng(0).normal(size=400) * np.linspace(1, 0, 400)
    x, noisy, state = np.array(1.2), [1.2], {}
    for t in range(400):
        x = sgd_step(x, g1(x) + noise[t], state, lr=0.02)
        noisy.append(float(x))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(np.arange(len(full)) * 16, full, color=COLORS["GD"], label="full batch (128)")
    axes[0].plot(np.arange(len(mini)), mini, color=COLORS["SGD"], lw=0.8, label="minibatch (8)")
    axes[0].set(yscale="log", xlabel="gradient evaluations of 8 examples", ylabel="training loss",
                title="Minibatch noise: cheaper, noisier steps")
    axes[0].legend()
    xs = np.linspace(-2, 2, 400)
    axes[1].plot(xs, f1(xs), color="#999999", label="$x^4 - 3x^2 + x$")
    axes[1].plot(gd, f1(gd), "o", ms=3, color=COLORS["GD"], label="GD: stays in the shallow well")
    axes[1].plot(noisy, f1(np.array(noisy)), ".", ms=3, color=COLORS["SGD"], alpha=0.5,
                 label="noisy gradients: escape")
    axes[1].plot(noisy[-1], f1(noisy[-1]), "*", ms=14, color=COLORS["SGD"], label="noisy: end")
    axes[1].set(xlabel="x", ylabel="f(x)", title="Escaping a shallow minimum")
    axes[1].legend(fontsize=8)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Experiment C. Momentum and Nesterov on a ravine
#
# Same ravine, same learning rate: momentum damps the zig-zag across the ravine and builds up
# speed along it; Nesterov's look-ahead damps the oscillation further.

# %%
if lab.implemented(sgd_step):
    f, grad = lab.ravine(25.0)
    x0 = np.array([-2.0, 0.9])
    runs = {
        "SGD": (lab.run_optimizer(sgd_step, grad, x0, 60, lr=0.035), COLORS["SGD"]),
        "Momentum 0.8": (lab.run_optimizer(sgd_step, grad, x0, 60, lr=0.035, momentum=0.8),
                         COLORS["Momentum"]),
        "Nesterov 0.8": (lab.run_optimizer(sgd_step, grad, x0, 60, lr=0.035, momentum=0.8,
                                           nesterov=True), COLORS["Nesterov"]),
    }
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    lab.contour_with_paths(axes[0], f, runs, title="Momentum on a ravine (lr = 0.035)")
    lab.loss_curves(axes[1], {k: (f(p), c) for k, (p, c) in runs.items()},
                    title="Loss (log scale)", ylabel="f(x)")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Experiment D. Adaptive methods: RMSprop and Adam
#
# Left: on a badly scaled bowl (one direction 100 times flatter) the adaptive methods take
# similar steps in both coordinates. Middle: Adam's first step has size about `lr` whatever
# the gradient's scale. Right: a target that keeps moving, $f_t(x) = \tfrac12\|D(x - c_t)\|^2$
# with a weak coordinate; the adaptive methods keep up in both coordinates.

# %%
if lab.implemented(sgd_step, rmsprop_step, adam_step):
    f, grad = lab.ravine(0.01)
    x0 = np.array([-1.5, 1.0])
    runs = {
        "SGD": (lab.run_optimizer(sgd_step, grad, x0, 80, lr=0.9), COLORS["SGD"]),
        "RMSprop": (lab.run_optimizer(rmsprop_step, grad, x0, 80, lr=0.05), COLORS["RMSprop"]),
        "Adam": (lab.run_optimizer(adam_step, grad, x0, 80, lr=0.05), COLORS["Adam"]),
    }
    scales = np.geomspace(1e-6, 1e3, 10)
    first = [abs(adam_step(np.zeros(1), np.array([s]), {}, lr=0.01)[0]) for s in scales]
    targets, weights = lab.moving_target(300)
    tracking = {}
    for name, step, lr in [("SGD", sgd_step, 0.5), ("RMSprop", rmsprop_step, 0.02),
                           ("Adam", adam_step, 0.02)]:
        x, state, error = np.zeros(2), {}, []
        for c in targets:
            x = step(x, weights ** 2 * (x - c), state, lr=lr)
            error.append(np.linalg.norm(x - c))
        tracking[name] = (np.array(error), COLORS[name])

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    lab.contour_with_paths(axes[0], f, runs, extent=(-1.6, 1.6, -1.2, 1.2),
                           title="A badly scaled bowl (80 steps)")
    axes[1].loglog(scales, first, "o-", color=COLORS["Adam"])
    axes[1].axhline(0.01, ls="--", color="#999999", label="lr = 0.01")
    axes[1].set(xlabel="gradient scale", ylabel="|first step|", title="Adam's first step",
                ylim=(1e-3, 1e-1))
    axes[1].legend()
    lab.loss_curves(axes[2], tracking, title="Tracking a moving target",
                    ylabel="distance to target")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# **Question D (auto-graded).** With `lr=0.01` and the default betas and eps, how large (in
# absolute value) is Adam's first update of a coordinate whose gradient is 1000? Assign it
# to `adam_first_step`.

# question: adam_first_step

# %% [markdown]
# ## Experiment E. Training a small network with every optimizer
#
# A 2-32-32-1 tanh network (forward and backward passes are provided in `lab_support.mlp`)
# classifies two interleaved spirals (generated, 200 training and 100 test points).
# Left: training loss with each optimizer at a reasonable learning rate. Middle: final
# training loss across learning rates. Right: train (solid) vs. test (dashed) loss over 300
# epochs for SGD with momentum and for Adam: Adam drives the training loss lower, yet settles
# on a worse test loss.

# %%
if lab.implemented(sgd_step, rmsprop_step, adam_step, adamw_step, adagrad_step):
    STEPS = {"SGD": (sgd_step, {}), "Momentum": (sgd_step, {"momentum": 0.9}),
             "RMSprop": (rmsprop_step, {}), "Adam": (adam_step, {}),
             "AdamW": (adamw_step, {"weight_decay": 0.01}), "Adagrad": (adagrad_step, {})}
    GOOD_LR = {"SGD": 0.5, "Momentum": 0.05, "RMSprop": 0.003, "Adam": 0.005, "AdamW": 0.005,
               "Adagrad": 0.05}
    X, y, X_test, y_test = lab.spirals()

    def train(name, lr, epochs):
        step, extra = STEPS[name]
        return lab.MLP(seed=0).train(step, X, y, epochs=epochs, X_test=X_test, y_test=y_test,
                                     lr=lr, **extra)

    histories = {name: train(name, GOOD_LR[name], 150) for name in STEPS}
    sweep = np.geomspace(1e-4, 1.0, 7)
    finals = {name: [train(name, lr, 40)["train"][-1] for lr in sweep] for name in STEPS}

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    lab.loss_curves(axes[0], {n: (h["train"], COLORS[n]) for n, h in histories.items()},
                    title="Training loss", xlabel="epoch")
    for name, values in finals.items():
        axes[1].plot(sweep, values, "o-", color=COLORS[name], label=name)
    axes[1].set(xscale="log", yscale="log", xlabel="learning rate", ylabel="loss after 40 epochs",
                title="Learning-rate sweep")
    axes[1].legend(fontsize=8)
    axes[1].grid(alpha=0.3)
    for name, lr in (("Momentum", 0.05), ("Adam", 0.02)):
        long = train(name, lr, 300)
        axes[2].plot(long["train"], color=COLORS[name], label=f"{name} (lr {lr}) train")
        axes[2].plot(long["test"], "--", color=COLORS[name], label=f"{name} (lr {lr}) test")
    axes[2].set(yscale="log", xlabel="epoch", ylabel="loss", title="Train vs. test")
    axes[2].legend(fontsize=8)
    axes[2].grid(alpha=0.3)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Choosing an optimizer
#
# * **SGD** is the baseline: simple, memory-free, and with a tuned learning rate and schedule
#   often the best at generalising, but sensitive to the learning rate and slow on ravines.
# * **Momentum / Nesterov** fix the ravine problem for one extra buffer per parameter; the
#   usual default for convolutional networks.
# * **RMSprop, Adam** adapt the step per coordinate: robust to badly scaled problems and to
#   the learning rate, the usual default for transformers; Adam can settle on a solution
#   that generalises worse, and its weight decay interacts with the adaptation.
# * **AdamW** decouples the decay, which is why it replaced Adam + L2 in practice.
# * **Adagrad**'s steps only shrink: good for sparse features, too cautious for long runs.

# %% [markdown]
# **Question 1 (written, graded by your instructor).** In Experiment C, explain in two or
# three sentences why momentum reaches the minimum of the ravine in fewer steps than plain
# SGD at the same learning rate.

# question: written_momentum

# %% [markdown]
# **Question 2 (written, graded by your instructor).** In Experiment E, compare the train and
# test losses of SGD with momentum and of Adam. What does the gap tell you, and what would you
# try to reduce it?

# question: written_generalisation
