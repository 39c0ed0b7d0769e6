"""Joint maps: the spatial features of the pose engines that output joints (BlazePose).

The seed's pose network gave the gait network a learned 17 x 17 x 32 feature map per frame.
An engine that outputs joints instead renders an equally shaped map from them, defined
exactly here (training and inference both call this code, so their features cannot drift):

* **Person frame.** Joints are expressed relative to a *reference* ``(cy, cx, scale)`` per
  frame: the centre is the pelvis and the unit is the torso length (pelvis to thorax). For a
  sequence, :func:`smooth_references` smooths the centre over time and takes one robust
  scale, so the body's own bob and sway survive normalisation while position and size do not.
* **Grid.** 17 x 17 cells covering a square of ``GRID_EXTENT`` (4.0) torso lengths centred
  on the reference centre: cell ``(r, c)`` sits at ``((r - 8) * s, (c - 8) * s)`` with
  ``s = GRID_EXTENT / 17``, rows growing downwards as in the image.  A person of normal
  proportions spans about -1.7 (head top) .. +1.7 (ankles) torso lengths vertically.
* **Channels 0-15: joint Gaussians**, one per joint in :data:`~gaitcli.constants.JOINT_NAMES`
  order: ``p * exp(-d^2 / (2 * JOINT_SIGMA^2))`` with ``d`` the distance from the cell centre
  to the joint in cells and ``p`` the joint's probability.
* **Channels 16-31: limb maps**, one per bone in :data:`~gaitcli.constants.SKELETON_EDGES`
  order: ``min(p_a, p_b) * exp(-d^2 / (2 * LIMB_SIGMA^2))`` with ``d`` the distance from the
  cell centre to the bone's segment in cells.
* **Mirroring.** ``mirror=True`` reflects x about the centre and swaps left and right joints
  (:data:`~gaitcli.constants.MIRROR_JOINTS`), used to make every walk go left-to-right: a walk
  seen from the person's right side then looks like one seen from their left, so the limbs
  nearer the camera (seen better, occluded less) land in the same channels whichever way the
  person walked.
* **Legs by position, not by label** (``joint-maps-v2``). In profile the two legs look alike
  and pose engines confuse them: BlazePose labels the legs the wrong way round in 13-53 % of the
  frames of the sample clips where the feet are apart. So the leg channels do not follow the
  engine's left/right labels: per frame, the leg whose knee and ankle lie further along +x
  (ahead, for a walk going left-to-right after mirroring) fills the right-leg channels (right
  hip, knee, ankle) and the other leg the left-leg ones — hip, knee and ankle move together, so
  the limb maps stay whole legs. Arms keep their labels.

All values lie in [0, 1]; the output is float32, shaped (B, 17, 17, 32).
"""

from __future__ import annotations

import numpy as np

from gaitcli.constants import (
    FEATURE_SIZE,
    L_ANKLE,
    L_HIP,
    L_KNEE,
    MIRROR_JOINTS,
    NUM_JOINTS,
    PELVIS,
    R_ANKLE,
    R_HIP,
    R_KNEE,
    SKELETON_EDGES,
    THORAX,
)

GRID_EXTENT = 4.0  # side of the grid square, in torso lengths
JOINT_SIGMA = 1.0  # joint Gaussian std, in cells
LIMB_SIGMA = 0.75  # limb map std, in cells
MIN_PROBABILITY = 0.05  # joints below this probability do not place the reference

_EDGES = np.asarray(SKELETON_EDGES, dtype=np.int64)
_MIRROR = np.asarray(MIRROR_JOINTS, dtype=np.int64)
_LEGS_SWAPPED = np.arange(NUM_JOINTS)
_LEGS_SWAPPED[[R_HIP, R_KNEE, R_ANKLE, L_HIP, L_KNEE, L_ANKLE]] = [L_HIP, L_KNEE, L_ANKLE, R_HIP, R_KNEE, R_ANKLE]
_CELL_OFFSETS = (np.arange(FEATURE_SIZE, dtype=np.float64) - (FEATURE_SIZE - 1) / 2.0)


def _as_batch(coords_y, coords_x, probs):
    ys = np.atleast_2d(np.asarray(coords_y, dtype=np.float64))
    xs = np.atleast_2d(np.asarray(coords_x, dtype=np.float64))
    ps = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    if not (ys.shape == xs.shape == ps.shape) or ys.shape[-1] != NUM_JOINTS:
        raise ValueError(f"joints must be shaped (B, {NUM_JOINTS}); got {ys.shape}, {xs.shape}, {ps.shape}")
    return ys, xs, ps


def person_reference(coords_y, coords_x, probs) -> np.ndarray:
    """Per-frame reference ``(cy, cx, scale)``, shaped (B, 3): pelvis and torso length.

    Frames whose pelvis or thorax is below :data:`MIN_PROBABILITY` (or whose torso has no
    length) get NaN; :func:`smooth_references` fills them from their neighbours.
    """
    ys, xs, ps = _as_batch(coords_y, coords_x, probs)
    cy, cx = ys[:, PELVIS], xs[:, PELVIS]
    scale = np.hypot(ys[:, THORAX] - cy, xs[:, THORAX] - cx)
    bad = (ps[:, PELVIS] < MIN_PROBABILITY) | (ps[:, THORAX] < MIN_PROBABILITY) | ~(scale > 1e-6)
    ref = np.stack([cy, cx, scale], axis=1)
    ref[bad] = np.nan
    return ref


