"""What each isolation layer costs: the time from asking for a child to its ready frame
(confined, filtered, NumPy loaded), with all layers, with each switched off in turn
(``OLAB_SANDBOX_OFF``), and for a fresh interpreter instead of a fork of the zygote (how
children start on Windows and macOS). Interleaved rounds, medians, in one process."""

import os
import statistics
import subprocess
import sys

from benchmarks.figures import PYTHON, ROOT, Figure

PROBE = """
import json, os, statistics, sys, time
from autograder import launch, sandbox
launch.prepare()
if sys.argv[1] == "spawn":
    launch.FORKING = False
else:
    os.environ["OLAB_SANDBOX_OFF"] = sys.argv[1]
seconds = []
with sandbox.Sandbox() as box:
    box._wait_ready(*box.spare)
    for _ in range(int(sys.argv[2])):
        started = time.monotonic()
        child = box._spawn()
        box._wait_ready(*child)
        seconds.append(time.monotonic() - started)
        sandbox._end(child)
print(json.dumps({"median": statistics.median(seconds), "notes": box.notes}))
"""
SETTINGS = {"": "every layer", "namespaces": "namespaces off (Landlock instead)",
            "landlock,namespaces": "namespaces and Landlock off", "cgroup": "cgroup off",
            "seccomp": "seccomp filter off", "spawn": "a fresh interpreter, not a fork"}


def probe(setting, count):
    import json

    done = subprocess.run([PYTHON, "-c", PROBE, setting, str(count)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])["median"]


def run(scratch=None, rounds=3, count=20):
    if not sys.platform.startswith("linux"):
        return []
    medians = {s: [] for s in SETTINGS}
    for _ in range(rounds):
        for setting in SETTINGS:
            medians[setting].append(probe(setting, count))
    return [Figure(f"child start, {what}", statistics.median(medians[s]) * 1000, "ms",
                   f"from asking for a child to its ready frame; median over {rounds} "
                   f"interleaved rounds of the median of {count} children"
                   + ("" if os.geteuid() == 0 else "; not root, so no namespaces"))
            for s, what in SETTINGS.items()]
