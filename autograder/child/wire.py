"""The one data format between the trusted parent and the sandboxed child.

A frame is plain data, never pickle:

    length (8 bytes, big-endian)  header length (4 bytes, big-endian)
    header: JSON {"meta": {...}, "arrays": [[name, dtype, shape], ...]}
    body:   the arrays' bytes, in header order, each padded to 8 bytes

Only the dtypes in ``DTYPES`` travel, so decoding is ``np.frombuffer`` over a checked
range: no archive, no object arrays, no code. On a stream, frames follow each other, so
a child killed mid-way still leaves every complete frame readable.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from typing import BinaryIO

import numpy as np

_LENGTH = struct.Struct(">Q")
_HEADER = struct.Struct(">I")
DTYPES = {np.dtype(t).str: np.dtype(t) for t in ("<f8", "<i8", "|b1")}
# What the trusted side accepts of a child's frame, by count as well as by bytes: the
# largest honest frame (a case of the MLP) has about 20 arrays and a header of a few KiB.
CHILD_HEADER_BYTES = 1 << 20
CHILD_ARRAYS = 256
CHILD_FRAMES = 1024


def encode(meta: dict, arrays: Mapping[str, np.ndarray] | None = None) -> bytes:
    entries, chunks = [], []
    for name, value in (arrays or {}).items():
        value = np.asarray(value)
        if value.dtype.str not in DTYPES:
            raise TypeError(f"array {name!r}: dtype {value.dtype} does not travel")
        entries.append([name, value.dtype.str, list(value.shape)])
        chunks.append(value.tobytes())
        chunks.append(b"\0" * (-value.nbytes % 8))
    header = json.dumps({"meta": meta, "arrays": entries}).encode()
    body = b"".join(chunks)
    length = _HEADER.size + len(header) + len(body)
    return b"".join([_LENGTH.pack(length), _HEADER.pack(len(header)), header, body])


def decode(data: bytes | memoryview, max_header: int | None = None,
           max_arrays: int | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of one frame's payload (without its length prefix); ValueError if
    it is not a well-formed frame, or (where given) its header has more than
    ``max_header`` bytes or lists more than ``max_arrays`` arrays: both are checked before
    anything is built from them (a header of 1 MiB parses into tens of MB at most)."""
    if len(data) < _HEADER.size:
        raise ValueError("frame shorter than its header length")
    (size,) = _HEADER.unpack_from(data)
    if max_header is not None and size > max_header:
        raise ValueError(f"a header of {size} bytes: more than {max_header}")
    header = json.loads(bytes(data[_HEADER.size:_HEADER.size + size]).decode())
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), list):
        raise ValueError("a header without its list of arrays")
    if max_arrays is not None and len(header["arrays"]) > max_arrays:
        raise ValueError(f"{len(header['arrays'])} arrays: more than {max_arrays}")
    body = bytearray(data[_HEADER.size + size:])   # aligned and writable, owned here
    arrays, offset = {}, 0
    for name, dtype, shape in header["arrays"]:
        if dtype not in DTYPES or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ValueError(f"array {name!r}: dtype {dtype!r} or shape {shape!r} not allowed")
        count = math.prod(shape)
        nbytes = count * DTYPES[dtype].itemsize
        if offset + nbytes > len(body):
            raise ValueError(f"array {name!r} runs past the end of its frame")
        arrays[str(name)] = np.frombuffer(body, DTYPES[dtype], count, offset).reshape(shape)
        offset += nbytes + (-nbytes % 8)
    return header["meta"], arrays


def payloads(stream: bytes) -> list[memoryview]:
    """The payloads of the complete frames in a byte stream, in order, undecoded; a
    truncated tail is dropped."""
    reader = FrameReader(len(stream))
    reader.feed(stream)
    return reader.payloads()


def split_frames(stream: bytes) -> list[tuple[dict, dict[str, np.ndarray]]]:
    """The complete frames in a byte stream, decoded; a truncated tail is dropped."""
    return [decode(payload) for payload in payloads(stream)]


def read_frame(stream: BinaryIO) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of the next frame on a binary stream (blocking); EOFError at its end."""
    prefix = stream.read(_LENGTH.size)
    if len(prefix) < _LENGTH.size:
        raise EOFError("the stream ended")
    (length,) = _LENGTH.unpack(prefix)
    payload = stream.read(length)
    if len(payload) < length:
        raise EOFError("the stream ended inside a frame")
    return decode(payload)


class FrameReader:
    """Complete frames of a byte stream fed in pieces, counted as they arrive (each byte
    looked at once), up to ``limit`` bytes and ``max_frames`` frames in all."""

    def __init__(self, limit, max_frames=None):
        self.data, self.limit, self.ends, self.max_frames = bytearray(), limit, [], max_frames

    @property
    def full(self) -> bool:
        return len(self.data) >= self.limit or (
            self.max_frames is not None and len(self.ends) >= self.max_frames)

    def feed(self, chunk: bytes) -> None:
        self.data += chunk[:max(self.limit - len(self.data), 0)]
        start = self.ends[-1] if self.ends else 0
        while start + _LENGTH.size <= len(self.data) and (
                self.max_frames is None or len(self.ends) < self.max_frames):
            (length,) = _LENGTH.unpack_from(self.data, start)
            if start + _LENGTH.size + length > len(self.data):
                break
            start += _LENGTH.size + length
            self.ends.append(start)

    def payloads(self) -> list[memoryview]:
        """The complete frames so far, undecoded, in order."""
        view, starts = memoryview(bytes(self.data)), [0] + self.ends[:-1]
        return [view[s + _LENGTH.size:e] for s, e in zip(starts, self.ends)]
