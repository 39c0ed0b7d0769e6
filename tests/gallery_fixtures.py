"""Synthetic identification vectors for the gallery tests: clearly clustered walks of made-up people."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from gaitcli.gallery.vectors import save_vectors

FINGERPRINT = "gait-test-model-v1"
FEATURE_SPACE = "joint-maps-test"


def clusters(people: int, walks: int, dim: int, *, noise: float = 0.3, seed: int = 0) -> np.ndarray:
    """Unit vectors shaped (people, walks, dim): each person's walks scattered around their own centre.

    ``noise`` is the expected length of the scatter before normalising (0.3: cosine ~0.95 to the centre,
    while random centres in 16+ dimensions are nearly orthogonal).
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 1, dim))
    centres /= np.linalg.norm(centres, axis=-1, keepdims=True)
    vectors = centres + noise * rng.normal(size=(people, walks, dim)) / np.sqrt(dim)
    return (vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)).astype(np.float32)


def write_walks(folder: Path, stem: str, vectors: np.ndarray, *, fingerprint: str = FINGERPRINT, threshold: float | None = None,
                pose_engine: str | None = None, score_blocks=None, feature_space: str = FEATURE_SPACE) -> Path:
    """Save vectors as ``gaitcli embed --out`` would, with one made-up video source per row
    (``threshold``: the gait model's open-set threshold for one-walk galleries, if it has one;
    ``pose_engine``: what found the joints, per row as embed records it)."""
    vectors = np.atleast_2d(vectors)
    path = folder / f"{stem}.npy"
    sources = [f"videos/{stem}_{i}.mp4" for i in range(len(vectors))]
    meta = {"model_fingerprint": fingerprint, "feature_space": feature_space, "open_set_threshold": threshold, "sources": sources}
    if score_blocks is not None:
        meta["score_blocks"] = score_blocks
    if pose_engine:
        meta.update(pose_engine=pose_engine, info=[{"pose_engine": pose_engine} for _ in sources])
    return save_vectors(path, vectors, meta)


def cli_env(config_dir: Path) -> dict[str, str]:
    """Environment for a `gaitcli` subprocess that signs with the test's own key."""
    env = dict(os.environ, GAITCLI_CONFIG_DIR=str(config_dir))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH")]))
    return env


CLI = [sys.executable, "-m", "gaitcli.cli.main"]
