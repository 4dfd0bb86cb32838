"""The zygote (child side, Linux): a process that has imported NumPy, pyseccomp and the
child's own code, and has read no submission, reference or answer, which forks one child
per run. A fork costs milliseconds where a fresh interpreter importing NumPy costs a tenth
of a second.

Each request on the zygote's socket is a JSON spec with four file descriptors (the
child's stdin, stdout and stderr, and a status pipe). The zygote forks a *warden*, which
joins the grading's cgroups, enters new namespaces where it may, and forks the *child*:
PID 1 of its own PID namespace, so when it ends every process it started ends with it.
The warden writes the child's pid, then its exit code, to the status pipe. The child
builds its root, drops to the sandbox user, applies Landlock where there are no
namespaces, then runs ``main.main`` (its seccomp filter and limits, its ready frame, and
only then the code).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import resource  # noqa: F401 - loaded here: a child may not be able to read the stdlib
import select
import signal
import socket
import sys
import time

from . import confine
from . import main as child_main

SPEC_BYTES = 1 << 16
CLEAN_SECONDS = 10.0


def forget_the_grader() -> None:
    """Drop what a zygote forked from the grader still holds of it: its modules (code, no
    data: the zygote is made before anything is read) and its command line. (Its file
    descriptors were closed by the fork, ``launch.Zygote.fork``.)"""
    for name in [n for n in sys.modules if n.startswith("autograder.")
                 and not n.startswith("autograder.child")]:
        del sys.modules[name]
    sys.argv = ["sandbox"]


def serve(sock: socket.socket) -> None:
    """Fork a warden per request until the grader closes its end of ``sock``; reap each
    warden as it ends (a SIGCHLD wakes the loop)."""
    readable, paths = confine.readable_paths(), confine.import_paths()
    # Everything loaded so far lives as long as the zygote: out of the collector's sight,
    # no child's collection walks (and so copies) the pages it shares with the zygote.
    gc.freeze()
    wake, woken = os.pipe()
    os.set_blocking(woken, False)
    signal.set_wakeup_fd(woken)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        watched: list = [sock, wake]
        ready = select.select(watched, [], [])[0]
        if wake in ready:
            os.read(wake, 512)
            _reap()
        if sock not in ready:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(sock, SPEC_BYTES, 4)
        except OSError:
            os._exit(0)
        if not message:
            os._exit(0)
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (wake, woken, sock.fileno()):
                    os.close(fd)
                _warden(json.loads(message), fds, readable, paths)
            except BaseException as exc:  # noqa: BLE001 - said on the child's stderr
                _say(fds, f"the sandbox's warden failed: {type(exc).__name__}: {exc}")
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)


def _reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def _say(fds, text):
    if len(fds) > 2:
        os.write(fds[2], (text + "\n").encode())


def _warden(spec, fds, readable, paths):
    """Join the cgroups, enter namespaces, fork the child, report its pid and exit code."""
    stdin, stdout, stderr, status = fds
    os.setsid()
    for procs in spec.get("cgroups", ()):
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    layers = []
    isolated = False
    confine.become_subreaper()          # orphans of the child become ours, to end
    if spec.get("namespaces"):
        why = confine.unshare_all()
        isolated = why is None
        if why:
            layers.append(why)
    pid = os.fork()
    if pid == 0:
        code = 71
        try:
            for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
                os.dup2(fd, target)
            os.closerange(3, 1 << 16)
            _child(spec, readable, paths, isolated, layers)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - the grader sees it as a failed start
            os.write(2, f"the sandbox could not confine the child: {type(exc).__name__}: "
                        f"{exc}\n".encode())
        finally:
            os._exit(code)
    os.write(status, f"{pid}\n".encode())
    for fd in (stdin, stdout, stderr):
        os.close(fd)
    while True:
        try:
            _, wait_status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    _end_orphans()       # (in a PID namespace the kernel has ended them already)
    os.write(status, f"{os.waitstatus_to_exitcode(wait_status)}\n".encode())


def _end_orphans():
    """Kill and reap every process the child left: as their subreaper they are ours, each
    found by its parent pid, round after round until none is left; at once when the child
    left none (in a PID namespace the kernel ends them with the child)."""
    me = str(os.getpid())
    for _ in range(1000):
        try:
            os.waitpid(-1, os.WNOHANG)   # (a process of ours that ended: reaped below)
        except ChildProcessError:
            return              # none left
        found = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[1] == me:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                return              # none left
        time.sleep(0.002)


def _child(spec, readable, paths, isolated, layers):
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.umask(0o022)             # the folders of its root readable by the user, whoever we are
    if spec.get("clean"):
        _clean(spec)
        return
    prints = os.open(os.devnull, os.O_WRONLY)   # (Landlock would refuse it later)
    if isolated:
        confine.build_root(spec["mountpoint"], readable, spec["scratch_bytes"])
        work = "/tmp"
    else:
        work = spec["scratch"]
        os.setsid()
    if spec.get("uid") is not None:
        confine.drop_privileges(spec["uid"], spec["gid"])
    confine.no_new_privs()
    if not isolated and spec.get("landlock"):
        why = confine.landlock(readable, [work])
        if why:
            layers.append(why)
    os.chdir(work)
    os.environ.clear()
    os.environ.update({**spec.get("env", {}), "HOME": work, "TMPDIR": work})
    sys.path[:] = paths
    sys.path_importer_cache.clear()
    os.listdir(os.path.dirname(sys.modules["numpy"].__file__))   # readable, or no start
    for folder in () if isolated else paths[:2]:   # the standard library, its extensions
        try:
            os.listdir(folder)
        except OSError as exc:
            layers.append(f"the standard library is not readable by the child ({folder}: "
                          f"{exc.strerror}): a submission's import of a standard module "
                          "not loaded before fails; install Python where every user can read it")
            break
    child_main.main(layers, network_filter=spec.get("seccomp", True), prints=prints,
                    limits=spec["limits"])


def _clean(spec):
    """Empty and remove a scratch folder with the rights of the user who wrote it (never
    root's), without recursion: links are removed, never followed."""
    if spec.get("uid") is not None:
        confine.drop_privileges(spec["uid"], spec["gid"])
    stack, expanded, deadline = [spec["clean"]], set(), time.monotonic() + CLEAN_SECONDS
    while stack and time.monotonic() < deadline:
        folder = stack[-1]
        if folder not in expanded:       # first visit: files go, folders are visited
            expanded.add(folder)
            try:
                entries = list(os.scandir(folder))
            except OSError:
                entries = []
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
            continue
        stack.pop()                      # second visit: its folders are gone, or stay
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def serve_fd(fd: int) -> None:
    """The entry point of a zygote started as a fresh interpreter, its socket on ``fd``."""
    import numpy  # noqa: F401 - what every child needs, loaded once

    try:
        import pyseccomp  # noqa: F401
    except Exception:  # noqa: BLE001,S110 - the child reports the missing filter itself
        pass
    serve(socket.socket(fileno=fd))

