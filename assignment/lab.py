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
#     files:
#     - written_answers.html
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
# `torch.optim` itself (float64). Matching to about 1e-10 relative is required, for the
# parameter **and for each state entry torch keeps** (`momentum_buffer`, `exp_avg`, ...):
# any mathematically equivalent formula for them passes; a different formula does not, and
# neither does a state entry holding another quantity (a velocity that already includes the
# learning rate, say), even when the parameters it gives match.
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
#   plain values (`x = 0.5`), plus the answers to the questions and the aliases and lambdas
#   your functions use (`Array = np.ndarray`); everything else (experiments, plots, results
#   of calls) is dropped, and every case starts from a fresh load of that code. It runs in a
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
# gradient descent (your `sgd_step`, no momentum) from one start with three learning rates.
# What the figure shows, and `make test` checks from 20 random starts with the answer key:
# with **lr = 0.005** the flat coordinate $x_0$ still has more than 80 % of its way to go
# after 40 steps (too small: it crawls); with **lr = 0.07** $f$ falls more than 300-fold in
# those 40 steps from every start; with **lr = 0.082** $x_1$ is more than 6 times further
# from the minimum after 40 steps than at the start, from every start (too large: it
# overshoots further at each step, and diverges).

# %%
# Experiment A
if lab.implemented(sgd_step):
    f, grad = lab.ravine(25.0)
    x0 = np.array([-2.0, 0.9])
    runs = {f"lr = {lr}": (lab.run_optimizer(sgd_step, grad, x0, 40, lr=lr), color)
            for lr, color in [(0.005, "#9ecae1"), (0.07, COLORS["SGD"]), (0.082, "#d62728")]}
    inside = {k: (p[: np.argmax(np.abs(p[:, 1]) > 1.2) or None], c) for k, (p, c) in runs.items()}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    lab.contour_with_paths(axes[0], f, inside, title="Paths (lr = 0.082 until it leaves the plot)")
    lab.loss_curves(axes[1], {k: (f(p), c) for k, (p, c) in runs.items()},
                    title="f(x) over 40 steps: crawl, converge, diverge", ylabel="f(x)")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# **Question A (auto-graded).** For $f(x) = \tfrac12 x^\top H x$ with $H = \mathrm{diag}(1, 25)$,
# gradient descent converges from every start exactly when the learning rate is below some
# value. What is that value? Assign it to `max_stable_lr` (a number or an expression).

# question: max_stable_lr

# %% [markdown]
# **Your turn A (auto-graded).** Choose a learning rate with which your `sgd_step`, from the
# start above, brings $f$ below 0.01 within 50 steps. Too small crawls, too large zig-zags:
# try a few, and assign your choice to `chosen_lr`. The cell after it runs your choice.

# question: chosen_lr

# %%
if lab.implemented(sgd_step) and isinstance(chosen_lr, (int, float)):
    values = f(lab.run_optimizer(sgd_step, grad, x0, 50, lr=chosen_lr))
    reached = lab.measure.steps_to(values, 0.01)
    print(f"lr = {chosen_lr}: f = {values[-1]:.3g} after 50 steps; " + (
        f"below 0.01 from step {reached}." if reached is not None else "not below 0.01 yet."))

# %% [markdown]
# ## Experiment B. Full-batch gradient descent vs. minibatch SGD
#
# Left: least squares on 128 examples, trained on the full batch and on minibatches of 8,
# against the number of examples processed (a minibatch step costs 8, a full-batch step 128).
# The minibatch's own loss rises on more than 40 % of its steps, on each of 20 datasets; the
# full-batch loss never rises (over 60 passes). For the same work (two passes over the data) the minibatches
# end with the lower loss on all 20. Right: on $f(x) = x^4 - 3x^2 + x$, gradient descent
# started in the shallow well stays there; the same steps with gradient noise that fades
# out (as a decaying learning rate makes it) end in the deeper well in 45 of 50 noise draws
# here (at least 40 of 50 for each of two sets of 50 draws, checked by `make test`).

