"""One evaluation from folder to report: scan, split, embed (cached), score, write."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from gaitcli.errors import InputError
from gaitcli.evaluation.dataset import Walk, scan_dataset
from gaitcli.evaluation.embedding import Embedder, Embeddings, embed_walks
from gaitcli.evaluation.protocols import Split, split_dataset
from gaitcli.evaluation.report import build_report, write_outputs
from gaitcli.evaluation.scoring import Results, score_split


@dataclass
class Evaluation:
    """Everything one evaluation produced; ``report`` is what ``<protocol>-report.json`` holds."""

    report: dict[str, Any]
    results: Results
    split: Split
    embeddings: Embeddings
    files: dict[str, Path]
    ignored: list[Path] = field(default_factory=list)  # dataset entries that are not walks


def default_out_dir(dataset: str | os.PathLike) -> Path:
    """``./evaluation-<dataset folder name>`` in the current folder."""
    return Path.cwd() / f"evaluation-{Path(dataset).resolve().name}"


def evaluate_dataset(
    dataset: str | os.PathLike,
    *,
    preset: str | None = None,
    gallery_patterns: Sequence[str] = (),
    probe_patterns: Sequence[str] = (),
    out: str | os.PathLike | None = None,
    embedder: Embedder | None = None,
    on_plan: Callable[[Split], None] | None = None,
    on_walk: Callable[[Walk, str], None] | None = None,
    camera_adapt: bool = True,
) -> Evaluation:
    """Evaluate gait recognition on a ``DATASET/<subject>/<walk>`` folder.

    The protocol is ``preset`` (``"casia-b"``, ``"tum-gaid"``), the patterns, or, with
    neither, the preset the walk names follow (see :mod:`gaitcli.evaluation.protocols`).
    Walks are embedded with ``embedder`` (default: the :mod:`gaitcli.api` pipeline) and
    cached in ``out/cache``; the report and plots are written into ``out`` (default:
    :func:`default_out_dir`). ``on_plan(split)`` is called once the walks to embed are known,
    ``on_walk(walk, status)`` after each walk. ``camera_adapt``: take each view's mean vector out
    of its walks before matching, where the names carry views (:func:`~gaitcli.evaluation.scoring.score_split`).
    """
    out_dir = Path(out) if out is not None else default_out_dir(dataset)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file; give a folder for the report, plots and cache")
    data = scan_dataset(dataset, exclude=(out_dir,))
    split = split_dataset(data.walks, preset=preset, gallery_patterns=gallery_patterns, probe_patterns=probe_patterns)
    if on_plan is not None:
        on_plan(split)
    embeddings = embed_walks(split.walks, cache_dir=out_dir / "cache", embedder=embedder, on_walk=on_walk)
    for role, entries in (("gallery", split.gallery), ("probe", split.probes)):
        if not any(e.walk.path in embeddings.vectors for e in entries):
            first = next(iter(embeddings.failed.values()), "")
            raise InputError(f"no {role} walk could be embedded ({len(entries)} failed; the first: {first})")
    results = score_split(split, embeddings.vectors, camera_adapt=camera_adapt)
    report = build_report(Path(dataset), split, results, embeddings)
    files = write_outputs(report, results, out_dir)
    return Evaluation(report, results, split, embeddings, files, data.ignored)
