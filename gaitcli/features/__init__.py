"""Spatial features: what the gait network sees of each frame (17 x 17 x 32)."""

from gaitcli.features.joint_maps import (
    GRID_EXTENT,
    LIMB_SIGMA,
    JOINT_SIGMA,
    joint_maps,
    person_reference,
    smooth_references,
)

__all__ = [
    "GRID_EXTENT",
    "JOINT_SIGMA",
    "LIMB_SIGMA",
    "joint_maps",
    "person_reference",
    "smooth_references",
]