# %%
# Experiment B
if lab.implemented(sgd_step):
    batch_loss, mini, seen = lab.measure.minibatch_run(sgd_step, 0, batch=8, epochs=4)
    _, full, full_seen = lab.measure.minibatch_run(sgd_step, 0, batch=128, epochs=4)
    f1, _ = lab.double_well()
    gd_end = lab.measure.noisy_descent(sgd_step, 0, sigma=0.0)[-1]
    ends = np.array([lab.measure.noisy_descent(sgd_step, seed)[-1] for seed in range(50)])

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    axes[0].plot(seen, batch_loss, color=COLORS["SGD"], lw=0.7, alpha=0.6,
                 label="minibatch of 8: its own batch's loss")
    axes[0].plot(seen, mini, color=COLORS["SGD"], lw=2, label="minibatch of 8: loss on all data")
    axes[0].plot(full_seen, full, "o-", color=COLORS["GD"], ms=4, label="full batch: loss on all data")
    axes[0].set(yscale="log", xlabel="examples processed", ylabel="loss",
                title="Same work: minibatches go further, noisily")
    axes[0].legend(fontsize=8)
    xs = np.linspace(-2, 2, 400)
    axes[1].plot(xs, f1(xs), color="#999999", label="$x^4 - 3x^2 + x$")
    axes[1].plot(ends, f1(ends), "o", ms=6, color=COLORS["SGD"], alpha=0.4,
                 label=f"noisy gradients: {np.sum(ends < 0)} of 50 end in the deep well")
    axes[1].plot(gd_end, f1(gd_end), "*", ms=16, color=COLORS["GD"], label="gradient descent: stays")
    axes[1].set(xlabel="x", ylabel="f(x)", title="Escaping a shallow minimum")
    axes[1].legend(fontsize=8)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Experiment C. Momentum and Nesterov on a ravine

# question: written_momentum

# %% [markdown]
# What `make test` checks from 20 random starts: at lr = 0.07, $x_1$ changes sign at every
# one of the first 40 gradient-descent steps and at 22 with momentum 0.5, and momentum gets
# $f$ below $10^{-6}$ for good in fewer than half the steps of gradient descent, from every
# start. At lr = 0.035 (where gradient descent does not zig-zag, and needs more than 140
# steps), Nesterov 0.8 is below $10^{-6}$ for good by step 52 at the latest, heavy-ball
# momentum 0.8 from step 65 at the earliest. The curves show, at each step, the highest $f$
# from that step on (momentum's $f$ itself oscillates).

# %%
# Experiment C
if lab.implemented(sgd_step):
    f, grad = lab.ravine(25.0)
    x0 = np.array([-2.0, 0.9])

    def path(lr, steps, **extra):
        return lab.run_optimizer(sgd_step, grad, x0, steps, lr=lr, **extra)

    fast = {"GD, lr 0.07": (path(0.07, 120), COLORS["GD"]),
            "Momentum 0.5, lr 0.07": (path(0.07, 120, momentum=0.5), COLORS["Momentum"])}
    slow = {"GD, lr 0.035": (path(0.035, 120), COLORS["GD"]),
            "Momentum 0.8, lr 0.035": (path(0.035, 120, momentum=0.8), COLORS["Momentum"]),
            "Nesterov 0.8, lr 0.035": (path(0.035, 120, momentum=0.8, nesterov=True),
                                       COLORS["Nesterov"])}
    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    lab.contour_with_paths(axes[0], f, {k: (p[:40], c) for k, (p, c) in fast.items()},
                           title="First 40 steps at lr 0.07")
    ahead = lab.measure.highest_ahead
    lab.loss_curves(axes[1], {k: (ahead(f(p)), c) for k, (p, c) in fast.items()},
                    title="lr 0.07: momentum gets there first", ylabel="highest f from here on")
    lab.loss_curves(axes[2], {k: (ahead(f(p)), c) for k, (p, c) in slow.items()},
                    title="lr 0.035: Nesterov's look-ahead", ylabel="highest f from here on")
    for ax in axes[1:]:
        ax.axhline(1e-6, ls=":", color="#999999")
        ax.set_ylim(1e-12, 1e2)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Experiment D. Adaptive methods: RMSprop, Adam, AdamW
