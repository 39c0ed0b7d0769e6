"""Reading a gallery's joblib payload without running anything the file names.

A joblib file is a pickle, and an ordinary unpickler calls whatever functions and classes the
pickle names: a crafted file runs code as soon as it is read. :func:`load` reads joblib's
format (``joblib.dump`` of plain values and NumPy arrays) with an unpickler that knows three
names and refuses every other one before any object of it is built:

* ``joblib.numpy_pickle.NumpyArrayWrapper``: joblib's placeholder for an array whose bytes
  follow it in the stream. Its fields are checked (shape, order, a dtype from
  :data:`ARRAY_DTYPES`, the class ``numpy.ndarray``) and the array is read here, never by
  joblib's reader: no object arrays, no array subclasses, no array larger than the bytes left
  in the payload;
* ``numpy.ndarray``: the only array class a placeholder may name (a marker; never called);
* ``numpy.dtype``: made only for the plain numeric types of :data:`ARRAY_DTYPES`, whatever
  state the pickle gives it.

Everything else a gallery holds is pickle's own opcodes (dicts, lists, tuples, strings,
numbers, booleans, None), which build nothing but those. Any other name, and any other use
of these three, raises :class:`UnsafePickleError`; a malformed stream raises what the
unpickler raises (``pickle.UnpicklingError``, ``EOFError``, ``ValueError``, ...).
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np

#: The dtypes a gallery's arrays may have (any byte order): booleans, integers and floats.
ARRAY_DTYPES = frozenset({"b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"})


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names something a gallery never holds (a possible attack, or not a gallery)."""


class _Ndarray:
    """What ``numpy.ndarray`` unpickles to: a marker for the placeholder's ``subclass`` field."""

    def __init__(self, *args, **kwargs):
        raise UnsafePickleError("numpy.ndarray is only allowed as the class of joblib's array placeholder")


class _Dtype:
    """What ``numpy.dtype(code, align, copy)`` unpickles to: the code and byte order, checked."""

    def __init__(self, code: Any = None, align: Any = False, copy: Any = True, *rest: Any):
        if not isinstance(code, str) or code not in ARRAY_DTYPES or align is not False or rest:
            raise UnsafePickleError(f"dtype {str(code)[:20]!r} is not a plain numeric array type")
        self.code = code
        self.byteorder = "="

    def build(self, state: Any) -> None:
        # numpy's state: (version, byte order, subarray, names, fields, element size, alignment, flags)
        if not (isinstance(state, tuple) and len(state) == 8 and state[1] in ("<", ">", "|", "=")
                and state[2:5] == (None, None, None)):
            raise UnsafePickleError("a dtype with fields, sub-arrays or an unknown byte order")
        self.byteorder = state[1]

    def dtype(self) -> np.dtype:
        return np.dtype(self.code).newbyteorder(self.byteorder if self.byteorder in "<>" else "=")


class _ArrayPlaceholder:
    """What ``joblib.numpy_pickle.NumpyArrayWrapper`` unpickles to, until its state is known."""

    def __init__(self, *args, **kwargs):
        raise UnsafePickleError("joblib's array placeholder is only built by NEWOBJ")


_ALLOWED = {
    ("joblib.numpy_pickle", "NumpyArrayWrapper"): _ArrayPlaceholder,
    ("numpy", "ndarray"): _Ndarray,
    ("numpy", "dtype"): _Dtype,
}
_WRAPPER_FIELDS = {"subclass", "shape", "order", "dtype", "allow_mmap", "numpy_array_alignment_bytes"}


class _GalleryUnpickler(pickle._Unpickler):  # the pure-Python unpickler: its opcodes can be overridden
    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, data: bytes):
        self._buffer = io.BytesIO(data)
        self._size = len(data)
        super().__init__(self._buffer)

    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise UnsafePickleError(f"the pickle names {module}.{name}, which a gallery never holds")
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("the pickle refers to outside objects")

    def load_build(self) -> None:
        state = self.stack.pop()
        target = self.stack[-1]
        if isinstance(target, _Dtype):
            target.build(state)
        elif isinstance(target, _ArrayPlaceholder):
            self.stack[-1] = self._read_array(state)
        else:
            raise UnsafePickleError(f"the pickle sets the state of a {type(target).__name__}")

    dispatch[pickle.BUILD[0]] = load_build

    def _read_array(self, state: Any) -> np.ndarray:
        """The array whose bytes follow a placeholder with fields ``state`` in the stream."""
        if not isinstance(state, dict) or not set(state) <= _WRAPPER_FIELDS or not {"subclass", "shape", "order", "dtype"} <= set(state):
            raise UnsafePickleError("a malformed array placeholder")
        shape, order, dtype = state["shape"], state["order"], state["dtype"]
        if state["subclass"] is not _Ndarray or not isinstance(dtype, _Dtype) or order not in ("C", "F"):
            raise UnsafePickleError("an array placeholder of another class, dtype or order")
        if not isinstance(shape, tuple) or not all(type(n) is int and n >= 0 for n in shape):
            raise UnsafePickleError("an array placeholder with a malformed shape")
        dtype_ = dtype.dtype()
        count = 1
        for n in shape:
            count *= n
        if state.get("numpy_array_alignment_bytes") is not None:
            padding = self._buffer.read(1)
            if len(padding) != 1:
                raise EOFError("the payload ends inside an array")
            self._buffer.read(padding[0])
        nbytes = count * dtype_.itemsize
        if nbytes > self._size - self._buffer.tell():
            raise ValueError(f"an array of {nbytes} bytes, more than the payload holds")
        array = np.frombuffer(self._buffer.read(nbytes), dtype=dtype_, count=count).astype(dtype_.newbyteorder("="))
        return array.reshape(shape[::-1]).transpose() if order == "F" else array.reshape(shape)


def load(data: bytes) -> Any:
    """The value ``joblib.dump`` wrote into ``data``, read without running anything it names (see the module doc)."""
    return _GalleryUnpickler(data).load()


__all__ = ["ARRAY_DTYPES", "UnsafePickleError", "load"]
