"""How far the references move between kernel paths: regenerated in a fresh process with
each of torch's CPU kernel builds this processor runs (generation pins the baseline one)
and on the second kernel path (NumPy's SIMD dispatch, OpenBLAS's core and the C library's
FMA variants all switched), each compared with the stored files."""

import json
import subprocess

from benchmarks.figures import PYTHON, ROOT, Figure, env
from toolkit import generate

CHILD = """
import json, sys
from autograder import references
from toolkit import generate, variants
kernels = {"ATEN_CPU_CAPABILITY": sys.argv[1]}
reproduction = generate.Reproduction(exact=False)
for public, (arrays, _) in generate.generate(kernels)[0].items():
    reproduction.compare(references.FILES[public], arrays)
if sys.argv[2] == "variants":
    variants.check_variants(reproduction)
print(json.dumps({"share": reproduction.worst_share, "relative": reproduction.worst_relative,
                  "differing": reproduction.differing, "values": reproduction.values}))
"""


def measure(capability, extra_env, variants):
    done = subprocess.run([PYTHON, "-c", CHILD, capability, variants], capture_output=True,
                          text=True, env={**env(), **extra_env}, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout)


def supported_capabilities():
    """torch's kernel builds this processor can run, besides the baseline."""
    done = subprocess.run([PYTHON, "-c", "import torch; "
                           "print(torch.backends.cpu.get_cpu_capability())"],
                          capture_output=True, text=True, env=env())
    builds = ["avx2", "avx512"]
    widest = done.stdout.strip().lower()
    return builds[:builds.index(widest) + 1] if widest in builds else []


def figure(name, result, how):
    return Figure(name, result["share"], "of the tolerance",
                  f"{how}; {result['differing']} of {result['values']} values differ, the "
                  f"largest by {result['relative']:.2g} relative")


def run(scratch):
    figures = [figure(f"references with torch's {cap} kernels", measure(cap, {}, "-"),
                      f"generated with ATEN_CPU_CAPABILITY={cap} instead of the pinned "
                      "default, against the stored files")
               for cap in supported_capabilities()]
    second = generate.second_kernel_path()
    figures.append(figure("references and variants on the second kernel path",
                          measure("default", second, "variants"),
                          "NumPy dispatch off, OpenBLAS Prescott, glibc without FMA/AVX, "
                          "torch pinned as in generation"))
    return figures
