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
# gradient descent (your `sgd_step`, no momentum) starts from one point with three learning
# rates: 0.005, 0.07 and 0.082. Run the cell and compare how each one moves.

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
                    title="f(x) over 40 steps", ylabel="f(x)")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# With lr = 0.005 the path creeps along the flat direction: after 40 steps $x_0$ still has
# most of its way to go. With lr = 0.07 it zig-zags across the ravine while it converges.
# With lr = 0.082 each swing across is wider than the last, and it diverges.
#
# **Question A (auto-graded).** For $f(x) = \tfrac12 x^\top H x$ with $H = \mathrm{diag}(1, 25)$,
# gradient descent converges from every start exactly when the learning rate is below some
# value. What is that value? Assign it to `max_stable_lr` (a number or an expression).

# question: max_stable_lr

# %% [markdown]
# **Why.** Along a direction of curvature $\lambda$ the gradient is $\lambda x$, so one step
# multiplies that coordinate by $1 - \eta\lambda$. It shrinks only if $|1 - \eta\lambda| < 1$,
# that is $0 < \eta < 2/\lambda$; the steepest direction sets the limit, $2/\lambda_{max}$.
# Between $1/\lambda$ and $2/\lambda$ the factor is negative: the coordinate changes sign at
# every step (the zig-zag). The slowest direction sets the speed: here the flat $x_0$ keeps
# $1 - \eta$ of its distance per step, which is why a small learning rate crawls. The
# figure shows the factor of each direction against the learning rate.

# %%
lrs = np.linspace(0, 0.1, 201)
fig, ax = plt.subplots(figsize=(6, 3.5))
for lam, color in [(1, COLORS["GD"]), (25, COLORS["SGD"])]:
    ax.plot(lrs, np.abs(1 - lrs * lam), color=color, label=f"$|1 - \\eta\\lambda|$, $\\lambda$ = {lam}")
ax.axhline(1, ls=":", color="#999999")
for lr in (0.005, 0.07, 0.082):
    ax.axvline(lr, ls="--", lw=0.8, color="#bbbbbb")
