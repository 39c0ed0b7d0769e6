"""Body proportions: how long a walker's limbs and trunk are, as fractions of their height.

Bones do not change with pace, with a bag or a coat, or between two walks of one person, and they
differ between people; the walk statistics (:mod:`gaitcli.features.walk_statistics`) hold them
only mixed with posture and motion. :func:`walk_proportions` measures them directly: for each of
:data:`SEGMENTS`, the median over the walk's frames of its length in the image (left and right
averaged where the body has two), divided by the median height (head top to the ankles' mean).
Averaging the sides makes them the same for a walk and its mirror image, whichever way the walker
faces.

They are the fifth input block of a ``walk-discriminant-v5`` head (:mod:`gaitcli.gait.discriminant`),
standardised by a synthetic background population; training and inference both call
:func:`walk_proportions`. A segment foreshortened by the view (an arm swung toward the camera, a
walk seen from the front) is shorter in the image: the median over a walk keeps most of its
length, and the gallery compares walks of one camera.
"""

from __future__ import annotations

import numpy as np

from gaitcli.constants import (
    HEAD_TOP, L_ANKLE, L_ELBOW, L_HIP, L_KNEE, L_SHOULDER, L_WRIST, PELVIS, R_ANKLE, R_ELBOW, R_HIP, R_KNEE,
    R_SHOULDER, R_WRIST, THORAX, UPPER_NECK,
)  # fmt: skip
from gaitcli.features.sequence import PreparedWalk

PROPORTIONS_VERSION = "body-proportions-v1"
#: (name, the joint pairs whose lengths are averaged), in the order of the numbers.
SEGMENTS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("thigh", ((R_HIP, R_KNEE), (L_HIP, L_KNEE))),
    ("shin", ((R_KNEE, R_ANKLE), (L_KNEE, L_ANKLE))),
    ("upper arm", ((R_SHOULDER, R_ELBOW), (L_SHOULDER, L_ELBOW))),
    ("forearm", ((R_ELBOW, R_WRIST), (L_ELBOW, L_WRIST))),
    ("trunk", ((PELVIS, THORAX),)),
    ("shoulder width", ((R_SHOULDER, L_SHOULDER),)),
    ("hip width", ((R_HIP, L_HIP),)),
    ("neck", ((THORAX, UPPER_NECK),)),
    ("head", ((UPPER_NECK, HEAD_TOP),)),
)
PROPORTIONS_SIZE = len(SEGMENTS)


def walk_proportions(walk: PreparedWalk) -> np.ndarray:
    """The walk's :data:`PROPORTIONS_SIZE` proportions (float64), see the module docstring."""
    joints = np.concatenate(walk.joints)  # (T, 16, 3): y, x, probability at the canonical rate
    ys, xs = joints[..., 0], joints[..., 1]
    height = float(np.median(ys[:, [R_ANKLE, L_ANKLE]].mean(axis=1) - ys[:, HEAD_TOP]))
    if not np.isfinite(height) or height <= 0:
        raise ValueError("a walk needs its head top above its ankles to measure its proportions")
    lengths = [np.mean([np.median(np.hypot(ys[:, a] - ys[:, b], xs[:, a] - xs[:, b])) for a, b in pairs])
               for _, pairs in SEGMENTS]
    return np.asarray(lengths, dtype=np.float64) / height
