"""Golden trajectories from ``torch.optim``, as stored: reading them needs NumPy only.

``toolkit/generate.py`` makes them with torch (the instructor's
``make references``). Public and hidden cases go to separate files, so the hidden ones
can be kept from students; each file also holds its cases' definitions and seeds
(``read_meta``).

Arrays of each file (keys are paths; ``<c>`` is a case id), packed by ``write_packed``:
    <c>/inputs/init/<param>          initial value
    <c>/inputs/mask/<param>          bool (steps,): does the parameter get a gradient
    <c>/inputs/lrs                   (steps,) learning rate at each step
    <c>/inputs/data/<name>           problem data (``grad/<param>`` for the stream)
    <c>/expected/param/<param>       (steps, *shape) parameter after each step
    <c>/expected/state/<param>/<key> (steps, *shape) state entry after each step,
                                     NaN before the parameter's first update
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
FILES = {True: DATA / "references-public.npz", False: DATA / "references-hidden.npz"}


# ---------------------------------------------------------------- reading (NumPy only)

class Arrays(dict):
    """Arrays keyed by path, with the paths of each case indexed (built on first use)."""

    def keys_of(self, case_id: str) -> list[str]:
        if not hasattr(self, "_by_case"):
            self._by_case: dict[str, list[str]] = {}
            for key in self:
                self._by_case.setdefault(key.split("/", 1)[0], []).append(key)
        return self._by_case.get(case_id, [])


def load(public_only: bool = False) -> Arrays:
    """All stored arrays of the selected cases, as one dict keyed by path."""
    arrays = Arrays()
    for public, path in FILES.items():
        if public or not public_only:
            arrays.update(read_packed(path))
    return arrays


def split(arrays: Mapping[str, np.ndarray], case_id: str, part: str) -> dict[str, np.ndarray]:
    """``{rest-of-path: array}`` under ``<case_id>/<part>/``."""
    prefix = f"{case_id}/{part}/"
    keys = arrays.keys_of(case_id) if isinstance(arrays, Arrays) else arrays
    return {k[len(prefix):]: arrays[k] for k in keys if k.startswith(prefix)}


def write_packed(path: str | Path, arrays: Mapping[str, np.ndarray],
                 meta: dict | None = None) -> None:
    """Arrays packed into one float64 vector plus a JSON index (and ``meta``, any JSON), in
    an ``.npz`` whose bytes depend on the content only (fixed timestamps, sorted keys).
    Reading 1,300 small arrays this way takes milliseconds instead of the half second
    separate members take. Members are stored, not deflated: a grading that diagnoses reads
    the variant files whole, and inflating them took half that read (the zips that ship
    them deflate them anyway)."""
    index, chunks, offset = {}, [], 0
    for key in sorted(arrays):
        value = np.asarray(arrays[key])
        index[key] = [offset, list(value.shape), value.dtype.str]
        chunks.append(value.astype(np.float64).ravel())
        offset += value.size
    members = {"index": _json_bytes(index), "values": np.concatenate(chunks)}
    if meta is not None:
        members["meta"] = _json_bytes(meta)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, value in members.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value, allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)),
                        buffer.getvalue())


def _json_bytes(data):
    return np.frombuffer(json.dumps(data).encode(), dtype=np.uint8)


def read_packed(path: str | Path) -> dict[str, np.ndarray]:
    """{key: array} of a packed file, read-only; read once per process and kept while the
    file stays the same (a batch worker grades many submissions against it)."""
    info = os.stat(path)
    stamp = (info.st_mtime_ns, info.st_size)
    if _PACKED.get(str(path), (None,))[0] != stamp:
        with np.load(path, allow_pickle=False) as npz:
            index = json.loads(npz["index"].tobytes().decode())
            values = npz["values"]
        arrays = {key: values[offset:offset + math.prod(shape)].reshape(shape).astype(dtype)
                  for key, (offset, shape, dtype) in index.items()}
        for array in arrays.values():
            array.setflags(write=False)
        _PACKED[str(path)] = stamp, arrays
    return dict(_PACKED[str(path)][1])      # the caller's own dict of shared arrays


_PACKED: dict = {}   # path -> ((mtime, size), arrays)


def read_meta(path: str | Path) -> dict:
    """The JSON stored beside a file's arrays ({} if none)."""
    with np.load(path, allow_pickle=False) as npz:
        return json.loads(npz["meta"].tobytes().decode()) if "meta" in npz.files else {}
