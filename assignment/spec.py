"""The lab as data: one entry per optimizer, the concept and written questions, the policies.

``python -m toolkit build`` (``make build``) checks this file against the others it
concerns, then generates from it the engine's rubric and registry
(``autograder/data/rubric.json``), the concept questions' answer key
(``autograder/data/answers.json``) and the notebook's question blocks, otter's ``points:``
included. An optimizer's entry:

* ``function``, ``torch`` -- the student's step function and the ``torch.optim`` class it
  must match; ``title`` -- how feedback names it.
* ``hyperparameters`` -- every keyword argument with torch's default (the build checks them
  against torch and against the answer key's signature).
* ``state`` -- every state entry torch keeps: (``SCALAR`` or ``PARAM`` shaped, the equation
  feedback quotes when that entry is the first to differ).
* ``update`` -- the final update, quoted when only the parameter differs.
* ``groups`` -- the rubric's units of credit: name -> (points, title). Cases
  (``assignment/cases.py``) name a group; each group needs public and hidden cases.
* ``benchmark`` -- the configuration ``make bench`` times against torch.

The points of every group and concept question add up to ``TOTAL``; written questions are
graded by people, outside it.
"""

SCALAR, PARAM = "scalar", "param"
STEP = (SCALAR, "state['step'] counts this parameter's own updates (1 after its first)")
SIGNED = "g already carries maximize's sign and weight decay"
EXP_AVG = (PARAM, "m = beta1 * m + (1 - beta1) * g, starting from zeros")
EXP_AVG_SQ = (PARAM, "v = beta2 * v + (1 - beta2) * g**2, starting from zeros")
MAX_EXP_AVG_SQ = (PARAM, "vmax = max(vmax, v), over the raw (uncorrected) v")
MAXIMIZE = (3, "maximize")
EPS = "eps placement"

OPTIMIZERS = {
    "sgd": dict(
        function="sgd_step", torch="SGD", title="SGD",
        hyperparameters=dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                             nesterov=False, maximize=False),
        state={"momentum_buffer": (
            PARAM, "b = g on the parameter's first step, then b = momentum * b + "
                   f"(1 - dampening) * g, where {SIGNED}")},
        update="param - lr * d, with d = g (no momentum), b (momentum) or g + momentum * b "
               "(Nesterov)",
        groups={"basic": (5, "plain update"), "momentum": (4, "momentum and dampening"),
                "nesterov": (3, "Nesterov momentum"), "weight_decay": (3, "weight decay"),
                "maximize": MAXIMIZE},
        benchmark=dict(lr=0.01, momentum=0.9, nesterov=True)),
    "rmsprop": dict(
        function="rmsprop_step", torch="RMSprop", title="RMSprop",
        hyperparameters=dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                             centered=False, maximize=False),
        state={"step": STEP,
               "square_avg": (PARAM, "v = alpha * v + (1 - alpha) * g**2, starting from zeros"),
               "momentum_buffer": (PARAM, "b = momentum * b + g / avg, starting from zeros"),
               "grad_avg": (PARAM, "gbar = alpha * gbar + (1 - alpha) * g, starting from zeros")},
        update="param - lr * g / (sqrt(v) + eps), eps outside the square root (with momentum: "
               "param - lr * b)",
        groups={"basic": (5, "plain update"), "eps": (2, EPS), "momentum": (3, "momentum"),
                "centered": (3, "centered"), "weight_decay": (2, "weight decay"),
                "maximize": MAXIMIZE},
        benchmark=dict(lr=0.01)),
    "adam": dict(
        function="adam_step", torch="Adam", title="Adam",
        hyperparameters=dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                             amsgrad=False, maximize=False),
        state={"step": STEP, "exp_avg": EXP_AVG, "exp_avg_sq": EXP_AVG_SQ,
               "max_exp_avg_sq": MAX_EXP_AVG_SQ},
        update="param - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)",
        groups={"basic": (7, "moments and bias correction"), "eps": (3, EPS),
                "amsgrad": (3, "AMSGrad"), "weight_decay": (2, "L2 weight decay"),
                "maximize": MAXIMIZE},
        benchmark=dict(lr=1e-3)),
    "adamw": dict(
        function="adamw_step", torch="AdamW", title="AdamW",
        hyperparameters=dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                             amsgrad=False, maximize=False),
        state={"step": STEP, "exp_avg": EXP_AVG, "exp_avg_sq": EXP_AVG_SQ,
               "max_exp_avg_sq": MAX_EXP_AVG_SQ},
        update="param * (1 - lr * weight_decay) first, then "
               "- lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)",
        groups={"basic": (8, "update with default decoupled decay"),
                "weight_decay": (3, "decoupled weight decay"), "eps": (2, EPS),
                "amsgrad": (2, "AMSGrad"), "maximize": MAXIMIZE},
        benchmark=dict(lr=1e-3, weight_decay=0.01)),
    "adagrad": dict(
        function="adagrad_step", torch="Adagrad", title="Adagrad",
        hyperparameters=dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                             initial_accumulator_value=0.0, eps=1e-10, maximize=False),
        state={"step": STEP,
               "sum": (PARAM, "s = s + g**2, starting from initial_accumulator_value")},
        update="param - clr * g / (sqrt(s) + eps), with clr = lr / (1 + (t - 1) * lr_decay)",
        groups={"basic": (5, "plain update"), "lr_decay": (3, "lr_decay"),
                "initial_accumulator": (2, "initial_accumulator_value"), "eps": (3, EPS),
                "weight_decay": (2, "weight decay"), "maximize": MAXIMIZE},
        benchmark=dict(lr=0.01)),
}

