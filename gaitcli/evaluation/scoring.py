"""A protocol's numbers: CMC, mAP and ROC per condition, per probe view and overall.

* **Cross-view protocols** (CASIA-B): the probes of one view are matched against the gallery
  walks of each *other* view separately; the probe view's CMC and mAP are the means over
  those gallery views, a condition's the means over its probe views (the field's "identical
  views excluded" tables). Verification pairs are all probe-gallery pairs of different views.
* **Other protocols**: every probe is matched against the whole gallery; a condition's numbers
  pool its probes, and per-view numbers (when names carry views) pool the probes of each view.
* **Camera adaptation** (default, when the walk names carry views, 10 or more walks each): before matching, each
  view's mean vector is taken out of that view's walks (no names used; see
  :mod:`gaitcli.gallery.cameras`).
* **Overall** CMC and mAP are the means over conditions (each condition weighs the same, as
  published tables report them); the overall ROC and EER pool every verification pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from gaitcli.evaluation.metrics import RocCurve, cmc_curve, cosine_similarity, identity_ranks, mean_average_precision, roc_curve
from gaitcli.evaluation.protocols import Split


@dataclass
class ViewResult:
    """The numbers of one probe view within a condition."""

    probes: int
    cmc: np.ndarray
    mean_ap: float
    #: cross-view only: rank-1 against the gallery of each other view
    gallery_views: dict[str, float] = field(default_factory=dict)


@dataclass
class ConditionResult:
    """The numbers of one probe condition (e.g. CASIA-B's BG)."""

    name: str
    probes: int
    cmc: np.ndarray
    mean_ap: float
    roc: RocCurve | None  # None when the condition has no genuine or no impostor pair
    views: dict[str, ViewResult] = field(default_factory=dict)


@dataclass
class Results:
    """All numbers of one evaluation."""

    conditions: list[ConditionResult]
    cmc: np.ndarray  # overall: the mean over conditions
    mean_ap: float
    roc: RocCurve | None  # every verification pair
    gallery_identities: int
    gallery_walks: int
    probe_walks: int
    cross_view: bool
    camera_adaptation: str = "off"  # whether each view's mean was taken out of its walks (score_split), or why not

    @property
    def camera_adapted(self) -> bool:
        return self.camera_adaptation.startswith("applied")


def rank(cmc: np.ndarray, k: int) -> float:
    """Rank-k identification rate from a CMC curve (k beyond its end: its last value)."""
    return float(cmc[min(k, len(cmc)) - 1])


def score_split(split: Split, vectors: Mapping[Path, np.ndarray], *, camera_adapt: bool = True) -> Results:
    """Match the split's probes against its gallery; walks missing from ``vectors`` are left out.

    ``camera_adapt`` (when every walk's name carries its view and every view has at least
    ``MIN_CAMERA_WALKS`` walks): each vector's unit vector minus the mean of all the walks of
    its view, gallery and probes alike, before the cosine
    (:func:`gaitcli.gallery.cameras.centred_by_view`): what one view puts into every walk is
    taken out, using no names. Across views this is what makes matching work."""
    gallery = [e for e in split.gallery if e.walk.path in vectors]
    probes = [e for e in split.probes if e.walk.path in vectors]
    if not gallery or not probes:
        raise ValueError("score_split needs at least one gallery and one probe vector")
    g_label = np.array([e.subject for e in gallery])
    p_label = np.array([e.subject for e in probes])
    g_view = np.array([e.view or "" for e in gallery])
    p_view = np.array([e.view or "" for e in probes])
    p_vectors = np.stack([vectors[e.walk.path] for e in probes])
    g_vectors = np.stack([vectors[e.walk.path] for e in gallery])
    from gaitcli.gallery.cameras import MIN_CAMERA_WALKS, centred_by_view

    views, counts = np.unique(np.concatenate([p_view, g_view]), return_counts=True)
    if not camera_adapt:
        how = "off"
    elif "" in views:
        how = "not applied: the walk names carry no views"
    elif int(counts.min()) < MIN_CAMERA_WALKS:
        how = f"not applied: view {views[counts.argmin()]} has {int(counts.min())} walks (each view needs {MIN_CAMERA_WALKS})"
    else:
        how = "applied: each view's mean vector taken out of its walks"
    if how.startswith("applied"):
        both = centred_by_view(np.concatenate([p_vectors, g_vectors]), np.concatenate([p_view, g_view]).tolist())
        p_vectors, g_vectors = both[: len(probes)], both[len(probes) :]
    scores = cosine_similarity(p_vectors, g_vectors)
    p_condition = np.array([e.condition for e in probes])
    n_identities = len(np.unique(g_label))
    all_columns = np.arange(len(gallery))

    def cell(rows: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, float]:
        sub = scores[np.ix_(rows, columns)]
        ranks = identity_ranks(sub, p_label[rows], g_label[columns])
        return cmc_curve(ranks, n_identities), mean_average_precision(sub, p_label[rows], g_label[columns])

    conditions: list[ConditionResult] = []
    genuine_all: list[np.ndarray] = []
    impostor_all: list[np.ndarray] = []
    for name in split.conditions:
        rows = np.flatnonzero(p_condition == name)
        if rows.size == 0:
            continue
        views: dict[str, ViewResult] = {}
        for view in sorted(set(p_view[rows].tolist()) - {""}):
            view_rows = rows[p_view[rows] == view]
            if split.cross_view:
                cells = {gv: cell(view_rows, np.flatnonzero(g_view == gv)) for gv in sorted(set(g_view.tolist()) - {view})}
                if cells:
                    views[view] = ViewResult(
                        len(view_rows),
                        np.mean([c for c, _ in cells.values()], axis=0),
                        _nanmean([ap for _, ap in cells.values()]),
                        {gv: float(c[0]) for gv, (c, _) in cells.items()},
                    )
            else:
                views[view] = ViewResult(len(view_rows), *cell(view_rows, all_columns))
        if split.cross_view:
            if not views:
                continue
            cmc = np.mean([v.cmc for v in views.values()], axis=0)
            mean_ap = _nanmean([v.mean_ap for v in views.values()])
            pairs = p_view[rows][:, None] != g_view[None, :]
        else:
            cmc, mean_ap = cell(rows, all_columns)
            pairs = np.ones((rows.size, len(gallery)), dtype=bool)
        same = p_label[rows][:, None] == g_label[None, :]
        genuine, impostor = scores[rows][same & pairs], scores[rows][~same & pairs]
        genuine_all.append(genuine)
        impostor_all.append(impostor)
        conditions.append(ConditionResult(name, int(rows.size), cmc, mean_ap, _roc(genuine, impostor), views))
    if not conditions:
        raise ValueError("no probe could be matched against a gallery")
    return Results(
        conditions=conditions,
        cmc=np.mean([c.cmc for c in conditions], axis=0),
        mean_ap=_nanmean([c.mean_ap for c in conditions]),
        roc=_roc(np.concatenate(genuine_all), np.concatenate(impostor_all)),
        gallery_identities=n_identities,
        gallery_walks=len(gallery),
        probe_walks=len(probes),
        cross_view=split.cross_view,
        camera_adaptation=how,
    )


def _roc(genuine: np.ndarray, impostor: np.ndarray) -> RocCurve | None:
    return roc_curve(genuine, impostor) if genuine.size and impostor.size else None


def _nanmean(values) -> float:
    finite = [v for v in values if not np.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")
