"""Every graded case, as data: one row per (optimizer, feature group, problem, config).

The instructor's side only: this file never ships to students or to the grading image.
``make references`` turns each row into inputs and a torch trajectory, stored with the
case's definition in ``autograder/data/references-public.npz`` (public rows) or
``references-hidden.npz`` (hidden rows, which only the grading image and the instructor
have). Adding a case is adding a row, then ``make references``. A case's hyperparameters
are keyword arguments with torch's names; a schedule (``autograder/cases.py``) makes
``lr`` change between steps. Each feature group (the rubric's unit of credit) has public
and hidden cases, and every hyperparameter of every optimizer is set to a value other than
torch's default by at least one public and one hidden case, so code that hard-codes it fails
the notebook's check already (``make build`` refuses rows that break either rule).
"""

PUB, HID = True, False
ROWS = [
    # optimizer, group, problem, visibility, config[, schedule]
    ("sgd", "basic", "stream", PUB, dict(lr=0.05)),
    ("sgd", "basic", "mlp", PUB, dict(lr=0.1)),
    ("sgd", "basic", "quadratic", HID, dict(lr=0.02)),
    ("sgd", "basic", "rosenbrock", HID, dict(lr=2e-3)),
    ("sgd", "momentum", "stream", PUB, dict(lr=0.05, momentum=0.9)),
    ("sgd", "momentum", "stream", PUB, dict(lr=0.05, momentum=0.9), "halve-every-3"),
    ("sgd", "momentum", "stream", PUB, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("sgd", "momentum", "stream", HID, dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("sgd", "momentum", "quadratic", HID, dict(lr=0.01, momentum=0.8, dampening=0.5)),
    ("sgd", "momentum", "mlp", HID, dict(lr=0.05, momentum=0.9), "halve-every-3"),
    ("sgd", "nesterov", "stream", PUB, dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd", "nesterov", "quadratic", HID, dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("sgd", "nesterov", "mlp", HID, dict(lr=0.05, momentum=0.5, nesterov=True)),
    ("sgd", "weight_decay", "stream", PUB, dict(lr=0.05, weight_decay=0.1)),
    ("sgd", "weight_decay", "stream", PUB, dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("sgd", "weight_decay", "quadratic", HID, dict(lr=0.01, momentum=0.9, weight_decay=0.5)),
    ("sgd", "maximize", "stream", PUB, dict(lr=0.05, maximize=True)),
    ("sgd", "maximize", "mlp", PUB, dict(lr=0.02, weight_decay=0.1, maximize=True)),
    ("sgd", "maximize", "stream", HID,
     dict(lr=0.05, momentum=0.9, weight_decay=0.1, maximize=True)),

    ("rmsprop", "basic", "stream", PUB, dict(lr=0.01)),
    ("rmsprop", "basic", "mlp", PUB, dict(lr=0.02)),
    ("rmsprop", "basic", "stream", PUB, dict(lr=0.01, alpha=0.9)),
    ("rmsprop", "basic", "quadratic", HID, dict(lr=0.01)),
    ("rmsprop", "basic", "rosenbrock", HID, dict(lr=0.01, alpha=0.9)),
    ("rmsprop", "basic", "stream", HID, dict(lr=0.01), "halve-every-3"),
    ("rmsprop", "eps", "stream", PUB, dict(lr=0.01, eps=0.1)),
    ("rmsprop", "eps", "mlp", HID, dict(lr=0.01, eps=0.1)),
    ("rmsprop", "momentum", "stream", PUB, dict(lr=0.01, momentum=0.9)),
    ("rmsprop", "momentum", "quadratic", HID, dict(lr=0.01, momentum=0.5)),
    ("rmsprop", "centered", "stream", PUB, dict(lr=0.01, centered=True)),
    ("rmsprop", "centered", "quadratic", HID, dict(lr=0.01, momentum=0.9, centered=True)),
    ("rmsprop", "centered", "mlp", HID, dict(lr=0.01, alpha=0.9, centered=True)),
    ("rmsprop", "weight_decay", "stream", PUB, dict(lr=0.01, weight_decay=0.1)),
    ("rmsprop", "weight_decay", "rosenbrock", HID, dict(lr=0.01, weight_decay=0.5)),
    ("rmsprop", "maximize", "stream", PUB, dict(lr=0.01, maximize=True)),
    ("rmsprop", "maximize", "stream", HID, dict(lr=0.01, weight_decay=0.1, maximize=True)),

    ("adam", "basic", "stream", PUB, dict(lr=0.01)),
    ("adam", "basic", "mlp", PUB, dict(lr=0.01)),
    ("adam", "basic", "stream", PUB, dict(lr=0.01, betas=(0.8, 0.9))),
    ("adam", "basic", "quadratic", HID, dict(lr=0.05)),
    ("adam", "basic", "rosenbrock", HID, dict(lr=0.05)),
    ("adam", "basic", "stream", HID, dict(lr=0.01), "halve-every-3"),
    ("adam", "basic", "mlp", HID, dict(lr=0.01, betas=(0.8, 0.9))),
    ("adam", "eps", "stream", PUB, dict(lr=0.01, eps=0.1)),
    ("adam", "eps", "quadratic", HID, dict(lr=0.05, eps=0.1)),
    ("adam", "amsgrad", "stream", PUB, dict(lr=0.01, amsgrad=True)),
    ("adam", "amsgrad", "mlp", HID, dict(lr=0.01, amsgrad=True)),
    ("adam", "amsgrad", "quadratic", HID, dict(lr=0.05, betas=(0.9, 0.99), amsgrad=True)),
    ("adam", "weight_decay", "stream", PUB, dict(lr=0.01, weight_decay=0.1)),
    ("adam", "weight_decay", "mlp", HID, dict(lr=0.01, weight_decay=0.5)),
    ("adam", "maximize", "stream", PUB, dict(lr=0.01, maximize=True)),
    ("adam", "maximize", "stream", HID, dict(lr=0.01, weight_decay=0.1, maximize=True)),

    ("adamw", "basic", "stream", PUB, dict(lr=0.01)),
    ("adamw", "basic", "mlp", PUB, dict(lr=0.01)),
    ("adamw", "basic", "stream", PUB, dict(lr=0.01, betas=(0.8, 0.9))),
    ("adamw", "basic", "rosenbrock", HID, dict(lr=0.05)),
    ("adamw", "basic", "quadratic", HID, dict(lr=0.05), "halve-every-3"),
    ("adamw", "basic", "mlp", HID, dict(lr=0.01, betas=(0.85, 0.95))),
    ("adamw", "weight_decay", "stream", PUB, dict(lr=0.05, weight_decay=0.5)),
    ("adamw", "weight_decay", "mlp", HID, dict(lr=0.05, weight_decay=1.0)),
    ("adamw", "eps", "stream", PUB, dict(lr=0.01, eps=0.1)),
    ("adamw", "eps", "mlp", HID, dict(lr=0.01, eps=0.1)),
    ("adamw", "amsgrad", "stream", PUB, dict(lr=0.01, amsgrad=True)),
    ("adamw", "amsgrad", "quadratic", HID, dict(lr=0.05, amsgrad=True)),
    ("adamw", "maximize", "stream", PUB, dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("adamw", "maximize", "mlp", HID, dict(lr=0.01, maximize=True)),

    ("adagrad", "basic", "stream", PUB, dict(lr=0.1)),
    ("adagrad", "basic", "mlp", PUB, dict(lr=0.05)),
    ("adagrad", "basic", "quadratic", HID, dict(lr=0.1)),
    ("adagrad", "basic", "rosenbrock", HID, dict(lr=0.1)),
    ("adagrad", "basic", "stream", HID, dict(lr=0.1), "halve-every-3"),
    ("adagrad", "lr_decay", "stream", PUB, dict(lr=0.1, lr_decay=0.1)),
    ("adagrad", "lr_decay", "mlp", HID, dict(lr=0.05, lr_decay=0.5)),
    ("adagrad", "initial_accumulator", "stream", PUB,
     dict(lr=0.1, initial_accumulator_value=0.5)),
    ("adagrad", "initial_accumulator", "quadratic", HID,
     dict(lr=0.1, initial_accumulator_value=1.0)),
    ("adagrad", "eps", "stream", PUB, dict(lr=0.1, eps=0.1)),
    ("adagrad", "eps", "mlp", HID, dict(lr=0.05, eps=0.1)),
    ("adagrad", "weight_decay", "stream", PUB, dict(lr=0.1, weight_decay=0.1)),
    ("adagrad", "weight_decay", "quadratic", HID, dict(lr=0.1, weight_decay=0.5)),
    ("adagrad", "maximize", "stream", PUB, dict(lr=0.1, maximize=True)),
    ("adagrad", "maximize", "stream", HID, dict(lr=0.1, weight_decay=0.1, maximize=True)),
]
