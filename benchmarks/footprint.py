"""Footprint, in a simulated Gradescope image (``benchmarks/image.py``: the autograder zip
unpacked, ``setup.sh`` run with Python 3.10 into a fresh virtual environment): the grading
runtime's installed size, the zip's size, and ``run_autograder``'s wall time and peak
memory on the solution notebook; and the peak memory of one local grading."""

import statistics
import subprocess
from pathlib import Path

from benchmarks.figures import Figure, env, grade_command, held_to, spread
from benchmarks.image import Image, peak_tree_rss
from benchmarks.latency import SOLUTION

MB = 2**20


def tree_size(path):
    """Bytes under ``path`` (files, not blocks)."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()
               and not p.is_symlink())


def local_peak():
    """Peak resident memory of ``python -m autograder grade`` and its child, summed."""
    proc = subprocess.Popen(grade_command(SOLUTION), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env())
    peak = peak_tree_rss(proc)
    proc.wait()
    return peak


def run(scratch=None, runs=5):
    text = SOLUTION.read_text()
    with Image() as image:
        seconds, peaks = [], []
        for _ in range(runs):
            data, (code, _, err, peak), took = image.run(text, name=SOLUTION.name,
                                                         monitor=peak_tree_rss)
            if code or data["score"] != 100:
                raise RuntimeError(f"run_autograder failed: {err[-2000:]}")
            seconds.append(took)
            peaks.append(peak)
        site = image.site_packages
        runtime = tree_size(site)
        pip = sum(tree_size(p) for p in site.glob("pip*"))
        zip_size = image.zip.stat().st_size
    local = max(local_peak() for _ in range(3))
    return [
        held_to(Figure("grading runtime installed", runtime / MB, "MB",
                       f"site-packages of a fresh Python 3.10 venv after setup.sh "
                       f"(requirements/runtime.txt), of which pip {pip / MB:.0f} MB"), "<= 100"),
        Figure("autograder zip", zip_size / MB, "MiB",
               "python -m autograder build-zip: engine, references, variant trajectories"),
        held_to(Figure("run_autograder peak memory", max(peaks) / MB, "MB",
                       f"resident, summed over the process tree and the sandbox user, sampled "
                       f"every 10 ms; largest of {runs} runs on the solution notebook"),
                "<= 200"),
        held_to(Figure("run_autograder wall time", statistics.median(seconds), "s",
                       f"Gradescope's entry point in the simulated image, Python 3.10 "
                       f"start-up included; {spread(seconds)}"), "<= 0.3"),
        held_to(Figure("grade peak memory", local / MB, "MB",
                       "python -m autograder grade on the solution notebook and its child, "
                       "resident, summed; largest of 3"), "<= 200"),
    ]
