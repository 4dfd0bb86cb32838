"""The Gradescope figures the README quotes, measured in the simulated image (Python 3.10,
lean runtime): run_autograder's wall time and peak memory on the solution notebook, and
the runtime's installed size. Prints one line per figure, ``name: value unit (how)``.

    .venv/bin/python -m benchmarks.gradescope_run [RUNS]
"""

import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.image import Image, peak_tree_rss

ROOT = Path(__file__).resolve().parent.parent


def main(runs=5):
    notebook = (ROOT / "solutions" / "optimizers_lab.ipynb").read_text()
    with Image() as image:
        seconds, peaks = [], []
        for _ in range(runs):
            data, (code, _, err, peak), took = image.run(notebook, name="optimizers_lab.ipynb",
                                                         monitor=peak_tree_rss)
            if code or data["score"] != 100:
                raise SystemExit(f"run_autograder failed: {err[-2000:]}")
            seconds.append(took)
            peaks.append(peak)
        size = subprocess.run(["du", "-sm", str(image.site_packages)], capture_output=True,
                              text=True).stdout.split()[0]
    print(f"run_autograder wall time: {statistics.median(seconds):.2f} s (median of {runs}; "
          f"range {min(seconds):.2f}-{max(seconds):.2f}; solution notebook, Python 3.10)")
    print(f"run_autograder peak memory: {max(peaks) / 2**20:.0f} MB (resident, summed over "
          "the process tree and the sandbox user, sampled every 10 ms)")
    print(f"runtime site-packages: {size} MB (venv with requirements/runtime.txt, pip included)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
