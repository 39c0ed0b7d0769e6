"""Real walks for judging gaitcli: UCalgary Kinect people and CMU motion-capture people, seen by a
virtual camera from any view, as the 16 seed joints in image pixels.

Development tooling (used by ``bench/bench_realwalks.py`` and the real-walk tests); not part of the
runtime package. The data stays in ``../shared/data``:

* ``realwalks/ucalgary_kinect``: 28 people x 2 normal walks, Kinect v2 skeletons (metres, 30 fps),
  recorded walking toward the sensor. **Research/evaluation only**: judge with it, never fit
  shipped weights or thresholds on it.
* ``mocap``: the CMU walks (``gaitcli.synth.mocap``), permissive licence.

A walk is turned into the seed's joints in 3D (hips, knees, ankles, shoulders, elbows, wrists as
they are; pelvis and thorax the midpoints of hips and shoulders; upper neck and head top on the
thorax-head axis by the same rule the BlazePose engine and COCO keypoint files use), rotated so
that it goes along +x, and filmed by :func:`gaitcli.synth.camera.side_camera` from ``view``
degrees (0: the walker comes toward the camera, 90: side view). With ``noise`` the projected
joints go through the estimator's error model (:mod:`gaitcli.synth.estimator_noise`, fitted to
BlazePose), one draw per walk and view.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcli.constants import (
    HEAD_TOP, L_ANKLE, L_ELBOW, L_HIP, L_KNEE, L_SHOULDER, L_WRIST, NUM_JOINTS, PELVIS, R_ANKLE, R_ELBOW, R_HIP,
    R_KNEE, R_SHOULDER, R_WRIST, THORAX, UPPER_NECK,
)  # fmt: skip
from gaitcli.pose.blazepose_map import HEAD_TOP_FRACTION, UPPER_NECK_FRACTION

SHARED_DATA = Path(os.environ.get("GAITCLI_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")
UCALGARY = SHARED_DATA / "realwalks" / "ucalgary_kinect"
MOCAP = SHARED_DATA / "mocap"

#: Kinect v2 joint order in the UCalgary files (columns 1-54: x, y, z each).
KINECT_JOINTS = ("FootL", "AnkleL", "KneeL", "HipL", "FootR", "AnkleR", "KneeR", "HipR", "SpineBase", "SpineMid",
                 "Neck", "Head", "ShoulderL", "ShoulderR", "WristL", "WristR", "ElbowL", "ElbowR")  # fmt: skip
_K = {name: i for i, name in enumerate(KINECT_JOINTS)}
_COPIED = {R_ANKLE: "AnkleR", R_KNEE: "KneeR", R_HIP: "HipR", L_HIP: "HipL", L_KNEE: "KneeL", L_ANKLE: "AnkleL",
           R_WRIST: "WristR", R_ELBOW: "ElbowR", R_SHOULDER: "ShoulderR", L_SHOULDER: "ShoulderL",
           L_ELBOW: "ElbowL", L_WRIST: "WristL"}  # fmt: skip


@dataclass
class RealWalk:
    """One real walk: ``joints`` (T, 16, 3) metres, y up, floor at 0, going along +x."""

    person: str
    walk: str
    joints: np.ndarray
    fps: float
    source: str


def ucalgary_available(root: Path = UCALGARY) -> bool:
    return (root / "INDEX.tsv").is_file()


def kinect_to_seed(kinect: np.ndarray) -> np.ndarray:
    """(T, 18, 3) Kinect v2 joints -> (T, 16, 3) seed joints (see the module docstring)."""
    out = np.zeros((len(kinect), NUM_JOINTS, 3))
    for seed, name in _COPIED.items():
        out[:, seed] = kinect[:, _K[name]]
    out[:, PELVIS] = (out[:, R_HIP] + out[:, L_HIP]) / 2
    out[:, THORAX] = (out[:, R_SHOULDER] + out[:, L_SHOULDER]) / 2
    head = kinect[:, _K["Head"]]  # the head's centre, at about the ears' height
    out[:, UPPER_NECK] = out[:, THORAX] + UPPER_NECK_FRACTION * (head - out[:, THORAX])
    out[:, HEAD_TOP] = out[:, THORAX] + (1.0 + HEAD_TOP_FRACTION) * (head - out[:, THORAX])
    return out


def along_x(joints: np.ndarray, feet: np.ndarray | None = None) -> np.ndarray:
    """Joints (T, 16, 3) (y up) moved so the floor is y = 0 and rotated about the vertical so the
    pelvis travels along +x."""
    joints = np.array(joints, dtype=np.float64)
    low = joints[:, [R_ANKLE, L_ANKLE], 1] if feet is None else np.concatenate([joints[:, [R_ANKLE, L_ANKLE], 1], feet[..., 1]], 1)
    joints[..., 1] -= np.percentile(low, 2)
    third = max(1, len(joints) // 3)
    travel = joints[-third:, PELVIS].mean(0) - joints[:third, PELVIS].mean(0)
    angle = np.arctan2(travel[2], travel[0])  # heading in the x-z plane
    c, s = np.cos(angle), np.sin(angle)
    x, z = joints[..., 0].copy(), joints[..., 2].copy()
    joints[..., 0], joints[..., 2] = c * x + s * z, -s * x + c * z
    return joints


MAX_STEP_M = 0.3  # metres per frame (9 m/s at 30 fps): a bigger jump is the sensor losing the person


def tracked(kinect: np.ndarray) -> np.ndarray:
    """The longest run of frames in which the sensor keeps the walker (a few recordings have frames
    where the skeleton jumps by metres)."""
    steps = np.linalg.norm(np.diff(kinect[:, _K["SpineBase"]], axis=0), axis=1)
    cuts = np.concatenate([[0], np.flatnonzero(steps > MAX_STEP_M) + 1, [len(kinect)]])
    longest = int(np.argmax(np.diff(cuts)))
    return kinect[cuts[longest] : cuts[longest + 1]]


def level(kinect: np.ndarray) -> np.ndarray:
    """Kinect joints (T, 18, 3) in the sensor's frame (tilted down at the floor) rotated about the
    sensor's x axis so that the floor is level: the pelvis (SpineBase), which keeps its height over
    a level walk, gets no height trend against depth (the feet are too noisy far away)."""
    pelvis = kinect[:, _K["SpineBase"]]
    slope = np.polyfit(pelvis[:, 2], pelvis[:, 1], 1)[0]
    angle = np.arctan(slope)
    c, s = np.cos(angle), np.sin(angle)
    y, z = kinect[..., 1], kinect[..., 2]
    out = np.array(kinect, dtype=np.float64)
    out[..., 1], out[..., 2] = c * y - s * z, s * y + c * z
    return out


def load_ucalgary(root: Path = UCALGARY, gait_type: str = "N") -> list[RealWalk]:
    """Every walk of ``gait_type`` (N: normal) listed in the UCalgary INDEX.tsv."""
    walks = []
    with (root / "INDEX.tsv").open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["gait_type"] != gait_type:
                continue
            path = root / row["file"]
            if path.stat().st_size == 0:
                continue
            values = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(54), ndmin=2)
            kinect = level(tracked(values.reshape(len(values), 18, 3)))
            feet = kinect[:, [_K["FootR"], _K["FootL"]]]
            walks.append(RealWalk(f"ucalgary-{int(row['subject_id']):02d}", f"run{row['run']}", along_x(kinect_to_seed(kinect), feet),
                                  30.0, "ucalgary"))
    return walks


def load_cmu(root: Path = MOCAP, fps: float = 30.0) -> list[RealWalk]:
    """The CMU walks whose skeleton is the person's own (retargeted ones carry no proportions)."""
    from gaitcli.synth import mocap

    out = []
    for walk in mocap.load_walks(root, fps=fps, normal_only=True):
        if walk.identity_bones:
            out.append(RealWalk(f"cmu-{walk.subject:02d}", f"trial{walk.trial:02d}", along_x(walk.joints, walk.feet), fps, "cmu"))
    return out


def observe(walk: RealWalk, view: float, *, noise: bool = False, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``walk`` filmed from ``view`` degrees (0: toward the camera, 90: side): seed joints
    ``(coords_y, coords_x, probabilities)`` in pixels, each (T, 16); through the estimator's
    error model with ``noise`` (drawn from ``seed``)."""
    from gaitcli.synth.camera import project_walk, side_camera

    camera = side_camera(walk.joints, yaw_deg=90.0 - float(view))
    seen = project_walk(walk.joints, camera)
    xy, probs = seen.xy, np.clip(0.5 + 0.5 * seen.visibility, 0.0, 1.0)
    if noise:
        from gaitcli.synth.estimator_noise import apply_estimator_noise, sample_noise_profile

        rng = np.random.default_rng(seed)
        xy, probs = apply_estimator_noise(xy, seen.visibility, seen.far_side, rng, sample_noise_profile(rng))
    return xy[..., 1], xy[..., 0], probs