#
# **Question D (auto-graded; answer before running the cell).** With `lr=0.01` and the
# default betas and eps (1e-8), how large (in absolute value) is Adam's first update of a
# coordinate whose gradient is 1e-9? Assign it to `adam_first_step`.

# question: adam_first_step

# %% [markdown]
# Left: a bowl whose $x_1$ direction is 100 times flatter. After 80 steps, gradient descent
# at lr = 1 (which settles the steep $x_0$ in one step) still has more than 40 % of the way
# to go along $x_1$, and even at lr = 1.9, just inside its stability limit 2 (where it
# zig-zags across $x_0$), more than 20 %; RMSprop and Adam (lr = 0.05), which divide each
# coordinate's step by its own gradient scale, less than 2 % (every one of 20 starts). Middle: a target moving along a
# circle, one coordinate 100 times weaker, so the objective changes at every step. Over the
# last 200 steps, RMSprop stays on average within 0.07 of the target, Adam within 0.35, SGD
# more than 0.5 away (each of 20 paths). Right: weight decay 0.1 on
# $f = 50(x_0 - 1)^2 + \tfrac12(x_1 - 1)^2$. Adam with L2 decay (in the gradient, then
# normalised away where gradients are large) shrinks the weakly curved $x_1$ to 0.91 and
# $x_0$ only to 0.999; AdamW's decoupled decay shrinks both alike (0.995).

# %%
# Experiment D
if lab.implemented(sgd_step, rmsprop_step, adam_step, adamw_step):
    f, grad = lab.ravine(0.01)
    x0 = np.array([-1.5, 1.0])
    runs = {
        "SGD, lr 1": (lab.run_optimizer(sgd_step, grad, x0, 80, lr=1.0), COLORS["SGD"]),
        "RMSprop, lr 0.05": (lab.run_optimizer(rmsprop_step, grad, x0, 80, lr=0.05),
                             COLORS["RMSprop"]),
        "Adam, lr 0.05": (lab.run_optimizer(adam_step, grad, x0, 80, lr=0.05), COLORS["Adam"]),
    }
    tracking = {f"{name}, lr {lr}": (lab.measure.tracking_error(step, 0, lr=lr), COLORS[name])
                for name, step, lr in [("SGD", sgd_step, 0.5), ("RMSprop", rmsprop_step, 0.02),
                                       ("Adam", adam_step, 0.02)]}
    decayed = {"Adam + L2": lab.measure.decay_fixed_point(adam_step),
               "AdamW": lab.measure.decay_fixed_point(adamw_step)}

    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    lab.contour_with_paths(axes[0], f, runs, extent=(-2.2, 2.2, -1.2, 1.2),
                           title="A badly scaled bowl (80 steps)")
    lab.loss_curves(axes[1], tracking, title="Following a moving target", log=False,
                    ylabel="distance to the target")
    axes[1].set_ylim(0, 1.2)
    for name, x in decayed.items():
        axes[2].plot([0, 1], x, "o-", ms=9, color=COLORS["Adam" if name == "Adam + L2" else "AdamW"],
                     label=f"{name}: {x[0]:.3f}, {x[1]:.3f}")
    axes[2].axhline(1.0, ls=":", color="#999999")
    axes[2].set(xticks=[0, 1], xticklabels=["$x_0$ (curvature 100)", "$x_1$ (curvature 1)"],
                xlim=(-0.5, 1.5), ylim=(0.88, 1.01), ylabel="where it settles (minimum: 1)",
                title="Weight decay 0.1: L2 vs decoupled")
    axes[2].legend(fontsize=8)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# **Your turn D (auto-graded).** RMSprop follows the moving target only with a suitable
# learning rate: too small and it lags behind, too large and it jitters around it. Choose an
# `lr` with which your `rmsprop_step` stays on average within 0.02 of the target over the last
# 200 of the 300 steps (the target of the middle panel), and assign it to `rmsprop_lr`.

# question: rmsprop_lr

# %%
if lab.implemented(rmsprop_step) and isinstance(rmsprop_lr, (int, float)):
    mean = lab.measure.tracking_error(rmsprop_step, 0, lr=rmsprop_lr)[100:].mean()
    print(f"lr = {rmsprop_lr}: on average {mean:.3f} from the target over the last 200 steps.")

