"""Plain data across the sandbox's wall: JSON for the structure, ``.npy`` (``allow_pickle=False``) for arrays.

Both sides of the wall use this module: the judge sends a submission's functions their inputs, and the
submission's process sends back what they returned. Nothing is ever unpickled. A value is encoded as a JSON
tree whose leaves are ``None``, booleans, integers, floats, strings and arrays (numeric dtypes only, sent
as ``.npy`` blobs after the JSON); tuples, lists and dicts with string keys are kept as such. Two more kinds
are passed *by name*, never by code:

- a named tuple of one of ``companion``'s modules (``LSTMStepCache``, ``ElmanStepGrads``...), rebuilt
  as that type when the receiving side allows it (the judge does; an unknown name decodes as a plain tuple);
- a function of ``companion`` (``companion.elman:elman_step_forward``), possibly in a ``functools.partial``
  with plain keyword arguments, looked up by name on the receiving side.

A frame is ``8-byte length + JSON``, then for each array ``8-byte length + .npy bytes``; a frame larger than
``MAX_FRAME`` is refused, so a submission cannot make the judge allocate without bound.
"""
from __future__ import annotations

import functools
import importlib
import io
import json
import math
import struct

import numpy as np

MAX_FRAME = 64 * 2**20  # bytes: the largest message either side accepts
MAX_DEPTH = 32
_LEN = struct.Struct("<Q")
ARRAY_KINDS = "biufc"


class WireError(Exception):
    """A message that is not plain data of the kinds above, or a broken frame."""


def _qualified(obj):
    return f"{obj.__module__}:{obj.__qualname__}"