# Auto-graded questions: right within ``rtol`` of ``answer`` (a Python expression), or, for a
# choice the student tunes, anywhere in ``accept`` (low, high), where ``answer`` is the
# solution notebook's choice. Neither ships to students. ``tests/test_experiments.py``
# checks every ``accept`` range with the answer key.
QUESTIONS = {
    "max_stable_lr": dict(points=3, title="largest stable learning rate (Experiment A)",
                          answer="2 / 25", rtol=1e-6),
    "chosen_lr": dict(points=2, title="a learning rate reaching f < 0.01 in 100 steps on a "
                                      "ravine of condition 50 (Experiment A)", answer="0.035",
                      accept=(0.02616, 0.03923)),
    "adam_first_step": dict(points=3, title="Adam's first step on a tiny gradient "
                                            "(Experiment D)",
                            answer="0.01 * 1e-9 / (1e-9 + 1e-8)", rtol=1e-3),
    "rmsprop_lr": dict(points=2, title="RMSprop tuned to follow a moving target "
                                       "(Experiment D)", answer="0.05", accept=(0.0254, 0.0729)),
}
# Written questions, graded by people; ``prompt`` is the question as the notebook and the
# graders' pages show it (Markdown); ``answer`` is the model answer the solution
# notebook shows graders; ``figure``, the experiment whose figure goes with the answer on the
# pages graders read (its code cell starts with "# Experiment <letter>").
MANUAL = {
    "written_momentum": dict(
        points=5, title="momentum on a ravine: prediction and explanation (Experiment C)",
        figure="C",
        prompt="**Question 1 (written, graded by your instructor). Predict before you run the "
               "next cell:** at lr = 0.07, plain gradient descent zig-zags across the ravine. "
               "Will momentum 0.5 at the same learning rate zig-zag more or less, and reach the "
               "minimum sooner or later? Write your prediction in the answer cell below, then "
               "run the cell and say, in two or three sentences, whether you were right and "
               "why.",
        answer="Momentum crosses the valley floor less often (about half its steps, where "
               "gradient descent crosses on every one), though its first swings are as wide, "
               "and it arrives in fewer than half the steps. Across the ravine the gradient "
               "changes sign every step, so successive gradients cancel in the velocity; "
               "along it they point the same way and add up, so the step along the ravine "
               "grows towards lr / (1 - momentum)."),
    "written_generalisation": dict(
        points=5, title="train vs. test loss (Experiment E)", figure="E",
        prompt="**Question 2 (written, graded by your instructor).** In the figure above, "
               "compare the train and test losses of SGD with momentum and of Adam, each at "
               "its best learning rate. What does the gap between them tell you, what happens "
               "to the test loss as training goes on, and what would you try to reduce the "
               "gap?",
        answer="Both fit the training points far better than the test points: the test loss "
               "reaches its lowest point, then climbs again, well above the training loss, as "
               "the network fits the noise in the 200 training points. Adam usually drives the "
               "training loss lower; which of the two ends with the lower test loss changes "
               "from one initialisation to the next. Stopping at the lowest "
               "validation loss (early stopping), weight decay (AdamW), more data or a "
               "smaller network would narrow the gap."),
}

TITLE = "Experiment with Different Optimizers"
TOTAL = 100
# Who sees what on Gradescope (visible, after_due_date, after_published or hidden).
VISIBILITY = {"public_cases": "visible", "hidden_cases": "after_due_date"}
# Applied by the instructor's batch grading (``make grade``), off until enabled here.
LATE_POLICY = dict(enabled=False, percent_per_day=10, max_percent=50, grace_minutes=15)
