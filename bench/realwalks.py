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
    carried: str | None = None  # what :func:`with_covariate` made the walker carry
    side: str | None = None  # the hand holding it ("right", "left"), where one does
    excluded: str | None = None  # why the protocols leave this recording out (see :func:`load_ucalgary`)


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


WALKWAY_HALF_WIDTH = 1.0  # metres either side of the sensor's axis, along which every subject walks


def off_walkway(kinect: np.ndarray) -> float:
    """How far (m, median over frames) the tracked body is from the sensor's axis. The subjects walk
    along it (|x| < 0.7 m); a few recordings follow someone else, standing or walking about 2 m
    to the side, for most of the trial."""
    return float(np.median(np.abs(kinect[:, _K["SpineBase"], 0])))


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
    """Every walk of ``gait_type`` (N: normal) listed in the UCalgary INDEX.tsv.

    Recordings that are not a walk of their subject are kept (so that every walk keeps its place
    and its noise and rendering seeds) but carry the reason in ``excluded``, and the benchmark's
    protocols leave them out:

    * a file byte for byte the same as an earlier one (subject 10's files are subject 4's; subject
      22's two normal runs are one recording): the copy;
    * a recording whose tracked body stays more than :data:`WALKWAY_HALF_WIDTH` off the sensor's
      axis (:func:`off_walkway`): the sensor followed someone else (subject 7 run 1, 17 run 2, 21 run 1).
    """
    import hashlib

    walks, first_seen = [], {}
    with (root / "INDEX.tsv").open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["gait_type"] != gait_type:
                continue
            path = root / row["file"]
            if path.stat().st_size == 0:
                continue
            person, name = f"ucalgary-{int(row['subject_id']):02d}", f"run{row['run']}"
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            values = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(54), ndmin=2)
            kinect = tracked(values.reshape(len(values), 18, 3))
            aside = off_walkway(kinect)
            excluded = None
            if digest in first_seen:
                excluded = "the same file as {} {}".format(*first_seen[digest])
            elif aside > WALKWAY_HALF_WIDTH:
                excluded = f"the sensor followed someone {aside:.1f} m off the walkway, not the subject"
            first_seen.setdefault(digest, (person, name))
            kinect = level(kinect)
            feet = kinect[:, [_K["FootR"], _K["FootL"]]]
            walks.append(RealWalk(person, name, along_x(kinect_to_seed(kinect), feet), 30.0, "ucalgary", excluded=excluded))
    return walks


def load_cmu(root: Path = MOCAP, fps: float = 30.0, *, paces: bool = False) -> list[RealWalk]:
    """The CMU walks whose skeleton is the person's own (retargeted ones carry no proportions):
    level walks at a natural pace; with ``paces`` also the ones CMU labels "slow walk"."""
    from gaitcli.synth import mocap

    out = []
    for walk in mocap.load_walks(root, fps=fps, normal_only=not paces):
        if walk.identity_bones and walk.description.strip() in (("walk", "slow walk") if paces else ("walk",)):
            out.append(RealWalk(f"cmu-{walk.subject:02d}", f"trial{walk.trial:02d}", along_x(walk.joints, walk.feet), fps, "cmu"))
    return out


