"""What every benchmark reports: figures, one line each, ``name: value unit (how measured)``,
with the target it is held to; and the timing helpers they share."""

import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    how: str
    target: str = ""        # e.g. "<= 0.5": the goal this figure is held to
    met: bool = None        # None: no target

    def line(self):
        value = shown(self.value)
        verdict = "" if self.met is None else (
            f"; target {self.target} {self.unit}: {'met' if self.met else 'NOT met'}")
        return f"{self.name}: {value} {self.unit} ({self.how}{verdict})"

    def as_dict(self):
        return asdict(self)


def shown(value):
    """A figure's value as printed: three significant digits, whole numbers from 1000."""
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def held_to(figure, target):
    """``figure`` with ``target`` ("<= 0.5" or ">= 20") recorded and checked."""
    op, bound = target.split()
    figure.target = target
    figure.met = figure.value <= float(bound) if op == "<=" else figure.value >= float(bound)
    return figure


def spread(seconds):
    """'median of N; range a-b s' for a list of timings."""
    return (f"median of {len(seconds)}; range {min(seconds):.2f}-{max(seconds):.2f} s, "
            f"quartiles {_quartiles(seconds)}")


def _quartiles(values):
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return f"{q[0]:.2f}/{q[2]:.2f} s"


def env():
    """The environment benchmarks run commands in: this one, writing bytecode (a first run
    compiles, later runs load the .pyc files, as on any installed machine)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command, check=True, **kwargs):
    """Wall seconds of one run of ``command`` (a fresh process)."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env(), **kwargs)
    seconds = time.perf_counter() - started
    if check and done.returncode:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{done.stdout[-2000:]}\n"
                           f"{done.stderr[-2000:]}")
    return seconds


def grade_command(path, *options):
    return [PYTHON, "-m", "autograder", "grade", str(path), *options]
