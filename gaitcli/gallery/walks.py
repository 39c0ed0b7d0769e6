"""Walks from command-line inputs: identification vectors with the gait model that made them.

``.npy`` files written by ``gaitcli embed --out`` are read directly (one walk per row);
everything else (videos, frame folders, keypoint files) goes, in one call so that the models
are loaded once, through :func:`gaitcli.batch.embed_many` (in this process, worker processes or
a Dask cluster). An input that cannot be used is a :class:`~gaitcli.batch.Failure` among the walks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from gaitcli.batch import Failure, OnFrames
from gaitcli.gallery.vectors import load_vectors

#: Called after each input with (its index, its walks or its Failure), in the order they finish.
OnDone = Callable[[int, Any], None]


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
    score_blocks: Any = None  # the blocks a gallery scores apart (the gait model's); None: the whole vector


def collect_walks(paths: Sequence[str | Path], *, on_done: OnDone | None = None, on_frames: OnFrames | None = None,
                  on_warning: Callable[[int, str], None] | None = None, **options: Any) -> list[list[Walk] | Failure]:
    """One entry per input, in input order: its walks (several per ``.npy`` file, one per embedded
    input), or a :class:`~gaitcli.batch.Failure` when it cannot be used (the others go on).

    ``options`` go to :func:`gaitcli.batch.embed_many` (``jobs``, ``scheduler``, ``track``,
    :class:`~gaitcli.api.Embedder`'s arguments); ``on_done(index, outcome)`` is called per input,
    ``on_frames(index, frames done, frames total)`` while a video is read in this process;
    ``on_warning(index, message)`` when an embedded walk comes with a warning (shorter than a gait cycle).
    """
    paths = [Path(p) for p in paths]
    outcomes: dict[int, list[Walk] | Failure] = {}

    def done(index: int, outcome) -> None:
        outcomes[index] = outcome
        if on_done is not None:
            on_done(index, outcome)

    to_embed = [i for i, p in enumerate(paths) if p.suffix.lower() != ".npy"]
    for index, path in enumerate(paths):
        if path.suffix.lower() == ".npy":
            try:
                done(index, _read_vectors(path))
            except Exception as exc:
                done(index, Failure.of(path, exc))
    if to_embed:
        from gaitcli.batch import embed_many  # heavy (pose and gait models): imported only when an input needs it

        def embedded(k: int, result) -> None:
            path = paths[to_embed[k]]
            if not isinstance(result, Failure):
                if on_warning is not None and result.info.get("warning"):
                    on_warning(to_embed[k], result.info["warning"])
                result = [Walk(np.asarray(result.vector, dtype=np.float32), str(result.source), str(path),
                               result.model_fingerprint, result.feature_space, result.open_set_threshold, result.pose_engine,
                               result.score_blocks)]
            done(to_embed[k], result)

        frames = (lambda k, done_frames, total: on_frames(to_embed[k], done_frames, total)) if on_frames else None
        embed_many([paths[i] for i in to_embed], on_done=embedded, on_frames=frames, **options)
    return [outcomes[index] for index in range(len(paths))]


def _read_vectors(path: Path) -> list[Walk]:
    from gaitcli.errors import InputError
    from gaitcli.gallery.classifier import check_blocks
    from gaitcli.gallery.store import shipped_score_blocks

    vectors, meta = load_vectors(path)
    shipped = shipped_score_blocks(meta["model_fingerprint"])
    if shipped is not None and check_blocks(meta.get("score_blocks"), vectors.shape[1]) != shipped[1]:
        raise InputError(f"{path}.json: its 'score_blocks' are not those of the gait model it names (the shipped "
                         f"'{shipped[0]}' model): the file was edited or damaged; re-run `gaitcli embed --out`")
    info = meta.get("info") if isinstance(meta.get("info"), list) and len(meta["info"]) == len(vectors) else None
    walks = []
    for i, (vector, source) in enumerate(zip(vectors, meta["sources"])):
        engine = info[i].get("pose_engine") if info and isinstance(info[i], dict) else meta.get("pose_engine")
        walks.append(Walk(vector, source, str(path), meta["model_fingerprint"], meta["feature_space"],
                          meta.get("open_set_threshold"), engine if isinstance(engine, str) else None,
                          meta.get("score_blocks")))
    return walks


def all_embedded_here(paths: Sequence[str | Path]) -> bool:
    """Whether every input needs embedding (none is a ``.npy`` file of vectors, which carries its own model)."""
    return bool(paths) and all(Path(p).suffix.lower() != ".npy" for p in paths)


def check_embedding_model(gallery, paths: Sequence[str | Path]) -> None:
    """Refuse (``GalleryError``), before any slow embedding, inputs that the default gait model
    would embed for a gallery made by another model (the shipped cross-view one, say). Only when
    every input needs embedding (:func:`all_embedded_here`): ``.npy`` vectors are checked one by one."""
    if not all_embedded_here(paths):
        return
    from gaitcli.gait.model import load_gait_model

    model = load_gait_model()
    gallery.check_compatible(model.fingerprint, model.feature_space, model.dimension, what="walks embedded here (by the default gait model)")
