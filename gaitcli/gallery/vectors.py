"""Identification vectors on disk: the ``.npy`` files that ``gaitcli embed --out`` writes.

A vectors file is two files side by side:

* ``walks.npy`` — the float32 vectors, shaped (N, D), one row per walk (``np.save``, no pickle);
* ``walks.npy.json`` — their meta: ``format``, ``version``, ``model_fingerprint`` and
  ``feature_space`` of the gait model that made them, ``dim``, and one ``sources`` entry per row.

The meta travels with the vectors so that a gallery can refuse vectors of another gait model.
Both files are written atomically (temporary file in the same folder, fsync, rename).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gaitcli.atomic import atomic_write
from gaitcli.constants import MAX_VECTORS_BYTES, VECTOR_LENGTH_RANGE
from gaitcli.errors import InputError
from gaitcli.io.paths import link_problem

VECTORS_FORMAT = "gaitcli-vectors"
VECTORS_VERSION = 1


def meta_path(path: str | os.PathLike) -> Path:
    """The sidecar meta file of a vectors file: ``<file>.json`` (``walks.npy`` -> ``walks.npy.json``)."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def check_output(path: str | os.PathLike, inputs: Sequence[str | os.PathLike] = (), *, force: bool = False) -> None:
    """Refuse to write vectors to ``path`` when that would replace a file the user has: either of
    the two files (``path`` and its ``.json`` meta) existing without ``force``, or being one of
    ``inputs`` (never, even with ``force``). Raises :class:`InputError`."""
    path = Path(path)
    if path.suffix.lower() != ".npy":
        raise InputError(f"{path}: vectors are written as .npy; give a file name ending in .npy")
    given = [Path(p) for p in inputs]
    for target in (path, meta_path(path)):
        if any(_same_file(target, p) for p in given):
            raise InputError(f"{target} is one of the inputs; choose another output file")
        if (target.exists() or target.is_symlink()) and not force:
            raise InputError(f"{target} already exists; pass --force to overwrite it")
        if target.is_dir():
            raise InputError(f"{target} is a folder; give a file name for the vectors")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, RuntimeError):  # a symlink loop: not a file that can be the same
        return False


def save_vectors(path: str | os.PathLike, vectors: np.ndarray, meta: dict[str, Any]) -> Path:
    """Write ``vectors`` (D,) or (N, D) to ``path`` (.npy) and ``meta`` to its ``.json`` sidecar.

    ``meta`` must hold ``model_fingerprint`` and ``feature_space`` (strings); ``sources``
    (one string per row) defaults to ``<file>#<row>``. Other keys are kept as given (they must
    be JSON-serialisable). Returns the path written. Raises :class:`InputError` when ``path``
    does not end in ``.npy`` and ``ValueError`` for vectors that are not finite numbers.
    """
    path = Path(path)
    if path.suffix.lower() != ".npy":
        raise InputError(f"{path}: identification vectors are saved as .npy; give a file name ending in .npy")
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"vectors must be shaped (D,) or (N, D) with N, D > 0; got {np.shape(vectors)}")
    if not np.all(np.isfinite(array)):
        raise ValueError("vectors contain NaN or infinite values")
    for key in ("model_fingerprint", "feature_space"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise ValueError(f"meta needs a non-empty string {key!r}")
    sources = meta.get("sources")
    if sources is None:
        sources = [f"{path.name}#{i}" for i in range(len(array))]
    sources = [str(s) for s in sources]
    if len(sources) != len(array):
        raise ValueError(f"meta has {len(sources)} sources for {len(array)} vectors")

    full_meta = dict(meta)
    full_meta.update(format=VECTORS_FORMAT, version=VECTORS_VERSION, dim=int(array.shape[1]), sources=sources)
    text = json.dumps(full_meta, indent=2) + "\n"

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buffer.getvalue())
    atomic_write(meta_path(path), text.encode("utf-8"))
    return path


