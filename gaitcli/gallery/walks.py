"""Walks from command-line inputs: identification vectors with the gait model that made them.

``.npy`` files written by ``gaitcli embed --out`` are read directly (one walk per row);
everything else (videos, frame folders, keypoint files) goes, in one call so that the models
are loaded once, through the embedding pipeline ``gaitcli.api.embed_inputs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from gaitcli.gallery.vectors import load_vectors


@dataclass
class Walk:
    """One walk's identification vector (D,) and where it came from."""

    vector: np.ndarray
    source: str  # what the walk was recorded in (a video, a frame folder, ...)
    input: str  # the command-line input it was read from
    model_fingerprint: str
    feature_space: str
    open_set_threshold: float | None = None  # what the gait model suggests for one-walk galleries
    pose_engine: str | None = None  # what found the joints ("blazepose, flip-averaged", ...); None when unknown


def collect_walks(paths: Sequence[str | Path]) -> list[Walk]:
    """The walks of every input, in input order (several per ``.npy`` file, one per embedded input)."""
    paths = [Path(p) for p in paths]
    to_embed = [p for p in paths if p.suffix.lower() != ".npy"]
    embedded = iter(_embed(to_embed)) if to_embed else iter(())
    walks: list[Walk] = []
    for path in paths:
        if path.suffix.lower() == ".npy":
            vectors, meta = load_vectors(path)
            info = meta.get("info") if isinstance(meta.get("info"), list) and len(meta["info"]) == len(vectors) else None
            for i, (vector, source) in enumerate(zip(vectors, meta["sources"])):
                engine = info[i].get("pose_engine") if info and isinstance(info[i], dict) else meta.get("pose_engine")
                walks.append(Walk(vector, source, str(path), meta["model_fingerprint"], meta["feature_space"],
                                  meta.get("open_set_threshold"), engine if isinstance(engine, str) else None))
        else:
            result = next(embedded)
            walks.append(Walk(
                np.asarray(result.vector, dtype=np.float32), str(result.source), str(path),
                result.model_fingerprint, result.feature_space, result.open_set_threshold, result.pose_engine,
            ))
    return walks


def _embed(paths: list[Path]) -> list:
    from gaitcli.api import embed_inputs  # heavy (pose and gait models): imported only when an input needs it

    results = list(embed_inputs(paths))
    if len(results) != len(paths):
        raise RuntimeError(f"embed_inputs returned {len(results)} results for {len(paths)} inputs")
    return results
