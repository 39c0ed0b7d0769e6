"""Pinhole cameras that film a synthetic walk from the side, and what each joint looks like to them.

World frame (as in :mod:`gaitcli.synth.walker`): metres, ``y`` up, the floor at ``y = 0``, walks
run along ``x``. A *side camera* stands on the ``+z`` side of the path and looks towards ``-z``
at the middle of the walk, so with ``yaw_deg = 0`` it sees a true profile (image ``x`` grows
with world ``x``: a walk with ``direction = +1`` goes left to right). ``yaw_deg`` swings the
camera about the vertical through the middle of the path (positive: the camera moves towards
``+x``, so a ``+1`` walker comes slightly towards it and shows more of the front).

Image coordinates are pixels with ``x`` to the right and ``y`` downwards, origin at the top-left
pixel's corner, as every pose engine reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitcli.constants import (
    HEAD_TOP,
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    MIRROR_JOINTS,
    NUM_JOINTS,
    PELVIS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    THORAX,
    UPPER_NECK,
)

#: Body parts as capsules (joint a, joint b, radius as a fraction of stature) used to decide
#: which joints hide behind the body: trunk, head, thighs, shanks, upper arms, forearms.
_OCCLUDERS: tuple[tuple[int, int, float], ...] = (
    (PELVIS, THORAX, 0.085),
    (UPPER_NECK, HEAD_TOP, 0.055),
    (R_HIP, R_KNEE, 0.055),
    (L_HIP, L_KNEE, 0.055),
    (R_KNEE, R_ANKLE, 0.040),
    (L_KNEE, L_ANKLE, 0.040),
    (R_SHOULDER, R_ELBOW, 0.035),
    (L_SHOULDER, L_ELBOW, 0.035),
    (R_ELBOW, R_WRIST, 0.030),
    (L_ELBOW, L_WRIST, 0.030),
)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: ``position`` (3,) in the world, ``rotation`` (3, 3) whose rows are the
    camera's right, down and forward axes in world coordinates, ``focal_px`` and ``image_size``
    ``(H, W)``; the principal point is the image centre."""

    position: np.ndarray
    rotation: np.ndarray
    focal_px: float
    image_size: tuple[int, int]

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> camera coordinates (..., 3): right, down, forward (depth)."""
        return (np.asarray(points, dtype=np.float64) - self.position) @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (..., 3) -> (pixels (..., 2) as (x, y), depth (...) in metres).

        Points behind the camera (depth <= 0) get NaN pixels.
        """
        cam = self.to_camera(points)
        depth = cam[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            safe = np.where(depth > 1e-6, depth, np.nan)
            x = self.focal_px * cam[..., 0] / safe + self.image_size[1] / 2.0
            y = self.focal_px * cam[..., 1] / safe + self.image_size[0] / 2.0
        return np.stack([x, y], axis=-1), depth


@dataclass(frozen=True)
class Projection:
    """A walk seen by one camera: ``xy`` (T, 16, 2) pixel ``(x, y)``, ``depth`` (T, 16) metres
    from the camera, ``visibility`` (T, 16) in [0, 1] (1: in plain view; lower: hidden behind
    the body or outside the image), ``far_side`` (T, 16) bool (the limb farther from the camera
    than its mirror partner), and the ``camera``."""

    xy: np.ndarray
    depth: np.ndarray
    visibility: np.ndarray
    far_side: np.ndarray
    camera: Camera


def look_at(position, target, image_size: tuple[int, int], focal_px: float) -> Camera:
    """A level-horizon camera at ``position`` aimed at ``target`` (both world (3,), y up)."""
    position = np.asarray(position, dtype=np.float64)
    forward = np.asarray(target, dtype=np.float64) - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    if np.linalg.norm(right) < 1e-9:
        raise ValueError("a look-at camera cannot look straight up or down")
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    return Camera(position, np.stack([right, down, forward]), float(focal_px), (int(image_size[0]), int(image_size[1])))


def side_camera(
    joints: np.ndarray,
    *,
    image_size: tuple[int, int] = (720, 1280),
    yaw_deg: float = 0.0,
    distance_m: float = 6.0,
    height_m: float = 1.3,
    hfov_deg: float = 60.0,
    margin: float = 0.03,
) -> Camera:
    """A camera filming ``joints`` (T, 16, 3) from the side, aimed at the middle of the walk.

    It stands ``distance_m`` from the path's middle (horizontally), ``height_m`` above the
    floor, swung by ``yaw_deg`` about the vertical, and looks at the walker's mid-body. When
    the whole walk would not fit inside the image (``margin`` of the width/height kept clear)
    the camera backs off along its line of sight until it does, as a camera operator would.
    """
    joints = np.asarray(joints, dtype=np.float64)
    _check_joints(joints)
    h, w = int(image_size[0]), int(image_size[1])
    focal = (w / 2.0) / np.tan(np.radians(hfov_deg) / 2.0)
    pelvis = joints[:, PELVIS]
    lo, hi = pelvis.min(axis=0), pelvis.max(axis=0)
    middle = (lo + hi) / 2.0
    body_mid = 0.5 * float(np.median(joints[:, HEAD_TOP, 1]) + 0.0)  # floor is y = 0
    target = np.array([middle[0], body_mid, middle[2]])
    yaw = np.radians(yaw_deg)
    offset = np.array([np.sin(yaw), 0.0, np.cos(yaw)])  # yaw 0: on the +z side
    distance = float(distance_m)
    for _ in range(40):
        position = np.array([target[0], height_m, target[2]]) + distance * offset
        cam = look_at(position, target, (h, w), focal)
        xy, depth = cam.project(joints)
        inside = (
            np.all(depth > 0.3)
            and np.nanmin(xy[..., 0]) >= margin * w
            and np.nanmax(xy[..., 0]) <= (1 - margin) * w
            and np.nanmin(xy[..., 1]) >= margin * h
            and np.nanmax(xy[..., 1]) <= (1 - margin) * h
        )
        if inside:
            return cam
        distance *= 1.1
    return cam


def project_walk(joints: np.ndarray, camera: Camera, *, stature: float | None = None) -> Projection:
    """Project ``joints`` (T, 16, 3) and work out which joints the body hides.

    A joint is hidden (visibility towards 0) where it falls inside the outline of a nearer
    body part (capsules round the trunk, head and limb segments, sized from ``stature``,
    by default the walk's own height) and lies behind it; joints outside the image get 0.
    """
    joints = np.asarray(joints, dtype=np.float64)
    _check_joints(joints)
    xy, depth = camera.project(joints)
    if stature is None:
        stature = float(np.median(joints[:, HEAD_TOP, 1]))
    far = depth > depth[:, list(MIRROR_JOINTS)] + 0.02
    visibility = np.ones(depth.shape)
    for a, b, radius_frac in _OCCLUDERS:
        # pixel radius of the capsule at the depth of its middle
        mid_depth = np.maximum((depth[:, a] + depth[:, b]) / 2.0, 1e-3)
        radius = camera.focal_px * radius_frac * stature / mid_depth  # (T,)
        pa, pb = xy[:, a], xy[:, b]  # (T, 2)
        seg = pb - pa
        seg_len2 = np.maximum((seg**2).sum(-1), 1e-9)
        rel = xy - pa[:, None, :]  # (T, J, 2)
        t = np.clip((rel * seg[:, None, :]).sum(-1) / seg_len2[:, None], 0.0, 1.0)  # (T, J)
        closest = pa[:, None, :] + t[..., None] * seg[:, None, :]
        dist = np.linalg.norm(xy - closest, axis=-1)
        part_depth = depth[:, a, None] + t * (depth[:, b] - depth[:, a])[:, None]
        behind = depth > part_depth + 0.03
        # soft edge: fully hidden well inside the outline, visible from 1.3 radii outwards
        cover = np.clip((1.3 * radius[:, None] - dist) / (0.6 * radius[:, None]), 0.0, 1.0)
        cover = np.where(behind, cover, 0.0)
        cover[:, [a, b]] = 0.0  # a part does not hide its own ends
        visibility = np.minimum(visibility, 1.0 - cover)
    # pelvis and thorax are midpoints (of the hips, of the shoulders), seen as well as those are
    visibility[:, PELVIS] = (visibility[:, R_HIP] + visibility[:, L_HIP]) / 2.0
    visibility[:, THORAX] = (visibility[:, R_SHOULDER] + visibility[:, L_SHOULDER]) / 2.0
    h, w = camera.image_size
    outside = (xy[..., 0] < 0) | (xy[..., 0] > w) | (xy[..., 1] < 0) | (xy[..., 1] > h) | ~np.isfinite(xy).all(-1)
    visibility[outside] = 0.0
    return Projection(xy=xy, depth=depth, visibility=visibility, far_side=far, camera=camera)


def _check_joints(joints: np.ndarray) -> None:
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"joints must be shaped (T, {NUM_JOINTS}, 3); got {joints.shape}")
