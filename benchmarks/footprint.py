"""Footprint, in a simulated Gradescope image (``tests/support/image.py``: the autograder zip
unpacked, ``setup.sh`` run with Python 3.10 into a fresh virtual environment): the grading
runtime's installed size, the zip's size, and ``run_autograder``'s wall time and peak
memory on the solution notebook; and the peak memory of one local grading."""

import statistics
import subprocess
import tempfile
from pathlib import Path

from benchmarks.figures import Figure, env, grade_command, held_to, spread
from benchmarks.latency import SOLUTION
from tests.support.image import Image, peak_tree_rss

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
               "python -m toolkit build-zip: engine, references, variant trajectories"),
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
    ] + [f for f in [hostile_peak(Path(scratch or tempfile.mkdtemp()))] if f]


HOSTILE = {
    "five helpers of 150 MB": """
        import os, numpy as np
        for _ in range(5):
            if os.fork() == 0:
                hoard = np.ones(150 * 2**20 // 8)
                import time
                time.sleep(1)
                os._exit(0)
        os.wait()
    """,
    "a hoard of 64 MB arrays": """
        import numpy as np
        hoard = [np.ones(2**23) for _ in range(64)]
    """,
    "a fork bomb": """
        import os, time
        for _ in range(200):
            if os.fork() == 0:
                time.sleep(5)
                os._exit(0)
    """,
    "a forged frame of 735,000 arrays": """
        import json, os
        header = json.dumps({"meta": {}, "arrays": [[f"a{i}", "<f8", [0]]
                                                    for i in range(735_000)]}).encode()
        frame = (len(header) + 4).to_bytes(8, "big") + len(header).to_bytes(4, "big") + header
        for fd in range(3, 12):
            try:
                os.write(fd, frame)
            except OSError:
                pass
    """,
}
MEASURED = """
import json, resource, subprocess, sys
subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
children = json.load(open(sys.argv[1]))["extra_data"].get("children_peak_memory_mb")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, children)
"""


def hostile_peak(scratch):
    """The largest memory of one grading, grader and children together, over the hostile
    submissions above (each in sgd_step of the answer key): the grader's own peak resident
    memory plus its children's peak as their cgroup measured it."""
    import sys
    import textwrap

    from tests.support.bugs import complete_answer_key

    answer = complete_answer_key()
    start, end = answer.index("def sgd_step("), answer.index("def rmsprop_step(")
    worst = []
    for name, body in HOSTILE.items():
        source = (answer[:start] + "def sgd_step(param, grad, state, **hyper):\n"
                  + textwrap.indent(textwrap.dedent(body).strip(), "    ")
                  + "\n    return param\n\n\n" + answer[end:])
        path, out = scratch / "hostile.py", scratch / "hostile.json"
        path.write_text(source)
        done = subprocess.run([sys.executable, "-c", MEASURED, str(out),
                               *grade_command(path, "--json", str(out), "--timeout", "5")],
                              cwd=Path(__file__).resolve().parent.parent, capture_output=True,
                              text=True, env=env(), timeout=600)
        grader, children = done.stdout.split()
        if children == "None":
            return None
        worst.append((float(grader) + float(children), name, float(grader), float(children)))
    total, name, grader, children = max(worst)
    return held_to(Figure("hostile grading peak memory", total, "MB",
                          f"the grader's peak resident memory plus its children's peak in "
                          f"their cgroup, largest over {len(HOSTILE)} hostile submissions "
                          f"({', '.join(HOSTILE)}); largest for {name}: {grader:.0f} + "
                          f"{children:.0f} MB"), "<= 512")
