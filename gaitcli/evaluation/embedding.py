"""Identification vectors for the walks of a dataset.

``.npy`` walks (written by ``gaitcli embed --out``, with their ``.npy.json`` meta) are read
as they are. Every other walk goes through the embed pipeline (:class:`ApiEmbedder`: the
:mod:`gaitcli.api` models, imported only when a walk needs them, in this process, in local
worker processes or on a Dask cluster — :mod:`gaitcli.batch`); progress is reported per walk,
a walk that fails (no person in it, an unreadable file) is recorded and skipped instead of
ending the run, and each vector lands in the
:class:`~gaitcli.evaluation.cache.EmbeddingCache` as soon as it exists. All vectors must come from one gait model (the meta's and the pipeline's model
fingerprints): vectors of different models cannot be compared.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from gaitcli.batch import Failure
from gaitcli.errors import InputError, NoPersonError
from gaitcli.evaluation.cache import EmbeddingCache, walk_signature
from gaitcli.evaluation.dataset import Walk
from gaitcli.gallery.vectors import load_vectors

#: While embedding, the cache is saved at most this often (seconds), and at the end.
SAVE_INTERVAL_S = 30.0


class Embedder(Protocol):
    """What evaluation needs of an embedding pipeline."""

    def fingerprint(self) -> str:
        """Fingerprint of the gait model that :meth:`embed` uses (cheap: no embedding)."""
        ...

    def cache_key(self) -> str:
        """What cached vectors depend on: at least :meth:`fingerprint`."""
        ...

    def embed(self, path: Path) -> Any:
        """One walk's result, with ``.vector`` (D,), ``.model_fingerprint`` and ``.feature_space``."""
        ...


class ApiEmbedder:
    """The default pipeline: :mod:`gaitcli.api` with the given options (loaded models are reused),
    run by :func:`gaitcli.batch.embed_many` on ``jobs`` local worker processes or a Dask
    ``scheduler`` (neither changes the vectors, so neither is part of :meth:`cache_key`)."""

    def __init__(self, *, jobs: int = 1, scheduler: Any = None, **options: Any):
        self.options = options
        self.jobs = jobs
        self.scheduler = scheduler

    def fingerprint(self) -> str:
        from gaitcli import api

        return api.model_fingerprint(**self.options)

    def cache_key(self) -> str:
        """What the cached vectors depend on: the gait model and the options that change vectors."""
        extra = sorted(f"{k}={v}" for k, v in self.options.items() if v is not None and k != "gait_checkpoint")
        return "|".join([self.fingerprint(), *extra])

    def embed(self, path: Path) -> Any:
        from gaitcli import api

        return api.embed_inputs([path], **self.options)[0]

    def embed_many(self, paths: Sequence[Path], on_done: Callable[[int, Any], None]) -> list:
        """Every walk's result or :class:`~gaitcli.batch.Failure`, in order; ``on_done(index, outcome)`` as each finishes."""
        from gaitcli.batch import embed_many

        return embed_many(paths, jobs=self.jobs, scheduler=self.scheduler, on_done=on_done, **self.options)


@dataclass
class Embeddings:
    """Vectors of the walks that could be embedded, and why the others could not."""

    vectors: dict[Path, np.ndarray]
    failed: dict[Path, str] = field(default_factory=dict)
    model_fingerprint: str | None = None  # of the gait model that made the vectors
    feature_space: str | None = None
    loaded: int = 0  # .npy walks read
    cached: int = 0  # walks found in the cache
    embedded: int = 0  # walks embedded now


