"""One walk -> the inputs of a discriminant head: its walk statistics, its network vector and its
body proportions (:mod:`gaitcli.features.proportions`; read by ``walk-discriminant-v5`` heads).

Training and inference both call :func:`head_inputs`, so the head is fitted on, standardised by
and applied to inputs computed one way.

**Walks toward or away from the camera** (a head with ``axial_mirror``, ``walk-discriminant-v4``).
The pipeline turns every walk so that it goes left to right, judged by its travel across the image
(:mod:`gaitcli.features.sequence`). A walk toward or away from the camera hardly crosses the
image, so nothing turns it round, and seen from behind a walk looks like the same walk seen from
the front reflected left to right with every joint keeping its label
(:meth:`~gaitcli.features.sequence.PreparedWalk.mirror_image`). For such walks the head's inputs
are the average of the walk's and its mirror image's, so the vector no longer depends on which
way the walker faces: a person enrolled walking toward a camera can be found walking away from
it, and a pose engine's left/right confusion on people seen from the front or back stops
mattering. How much of the mirror image goes in follows the walk's :attr:`lateral_speed
<gaitcli.features.sequence.PreparedWalk.lateral_speed>` (torso lengths per second across the
image, either way; about 1.8 past a side camera, about 0.1 toward it): half below the first of
the two ``axial_mirror`` speeds, none above the second, linearly between. A walk across the
image (either way, or across and back) keeps its vector exactly.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from gaitcli.features.sequence import PreparedWalk
from gaitcli.gait.embedding import ForwardBatch, identification_vector


def mirror_weight(lateral_speed: float, axial_mirror: Sequence[float] | None) -> float:
    """How much of the walk's mirror image goes into its head inputs: 0.5 at or below
    ``axial_mirror[0]`` torso lengths per second across the image, 0 at or above
    ``axial_mirror[1]``, linear between; always 0 without ``axial_mirror``."""
    if axial_mirror is None:
        return 0.0
    full, none = (float(v) for v in axial_mirror)
    if lateral_speed >= none:
        return 0.0
    if lateral_speed <= full:
        return 0.5
    return 0.5 * (none - lateral_speed) / (none - full)


def head_inputs(forward_batch: ForwardBatch, walk: PreparedWalk,
                axial_mirror: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(walk statistics, network vector, body proportions)`` of ``walk`` (float64, float32,
    float64), the first two averaged with its mirror image's as :func:`mirror_weight` says (see the
    module docstring); the proportions average left and right, so a mirror image has the same."""
    from gaitcli.features.proportions import walk_proportions
    from gaitcli.features.walk_statistics import walk_statistics

    stats = walk_statistics(walk)
    vector = identification_vector(forward_batch, walk)
    weight = mirror_weight(walk.lateral_speed, axial_mirror)
    if weight > 0.0:
        twin = walk.mirror_image()
        stats = (1.0 - weight) * stats + weight * walk_statistics(twin)
        vector = ((1.0 - weight) * vector + weight * identification_vector(forward_batch, twin)).astype(np.float32)
    return stats, vector, walk_proportions(walk)
