"""Training walks that carry a real pose engine's errors: the file format, written by
``scripts/engine_walks.py`` (rendered clips of synthetic people run through BlazePose) and read
by ``gaitcli train gait --engine-walks``.

One ``.npz`` with no pickles: per walk ``person``, ``walk``, ``fps``, ``covariate`` ("" for
none) and ``direction``; the engine's joints of all walks stacked in ``coords_y``,
``coords_x``, ``probs`` (frames x 16, image pixels, probability 0 where nobody was seen),
walk ``i`` being rows ``offsets[i]:offsets[i + 1]``; ``format`` names this layout.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np

from gaitcli.constants import NUM_JOINTS
from gaitcli.errors import InputError

FORMAT = "gaitcli-engine-walks-1"
ARRAYS = ("coords_y", "coords_x", "probs")
FIELDS = {"person": np.int64, "walk": np.int64, "fps": np.float64, "covariate": "U8", "direction": np.int64}


def save_engine_walks(records: list[dict], out: str | Path) -> None:
    """Write ``records`` (dicts with :data:`FIELDS` and :data:`ARRAYS`) to ``out``, atomically."""
    out = Path(out)
    empty = np.zeros((0, NUM_JOINTS), np.float32)
    arrays = {key: np.concatenate([np.asarray(r[key], np.float32) for r in records]) if records else empty for key in ARRAYS}
    fields = {key: np.array([r[key] for r in records], dtype=kind) for key, kind in FIELDS.items()}
    offsets = np.concatenate([[0], np.cumsum([len(r["probs"]) for r in records])]).astype(np.int64)
    tmp = out.with_name(out.name + ".part.npz")
    np.savez_compressed(tmp, format=np.array(FORMAT), offsets=offsets, **arrays, **fields)
    os.replace(tmp, out)


def load_engine_walks(path: str | Path) -> list[dict]:
    """The walks of a file written by :func:`save_engine_walks` (a clear error for anything else)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such engine-walks file (make one with scripts/engine_walks.py)")
    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files or str(data["format"]) != FORMAT:
                raise InputError(f"{path}: not a {FORMAT} file (make one with scripts/engine_walks.py)")
            off = data["offsets"]
            columns = {key: data[key] for key in (*ARRAYS, *FIELDS)}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: unreadable engine-walks file ({exc})") from None
    out = []
    for i in range(len(off) - 1):
        record = {key: columns[key][i].item() for key in FIELDS}
        record.update({key: columns[key][off[i] : off[i + 1]] for key in ARRAYS})
        out.append(record)
    return out


def engine_sequences(records: list[dict], prefix: str = "engine") -> list[tuple]:
    """``records`` as :func:`gaitcli.synth.dataset.make_sequences` gives walks:
    ``(identity, coords_y, coords_x, probs, meta)`` with identity ``"{prefix}-{person}"``."""
    return [
        (f"{prefix}-{r['person']}", r["coords_y"], r["coords_x"], r["probs"],
         {"source": "engine", "fps": float(r["fps"]), "covariate": r["covariate"] or None, "direction": int(r["direction"]), "walk": int(r["walk"])})
        for r in records
    ]  # fmt: skip


def file_fingerprint(path: str | Path) -> str:
    """First 12 hex digits of the file's SHA-256 (recorded in checkpoints trained on it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]