def embed_walks(
    walks: Sequence[Walk],
    *,
    cache_dir: Path | None = None,
    embedder: Embedder | None = None,
    on_walk: Callable[[Walk, str], None] | None = None,
) -> Embeddings:
    """Vectors for ``walks``; ``on_walk(walk, status)`` is called after each one.

    ``status`` is ``"loaded"``, ``"cached"``, ``"embedded"`` or ``"failed: <reason>"``.
    Walks that are not ``.npy`` files need ``embedder`` (default: :class:`ApiEmbedder`).
    Raises :class:`InputError` when the vectors come from different gait models.
    """
    result = Embeddings(vectors={})

    def done(walk: Walk, status: str) -> None:
        if on_walk is not None:
            on_walk(walk, status)

    to_embed = []
    npy_models: dict[str, Path] = {}  # fingerprint -> a walk made by that model
    for walk in walks:
        if walk.kind != "vectors":
            to_embed.append(walk)
            continue
        try:
            vector, meta = load_walk_vector(walk.path)
        except InputError as exc:
            result.failed[walk.path] = str(exc)
            done(walk, f"failed: {exc}")
            continue
        result.vectors[walk.path] = vector
        npy_models.setdefault(meta["model_fingerprint"], walk.path)
        result.model_fingerprint = meta["model_fingerprint"]
        result.feature_space = meta["feature_space"]
        result.loaded += 1
        done(walk, "loaded")
    if len(npy_models) > 1:
        (fp_a, path_a), (fp_b, path_b) = list(npy_models.items())[:2]
        raise InputError(
            f"{path_a} and {path_b} were made by different gait models ({fp_a[:12]}…, {fp_b[:12]}…): their vectors "
            "cannot be compared; re-embed the walks with one model"
        )

    if to_embed:
        embedder = embedder or ApiEmbedder()
        fingerprint = embedder.fingerprint()
        if npy_models and fingerprint not in npy_models:
            raise InputError(
                f"the .npy walks (e.g. {next(iter(npy_models.values()))}) were made by another gait model than the "
                f"one embedding the other walks ({fingerprint[:12]}…); re-embed them or leave them out"
            )
        result.model_fingerprint = fingerprint
        cache = EmbeddingCache(cache_dir, embedder.cache_key()) if cache_dir is not None else None
        if cache is not None and cache.feature_space:
            result.feature_space = cache.feature_space
        last_save = time.monotonic()
        try:
            pending = []  # (walk, cache key) of the walks to embed now
            for walk in to_embed:
                key = walk_signature(walk.path)
                vector = cache.get(key) if cache is not None else None
                if vector is not None:
                    result.vectors[walk.path] = vector
                    result.cached += 1
                    done(walk, "cached")
                else:
                    pending.append((walk, key))

            def finished(index: int, embedded: Any) -> None:
                nonlocal last_save
                walk, key = pending[index]
                if isinstance(embedded, (Failure, InputError, NoPersonError)):
                    reason = embedded.error if isinstance(embedded, Failure) else str(embedded)
                    result.failed[walk.path] = reason
                    done(walk, f"failed: {reason}")
                    return
                if embedded.model_fingerprint != fingerprint:
                    raise RuntimeError(f"the embed pipeline used gait model {embedded.model_fingerprint}, not {fingerprint}")
                vector = np.asarray(embedded.vector, dtype=np.float32).reshape(-1)
                result.vectors[walk.path] = vector
                result.feature_space = embedded.feature_space
                result.embedded += 1
                if cache is not None:
                    cache.put(key, vector, embedded.feature_space)
                    if time.monotonic() - last_save >= SAVE_INTERVAL_S:
                        cache.save()
                        last_save = time.monotonic()
                done(walk, "embedded")

            if hasattr(embedder, "embed_many"):  # in worker processes or on a cluster, when asked
                embedder.embed_many([walk.path for walk, _ in pending], on_done=finished)
            else:
                for index, (walk, _) in enumerate(pending):
                    try:
                        embedded = embedder.embed(walk.path)
                    except (InputError, NoPersonError) as exc:
                        embedded = exc
                    finished(index, embedded)
        finally:
            if cache is not None:
                cache.save()

    return result


def load_walk_vector(path: Path) -> tuple[np.ndarray, dict]:
    """The one identification vector of a ``.npy`` walk file, float32 (D,), and its meta."""
    vectors, meta = load_vectors(path)
    if len(vectors) != 1:
        raise InputError(
            f"{path} holds {len(vectors)} vectors; a walk file must hold one "
            "(write one .npy per walk: gaitcli embed WALK --out FILE.npy)"
        )
    if not np.any(vectors[0]):
        raise InputError(f"{path} holds a zero vector; re-embed the walk")
    return vectors[0], meta
