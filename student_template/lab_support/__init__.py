"""Support code for the optimizers lab: problems and data, a small NumPy MLP, plotting,
and the notebook's checks (which run the course autograder on the public cases)."""

from . import measure
from .checks import check, check_answer, guard_export, written_answers
from .data import double_well, moving_target, ravine, spirals
from .experiments import implemented, run_optimizer
from .mlp import MLP
from .plotting import COLORS, contour_with_paths, loss_curves

guard_export()

__all__ = ["measure", "check", "check_answer", "written_answers", "double_well",
           "moving_target", "ravine", "spirals", "implemented", "run_optimizer", "MLP", "COLORS",
           "contour_with_paths", "loss_curves"]
