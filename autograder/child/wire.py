"""The one data format between the trusted parent and the sandboxed child.

A frame is an ``.npz`` archive (never pickle: ``allow_pickle=False`` both ways)
holding named float/bool arrays plus a JSON header stored as a uint8 array.
On a stream, each frame is preceded by its length as 8 big-endian bytes, so a
child killed mid-way still leaves every complete frame readable.
"""

import io
import json
import struct

import numpy as np

_HEADER = "__meta__"
_LENGTH = struct.Struct(">Q")


def encode(meta, arrays=None):
    buffer = io.BytesIO()
    payload = {_HEADER: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    payload.update(arrays or {})
    np.savez(buffer, **payload)
    data = buffer.getvalue()
    return _LENGTH.pack(len(data)) + data


def decode(data):
    """(meta, arrays) of one frame's payload (without its length prefix)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    meta = json.loads(arrays.pop(_HEADER).tobytes().decode())
    return meta, arrays


def count_frames(stream):
    """How many complete frames a byte stream holds, without decoding them."""
    count, offset = 0, 0
    while offset + _LENGTH.size <= len(stream):
        (length,) = _LENGTH.unpack_from(stream, offset)
        offset += _LENGTH.size + length
        if offset > len(stream):
            break
        count += 1
    return count


def split_frames(stream):
    """The complete frames in a byte stream, decoded; a truncated tail is dropped."""
    frames, offset = [], 0
    while offset + _LENGTH.size <= len(stream):
        (length,) = _LENGTH.unpack_from(stream, offset)
        start = offset + _LENGTH.size
        if start + length > len(stream):
            break
        frames.append(decode(stream[start:start + length]))
        offset = start + length
    return frames
