"""Walk statistics: how a walker's joints are spread over a whole walk, in their own frame.

A prepared walk's joints (:class:`~gaitcli.features.sequence.PreparedWalk`) are put in the
person frame the joint maps use (:func:`gaitcli.features.joint_maps.person_frame`: pelvis
centre smoothed over time, one torso length as the unit, every walk going left to right, legs
ordered front first). Over all frames of all segments, each joint's vertical and horizontal
coordinate is summarised by its mean, standard deviation and 10th, 90th, 25th, 50th and 75th
percentiles, 16 numbers each (one per joint, in the seed's joint order):

``[mean y, mean x, sd y, sd x, p10 y, p90 y, p10 x, p90 x, p25 y, p50 y, p75 y, p25 x, p50 x, p75 x]``

224 numbers that carry body proportions (where the joints sit on average) and the extent and
shape of the motion (how far the limbs swing and the body bobs), in a fixed order named by
:data:`STATISTICS_VERSION`. They are one of the two inputs of a gait checkpoint's discriminant
head (:mod:`gaitcli.gait.discriminant`); training and inference both call :func:`walk_statistics`.
"""

from __future__ import annotations

import numpy as np

from gaitcli.constants import NUM_JOINTS
from gaitcli.features.joint_maps import person_frame
from gaitcli.features.sequence import PreparedWalk

STATISTICS_VERSION = "walk-stats-v1"
STATISTICS_SIZE = 14 * NUM_JOINTS


def joint_columns(joints, size: int = STATISTICS_SIZE) -> np.ndarray:
    """(size,) bool: the statistics that describe ``joints`` (seed indices): every 16th number
    belongs to the same joint."""
    return np.isin(np.arange(size) % NUM_JOINTS, np.asarray(sorted(joints), dtype=np.int64))


def walk_statistics(walk: PreparedWalk) -> np.ndarray:
    """The walk's :data:`STATISTICS_SIZE` statistics (float64), see the module docstring."""
    ys, xs = [], []
    for joints, reference in zip(walk.joints, walk.references):
        jy, jx, _, valid = person_frame(joints[..., 0], joints[..., 1], joints[..., 2], reference, walk.mirrored)
        ys.append(jy[valid])
        xs.append(jx[valid])
    jy, jx = np.concatenate(ys), np.concatenate(xs)
    if len(jy) == 0:
        raise ValueError("a walk needs at least one frame with a usable torso")
    parts = [jy.mean(0), jx.mean(0), jy.std(0), jx.std(0)]
    parts += [*np.percentile(jy, [10, 90], axis=0), *np.percentile(jx, [10, 90], axis=0)]
    parts += [*np.percentile(jy, [25, 50, 75], axis=0), *np.percentile(jx, [25, 50, 75], axis=0)]
    return np.concatenate(parts)