def load_vectors(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a vectors file written by :func:`save_vectors`: ``(vectors (N, D) float32, meta)``.

    Every problem with the files (missing, not a .npy array, pickled objects, wrong shape,
    non-finite values, rows far from unit length (zero, or 3e38 everywhere: see
    :data:`~gaitcli.constants.VECTOR_LENGTH_RANGE`), missing or inconsistent sidecar) raises
    :class:`InputError`.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else link_problem(path) or "does not exist"
        raise InputError(f"{path} {what}; give a .npy file written by `gaitcli embed --out`")
    try:  # memory-mapped: a header claiming more data than the file holds is refused, not allocated
        mapped = np.load(path, allow_pickle=False, mmap_mode="r")
    except Exception as exc:  # whatever a damaged header makes NumPy's parser raise (ValueError, SyntaxError, TokenError, ...)
        raise InputError(f"{path} is not a readable .npy array ({_short(exc)}); re-run `gaitcli embed --out`") from None
    if not isinstance(mapped, np.ndarray) or mapped.ndim not in (1, 2) or mapped.size == 0:
        raise InputError(f"{path} does not hold identification vectors (shape {getattr(mapped, 'shape', '?')}); expected (N, D)")
    if not np.issubdtype(mapped.dtype, np.floating):
        raise InputError(f"{path} holds {mapped.dtype} values, not float identification vectors")
    if mapped.nbytes > MAX_VECTORS_BYTES:
        raise InputError(f"{path} holds {mapped.nbytes / 2**20:.0f} MiB of vectors; gaitcli reads up to "
                         f"{MAX_VECTORS_BYTES / 2**20:.0f} MiB per file")
    with np.errstate(over="ignore"):  # values beyond float32 become inf, refused below
        array = np.atleast_2d(np.array(mapped, dtype=np.float32))
    del mapped
    if not np.all(np.isfinite(array)):
        raise InputError(f"{path} contains NaN, infinite or out-of-range values; re-run `gaitcli embed --out`")
    lengths = np.linalg.norm(array.astype(np.float64), axis=1)
    low, high = VECTOR_LENGTH_RANGE
    odd = np.flatnonzero((lengths < low) | (lengths > high))
    if len(odd):
        raise InputError(f"{path}: row {odd[0]} has length {lengths[odd[0]]:.3g}; identification vectors have length 1 "
                         f"(gaitcli reads {low:g} to {high:g}), so this is not one; re-run `gaitcli embed --out`")

    sidecar = meta_path(path)
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{path} has no meta file {sidecar.name} beside it (it says which gait model made the vectors); "
            "keep the two files together or re-run `gaitcli embed --out`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{sidecar} is not readable JSON ({_short(exc)}); re-run `gaitcli embed --out`") from None
    if not isinstance(meta, dict) or meta.get("format") != VECTORS_FORMAT:
        raise InputError(f"{sidecar} is not a gaitcli vectors meta file; re-run `gaitcli embed --out`")
    if not isinstance(meta.get("version"), int) or meta["version"] > VECTORS_VERSION:
        raise InputError(f"{sidecar} was written by a newer gaitcli (format version {meta.get('version')}); upgrade gaitcli")
    for key in ("model_fingerprint", "feature_space"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise InputError(f"{sidecar} lacks {key!r}; re-run `gaitcli embed --out`")
    sources = meta.get("sources")
    if not isinstance(sources, list) or len(sources) != len(array) or meta.get("dim") != array.shape[1]:
        raise InputError(f"{sidecar} does not describe {path.name} ({len(array)} x {array.shape[1]}); re-run `gaitcli embed --out`")
    meta["sources"] = [str(s) for s in sources]
    if meta.get("score_blocks") is not None:
        from gaitcli.gallery.classifier import check_blocks

        try:
            meta["score_blocks"] = check_blocks(meta["score_blocks"], array.shape[1])
        except ValueError as exc:
            raise InputError(f"{sidecar}: 'score_blocks' {exc}; re-run `gaitcli embed --out`") from None
    return array, meta


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
