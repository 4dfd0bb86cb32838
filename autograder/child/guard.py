"""What the child does to itself before any submission code runs.

* ``block_imports``: refuse imports of libraries that already implement the answer, with a
  clear message. The sandbox's ``sys.path`` holds only NumPy, so these are not importable
  anyway; the finder turns "No module named 'torch'" into the reason.
* ``private_memory``: on Linux, make this process non-dumpable, so another process of the
  same user (another grading's child, a daemon left behind) can neither attach to it nor
  read its memory through ``/proc/<pid>/mem``.
* ``no_network``: on Linux with libseccomp (through ``pyseccomp``), a seccomp filter that
  refuses every socket but a Unix one, and System V IPC objects and message queues (which
  could outlive the grading), for this process and every process it starts;
  ``socket.socket`` then says why in plain words.
"""

from __future__ import annotations

import ctypes
import errno
import socket
import sys

BLOCKED = frozenset({
    "torch", "torchvision", "tensorflow", "keras", "jax", "jaxlib", "optax", "flax",
    "mxnet", "paddle", "theano", "chainer", "trax", "tf_keras",
})
MESSAGE = ("importing {name} is not allowed while grading: the lab is to implement the "
           "update in NumPy")


class BlockedImportFinder:
    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(MESSAGE.format(name=name.partition(".")[0]), name=name)
        return None


def block_imports() -> None:
    sys.meta_path.insert(0, BlockedImportFinder())


PR_SET_DUMPABLE = 4


def private_memory() -> bool:
    """True if this process's memory is now closed to other processes of its user."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError, TypeError):
        return False


IPC_CALLS = ("shmget", "msgget", "semget", "mq_open")
NETWORK_MESSAGE = "network access is blocked while grading: the lab needs none"


def no_network() -> str | None:
    """Install the filter; None if it is in place, else why not (for the instructor)."""
    try:
        import pyseccomp
    except Exception as exc:  # noqa: BLE001 - not installed, or no libseccomp on this system
        return f"no network filter in the child ({type(exc).__name__}: {exc})"
    try:
        rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        rules.add_rule(pyseccomp.ERRNO(errno.EACCES), "socket",
                       pyseccomp.Arg(0, pyseccomp.NE, socket.AF_UNIX))
        rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "io_uring_setup")
        for call in IPC_CALLS:      # kernel objects that could outlive a grading
            rules.add_rule(pyseccomp.ERRNO(errno.EPERM), call)
        rules.load()
    except Exception as exc:  # noqa: BLE001 - e.g. a kernel or container that refuses it
        return f"no network filter in the child ({type(exc).__name__}: {exc})"

    class BlockedSocket(socket.socket):
        def __init__(self, family=socket.AF_INET, *args, **kwargs):
            if family != socket.AF_UNIX:
                raise PermissionError(errno.EACCES, NETWORK_MESSAGE)
            super().__init__(family, *args, **kwargs)

    socket.socket = BlockedSocket  # type: ignore[misc]
    return None