def speed(walk: RealWalk) -> float:
    """Walking speed (m/s): the pelvis's travel along x from its first third to its last, per second."""
    third = max(1, len(walk.joints) // 3)
    x = walk.joints[:, PELVIS, 0]
    return float((x[-third:].mean() - x[:third].mean()) / ((len(x) - third) / walk.fps))


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

        rng = np.random.default_rng(seed if seed >= 0 else [1, -seed])  # views behind the walker give negative seeds
        xy, probs = apply_estimator_noise(xy, seen.visibility, seen.far_side, rng, sample_noise_profile(rng))
    return xy[..., 1], xy[..., 0], probs


# --- covariates on real walks ---------------------------------------------------------------

#: What a real walk can be made to carry: the arm-occupying covariates of the held-out protocols
#: (bag in one hand, phone at the ear, texting) and a coat's damped swing. Speed changes cannot
#: be imposed on recorded motion and are not simulated.
REAL_COVARIATES = ("bag", "phone", "texting", "coat")
_ARMS = ((R_SHOULDER, R_ELBOW, R_WRIST), (L_SHOULDER, L_ELBOW, L_WRIST))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _trunk_frame(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame (T, 3) unit vectors: forward, up (pelvis to thorax), right (left to right shoulder)."""
    up = _unit(joints[:, THORAX] - joints[:, PELVIS])
    right = joints[:, R_SHOULDER] - joints[:, L_SHOULDER]
    right = _unit(right - (right * up).sum(-1, keepdims=True) * up)
    forward = np.cross(up, right)
    if np.mean(forward[:, 0]) < 0:  # the walk goes along +x: forward must agree
        forward = -forward
    return forward, up, right


def _reach(shoulder, wrist_target, upper, fore, pole):
    """Two-bone IK: (elbow, wrist) for a wrist target, the elbow bent toward ``pole`` (all (T, 3))."""
    axis = wrist_target - shoulder
    d = np.clip(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-6, 0.999 * (upper + fore))
    u = axis / np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-9)
    along = (upper**2 - fore**2 + d**2) / (2 * d)
    h = np.sqrt(np.maximum(upper**2 - along**2, 0.0))
    p = _unit(pole - (pole * u).sum(-1, keepdims=True) * u)
    return shoulder + along * u + h * p, shoulder + d * u


def with_covariate(walk: RealWalk, name: str, rng: np.random.Generator) -> RealWalk:
    """``walk`` as if its walker carried ``name`` (one of :data:`REAL_COVARIATES`), drawn from ``rng``.

    The legs, trunk and timing stay the recorded ones; the arms (and for texting the head) change
    the way :mod:`gaitcli.synth.covariates` describes: ``bag`` one arm's swing drops to 15-40 %
    and hangs straighter; ``phone`` one hand held at the ear, the other arm swinging less;
    ``texting`` one or both hands in front of the chest, head bent 15-35 degrees; ``coat`` both
    arms swing 60-85 % and the shoulders look 2-5 cm broader.
    """
    if name not in REAL_COVARIATES:
        raise ValueError(f"unknown covariate {name!r}; choose one of {', '.join(REAL_COVARIATES)}")
    j = np.array(walk.joints, dtype=np.float64)
    forward, up, right = _trunk_frame(j)
    side = int(rng.integers(2))
    out = right if side == 0 else -right
    u = rng.uniform

    def length(a, b):  # a bone's typical length
        return float(np.median(np.linalg.norm(j[:, b] - j[:, a], axis=-1)))

    def damp(arm, factor, straighten=0.0):
        s, e, w = arm
        for k in (e, w):
            rel = j[:, k] - j[:, s]
            j[:, k] = j[:, s] + rel.mean(0) + factor * (rel - rel.mean(0))
        if straighten:
            direction = _unit((1 - straighten) * _unit(j[:, w] - j[:, e]) + straighten * _unit(j[:, e] - j[:, s]))
            j[:, w] = j[:, e] + length(e, w) * direction

    def hold(arm, target, pole):
        s, e, w = arm
        j[:, e], j[:, w] = _reach(j[:, s], target, length(s, e), length(e, w), pole)

    head = np.linalg.norm(j[:, HEAD_TOP] - j[:, THORAX], axis=-1, keepdims=True)
    if name == "bag":
        damp(_ARMS[side], u(0.15, 0.4), straighten=u(0.4, 0.8))
        j[:, _ARMS[side][2]] += u(0.03, 0.08) * out  # the bag holds the hand away from the leg
    elif name == "coat":
        for arm in _ARMS:
            damp(arm, u(0.6, 0.85))
        widen = u(0.01, 0.025)
        for arm, sign in zip(_ARMS, (1.0, -1.0)):
            j[:, list(arm)] += sign * widen * right[:, None, :]
    elif name == "phone":
        shoulder_half = np.linalg.norm(j[:, R_SHOULDER] - j[:, L_SHOULDER], axis=-1, keepdims=True) / 2
        target = j[:, THORAX] + u(0.0, 0.06) * forward + head * u(0.45, 0.7) * up + (shoulder_half - u(0.04, 0.08)) * out
        hold(_ARMS[side], target, -up + out + 0.5 * forward)
        damp(_ARMS[1 - side], u(0.5, 0.9))
    else:  # texting
        both = rng.random() < 0.6
        torso = np.linalg.norm(j[:, THORAX] - j[:, PELVIS], axis=-1, keepdims=True)
        fwd, down = u(0.22, 0.32), u(0.3, 0.5)
        for k in ((0, 1) if both else (side,)):
            lateral = (right if k == 0 else -right) * (u(0.04, 0.08) if both else u(0.04, 0.12))
            hold(_ARMS[k], j[:, THORAX] + fwd * forward - down * torso * up + lateral, -up + 0.3 * (right if k == 0 else -right))
        if not both:
            damp(_ARMS[1 - side], u(0.5, 0.9))
        pitch = np.radians(u(15.0, 35.0))  # the head bends forward about the thorax
        for k in (UPPER_NECK, HEAD_TOP):
            rel = j[:, k] - j[:, THORAX]
            a = (rel * up).sum(-1, keepdims=True)
            b = (rel * forward).sum(-1, keepdims=True)
            rest = rel - a * up - b * forward
            j[:, k] = j[:, THORAX] + rest + (a * np.cos(pitch) - b * np.sin(pitch)) * up + (a * np.sin(pitch) + b * np.cos(pitch)) * forward
    hand = ("right", "left")[side] if name in ("bag", "phone") else None
    return RealWalk(walk.person, f"{walk.walk}+{name}", j, walk.fps, walk.source, carried=name, side=hand, excluded=walk.excluded)


# --- real walks through the real pose engine ------------------------------------------------

RENDER_SIZE = (360, 640)  # (H, W): a walker 120-160 px tall, as in the sample clips


def rendered(walk: RealWalk, view: float, estimator, *, seed: int = 0, look_seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``walk`` filmed from ``view`` degrees as :func:`observe` films it, but drawn as a shaded
    figure (``gaitcli.synth.figure``, clothes from ``look_seed``: give a person's walks the same
    one; a coat or a bag drawn where :func:`with_covariate` put one) in a street or park scene
    (from ``seed``) and run through ``estimator`` (a pose engine, e.g.
    ``load_estimator("blazepose")``) as ``gaitcli embed`` runs it: the engine's joints
    ``(coords_y, coords_x, probabilities)``, one row per frame from the first to the last frame
    it ran on (frames between filled), or None where it finds nobody. The frames are not
    video-encoded."""
    from gaitcli.constants import CANONICAL_FPS
    from gaitcli.errors import NoPersonError
    from gaitcli.features.sequence import fill_frames
    from gaitcli.pose.video import poses_over_frames
    from gaitcli.synth.camera import side_camera
    from gaitcli.synth.figure import Appearance, render_frame
    from gaitcli.synth.scene import make_scene

    camera = side_camera(walk.joints, image_size=RENDER_SIZE, yaw_deg=90.0 - float(view))
    xy, depth = camera.project(walk.joints)
    rng = np.random.default_rng(seed if seed >= 0 else [1, -seed])  # views behind the walker give negative seeds
    scene = make_scene(camera, kind=("street", "park")[int(rng.integers(2))], seed=int(rng.integers(1 << 31)),
                       path_z=float(np.median(walk.joints[:, PELVIS, 2])))
    look = Appearance.random(look_seed, coat=walk.carried == "coat", bag=walk.carried == "bag")
    if walk.carried == "bag":  # the prop hangs from the hand that holds it
        from dataclasses import replace

        look = replace(look, bag_hand=walk.side)
    frames = ((t, render_frame(xy[t], scene, look, depth=depth[t])) for t in range(len(xy)))
    try:
        seq = poses_over_frames(estimator, frames, name=f"{walk.person}-{walk.walk}-{view:g}", fps=walk.fps,
                                sample_fps=CANONICAL_FPS)
    except NoPersonError:
        return None
    ys, xs, ps = fill_frames(seq.frame_indices, seq.coords_y, seq.coords_x, seq.probs)
    return ys, xs, ps
