"""What the child does to itself before any submission code runs.

* ``block_imports``: refuse imports of libraries that already implement the answer, with a
  clear message. The sandbox's ``sys.path`` holds only NumPy, so these are not importable
  anyway; the finder turns "No module named 'torch'" into the reason.
* ``private_memory``: on Linux, make this process non-dumpable, so another process of the
  same user (another grading's child, a daemon left behind) can neither attach to it nor
  read its memory through ``/proc/<pid>/mem``.
"""

import ctypes
import sys

BLOCKED = frozenset({
    "torch", "torchvision", "tensorflow", "keras", "jax", "jaxlib", "optax", "flax",
    "mxnet", "paddle", "theano", "chainer", "trax", "tf_keras",
})
MESSAGE = ("importing {name} is not allowed while grading: the lab is to implement the "
           "update in NumPy")


class BlockedImportFinder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(MESSAGE.format(name=name.partition(".")[0]), name=name)
        return None


def block_imports():
    sys.meta_path.insert(0, BlockedImportFinder())


PR_SET_DUMPABLE = 4


def private_memory():
    """True if this process's memory is now closed to other processes of its user."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError, TypeError):
        return False