ax.set(xlabel="learning rate $\\eta$", ylabel="factor per step", ylim=(0, 1.6),
       title="Each direction's factor per step (dashed: the three runs)")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **Your turn A (auto-graded).** Now the ravine is twice as steep: $f(x) = \tfrac12(x_0^2 +
# 50 x_1^2)$, same start. Choose a learning rate with which your `sgd_step` brings $f$ below
# 0.01 within 100 steps, and assign it to `chosen_lr`. The figure above does not show this
# ravine: use the factors to decide, then check your choice with the cell after it.

# question: chosen_lr

# %%
if lab.implemented(sgd_step) and isinstance(chosen_lr, (int, float)):
    f50, grad50 = lab.ravine(50.0)
    values = f50(lab.run_optimizer(sgd_step, grad50, np.array([-2.0, 0.9]), 100, lr=chosen_lr))
    reached = lab.measure.steps_to(values, 0.01)
    print(f"lr = {chosen_lr}: f = {values[-1]:.3g} after 100 steps; " + (
        f"below 0.01 from step {reached}." if reached is not None else "not below 0.01 yet."))

# %% [markdown]
# ## Experiment B. Full-batch gradient descent vs. minibatch SGD
#
# Least squares on 128 examples. A full-batch step uses all 128 examples' gradients; a
# minibatch step uses 8, so it costs 16 times less but its gradient is noisy. For a fixed
# budget of work (passes over the data), which gets closer to the minimum? A fair answer
# gives each method its own best learning rate: the cell tries 25 learning rates for each
# method and each budget and keeps the best.
#
# On the right, a different question: can noise help? On $f(x) = x^4 - 3x^2 + x$, gradient
# descent starts in the shallow well. The noise there is synthetic: random numbers added to
# the exact gradient, fading to zero over the run (the function has no data to sample
# minibatches from; the fading plays the part of a decaying learning rate).

# %%
# Experiment B
if lab.implemented(sgd_step):
    budgets, sweep = [1, 2, 4, 8], np.geomspace(0.005, 2.0, 25)
    best = {batch: [lab.measure.best_minibatch(sgd_step, 0, batch, passes, sweep)
                    for passes in budgets] for batch in (8, 128)}
    f1, _ = lab.double_well()
    gd_end = lab.measure.noisy_descent(sgd_step, 0, sigma=0.0)[-1]
    ends = np.array([lab.measure.noisy_descent(sgd_step, seed)[-1] for seed in range(50)])

    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    styles = {8: ("o-", COLORS["SGD"], "minibatch of 8"), 128: ("s--", COLORS["GD"], "full batch")}
    for batch, (style, color, label) in styles.items():
        axes[0].plot(budgets, [loss for _, loss in best[batch]], style, color=color, label=label)
        axes[1].plot(budgets, [lr for lr, _ in best[batch]], style, color=color, label=label)
    axes[0].set(xscale="log", yscale="log", xticks=budgets, xticklabels=budgets,
                xlabel="budget (passes over the data)", ylabel="loss above the minimum",
                title="Each at its best learning rate")
    axes[1].set(xscale="log", yscale="log", xticks=budgets, xticklabels=budgets,
                xlabel="budget (passes over the data)", ylabel="best learning rate",
                title="The best learning rate for each budget")
    for ax in axes[:2]:
        ax.set_xticks([], minor=True)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    deep = int(np.sum(ends < 0))
    axes[2].bar(["deep well", "shallow well"], [deep, 50 - deep], color=COLORS["SGD"], width=0.5)
    axes[2].set(ylabel="runs (of 50) ending there",
                title="Synthetic fading noise: where 50 runs end")
    axes[2].text(1, 50 - deep + 1, "gradient descent\nwithout noise ends here",
                 ha="center", va="bottom", fontsize=8)
    axes[2].set_ylim(0, 55)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# With one pass of work, minibatches end much closer to the minimum: sixteen cheap, noisy
# steps beat one exact step. With two, it is about even; with four or more, full batch ends
# lower: this problem is well conditioned, so a few exact steps at a learning rate near 1
# nearly reach the minimum. The middle panel shows why minibatches
# cannot simply keep going: each minibatch gradient is the full gradient plus noise, and at a
# constant learning rate the iterate keeps bouncing around the minimum at a distance that
# grows with the learning rate (and shrinks with the batch size). To get closer, minibatch
# SGD needs a smaller learning rate, so its best learning rate falls as the budget grows,
# while full batch's stays near 1.
#
# On the right: without noise, gradient descent stays in the shallow well, where it started;
# with the fading noise, most runs are kicked over the barrier into the deeper well and
# settle there once the noise has faded. Noise can help an optimizer leave a poor minimum.

# %% [markdown]
# ## Experiment C. Momentum and Nesterov on a ravine

# question: written_momentum

# %%
# Experiment C
if lab.implemented(sgd_step):
    f, grad = lab.ravine(25.0)
    x0 = np.array([-2.0, 0.9])
    at_007 = {"GD, lr 0.07": (lab.run_optimizer(sgd_step, grad, x0, 120, lr=0.07), COLORS["GD"]),
              "Momentum 0.5, lr 0.07": (lab.run_optimizer(sgd_step, grad, x0, 120, lr=0.07,
                                                          momentum=0.5), COLORS["Momentum"])}
    sweep = np.geomspace(0.005, 0.2, 30)
    settings = {"GD": ({}, "-", COLORS["GD"]),
                "Momentum 0.5": ({"momentum": 0.5}, "-", COLORS["Momentum"]),
                "Momentum 0.9": ({"momentum": 0.9}, "--", COLORS["Momentum"]),
                "Nesterov 0.9": ({"momentum": 0.9, "nesterov": True}, "--", COLORS["Nesterov"])}
    conditions = [10, 25, 100, 400]          # try others: how do the two lines grow?

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    lab.contour_with_paths(axes[0, 0], f, {k: (p[:40], c) for k, (p, c) in at_007.items()},
                           title="The first 40 steps at lr 0.07")
    lab.loss_curves(axes[0, 1], {k: (f(p), c) for k, (p, c) in at_007.items()},
                    title="f at lr 0.07", ylabel="f(x)")
    axes[0, 1].axhline(1e-6, ls=":", color="#999999")
    for label, (extra, style, color) in settings.items():
        steps = [lab.measure.steps_to_converge(sgd_step, 25.0, x0, limit=400, lr=lr, **extra)
                 for lr in sweep]
        axes[1, 0].plot(sweep, [np.nan if s is None else s for s in steps], style, color=color,
                        label=label)
    axes[1, 0].set(xscale="log", yscale="log", xlabel="learning rate",
                   ylabel="steps until f < 1e-6 (gaps: not within 400)",
                   title="Every learning rate tried, condition 25")
    for label, key, style, color in [("GD, tuned", "gd", "s--", COLORS["GD"]),
                                     ("Momentum, tuned", "momentum", "o-", COLORS["Momentum"])]:
        steps = [lab.measure.steps_to_converge(sgd_step, k, x0, **lab.measure.tuned(k)[key])
                 for k in conditions]
        axes[1, 1].plot(conditions, steps, style, color=color, label=label)
    axes[1, 1].set(xscale="log", yscale="log", xlabel="condition number $\\kappa$",
                   ylabel="steps until f < 1e-6", title="How the cost grows with $\\kappa$")
    axes[1, 0].set_yticks([25, 50, 100, 200, 400], labels=[25, 50, 100, 200, 400])
    axes[1, 0].set_yticks([], minor=True)
    for ax in axes[1]:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# **What happened, and why.** At lr 0.07 momentum 0.5 still swings across the ravine, but
# it crosses the valley floor on only about half of its first 40 steps where gradient descent
# crosses on every one, and it reaches $f < 10^{-6}$ in well under half the steps. Across the
# ravine successive gradients point in opposite directions, so they partly cancel in the
# velocity; along the ravine they point the same way and add up, and the step along it grows
# towards $\eta / (1 - \beta)$.
#
# The sweep (bottom left) compares the methods fairly, each over every learning rate: momentum
# both widens the range of learning rates that converge and lowers the best number of steps.
# Large momentum (0.9) overshoots: its best run is slower than momentum 0.5's. Nesterov's
# version evaluates the gradient after the momentum step, so it corrects an overshoot one step
# earlier; at momentum 0.9 it needs clearly fewer steps than heavy-ball momentum.
#
# Bottom right: each method at its best constant settings for a quadratic whose curvatures
# are 1 and $\kappa$. Gradient descent needs a number of steps proportional to $\kappa$ (its
# factor per step is at best $(\kappa - 1)/(\kappa + 1)$); momentum needs a number
# proportional to $\sqrt{\kappa}$ (its factor is $(\sqrt\kappa - 1)/(\sqrt\kappa + 1)$). Ten
# times steeper costs gradient descent ten times the steps and momentum about three times.

# %% [markdown]
# ## Experiment D. Adaptive methods: RMSprop, Adam, AdamW
#
# RMSprop and Adam divide each coordinate's step by a running root-mean-square of that
# coordinate's gradients, $\sqrt{v}$. Where gradients are consistently of size $g$, the step is
# about $\eta\, g / \sqrt{g^2} = \eta$ long: every coordinate moves at about the same speed,
# whatever the scale of its gradient.
#
# **Question D (auto-graded; answer before running anything below).** With `lr=0.01` and
# the default betas and eps (1e-8), how large (in absolute value) is Adam's first update of a
# coordinate whose gradient is 1e-9? Assign it to `adam_first_step`.

# question: adam_first_step

# %% [markdown]
# **Your turn D (auto-graded).** A target moves along a circle, one coordinate 100 times
# weaker than the other, so the objective $f_t(x) = \tfrac12 |D(x - c_t)|^2$ changes at every
# step. Too small a learning rate and RMSprop lags behind the target; too large and it
# jitters around it. Choose an `lr` with which your `rmsprop_step` stays on average within
# 0.02 of the target over the last 200 of the 300 steps, and assign it to `rmsprop_lr`; the
# cell after it tells you how close your choice stays.

# question: rmsprop_lr

# %%
if lab.implemented(rmsprop_step) and isinstance(rmsprop_lr, (int, float)):
    mean = lab.measure.tracking_error(rmsprop_step, 0, lr=rmsprop_lr)[100:].mean()
    print(f"lr = {rmsprop_lr}: on average {mean:.3f} from the target over the last 200 steps.")

# %% [markdown]
# The next cell compares the methods on three problems. Left: a bowl whose $x_1$ direction
# is 100 times flatter than $x_0$; gradient descent at lr 1 (which settles $x_0$ in one step)
# and at lr 1.9 (just inside its limit of 2), RMSprop and Adam at lr 0.05. Middle: the moving
# target of your turn, every method over every learning rate of a sweep. Right: where Adam
# with L2 weight decay (the decay added to the gradient) and AdamW (the decay applied to the
# weights directly) settle with weight decay 0.1 on $f = 50(x_0 - 1)^2 + \tfrac12(x_1 - 1)^2$,
# whose minimum is at 1 in both coordinates.

# %%
# Experiment D
if lab.implemented(sgd_step, rmsprop_step, adam_step, adamw_step):
    f, grad = lab.ravine(0.01)
    x0 = np.array([-1.5, 1.0])
    runs = {
        "GD, lr 1.9": (lab.run_optimizer(sgd_step, grad, x0, 80, lr=1.9), COLORS["SGD"]),
        "GD, lr 1": (lab.run_optimizer(sgd_step, grad, x0, 80, lr=1.0), COLORS["GD"]),
        "RMSprop, lr 0.05": (lab.run_optimizer(rmsprop_step, grad, x0, 80, lr=0.05),
                             COLORS["RMSprop"]),
        "Adam, lr 0.05": (lab.run_optimizer(adam_step, grad, x0, 80, lr=0.05), COLORS["Adam"]),
    }
    sweep = np.geomspace(0.003, 3.0, 19)
    tracking = {name: [lab.measure.tracking_error(step, 0, lr=lr)[100:].mean() for lr in sweep]
                for name, step in [("SGD", sgd_step), ("RMSprop", rmsprop_step),
                                   ("Adam", adam_step)]}
    decayed = {"Adam + L2": lab.measure.decay_fixed_point(adam_step),
               "AdamW": lab.measure.decay_fixed_point(adamw_step)}

    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    lab.contour_with_paths(axes[0], f, runs, extent=(-2.2, 2.2, -1.2, 1.2),
                           title="A badly scaled bowl (80 steps)")
    for (name, errors), style in zip(tracking.items(), ["s--", "o-", "^-"]):
        axes[1].plot(sweep, np.minimum(errors, 2.0), style, ms=4, color=COLORS[name],
                     label=f"{name}: best {min(errors):.3f} at lr {sweep[np.argmin(errors)]:.2g}")
    axes[1].axhline(0.02, ls=":", color="#999999")
    axes[1].set(xscale="log", yscale="log", xlabel="learning rate", ylim=(0.005, 2.0),
                ylabel="mean distance, last 200 steps (capped at 2)",
                title="Following a moving target")
    axes[1].legend(fontsize=8)
    axes[1].grid(alpha=0.3)
    for i, (name, x) in enumerate(decayed.items()):
        axes[2].plot([0 + 0.08 * (2 * i - 1), 1 + 0.08 * (2 * i - 1)], x,
                     "o" if name == "AdamW" else "s", ms=9, ls="none",
                     color=COLORS["Adam" if name == "Adam + L2" else "AdamW"],
                     label=f"{name}: {x[0]:.3f}, {x[1]:.3f}")
    axes[2].axhline(1.0, ls=":", color="#999999")
    axes[2].set(xticks=[0, 1], xticklabels=["$x_0$ (curvature 100)", "$x_1$ (curvature 1)"],
                xlim=(-0.5, 1.5), ylim=(0.88, 1.01), ylabel="where it settles (minimum: 1)",
                title="Weight decay 0.1: L2 vs decoupled")
    axes[2].legend(fontsize=8)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# **What happened, and why.** On the bowl, gradient descent's step along $x_1$ is $\eta$ times
# a gradient 100 times smaller than along $x_0$, and its learning rate is capped by $x_0$: at
# lr 1 it still has more than two fifths of the way to go along $x_1$ after 80 steps, and
# even at 1.9, where it zig-zags across $x_0$, more than a fifth. RMSprop and Adam move both
# coordinates at about $\eta$ per step and arrive.
#
# On the moving target, no learning rate lets gradient descent follow the weak coordinate.
# Each at its own best learning rate, RMSprop and Adam follow the target about equally
# closely, but at different learning rates, and Adam stays close over a much wider range
# above its best. RMSprop's step is about $\eta$ long at every step, in the direction of the
# latest gradient: a large $\eta$ makes it overshoot and jitter around the target. Adam's step
# is its average of recent gradients, $m$, over $\sqrt{v}$: once it has caught up, recent
# gradients point in different directions and their average is small, so Adam's steps are
# long only while it lags behind. That averaging is also why it needs a larger $\eta$ to
# keep up at all.
#
# With L2 decay, Adam adds $0.1\,x$ to the gradient and then divides by $\sqrt{v}$: where the
# gradient is large ($x_0$) the decay is normalised away and barely shrinks the weight; where
# it is small ($x_1$) the decay dominates and shrinks it much more. AdamW multiplies every
# weight by $1 - \eta \cdot 0.1$ outside the normalisation, so both shrink alike. That is why
# AdamW replaced Adam + L2 in practice: the strength of the decay no longer depends on the
# gradient's scale.

# %% [markdown]
# ## Experiment E. Training a small network
#
# A 2-32-32-1 tanh network (forward and backward passes are provided in `lab_support.mlp`)
# classifies two interleaved spirals (generated: 200 training and 100 test points), in
# minibatches of 32. Left: the training loss after 100 epochs for each method over ten
# learning rates. Middle and right: momentum and Adam, each at its own best learning rate
# from that sweep, trained for 300 epochs. Thin lines are the loss after each epoch, thick
# lines its average over 15 epochs; solid for the training loss, dashed for the test loss;
# the star marks the lowest (averaged) test loss.

# %%
# Experiment E
if lab.implemented(sgd_step, rmsprop_step, adam_step, adagrad_step):
    STEPS = {"SGD": (sgd_step, {}), "Momentum": (sgd_step, {"momentum": 0.9}),
             "RMSprop": (rmsprop_step, {}), "Adam": (adam_step, {}), "Adagrad": (adagrad_step, {})}
    data = lab.spirals()

    def train(name, lr, epochs):
        step, extra = STEPS[name]
        return lab.measure.spiral_loss(step, data, lr, epochs, **extra)

    def averaged(values, width=15):
        return np.convolve(values, np.ones(width) / width, mode="valid")

    sweep = np.geomspace(1e-3, 1.0, 10)
    finals = {name: [train(name, lr, 100)["train"][-1] for lr in sweep] for name in STEPS}

    fig, axes = plt.subplots(1, 3, figsize=(17, 4.5))
    for (name, values), style in zip(finals.items(), ["v:", "o-", "D-.", "^-", "s--"]):
        reached = sum(v < 0.2 for v in values)
        axes[0].plot(sweep, np.minimum(values, 2.0), style, ms=5, color=COLORS[name],
                     label=f"{name}: below 0.2 at {reached} of 10")
    axes[0].axhline(0.2, ls=":", color="#999999")
    axes[0].set(xscale="log", yscale="log", xlabel="learning rate", ylim=(0.01, 2.0),
                ylabel="training loss after 100 epochs (capped at 2)", title="Learning-rate sweep")
    axes[0].legend(fontsize=8)
    for ax, name in zip(axes[1:], ("Momentum", "Adam")):
        lr = sweep[int(np.argmin(finals[name]))]
        long = train(name, lr, 300)
        epochs = np.arange(len(long["train"]))
        middle = epochs[7:-7]                    # the centre of each 15-epoch window
        for part, style in (("train", "-"), ("test", "--")):
            ax.plot(epochs, long[part], style, lw=0.6, alpha=0.35, color=COLORS[name])
            ax.plot(middle, averaged(long[part]), style, lw=2.2, color=COLORS[name],
                    label=f"{part} (average over 15 epochs)")
        test = averaged(long["test"])
        ax.plot(middle[np.argmin(test)], test.min(), "k*", ms=14, label="lowest test loss")
        ax.set(yscale="log", xlabel="epoch", ylabel="loss", ylim=(0.005, 3),
               title=f"{name} at its best learning rate ({lr:.2g})")
        ax.legend(fontsize=8, loc="lower left")
    for ax in axes:
        ax.grid(alpha=0.3)
    plt.tight_layout()
    plt.show()

# question: written_generalisation

# %% [markdown]
# **What the sweep shows.** Adam usually gets below 0.2 at more learning rates than
# momentum, but only at a few of the ten: adaptive methods need less tuning, not none.
# The sweep measures the training loss only: it says how easy each method is to
# tune on this problem, not which one generalises better.
#
# ## Choosing an optimizer: what these experiments showed
#
# * **Gradient descent**'s learning rate must sit in a window set by the steepest direction,
#   $0 < \eta < 2/\lambda_{max}$, and its speed is set by the flattest (A).
# * **Minibatches** make each step cheap and noisy: for a small budget they get further than
#   exact steps, but to get close they need a smaller learning rate; noise can also carry an
#   optimizer out of a poor minimum (B).
# * **Momentum** adds up consistent gradients and cancels alternating ones: on a ravine its
#   cost grows like $\sqrt\kappa$ instead of $\kappa$; **Nesterov**'s look-ahead tames large
#   momentum (C).
# * **RMSprop and Adam** move every coordinate at about the learning rate per step, whatever
#   its gradient's scale; Adam's averaging of gradients makes it forgiving of a too-large
#   learning rate (D), and it needed less tuning on the network (E).
# * **AdamW** decays every weight at the same rate, where Adam + L2 decays those with large
#   gradients less (D): why it replaced Adam + L2 in practice.
# * **No optimizer prevents overfitting**: trained long enough, the test loss reaches its
#   lowest point and climbs again, well above the training loss (E).

# %% [markdown]
# ## Before you submit
#
# Save the notebook (Ctrl+S, or Cmd+S on a Mac), then run the next cell. It writes
# `written_answers.html`: your written answers with the figures they refer to, the page the
# people grading them read. The export below includes it.

# %%
lab.written_answers(NOTEBOOK)
