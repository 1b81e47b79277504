"""Plain data across the sandbox boundary: JSON plus ``.npz`` arrays, never pickle.

``dumps(obj)`` / ``loads(data)`` handle None, bool, int, float, str, NumPy arrays and scalars (any dtype
but ``object``), lists, tuples, dicts (any plain keys) and NumPy random Generators (as their bit-generator
state). ``loads`` reads arrays with ``allow_pickle=False`` and builds only these types, so a value
decoded from a student's process cannot carry code, a custom ``__eq__`` or any other behaviour.

This file is also copied (read-only) into the sandbox, so it imports nothing but the standard library
and NumPy. A message on a pipe is ``8-byte length + payload``; payload = ``8-byte JSON length + JSON +
npz bytes``.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import time

import numpy as np

MAX_DEPTH = 64
MAX_ITEMS = 200_000


class CodecError(ValueError):
    """A value that is not plain data, or bytes that do not decode to plain data."""


def encode(obj, hook=None):
    """(JSON-able tree, {key: ndarray}). ``hook(obj)`` may turn other objects into plain data first."""
    arrays: dict[str, np.ndarray] = {}
    count = [0]

    def array_ref(a):
        a = np.asarray(a)
        if a.dtype.hasobject:
            raise CodecError("arrays of Python objects are not plain data")
        key = f"a{len(arrays)}"
        arrays[key] = a
        return key

    def enc(o, depth):
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise CodecError("value too deeply nested or too large")
        if o is None or isinstance(o, (bool, str)):
            return o if not isinstance(o, str) else {"s": o}
        if isinstance(o, int) and type(o) is int or type(o) is bool:
            return o
        if type(o) is float:
            return {"f": repr(o)}
        if type(o) is bytes:
            return {"b": array_ref(np.frombuffer(o, np.uint8))}
        if isinstance(o, np.ndarray) and type(o) is np.ndarray:
            return {"nd": array_ref(o)}
        if isinstance(o, np.generic):
            return {"np": array_ref(np.asarray(o))}
        if type(o) is tuple:
            return {"t": [enc(x, depth + 1) for x in o]}
        if type(o) is list:
            return {"l": [enc(x, depth + 1) for x in o]}
        if type(o) is dict:
            return {"d": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in o.items()]}
        if type(o) is np.random.Generator:
            return {"rng": enc(o.bit_generator.state, depth + 1)}
        if isinstance(o, int):  # int subclasses (IntEnum ...) as plain ints
            return int(o)
        if isinstance(o, float):
            return {"f": repr(float(o))}
        if hook is not None:
            plain = hook(o)
            if plain is not NotImplemented:
                return {"x": enc(plain, depth + 1)}
        raise CodecError(f"a {type(o).__module__}.{type(o).__qualname__} is not plain data")

    return enc(obj, 0), arrays


def decode(tree, arrays, rngs: list | None = None):
    """Inverse of :func:`encode`. ``{"x": ...}`` (hooked objects) decode to ``("__hooked__", value)``
    marker tuples for the caller to rebuild; random Generators are appended to ``rngs``."""
    count = [0]

    def dec(o, depth):
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise CodecError("value too deeply nested or too large")
        if o is None or type(o) in (bool, int):
            return o
        if type(o) is not dict or len(o) != 1:
            raise CodecError("malformed plain data")
        (tag, v), = o.items()
        if tag == "s" and type(v) is str:
            return v
        if tag == "f" and type(v) is str:
            return float(v)
        if tag == "b" and type(v) is str and v in arrays and arrays[v].dtype == np.uint8:
            return arrays[v].tobytes()
        if tag in ("nd", "np"):
            if type(v) is not str or v not in arrays:
                raise CodecError("missing array")
            a = arrays[v]
            return a if tag == "nd" else a[()]
        if tag in ("t", "l") and type(v) is list:
            items = [dec(x, depth + 1) for x in v]
            return tuple(items) if tag == "t" else items
        if tag == "d" and type(v) is list:
            out = {}
            for pair in v:
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("malformed dict")
                k = dec(pair[0], depth + 1)
                if not isinstance(k, (str, int, float, bool, tuple, type(None))):
                    raise CodecError("unhashable dict key")
                out[k] = dec(pair[1], depth + 1)
            return out
        if tag == "rng":
            state = dec(v, depth + 1)
            try:
                gen = np.random.Generator(getattr(np.random, state["bit_generator"])())
                gen.bit_generator.state = state
            except Exception as exc:  # noqa: BLE001
                raise CodecError(f"bad random generator state: {exc}") from None
            if rngs is not None:
                rngs.append(gen)
            return gen
        if tag == "x":
            return ("__hooked__", dec(v, depth + 1))
        raise CodecError(f"unknown tag {tag!r}")

    return dec(tree, 0)


def dumps(obj, hook=None) -> bytes:
    tree, arrays = encode(obj, hook)
    head = json.dumps(tree, allow_nan=False).encode()
    buf = io.BytesIO()
    if arrays:
        np.savez(buf, **arrays)
    return struct.pack(">Q", len(head)) + head + buf.getvalue()


def loads(data: bytes, rngs: list | None = None):
    if len(data) < 8:
        raise CodecError("truncated message")
    (n,) = struct.unpack(">Q", data[:8])
    if n > len(data) - 8:
        raise CodecError("truncated message")
    try:
        tree = json.loads(data[8:8 + n])
    except (ValueError, RecursionError) as exc:
        raise CodecError(f"invalid JSON: {exc}") from None
    arrays = {}
    rest = data[8 + n:]
    if rest:
        try:
            with np.load(io.BytesIO(rest), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except Exception as exc:  # noqa: BLE001 - any failure is a bad message
            raise CodecError(f"invalid array data: {exc}") from None
    try:
        return decode(tree, arrays, rngs)
    except RecursionError:
        raise CodecError("value too deeply nested") from None


# ----------------------------------------------------------------------------------------------
# framing on pipes


class ChannelClosed(EOFError):
    """The other side closed its end (it exited or crashed)."""


class ChannelTimeout(TimeoutError):
    pass


def send(fd: int, payload: bytes) -> None:
    data = struct.pack(">Q", len(payload)) + payload
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout()
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise ChannelTimeout()
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise ChannelClosed()
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv(fd: int, deadline: float | None = None, max_bytes: int | None = None) -> bytes:
    (n,) = struct.unpack(">Q", _read_exact(fd, 8, deadline))
    if max_bytes is not None and n > max_bytes:
        raise CodecError(f"message of {n} bytes is over the limit of {max_bytes}")
    return _read_exact(fd, n, deadline)
