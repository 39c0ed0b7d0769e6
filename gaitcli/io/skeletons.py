"""Other pose tools' skeletons (COCO-17, OpenPose BODY_25 and COCO-18) mapped onto the 16 seed joints.

Input arrays are ``(N, K, 3)`` rows of ``(x, y, score)`` in image pixels; output is
``(coords_y, coords_x, probs)``, each ``(N, 16)`` in :data:`gaitcli.constants.JOINT_NAMES`
order. A score of 0 (or a non-finite value) means "missing": such a joint gets probability 0
and coordinates 0. Scores are read as probabilities and clipped to [0, 1] (Detectron2 writes
heat-map logits, so its values above 1 count as certain).

The mapping, exactly:

* **Limbs** (ankles, knees, hips, wrists, elbows, shoulders) are copied from the same-named
  keypoint of the source skeleton.
* **Pelvis** = BODY_25's ``MidHip``; for COCO (or when MidHip is missing) the midpoint of the
  two hips, with probability ``min(p_right_hip, p_left_hip)``.
* **Thorax** = BODY_25's / COCO-18's ``Neck`` (OpenPose defines it as the midpoint of the
  shoulders); for COCO-17 (or when Neck is missing) the midpoint of the two shoulders, with
  probability ``min`` of the two.
* **Head centre** ``H`` (an intermediate point): the mean of the visible ears; without ears the
  mean of the visible eyes; without eyes the nose. Its probability is the mean of the points used.
* **Upper neck** = ``T + a * (H - T)`` and **head top** = ``T + b * (H - T)``, on the axis from
  the thorax ``T`` through ``H``. From the ears ``a = UPPER_NECK_FRACTION`` (0.5) and
  ``b = 1 + HEAD_TOP_FRACTION`` (1.65), exactly the BlazePose engine's rule
  (:mod:`gaitcli.pose.blazepose_map`, whose constants are used here: upper neck halfway from
  the shoulders to the ears, head top 0.65 of that distance beyond the ears), so keypoint files
  and the engine give the same skeleton. The eyes sit about 1.1 times as far above the
  shoulder line as the ears and the nose 0.85 times, so from the eyes both factors are divided
  by 1.1 and from the nose by 0.85. Their probability is ``min(p_T, p_H)`` (not a mean: a
  midpoint of a missing point is no point at all).
"""

from __future__ import annotations

import numpy as np

from gaitcli.constants import (
    HEAD_TOP,
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
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
from gaitcli.pose.blazepose_map import HEAD_TOP_FRACTION, UPPER_NECK_FRACTION

COCO17_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
BODY25_NAMES: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle",
    "REye", "LEye", "REar", "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)  # fmt: skip
COCO18_NAMES: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)  # fmt: skip

_EAR_FACTORS = (UPPER_NECK_FRACTION, 1.0 + HEAD_TOP_FRACTION)  # along thorax -> mid-ears
#: Height above the shoulder line of the eyes and the nose, relative to the ears'.
_HEAD_POINT_HEIGHT = {"ears": 1.0, "eyes": 1.1, "nose": 0.85}
#: (a, b) factors of upper neck and head top along thorax -> head centre, by head source.
HEAD_FACTORS: dict[str, tuple[float, float]] = {
    source: (_EAR_FACTORS[0] / h, _EAR_FACTORS[1] / h) for source, h in _HEAD_POINT_HEIGHT.items()
}


class _Layout:
    """Where a source skeleton keeps the keypoints the seed joints are made from."""

    def __init__(self, names: tuple[str, ...], limbs: dict[int, str], hips, shoulders, ears, eyes, nose,
                 pelvis: str | None = None, thorax: str | None = None):
        ix = {n: i for i, n in enumerate(names)}
        self.size = len(names)
        self.limbs = {seed: ix[name] for seed, name in limbs.items()}
        self.hips = tuple(ix[n] for n in hips)
        self.shoulders = tuple(ix[n] for n in shoulders)
        self.ears = tuple(ix[n] for n in ears)
        self.eyes = tuple(ix[n] for n in eyes)
        self.nose = ix[nose]
        self.pelvis = ix[pelvis] if pelvis else None
        self.thorax = ix[thorax] if thorax else None


_COCO17 = _Layout(
    COCO17_NAMES,
    {R_ANKLE: "right_ankle", R_KNEE: "right_knee", R_HIP: "right_hip", L_HIP: "left_hip",
     L_KNEE: "left_knee", L_ANKLE: "left_ankle", R_WRIST: "right_wrist", R_ELBOW: "right_elbow",
     R_SHOULDER: "right_shoulder", L_SHOULDER: "left_shoulder", L_ELBOW: "left_elbow", L_WRIST: "left_wrist"},
    hips=("right_hip", "left_hip"), shoulders=("right_shoulder", "left_shoulder"),
    ears=("right_ear", "left_ear"), eyes=("right_eye", "left_eye"), nose="nose",
)  # fmt: skip
_OPENPOSE_LIMBS = {
    R_ANKLE: "RAnkle", R_KNEE: "RKnee", R_HIP: "RHip", L_HIP: "LHip", L_KNEE: "LKnee", L_ANKLE: "LAnkle",
    R_WRIST: "RWrist", R_ELBOW: "RElbow", R_SHOULDER: "RShoulder", L_SHOULDER: "LShoulder",
    L_ELBOW: "LElbow", L_WRIST: "LWrist",
}  # fmt: skip
_OPENPOSE_PARTS = dict(hips=("RHip", "LHip"), shoulders=("RShoulder", "LShoulder"),
                       ears=("REar", "LEar"), eyes=("REye", "LEye"), nose="Nose", thorax="Neck")