def smooth_references(references: np.ndarray, window: int = 9) -> np.ndarray:
    """Sequence-level references: centre smoothed by a moving average, one median scale.

    NaN rows (frames without a usable torso) are interpolated from their neighbours.
    Raises ``ValueError`` when no frame has a usable reference.
    """
    ref = np.array(references, dtype=np.float64, copy=True)
    ok = np.isfinite(ref).all(axis=1)
    if not ok.any():
        raise ValueError("no frame has a usable torso (pelvis and thorax)")
    t = np.arange(len(ref))
    for k in range(3):
        ref[:, k] = np.interp(t, t[ok], ref[ok, k])
    if window > 1 and len(ref) > 1:
        w = min(window, len(ref))
        kernel = np.ones(w) / w
        for k in range(2):
            padded = np.pad(ref[:, k], (w // 2, w - 1 - w // 2), mode="edge")
            ref[:, k] = np.convolve(padded, kernel, mode="valid")
    ref[:, 2] = np.median(ref[ok, 2])
    return ref


def right_leg_in_front(jx: np.ndarray) -> np.ndarray:
    """(B,) bool: the right leg is further along +x than the left (knee + ankle; ties: right)."""
    return jx[:, R_KNEE] + jx[:, R_ANKLE] >= jx[:, L_KNEE] + jx[:, L_ANKLE]


def legs_front_first(jy: np.ndarray, jx: np.ndarray, ps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame, put the leg further along +x (knee + ankle) in the right-leg slots (see above).

    ``jy``, ``jx``, ``ps`` are (B, 16) with no NaN; returns re-ordered copies.
    """
    order = np.where(right_leg_in_front(jx)[:, None], np.arange(NUM_JOINTS)[None, :], _LEGS_SWAPPED[None, :])
    return (np.take_along_axis(jy, order, axis=1), np.take_along_axis(jx, order, axis=1), np.take_along_axis(ps, order, axis=1))


def person_frame(coords_y, coords_x, probs, reference=None, mirror: bool = False, unit: float = 1.0):
    """Joints in the person frame described above: ``(jy, jx, ps, valid)``.

    ``jy``, ``jx`` (B, 16) are in ``unit`` torso lengths from the reference centre, mirrored when asked and
    with the legs ordered front first; ``ps`` are the probabilities (0 where a joint is not
    finite); ``valid`` (B,) marks frames with a usable reference (``reference`` is (B, 3)
    ``(cy, cx, scale)``, default :func:`person_reference` per frame; invalid frames are placed at
    the image origin with unit scale and should be ignored).
    """
    ys, xs, ps = _as_batch(coords_y, coords_x, probs)
    batch = ys.shape[0]
    ref = person_reference(ys, xs, ps) if reference is None else np.asarray(reference, dtype=np.float64)
    if ref.shape != (batch, 3):
        raise ValueError(f"reference must be shaped ({batch}, 3); got {ref.shape}")
    valid = np.isfinite(ref).all(axis=1)
    ref = np.where(valid[:, None], ref, np.array([0.0, 0.0, 1.0]))
    jy = (ys - ref[:, :1]) / (ref[:, 2:3] * unit)
    jx = (xs - ref[:, 1:2]) / (ref[:, 2:3] * unit)
    if mirror:  # reflect, and relabel left <-> right (the skeleton's edges map onto themselves)
        jy, jx, ps = jy[:, _MIRROR], -jx[:, _MIRROR], ps[:, _MIRROR]
    ps = np.where(np.isfinite(jy) & np.isfinite(jx), np.clip(ps, 0.0, 1.0), 0.0)
    jy = np.nan_to_num(jy, nan=0.0, posinf=0.0, neginf=0.0)
    jx = np.nan_to_num(jx, nan=0.0, posinf=0.0, neginf=0.0)
    jy, jx, ps = legs_front_first(jy, jx, ps)
    return jy, jx, ps, valid


def joint_maps(coords_y, coords_x, probs, reference=None, mirror: bool = False) -> np.ndarray:
    """Render (B, 17, 17, 32) spatial features from joints given in image pixels.

    ``reference`` is (B, 3) ``(cy, cx, scale)`` (default: :func:`person_reference` per frame,
    with frames lacking a torso rendered as all zeros).
    """
    # joints in cell units relative to the grid centre
    jy, jx, ps, valid = person_frame(coords_y, coords_x, probs, reference, mirror, unit=GRID_EXTENT / FEATURE_SIZE)

    gy = _CELL_OFFSETS[None, :, None, None]  # (1, 17, 1, 1)
    gx = _CELL_OFFSETS[None, None, :, None]  # (1, 1, 17, 1)

    d2 = (gy - jy[:, None, None, :]) ** 2 + (gx - jx[:, None, None, :]) ** 2
    joints = ps[:, None, None, :] * np.exp(-d2 / (2.0 * JOINT_SIGMA**2))

    ay, ax = jy[:, _EDGES[:, 0]], jx[:, _EDGES[:, 0]]  # (B, L)
    by, bx = jy[:, _EDGES[:, 1]], jx[:, _EDGES[:, 1]]
    vy, vx = by - ay, bx - ax
    length2 = np.maximum(vy**2 + vx**2, 1e-12)
    t = ((gy - ay[:, None, None, :]) * vy[:, None, None, :] + (gx - ax[:, None, None, :]) * vx[:, None, None, :])
    t = np.clip(t / length2[:, None, None, :], 0.0, 1.0)
    py = ay[:, None, None, :] + t * vy[:, None, None, :]
    px = ax[:, None, None, :] + t * vx[:, None, None, :]
    seg_d2 = (gy - py) ** 2 + (gx - px) ** 2
    limb_p = np.minimum(ps[:, _EDGES[:, 0]], ps[:, _EDGES[:, 1]])
    limbs = limb_p[:, None, None, :] * np.exp(-seg_d2 / (2.0 * LIMB_SIGMA**2))

    out = np.concatenate([joints, limbs], axis=-1).astype(np.float32)
    out[~valid] = 0.0
    return out
