"""Sharded batch grading on this machine: a class graded as 1, 2 and 4 shards, each shard a
separate ``python -m toolkit batch --shard I/N`` process with one worker, all at once, then
``python -m toolkit merge``; throughput end to end (shards and merge). Shards of one machine
stand in for machines: the figures show what sharding and merging cost, not a cluster."""

import os
import shutil
import subprocess
import time

from benchmarks.figures import PYTHON, ROOT, Figure
from benchmarks.throughput import make_class


def sharded(folder, out, count):
    """Seconds to grade ``folder`` as ``count`` shards at once and merge them."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    runs = [subprocess.Popen([PYTHON, "-m", "toolkit", "batch", str(folder), "--out", str(out),
                              "--shard", f"{i}/{count}", "--jobs", "1"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i in range(count)]
    if any(run.wait() for run in runs):
        raise RuntimeError(f"a shard of {count} failed")
    subprocess.run([PYTHON, "-m", "toolkit", "merge",
                    *(str(out / f"shard-{i}-of-{count}") for i in range(count)),
                    "--out", str(out / "class")], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def run(scratch, size=120, counts=(1, 2, 4)):
    folder = scratch / "shard-class"
    shutil.rmtree(folder, ignore_errors=True)
    kinds = make_class(folder, size)
    os.chmod(folder, 0o700)
    rates = {n: size / sharded(folder, scratch / f"shards-{n}", n) * 60 for n in counts}
    figures = [Figure(f"sharded batch, {n} shard{'s' if n > 1 else ''}", rate,
                      "submissions/min", f"{size} notebooks ({kinds} kinds) as {n} shard "
                      f"process(es) of one worker each, at once, then merged; on "
                      f"{os.cpu_count()} cores") for n, rate in rates.items()]
    return figures + [Figure("sharded batch scaling from 1 to 2 shards", rates[2] / rates[1],
                             "x", "2 shards over 1, same class, same run (2 would be linear "
                             "on this 2-core machine)")]
