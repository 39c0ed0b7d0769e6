"""BlazePose's 33 landmarks -> the seed's 16 joints (gaitcli.constants.JOINT_NAMES order).

Twelve joints are BlazePose landmarks directly (BlazePose index in brackets): right ankle
(28), right knee (26), right hip (24), left hip (23), left knee (25), left ankle (27), right
wrist (16), right elbow (14), right shoulder (12), left shoulder (11), left elbow (13), left
wrist (15). Four are derived, with ``H`` the mid-hips, ``T`` the mid-shoulders and ``E`` the
mid-ears (landmarks 7, 8), whose line ``T -> E`` is the neck-and-head axis:

* **pelvis** = ``H``, the midpoint of the hips (23, 24);
* **thorax** = ``T``, the midpoint of the shoulders (11, 12);
* **upper neck** = ``T + UPPER_NECK_FRACTION * (E - T)``, halfway up to the ears: where the
  neck meets the head, at about the chin's height;
* **head top** = ``E + HEAD_TOP_FRACTION * (E - T)``, beyond the ears along the same axis
  (the ears sit near the skull's centre in frontal and profile views alike). 0.65 follows
  adult proportions: the top of the head is about 13 cm above the ear canal, which is about
  19 cm above the shoulder joints.

Probabilities: a BlazePose landmark's probability is the sigmoid of its visibility logit
times the pose presence score; a derived joint's is the mean over the landmarks it is built
from (pelvis: both hips; thorax: both shoulders; upper neck and head top: both shoulders and
both ears). All lie in [0, 1].
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

#: BlazePose's 33 body landmark names, in the model's order.
BLAZEPOSE_LANDMARKS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

_BP = {name: i for i, name in enumerate(BLAZEPOSE_LANDMARKS)}


def _mirrored(name: str) -> str:
    for a, b in (("left", "right"), ("right", "left")):
        if name.startswith(a + "_") or name.endswith("_" + a):
            return name.replace(a, b)
    return name


#: Landmark index -> the landmark it becomes in a mirrored image (left <-> right).
MIRROR_LANDMARKS: tuple[int, ...] = tuple(_BP[_mirrored(name)] for name in BLAZEPOSE_LANDMARKS)
#: (left, right) landmark pairs of the legs and of the arms: the limbs a landmark model may swap as a whole.
LEG_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (_BP["left_" + part], _BP["right_" + part]) for part in ("hip", "knee", "ankle", "heel", "foot_index"))
ARM_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (_BP["left_" + part], _BP["right_" + part]) for part in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb"))

#: Seed joint -> the BlazePose landmark it is (the twelve direct joints).
DIRECT_JOINTS: dict[int, int] = {
    R_ANKLE: _BP["right_ankle"],
    R_KNEE: _BP["right_knee"],
    R_HIP: _BP["right_hip"],
    L_HIP: _BP["left_hip"],
    L_KNEE: _BP["left_knee"],
    L_ANKLE: _BP["left_ankle"],
    R_WRIST: _BP["right_wrist"],
    R_ELBOW: _BP["right_elbow"],
    R_SHOULDER: _BP["right_shoulder"],
    L_SHOULDER: _BP["left_shoulder"],
    L_ELBOW: _BP["left_elbow"],
    L_WRIST: _BP["left_wrist"],
}

UPPER_NECK_FRACTION = 0.5  # of the way from the mid-shoulders to the mid-ears
HEAD_TOP_FRACTION = 0.65  # of the shoulders-to-ears distance, beyond the mid-ears

_HIPS = [_BP["left_hip"], _BP["right_hip"]]
_SHOULDERS = [_BP["left_shoulder"], _BP["right_shoulder"]]
_EARS = [_BP["left_ear"], _BP["right_ear"]]


def to_seed_joints(xy: np.ndarray, visibility: np.ndarray, pose_score: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map BlazePose landmarks to the seed's joints.

    ``xy`` is (33, 2) (x, y) in pixels (more rows are ignored), ``visibility`` (33,) the
    landmarks' visibility probabilities, ``pose_score`` the pose presence score.
    Returns ``(coords_y, coords_x, probabilities)``, each (16,).
    """
    xy = np.asarray(xy, dtype=np.float64)[:33]
    p = np.clip(np.asarray(visibility, dtype=np.float64)[:33] * float(pose_score), 0.0, 1.0)
    out_xy = np.empty((NUM_JOINTS, 2))
    out_p = np.empty(NUM_JOINTS)
    for joint, landmark in DIRECT_JOINTS.items():
        out_xy[joint] = xy[landmark]
        out_p[joint] = p[landmark]
    hips, shoulders, ears = xy[_HIPS].mean(0), xy[_SHOULDERS].mean(0), xy[_EARS].mean(0)
    head_p = p[_SHOULDERS + _EARS].mean()
    out_xy[PELVIS], out_p[PELVIS] = hips, p[_HIPS].mean()
    out_xy[THORAX], out_p[THORAX] = shoulders, p[_SHOULDERS].mean()
    out_xy[UPPER_NECK], out_p[UPPER_NECK] = shoulders + UPPER_NECK_FRACTION * (ears - shoulders), head_p
    out_xy[HEAD_TOP], out_p[HEAD_TOP] = ears + HEAD_TOP_FRACTION * (ears - shoulders), head_p
    return out_xy[:, 1], out_xy[:, 0], out_p
