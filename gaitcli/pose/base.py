"""What every pose engine provides (the seed's HumanPoseNN interface).

Images everywhere in the API are RGB ``uint8`` arrays shaped (H, W, 3) (a batch is a list
of them or one (B, H, W, 3) array). Coordinates are in the input image's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

import numpy as np


@dataclass
class Pose:
    """One person's 16 joints in one image (seed order, see gaitcli.constants.JOINT_NAMES)."""

    coords_y: np.ndarray  # (16,) float, image pixels
    coords_x: np.ndarray  # (16,) float, image pixels
    probabilities: np.ndarray  # (16,) float in [0, 1]
    score: float = 1.0  # the engine's confidence that this is a person
    box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 in image pixels
    extras: dict = field(default_factory=dict)  # engine-specific (e.g. raw landmarks)


@runtime_checkable
class PoseEstimator(Protocol):
    """The seed's HumanPoseNN methods, which every engine implements."""

    #: Name of the spatial-feature space this engine's ``feed_forward_features`` produces
    #: (a gait checkpoint records it and refuses another).
    feature_space: str

    def joint_positions(self, images: Sequence[np.ndarray] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(coords_y, coords_x, probabilities), each shaped (B, 16)."""
        ...

    def heat_maps(self, images: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """(B, H, W, 16) joint heat maps."""
        ...

    def feed_forward_features(self, frames: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """(B, 17, 17, 32) per-frame spatial features for the gait network."""
        ...

    def poses(self, image: np.ndarray, max_people: int | None = 1) -> list[Pose]:
        """People in one image, most prominent first; all of them when ``max_people`` is None.

        An empty list means no person was found.
        """
        ...