# %% [markdown]
# ## Experiment E. Training a small network
#
# A 2-32-32-1 tanh network (forward and backward passes are provided in `lab_support.mlp`)
# classifies two interleaved spirals (generated, 200 training and 100 test points), in
# minibatches of 32. Left: training loss after 100 epochs across ten learning rates. Over 20
# network initialisations (`make test`), Adam gets below 0.2 at more of those rates than SGD
# with momentum in at least 17 of 20, and at fewer in none; but at one to three of the ten
# only: adaptive methods need less tuning, not none. Right: train (solid) and test (dashed)
# loss over 300 epochs. Adam drives the training loss lower than momentum in 19 of 20
# initialisations; its test loss ends further above its training loss in 14 of 20, and is
# worse than momentum's in 12 of 20. Adam may settle on a solution that generalises worse,
# but on this problem only about as often as not.

# %%
# Experiment E
if lab.implemented(sgd_step, rmsprop_step, adam_step, adagrad_step):
    STEPS = {"SGD": (sgd_step, {}), "Momentum": (sgd_step, {"momentum": 0.9}),
             "RMSprop": (rmsprop_step, {}), "Adam": (adam_step, {}), "Adagrad": (adagrad_step, {})}
    data = lab.spirals()

    def train(name, lr, epochs):
        step, extra = STEPS[name]
        return lab.measure.spiral_loss(step, data, lr, epochs, **extra)

    sweep = np.geomspace(1e-3, 1.0, 10)
    finals = {name: [train(name, lr, 100)["train"][-1] for lr in sweep] for name in STEPS}

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for name, values in finals.items():
        reached = sum(v < 0.2 for v in values)
        axes[0].plot(sweep, np.minimum(values, 2.0), "o-", color=COLORS[name],
                     label=f"{name}: below 0.2 at {reached} of 10")
    axes[0].axhline(0.2, ls=":", color="#999999")
    axes[0].set(xscale="log", yscale="log", xlabel="learning rate", ylim=(0.01, 2.0),
                ylabel="training loss after 100 epochs (capped at 2)", title="Learning-rate sweep")
    axes[0].legend(fontsize=8)
    axes[0].grid(alpha=0.3)
    for name, lr in (("Momentum", 0.05), ("Adam", 0.02)):
        long = train(name, lr, 300)
        axes[1].plot(long["train"], color=COLORS[name], label=f"{name} (lr {lr}) train")
        axes[1].plot(long["test"], "--", color=COLORS[name], label=f"{name} (lr {lr}) test")
    axes[1].set(yscale="log", xlabel="epoch", ylabel="loss", title="Train vs. test")
    axes[1].legend(fontsize=8)
    axes[1].grid(alpha=0.3)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Choosing an optimizer: what these experiments showed
#
# * **SGD**'s learning rate must sit in a window: too small crawls, too large diverges (A);
#   minibatches make each step cheap and noisy, and the noise can carry it out of a shallow
#   minimum (B).
# * **Momentum** damps the zig-zag across a ravine and gets there in fewer than half the
#   steps; **Nesterov**'s look-ahead is more reliable still (C).
# * **RMSprop and Adam** scale each coordinate's step by its own gradients: fast on badly
#   scaled problems, and RMSprop followed a moving target far better than SGD (D).
# * **Adam** trained the network below the target at more learning rates than momentum,
#   and to a lower training loss; its test loss was not reliably better or worse (E).
# * **AdamW** decays every weight at the same rate, where Adam + L2 decays those with large
#   gradients less (D): why it replaced Adam + L2 in practice.
# * **Adagrad** reached the target at as many learning rates as Adam on the network (E); its
#   steps can only shrink (its sum of squared gradients only grows), which these short runs
#   do not test.

# question: written_generalisation

# %% [markdown]
# ## Before you submit
#
# Save the notebook (Ctrl+S, or Cmd+S on a Mac), then run the next cell. It writes
# `written_answers.html`: your written answers with the figures they refer to, the page the
# people grading them read. The export below includes it.

# %%
lab.written_answers(NOTEBOOK)
