"""Body proportions: how long a walker's limbs and trunk are, as fractions of their height.

Bones do not change with pace, with a bag or a coat, or between two walks of one person, and they
differ between people; the walk statistics (:mod:`gaitcli.features.walk_statistics`) hold them
only mixed with posture and motion. :func:`walk_proportions` measures them directly: for each of
:data:`SEGMENTS`, the median over the walk's frames of its length in the image (left and right
averaged where the body has two), divided by the median height (head top to the ankles' mean).
Averaging the sides makes them the same for a walk and its mirror image, whichever way the walker
faces.

They are the fifth input block of a ``walk-discriminant-v5`` head (:mod:`gaitcli.gait.discriminant`),
standardised by a synthetic background population; training and inference both take them from
:func:`gaitcli.gait.head_inputs.head_inputs`. A segment foreshortened by the view (an arm swung toward the camera, a
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
    """The walk's :data:`PROPORTIONS_SIZE` proportions (float64), see the module docstring.

    A joint with probability 0 is missing (a keypoint file's convention: its coordinates mean
    nothing) and is left out of the frames it is missing in. A segment never seen in the walk, or
    every segment when the height cannot be measured (no head top above the ankles, e.g. a camera
    that crops the head), is NaN: the head then reads it as the population's mean."""
    joints = np.concatenate(walk.joints)  # (T, 16, 3): y, x, probability at the canonical rate
    ys, xs, seen = joints[..., 0], joints[..., 1], joints[..., 2] > 0
    feet = ys[:, [R_ANKLE, L_ANKLE]]
    feet_seen = seen[:, [R_ANKLE, L_ANKLE]]
    with np.errstate(invalid="ignore"):
        ankle_y = np.where(feet_seen.all(axis=1), feet.mean(axis=1), np.where(feet_seen[:, 0], feet[:, 0], feet[:, 1]))
        heights = (ankle_y - ys[:, HEAD_TOP])[feet_seen.any(axis=1) & seen[:, HEAD_TOP]]
    height = float(np.median(heights)) if len(heights) else float("nan")
    if not (np.isfinite(height) and height > 0):
        return np.full(PROPORTIONS_SIZE, np.nan)
    lengths = []
    for _, pairs in SEGMENTS:
        sides = [np.median(np.hypot(ys[both, a] - ys[both, b], xs[both, a] - xs[both, b]))
                 for a, b in pairs for both in [seen[:, a] & seen[:, b]] if both.any()]
        lengths.append(np.mean(sides) if sides else np.nan)
    return np.asarray(lengths, dtype=np.float64) / height