_BODY25 = _Layout(BODY25_NAMES, _OPENPOSE_LIMBS, pelvis="MidHip", **_OPENPOSE_PARTS)
_COCO18 = _Layout(COCO18_NAMES, _OPENPOSE_LIMBS, **_OPENPOSE_PARTS)


def _clean(keypoints: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (size, 3):
        raise ValueError(f"keypoints must be shaped (N, {size}, 3); got {kp.shape}")
    xy = kp[..., :2]
    p = np.clip(np.nan_to_num(kp[..., 2], nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    p = np.where(np.isfinite(xy).all(axis=-1), p, 0.0)
    xy = np.where(p[..., None] > 0, np.nan_to_num(xy), 0.0)
    return xy, p


def _midpoint(xy, p, pair):
    a, b = pair
    prob = np.minimum(p[:, a], p[:, b])
    return np.where(prob[:, None] > 0, (xy[:, a] + xy[:, b]) / 2.0, 0.0), prob


def _mean_visible(xy, p, idx):
    w = (p[:, idx] > 0).astype(np.float64)  # (N, k)
    count = w.sum(axis=1)
    safe = np.maximum(count, 1.0)
    point = (xy[:, idx] * w[..., None]).sum(axis=1) / safe[:, None]
    prob = (p[:, idx] * w).sum(axis=1) / safe
    return point, prob, count > 0


def _to_seed(keypoints: np.ndarray, layout: _Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xy, p = _clean(keypoints, layout.size)
    n = xy.shape[0]
    out_xy = np.zeros((n, NUM_JOINTS, 2))
    out_p = np.zeros((n, NUM_JOINTS))
    for seed, src in layout.limbs.items():
        out_xy[:, seed], out_p[:, seed] = xy[:, src], p[:, src]

    for seed, named, pair in ((PELVIS, layout.pelvis, layout.hips), (THORAX, layout.thorax, layout.shoulders)):
        mid_xy, mid_p = _midpoint(xy, p, pair)
        if named is not None:  # the tool's own joint where present, the midpoint otherwise
            has = p[:, named] > 0
            mid_xy = np.where(has[:, None], xy[:, named], mid_xy)
            mid_p = np.where(has, p[:, named], mid_p)
        out_xy[:, seed], out_p[:, seed] = mid_xy, mid_p

    # head centre: ears, else eyes, else nose; factors depend on which was used
    head_xy = np.zeros((n, 2))
    head_p = np.zeros(n)
    factors = np.zeros((n, 2))
    nose_ok = p[:, layout.nose] > 0
    candidates = [
        ("ears", *_mean_visible(xy, p, layout.ears)),
        ("eyes", *_mean_visible(xy, p, layout.eyes)),
        ("nose", xy[:, layout.nose], p[:, layout.nose], nose_ok),
    ]
    done = np.zeros(n, dtype=bool)
    for source, point, prob, ok in candidates:
        use = ok & ~done
        head_xy[use], head_p[use] = point[use], prob[use]
        factors[use] = HEAD_FACTORS[source]
        done |= use
    thorax_xy, thorax_p = out_xy[:, THORAX], out_p[:, THORAX]
    head_joint_p = np.where(done, np.minimum(thorax_p, head_p), 0.0)
    axis = head_xy - thorax_xy
    for seed, k in ((UPPER_NECK, 0), (HEAD_TOP, 1)):
        out_p[:, seed] = head_joint_p
        out_xy[:, seed] = np.where(head_joint_p[:, None] > 0, thorax_xy + factors[:, k:k + 1] * axis, 0.0)

    return out_xy[..., 1], out_xy[..., 0], out_p


def from_coco17(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, 17, 3) COCO keypoints (x, y, score) -> (coords_y, coords_x, probs), each (N, 16)."""
    return _to_seed(keypoints, _COCO17)


def from_body25(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, 25, 3) OpenPose BODY_25 keypoints (x, y, c) -> (coords_y, coords_x, probs), each (N, 16)."""
    return _to_seed(keypoints, _BODY25)


def from_coco18(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, 18, 3) OpenPose COCO-18 keypoints (x, y, c) -> (coords_y, coords_x, probs), each (N, 16)."""
    return _to_seed(keypoints, _COCO18)
