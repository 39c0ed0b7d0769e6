"""The evaluation's embedding cache: walks already embedded are not embedded again.

One ``.npz`` file per gait model in ``<out>/cache/``, named after the model's fingerprint.
An entry's key is a hash of the walk's absolute path, size and modification time (for a
folder of frames or keypoint files: those of every file directly inside it), so editing,
replacing or adding a file re-embeds that walk, and another gait model never reads these
vectors. The file is written atomically (:func:`gaitcli.atomic.atomic_write`): an
interrupted run keeps what it had embedded up to its last save.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np

from gaitcli.atomic import atomic_write

CACHE_FORMAT = "gaitcli.evaluation-cache/1"


def walk_signature(path: Path) -> str:
    """A key that changes when the walk's file (or a file of its folder) changes."""
    path = Path(path).resolve()
    parts = [str(path)]
    if path.is_dir():
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            if entry.is_file():
                st = entry.stat()
                parts.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    else:
        st = path.stat()
        parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


class EmbeddingCache:
    """Identification vectors of one gait model, keyed by :func:`walk_signature`."""

    def __init__(self, folder: Path, fingerprint: str):
        self.fingerprint = fingerprint
        self.path = Path(folder) / f"embeddings-{hashlib.sha256(fingerprint.encode()).hexdigest()[:16]}.npz"
        self.feature_space: str | None = None
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        self._load()

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, key: str) -> np.ndarray | None:
        """The cached vector for a walk signature, or None."""
        return self._vectors.get(key)

    def put(self, key: str, vector: np.ndarray, feature_space: str | None) -> None:
        """Remember a vector (written by :meth:`save`)."""
        self._vectors[key] = np.asarray(vector, dtype=np.float32)
        self.feature_space = feature_space or self.feature_space
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically when it changed."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self._vectors)
        buffer = io.BytesIO()
        np.savez(
            buffer,
            format=np.array(CACHE_FORMAT),
            fingerprint=np.array(self.fingerprint),
            feature_space=np.array(self.feature_space or ""),
            keys=np.array(keys, dtype=str),
            vectors=np.stack([self._vectors[k] for k in keys]),
        )
        atomic_write(self.path, buffer.getvalue())
        self._dirty = False

    def _load(self) -> None:
        # An unreadable or foreign cache file is ignored; the next save replaces it.
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["format"]) != CACHE_FORMAT or str(data["fingerprint"]) != self.fingerprint:
                    return
                keys, vectors = data["keys"], data["vectors"]
                feature_space = str(data["feature_space"]) or None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return
        if vectors.ndim != 2 or len(keys) != len(vectors):
            return
        self._vectors = {str(k): v for k, v in zip(keys, vectors.astype(np.float32))}
        self.feature_space = feature_space
