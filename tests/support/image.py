"""A simulated Gradescope image: the autograder zip unpacked into a temporary
``AUTOGRADER_ROOT``, ``setup.sh`` run with a Python 3.10 (Gradescope's version) and the
lean runtime only. Used by ``tests/test_gradescope.py`` and the benchmarks."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from toolkit.deliverables import build_zip

PYTHON_310 = sorted(Path("/root/.pyenv/versions").glob("3.10.*/bin/python3.10")) or [
    Path(p) for p in [shutil.which("python3.10")] if p]


class Image:
    """``with Image() as image: image.run(text)``; ``image.root``, ``image.env``."""

    def __enter__(self):
        if not PYTHON_310:
            raise LookupError("no Python 3.10 on this machine to stand in for Gradescope's")
        # Not under a folder only root may enter: the sandbox user must reach Python.
        self.base = Path(tempfile.mkdtemp(prefix="olab-gradescope-"))
        os.chmod(self.base, 0o755)
        # A copy of Python outside root's home, so the sandbox user can execute it (as on
        # Gradescope, whose Python is /usr/bin/python3.10).
        home = PYTHON_310[0].parent.parent
        python_home = self.base / "python3.10"
        shutil.copytree(home, python_home, symlinks=True, ignore=shutil.ignore_patterns(
            "test", "site-packages", "__pycache__", "*.a", "idlelib", "tkinter"))
        self.root = self.base / "autograder"
        self.env = {"PATH": os.environ["PATH"], "LD_LIBRARY_PATH": str(python_home / "lib"),
                    "AUTOGRADER_ROOT": str(self.root)}
        venv = self.base / "venv"
        subprocess.run([python_home / "bin" / "python3.10", "-m", "venv", venv], check=True,
                       env=self.env, capture_output=True)
        self.env["AUTOGRADER_PYTHON"] = str(venv / "bin" / "python")
        self.zip, _ = build_zip(self.base / "autograder.zip")
        with zipfile.ZipFile(self.zip) as zf:
            zf.extractall(self.root / "source")
            for info in zf.infolist():
                os.chmod(self.root / "source" / info.filename, info.external_attr >> 16)
        done = subprocess.run(["bash", self.root / "source" / "setup.sh"], env=self.env,
                              capture_output=True, text=True, timeout=900)
        if done.returncode:
            raise RuntimeError(f"setup.sh failed:\n{done.stdout}\n{done.stderr}")
        shutil.copy(self.root / "source" / "run_autograder", self.root / "run_autograder")
        self.site_packages = next(venv.glob("lib/python3.10/site-packages"))
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.base, ignore_errors=True)

    def run(self, text, name="lab.py", metadata=None, monitor=None):
        """Run run_autograder on one submission: (results dict, process, seconds)."""
        shutil.rmtree(self.root / "submission", ignore_errors=True)
        shutil.rmtree(self.root / "results", ignore_errors=True)
        (self.root / "submission").mkdir()
        (self.root / "submission" / name).write_text(text)
        (self.root / "submission_metadata.json").write_text(json.dumps(metadata or {"id": 1}))
        started = time.monotonic()
        proc = subprocess.Popen(["bash", self.root / "run_autograder"], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = monitor(proc) if monitor else None
        out, err = proc.communicate(timeout=600)
        seconds = time.monotonic() - started
        data = json.loads((self.root / "results" / "results.json").read_text())
        return data, (proc.returncode, out, err, peak), seconds


def peak_tree_rss(proc, interval=0.01):
    """Largest total resident memory (bytes) of ``proc`` and all its descendants, sampled,
    plus any process of the sandbox user (children run as that user)."""
    import pwd

    try:
        sandbox_uid = pwd.getpwnam("olab-sandbox-0").pw_uid   # the one Gradescope's image has
    except KeyError:
        sandbox_uid = None
    page = os.sysconf("SC_PAGE_SIZE")
    peak = 0
    while proc.poll() is None:
        parents, rss, uids = {}, {}, {}
        for p in Path("/proc").iterdir():
            if not p.name.isdigit():
                continue
            try:
                fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(p.name)] = int(fields[1])
                rss[int(p.name)] = int(fields[21]) * page
                uids[int(p.name)] = p.stat().st_uid
            except (OSError, IndexError, ValueError):
                continue
        tree = {proc.pid}
        for _ in range(8):
            tree |= {pid for pid, parent in parents.items() if parent in tree}
        total = sum(rss.get(pid, 0) for pid in tree | {
            pid for pid, uid in uids.items() if uid == sandbox_uid})
        peak = max(peak, total)
        time.sleep(interval)
    return peak
