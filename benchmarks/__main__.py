"""``make bench``: run the benchmarks, print one line per figure (``name: value unit (how
measured)``), write them all to ``benchmarks/results.json`` and their table into
``docs/performance.md``.

    python -m benchmarks [NAME ...]      only these (their figures replace the stored ones)
    python -m benchmarks --markdown      the stored figures as a table
    python -m benchmarks --write-table   the stored figures into docs/performance.md
"""

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.figures import ROOT, shown

RESULTS = ROOT / "benchmarks" / "results.json"
PAGE = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- figures: make bench writes this table -->", "<!-- end of figures -->"
BENCHMARKS = ["latency", "layers", "otter", "throughput", "shards", "footprint", "step_speed",
              "notebook", "kernel_paths"]


def machine():
    import numpy
    import torch

    return {"cpus": os.cpu_count(), "processor": processor(),
            "python": platform.python_version(), "platform": platform.platform(),
            "numpy": numpy.__version__, "torch": torch.__version__}


def processor():
    """The processor's model name (figures differ between processors of one size)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    except OSError:
        names = []
    return names[0] if names else platform.processor() or platform.machine()


def markdown(stored):
    rows = ["| figure | value | target | how measured |", "|---|---|---|---|"]
    for f in stored["figures"]:
        value = shown(f["value"])
        target = "" if f["met"] is None else (
            f"{f['target']} {'(met)' if f['met'] else '(**not met**)'}")
        rows.append(f"| {f['name']} | {value} {f['unit']} | {target} | {f['how']} |")
    host = stored["machine"]
    cpu = f" of an {host['processor']}" if host.get("processor") else ""
    return "\n".join(rows) + (f"\n\nMeasured {stored['when']} with `make bench` on "
                              f"{host['cpus']} cores{cpu}, Python {host['python']}.")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"which to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--markdown", action="store_true", help="print the stored table")
    parser.add_argument("--write-table", action="store_true",
                        help="rewrite docs/performance.md's table from the stored figures")
    args = parser.parse_args(argv)
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"figures": []}
    if args.markdown:
        print(markdown(stored))
        return 0
    if args.write_table:
        write_table(stored)
        return 0
    names = args.names or BENCHMARKS
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}")
    figures, failed = [], {}
    with tempfile.TemporaryDirectory(prefix="olab-bench-") as scratch:
        for name in names:
            started = time.monotonic()
            try:
                module = importlib.import_module(f"benchmarks.{name}")
                measured = module.run(Path(scratch))
            except Exception as exc:  # noqa: BLE001 - one benchmark failing leaves the others
                failed[name] = f"{type(exc).__name__}: {str(exc)[:500]}"
                print(f"{name}: not measured ({failed[name]})", flush=True)
                continue
            for figure in measured:
                print(figure.line(), flush=True)
                figures.append(figure.as_dict() | {"benchmark": name})
            print(f"  ({name} took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    kept = [f for f in stored["figures"] if f.get("benchmark") not in names]
    order = {name: i for i, name in enumerate(BENCHMARKS)}
    result = {"when": time.strftime("%Y-%m-%d"), "machine": machine(),
              "figures": sorted(kept + figures, key=lambda f: order[f["benchmark"]]),
              "not_measured": failed}
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    write_table(result)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


def write_table(stored):
    """Put the figures' table into docs/performance.md, between its two markers."""
    text = PAGE.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    PAGE.write_text(text[:start] + "\n" + markdown(stored) + "\n" + text[end:])


if __name__ == "__main__":
    sys.exit(main())