def _encode(value, blobs, depth=0):
    if depth > MAX_DEPTH:
        raise WireError("the value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return {"int": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype.kind not in ARRAY_KINDS:
            raise WireError(f"an array of dtype {arr.dtype} (only numbers can be graded)")
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
        blobs.append(buf.getvalue())
        return {"array": len(blobs) - 1, "scalar": isinstance(value, np.generic)}
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return {"namedtuple": _qualified(type(value)), "fields": list(type(value)._fields),
                "items": [_encode(v, blobs, depth + 1) for v in value]}
    if isinstance(value, (tuple, list)):
        return {"tuple" if isinstance(value, tuple) else "list": [_encode(v, blobs, depth + 1) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise WireError("a dict with keys that are not strings")
        return {"dict": {k: _encode(v, blobs, depth + 1) for k, v in value.items()}}
    if isinstance(value, functools.partial) and getattr(value.func, "__module__", "").startswith("companion"):
        return {"function": _qualified(value.func), "args": _encode(tuple(value.args), blobs, depth + 1),
                "kwargs": _encode(dict(value.keywords), blobs, depth + 1)}
    if callable(value) and getattr(value, "__module__", "").startswith("companion") \
            and "<locals>" not in getattr(value, "__qualname__", "<locals>"):
        return {"function": _qualified(value)}
    raise WireError(f"a {type(value).__module__}.{type(value).__qualname__} (the grader reads numbers, "
                    "arrays, strings and tuples/lists/dicts of them)")


def encode(value):
    """The frame (bytes) of ``value``; raises :class:`WireError` for anything but plain data."""
    blobs = []
    tree = _encode(value, blobs)
    head = json.dumps({"arrays": len(blobs), "value": tree}, allow_nan=False).encode()
    parts = [_LEN.pack(len(head)), head]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    frame = b"".join(parts)
    if len(frame) > MAX_FRAME:
        raise WireError(f"the value takes {len(frame)} bytes; at most {MAX_FRAME} are read")
    return frame


def _lookup(name):
    module, _, qualname = name.partition(":")
    if not (module == "companion" or module.startswith("companion.")):
        raise WireError(f"{name} is not a name from companion")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class Decoder:
    """Decodes frames; ``namedtuples=True`` rebuilds ``companion``'s named tuples, else plain tuples."""

    def __init__(self, namedtuples=True, functions=True):
        self.namedtuples, self.functions = namedtuples, functions

    def _decode(self, node, blobs, depth=0):
        if depth > MAX_DEPTH:
            raise WireError("the value is nested too deeply")
        if node is None or isinstance(node, (bool, str, float)):
            return node
        if not isinstance(node, dict) or len(node) == 0:
            raise WireError(f"not a value: {str(node)[:80]}")
        if "int" in node:
            text = str(node["int"])
            if len(text) > 64:
                raise WireError("an integer with more than 64 digits")
            return int(text)
        if "float" in node:
            return float(node["float"]) if node["float"] in ("nan", "inf", "-inf") else _bad(node)
        if "array" in node:
            index = node["array"]
            if not isinstance(index, int) or not 0 <= index < len(blobs):
                raise WireError("a reference to a missing array")
            arr = blobs[index]
            return arr[()] if node.get("scalar") else arr
        if "tuple" in node or "list" in node:
            items = [self._decode(v, blobs, depth + 1) for v in _listof(node.get("tuple", node.get("list")))]
            return tuple(items) if "tuple" in node else items
        if "dict" in node:
            if not isinstance(node["dict"], dict):
                raise WireError("a broken dict")
            return {str(k): self._decode(v, blobs, depth + 1) for k, v in node["dict"].items()}
        if "namedtuple" in node:
            items = [self._decode(v, blobs, depth + 1) for v in _listof(node.get("items"))]
            if self.namedtuples:
                try:
                    cls = _lookup(str(node["namedtuple"]))
                except (WireError, ImportError, AttributeError):
                    cls = None
                if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields") \
                        and list(cls._fields) == node.get("fields") and len(items) == len(cls._fields):
                    return cls(*items)
            return tuple(items)
        if "function" in node:
            if not self.functions:
                raise WireError("a function where data was expected")
            try:
                func = _lookup(str(node["function"]))
            except (ImportError, AttributeError) as err:
                raise WireError(f"unknown function {node['function']}: {err}") from None
            if "args" in node or "kwargs" in node:
                args = self._decode(node.get("args", {"tuple": []}), blobs, depth + 1)
                kwargs = self._decode(node.get("kwargs", {"dict": {}}), blobs, depth + 1)
                return functools.partial(func, *args, **kwargs)
            return func
        return _bad(node)

    def decode(self, frame_head, blobs):
        return self._decode(frame_head, blobs)


def _bad(node):
    raise WireError(f"not a value: {str(node)[:80]}")


def _listof(value):
    if not isinstance(value, list):
        raise WireError("a broken list")
    return value


def _read_exact(stream, n):
    data = stream.read(n)
    if data is None or len(data) != n:
        raise EOFError("the other side closed the pipe")
    return data


def read_frame(stream, decoder):
    """Read one frame from a binary ``stream`` and decode it (raises EOFError, WireError)."""
    (size,) = _LEN.unpack(_read_exact(stream, _LEN.size))
    if size > MAX_FRAME:
        raise WireError(f"a message of {size} bytes; at most {MAX_FRAME} are read")
    try:
        head = json.loads(_read_exact(stream, size))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WireError(f"a broken message: {err}") from None
    if not isinstance(head, dict) or not isinstance(head.get("arrays"), int) or head["arrays"] < 0:
        raise WireError("a broken message header")
    total, blobs = size, []
    for index in range(head["arrays"]):
        (n,) = _LEN.unpack(_read_exact(stream, _LEN.size))
        total += n
        if total > MAX_FRAME:
            raise WireError(f"a message of more than {MAX_FRAME} bytes")
        try:
            arr = np.lib.format.read_array(io.BytesIO(_read_exact(stream, n)), allow_pickle=False)
        except (ValueError, OSError) as err:
            raise WireError(f"array {index} is not a plain .npy array: {err}") from None
        if arr.dtype.kind not in ARRAY_KINDS:
            raise WireError(f"an array of dtype {arr.dtype}")
        blobs.append(arr)
    return decoder.decode(head.get("value"), blobs)
