"""Identification and verification metrics over identification vectors.

* **Matching score**: cosine similarity of the L2-normalised vectors (the dot product of
  unit vectors, in [-1, 1]; higher = more alike). gaitcli's vectors are L2-normalised
  already; vectors loaded from elsewhere are normalised here.
* **Rank / CMC** (identification, closed set): each gallery *identity* scores its best walk
  (nearest neighbour); a probe's rank is 1 + the number of other identities that score at
  least as high as its true identity (ties count against the probe). CMC(k) is the fraction
  of probes with rank <= k; rank-1 and rank-5 are CMC(1) and CMC(5). A probe whose identity
  has no walk in the gallery it is matched against is never found.
* **mAP**: a probe's average precision over the gallery *walks* ranked by score
  (``sklearn.metrics.average_precision_score``: the precision at each recall step, weighted by
  the step; walks with equal scores count as one step, at its end), averaged over the probes
  that have such walks.
* **Verification**: every probe-gallery walk pair is a *genuine* (same subject) or an
  *impostor* score. At threshold t a pair is accepted when its score >= t:
  FAR(t) = accepted impostors / impostors, FRR(t) = rejected genuines / genuines,
  TAR = 1 - FRR. The ROC (``sklearn.metrics.roc_curve``) runs over every distinct score as t;
  the **EER** is where FAR equals FRR, interpolated linearly between the two thresholds around
  the crossing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float64); all-zero rows stay zero."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def cosine_similarity(probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """(P, G) cosine similarities between the rows of ``probes`` (P, D) and ``gallery`` (G, D)."""
    return l2_normalise(probes) @ l2_normalise(gallery).T


def identity_ranks(scores: np.ndarray, probe_labels, gallery_labels) -> np.ndarray:
    """(P,) rank of each probe's true identity (1 = best; ``inf`` when it is not in the gallery).

    ``scores`` is (P, G); an identity's score is the best of its gallery walks.
    """
    scores = np.asarray(scores, dtype=np.float64)
    probe_labels = np.asarray(probe_labels)
    gallery_labels = np.asarray(gallery_labels)
    identities = np.unique(gallery_labels)
    ranks = np.full(len(probe_labels), np.inf)
    if len(identities) == 0 or len(probe_labels) == 0:
        return ranks
    per_identity = np.stack([scores[:, gallery_labels == ident].max(axis=1) for ident in identities], axis=1)
    index = {ident: k for k, ident in enumerate(identities.tolist())}
    for i, label in enumerate(probe_labels.tolist()):
        k = index.get(label)
        if k is None:
            continue
        row = per_identity[i]
        ranks[i] = np.count_nonzero(row >= row[k])  # itself + every other identity at least as good
    return ranks


def ranked_first(scores: np.ndarray, probe_labels, gallery_labels) -> np.ndarray:
    """(P,) bool: each probe's true identity ranks first (:func:`identity_ranks` == 1) — the one
    rank-1 of gaitcli (evaluation, training validation, simulated galleries)."""
    return identity_ranks(scores, probe_labels, gallery_labels) == 1


def cmc_curve(ranks: np.ndarray, max_rank: int) -> np.ndarray:
    """(max_rank,) fraction of probes whose rank is <= k, for k = 1 .. max_rank."""
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.size == 0:
        return np.zeros(max_rank)
    k = np.arange(1, max_rank + 1)
    return (ranks[None, :] <= k[:, None]).mean(axis=1)


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> float:
    """Average precision of one ranking (``sklearn.metrics.average_precision_score``); ``nan``
    when nothing is relevant."""
    relevant = np.asarray(relevant, dtype=bool).ravel()
    if not relevant.any():
        return float("nan")
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(relevant, np.asarray(scores, dtype=np.float64).ravel()))


def mean_average_precision(scores: np.ndarray, probe_labels, gallery_labels) -> float:
    """Mean of :func:`average_precision` over the probes whose identity is in the gallery (``nan`` if none)."""
    gallery_labels = np.asarray(gallery_labels)
    aps = [
        average_precision(row, gallery_labels == label)
        for row, label in zip(np.asarray(scores), np.asarray(probe_labels).tolist())
    ]
    aps = [ap for ap in aps if not np.isnan(ap)]
    return float(np.mean(aps)) if aps else float("nan")


@dataclass
class RocCurve:
    """FAR and TAR at each threshold (thresholds ascending, so FAR and TAR descend)."""

    thresholds: np.ndarray
    far: np.ndarray
    tar: np.ndarray
    eer: float
    genuine: int  # number of genuine pairs
    impostor: int  # number of impostor pairs

    def thinned(self, max_points: int = 500) -> "RocCurve":
        """The same curve with at most about ``max_points`` points (for plots and JSON).

        Kept: both ends, the first point at or below each of ``max_points / 2`` FAR levels
        spaced evenly on a log scale, and at or below each of as many evenly spaced TAR levels
        — so the curve keeps its shape on linear and logarithmic FAR axes.
        """
        n = len(self.far)
        if n <= max_points:
            return self
        m = max_points // 2
        lowest = self.far[self.far > 0].min()
        far_levels = np.logspace(np.log10(lowest), 0.0, m)
        tar_levels = np.linspace(0.0, 1.0, m)
        keep = np.concatenate(
            [
                [0, n - 1],
                np.searchsorted(-self.far, -far_levels, side="left"),
                np.searchsorted(-self.tar, -tar_levels, side="left"),
            ]
        )
        keep = np.unique(np.clip(keep, 0, n - 1))
        return RocCurve(self.thresholds[keep], self.far[keep], self.tar[keep], self.eer, self.genuine, self.impostor)


def roc_curve(genuine: np.ndarray, impostor: np.ndarray) -> RocCurve:
    """The ROC of genuine and impostor scores, and its EER (both need at least one score)."""
    gen = np.asarray(genuine, dtype=np.float64).ravel()
    imp = np.asarray(impostor, dtype=np.float64).ravel()
    if gen.size == 0 or imp.size == 0:
        raise ValueError("a ROC needs at least one genuine and one impostor score")
    from sklearn.metrics import roc_curve as sklearn_roc

    scores = np.concatenate([gen, imp])
    truth = np.concatenate([np.ones(gen.size, bool), np.zeros(imp.size, bool)])
    far, tar, _ = sklearn_roc(truth, scores, drop_intermediate=False)  # thresholds descending from +inf
    far, tar = far[::-1], tar[::-1]
    thresholds = np.append(np.unique(scores), np.inf)  # ascending, as far and tar now are
    return RocCurve(thresholds, far, tar, _eer(far, 1.0 - tar), int(gen.size), int(imp.size))


def equal_error_rate(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """The rate at which FAR equals FRR (0 for perfectly separated scores)."""
    return roc_curve(genuine, impostor).eer


def _eer(far: np.ndarray, frr: np.ndarray) -> float:
    # FAR - FRR falls from 1 (lowest threshold: everything accepted) to -1 (t = inf)
    diff = far - frr
    i = int(np.argmax(diff <= 0))
    if diff[i] == 0 or i == 0:
        return float(far[i])
    alpha = diff[i - 1] / (diff[i - 1] - diff[i])
    return float(far[i - 1] + alpha * (far[i] - far[i - 1]))
