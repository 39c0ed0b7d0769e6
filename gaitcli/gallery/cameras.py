"""Camera adaptation: taking out of a walk's vector what its camera puts into every walk.

A gait vector holds the person *and* the view: walks of two different people seen by one camera
are often closer than one person's walks seen by two cameras. Much of the view's part is the same
for everybody seen by that camera, so it can be measured without knowing who anybody is: it is
the **mean** of the unit vectors of walks that camera saw (anyone's walks). Moving a probe from
camera B into the gallery's camera A is then

    p' = unit(p) - mean_B + mean_A

where ``mean_A`` is the mean of the gallery's own walks (the gallery's camera). Within one camera
this changes nothing (the gallery's classifier is centred already); across cameras it is what
turns near-chance matching into usable matching (see ``docs/model-card.md``). The means are of
*other* people's walks too, so each is an estimate: ten or more walks from a camera, of several
people, are enough on the real walks measured.

:class:`CameraProfile` is a camera's mean and how many walks made it, as the gallery file keeps
it; :func:`to_reference` applies the shift; :func:`view_means` / :func:`centred_by_view` do the
same for an evaluation whose walks carry their views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

#: fewer walks than this from a camera give a noisy mean; the commands warn
MIN_CAMERA_WALKS = 10


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float64); zero rows stay zero."""
    array = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    return array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-12)


def unit_mean(vectors: np.ndarray) -> np.ndarray:
    """The mean of the rows' unit vectors: what the walks share."""
    return unit_rows(vectors).mean(axis=0)


@dataclass
class CameraProfile:
    """What one camera puts into every walk it sees: the mean of its walks' unit vectors."""

    mean: np.ndarray  # (D,) float32
    walks: int
    updated: str = ""

    def added(self, vectors: np.ndarray, updated: str = "") -> "CameraProfile":
        """This profile with more walks of the camera folded into its mean."""
        vectors = unit_rows(vectors)
        total = self.walks + len(vectors)
        mean = (self.mean.astype(np.float64) * self.walks + vectors.sum(axis=0)) / total
        return CameraProfile(mean.astype(np.float32), total, updated)

    @classmethod
    def of(cls, vectors: np.ndarray, updated: str = "") -> "CameraProfile":
        return cls(unit_mean(vectors).astype(np.float32), len(np.atleast_2d(vectors)), updated)

    def to_dict(self) -> dict:
        return {"mean": np.ascontiguousarray(self.mean, dtype=np.float32), "walks": int(self.walks), "updated": self.updated}

    @classmethod
    def from_dict(cls, data: Mapping, dim: int) -> "CameraProfile":
        mean = np.asarray(data["mean"], dtype=np.float32)
        walks = int(data["walks"])
        if mean.shape != (dim,) or walks < 1 or not np.all(np.isfinite(mean)):
            raise ValueError("malformed camera profile")
        return cls(mean, walks, str(data.get("updated", "")))


def to_reference(vectors: np.ndarray, camera_mean: np.ndarray, reference_mean: np.ndarray) -> np.ndarray:
    """``vectors`` seen by a camera whose walks average ``camera_mean``, moved to the camera whose
    walks average ``reference_mean``: ``unit(v) - camera_mean + reference_mean`` (float32)."""
    return (unit_rows(vectors) - camera_mean + reference_mean).astype(np.float32)


def view_means(vectors: np.ndarray, views: Sequence[str]) -> dict[str, np.ndarray]:
    """The mean unit vector of the walks of each view (a view: a camera)."""
    views = np.asarray(views)
    return {view: unit_mean(vectors[views == view]) for view in dict.fromkeys(views.tolist())}


def centred_by_view(vectors: np.ndarray, views: Sequence[str]) -> np.ndarray:
    """Every vector's unit vector minus the mean of its view's walks: all views moved to a common
    reference (their shared centre), for matching across views."""
    means = view_means(vectors, views)
    return (unit_rows(vectors) - np.stack([means[v] for v in views])).astype(np.float32)
