"""Forward kinematics of a synthetic walker: personal gait curves -> 3D seed joints over time.

World frame: metres, ``y`` up, the floor at ``y = 0``. The walker's own frame has ``x`` forward,
``y`` up and ``z`` to its right; a walk with ``direction = +1`` heads along world ``+x``, one
with ``-1`` along ``-x`` (either way with a small personal-to-the-walk heading and drift). The
middle of the pelvis path is at world ``x = z = 0``.

Each frame, the curves of :mod:`gaitcli.synth.gait_curves` (evaluated at the legs' phases) pose
the body: pelvis rotation/obliquity and sideways sway; thighs, knees and ankles in their
sagittal planes, slightly adducted so the feet land ``step_width`` apart; trunk pitch, roll and
counter-rotation; arms swinging from the shoulders with elbow flexion; neck and head carried
forward by the person's own angles. The feet carry the walker: the pelvis height puts the
loaded part of the feet (heel, ball, toe tip) on the floor, and the stride length is the
distance that rolling foot contact (heel to ball to toe) covers in one cycle of the curves
(:func:`stride_length`). So stride length and pelvis bob *follow* from leg length and joint
angles, as they do in people, and the cadence is whatever gives the walk's speed. The pelvis
then progresses steadily, surging ahead and falling back within the stride by the real
subjects' ``pelvis_surge`` curve, and each stance foot is *planted*: its thigh angle and leg
adduction are solved so that the foot rolls on the floor without sliding (the curves alone
drive the swing; a swinging foot keeps its toes off the floor).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from gaitcli.synth.body import Body
from gaitcli.synth.covariates import CovariateEffect, sample_covariate
from gaitcli.synth.gait_curves import GRAVITY, GaitStyle, WalkCurves, walk_curves

_LEG_JOINTS = ((R_HIP, R_KNEE, R_ANKLE), (L_HIP, L_KNEE, L_ANKLE))
_ARM_JOINTS = ((R_SHOULDER, R_ELBOW, R_WRIST), (L_SHOULDER, L_ELBOW, L_WRIST))
_SIDE_SIGN = (1.0, -1.0)  # +z is the walker's right
_OVERSAMPLE = 4  # kinematics run at 4x the frame rate so the contact integration is smooth
_CONTACT_MM = 0.004  # softness of "the lowest point of the feet" (metres)
TOE_LENGTH = 0.055  # ball of the foot -> toe tip (m)
TOE_CLEARANCE = 0.012  # least height of a swinging foot's ball and toes above the floor (m)
_TOE_OFF = 0.6  # own gait phase at which a foot leaves the floor (heel strike at 0)


@dataclass(frozen=True)
class Identity:
    """Everything personal: an id, a body and a gait style (see :func:`gaitcli.synth.dataset.sample_identity`)."""

    identity_id: int
    body: Body
    style: GaitStyle


@dataclass
class Walk:
    """One synthetic walk.

    ``joints`` (T, 16, 3): seed joints in metres (world frame of this module); ``feet``
    (T, 2, 3, 3): right/left x heel/ball/toe tip (None for real captures, as is ``body``);
    ``props``: positions (T, 3) of carried things
    for renderers (``bag`` hanging from the hand, ``phone``, ``box``); ``meta``: speed (m/s),
    cadence (strides/s), stride length (m), Froude number, heading, covariate side, start phase.
    """

    joints: np.ndarray
    feet: np.ndarray | None
    fps: float
    identity_id: int | str
    body: Body | None
    covariate: str | None
    direction: int
    props: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def frames(self) -> int:
        """Number of frames T."""
        return int(self.joints.shape[0])


# --- small rotations (angles in degrees, arrays broadcast over time) --------------------------


def _rot(axis: int, degrees: np.ndarray) -> np.ndarray:
    a = np.radians(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m[..., axis, axis] = 1.0
    m[..., i, i] = c
    m[..., j, j] = c
    m[..., i, j] = -s
    m[..., j, i] = s
    return m


def _apply(rot: np.ndarray, vec) -> np.ndarray:
    return np.einsum("...ij,...j->...i", rot, np.broadcast_to(np.asarray(vec, dtype=np.float64), rot.shape[:-1]))


def _segment(angle_deg: np.ndarray, lateral_deg, side_sign: float) -> np.ndarray:
    """Unit vector at sagittal ``angle`` from straight down (+ forward), tilted ``lateral`` degrees
    towards the walker's right times ``side_sign``."""
    a, b = np.radians(angle_deg), np.radians(np.broadcast_to(lateral_deg, np.shape(angle_deg)))
    return np.stack([np.sin(a) * np.cos(b), -np.cos(a) * np.cos(b), side_sign * np.sin(b)], axis=-1)


def _two_bone_ik(root: np.ndarray, target: np.ndarray, a: float, b: float, pole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elbow and wrist (n, 3) reaching from ``root`` towards ``target`` with bones ``a``, ``b``,
    the elbow bent towards ``pole`` (a direction)."""
    d = target - root
    dist = np.linalg.norm(d, axis=-1, keepdims=True)
    u = d / np.maximum(dist, 1e-9)
    dist = np.clip(dist, abs(a - b) + 1e-3, a + b - 1e-3)
    cos_a = (a * a + dist * dist - b * b) / (2 * a * dist)
    sin_a = np.sqrt(np.clip(1.0 - cos_a**2, 0.0, 1.0))
    v = pole - (pole * u).sum(-1, keepdims=True) * u
    v /= np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)
    elbow = root + a * (cos_a * u + sin_a * v)
    return elbow, root + dist * u


# --- the body in its own frame ---------------------------------------------------------------------


def _swing(values: np.ndarray, mean: float, factor: float) -> np.ndarray:
    """Scale a curve's swing about its cycle mean."""
    return mean + factor * (values - mean)


def _foot(ankle: np.ndarray, sole: np.ndarray, body: Body) -> np.ndarray:
    """Heel, ball and toe tip (n, 3, 3) of a foot at ``ankle`` (n, 3) with sole pitch ``sole``
    (radians, + toes up); the toes stay flat on the floor while the heel rises."""
    zero = np.zeros_like(sole)
    fwd = np.stack([np.cos(sole), np.sin(sole), zero], axis=-1)
    down = np.stack([np.sin(sole), -np.cos(sole), zero], axis=-1)
    heel = ankle - body.heel_back * fwd + body.ankle_height * down
    ball = ankle + body.foot_forward * fwd + body.ankle_height * down
    toe_pitch = np.maximum(sole, 0.0)
    toe = ball + TOE_LENGTH * np.stack([np.cos(toe_pitch), np.sin(toe_pitch), zero], axis=-1)
    return np.stack([heel, ball, toe], axis=1)


def _clear_floor(ankle_y: np.ndarray, sole: np.ndarray, body: Body, loaded: np.ndarray) -> np.ndarray:
    """Sole pitch raised where needed so that a swinging foot (``loaded`` ~0) whose ankle is
    ``ankle_y`` above the floor keeps its ball and toes :data:`TOE_CLEARANCE` above it."""
    reach = np.hypot(body.foot_forward, body.ankle_height)
    clearance = TOE_CLEARANCE * (1.0 - loaded)
    lowest = np.arctan2(body.ankle_height, body.foot_forward) + np.arcsin(np.clip((clearance - ankle_y) / reach, -1.0, 1.0))
    return np.maximum(sole, lowest)


def _knee(flexion: np.ndarray) -> np.ndarray:
    """Knee flexion with hyperextension stopping softly near -2 degrees."""
    return np.where(flexion > 0.0, flexion, -2.0 * np.tanh(-flexion / 2.0))


def _rocker(sole: np.ndarray, body: Body) -> np.ndarray:
    """Forward shift (m) of the ankle of a foot rolling on the floor at sole pitch ``sole``
    (radians) from where it stands with the foot flat: about the heel while the toes are up,
    about the ball while the heel is up."""
    heel = body.heel_back * (np.cos(sole) - 1.0) - body.ankle_height * np.sin(sole)
    ball = body.foot_forward * (1.0 - np.cos(sole)) - body.ankle_height * np.sin(sole)
    return np.where(sole > 0.0, heel, ball)


def _plant(phase, side, thigh, knee_flex, sole, hip, curves: WalkCurves, body: Body, eff: CovariateEffect, adduction: float, stride: float):
    """Thigh angles and leg adduction (degrees, (n,) each) that keep the stance foot planted
    (see :func:`_pose`): rolling on the floor, heel then flat then ball, without sliding; in
    swing the curves' own values. ``sole`` is the curves' sole pitch (radians)."""
    leg = body.leg_length
    sign = _SIDE_SIGN[side]
    u = np.mod(phase - (0.0 if side == 0 else curves.left_phase), 1.0)
    strike = phase - u  # right-leg phase of this stance's heel strike
    sides_hs, centre_hs = curves.all_at(strike)
    thigh_hs = _swing(sides_hs["thigh"][side], curves.side["thigh"][side, 0], eff.step)
    knee_hs = _knee(_swing(sides_hs["knee"][side], curves.side["knee"][side, 0], eff.step))
    sole_hs = np.radians(sides_hs["ankle"][side] + thigh_hs - knee_hs)
    r_hs = _rot(1, centre_hs["pelvis_rotation"]) @ _rot(0, -centre_hs["pelvis_obliquity"])
    hip_hs = _apply(r_hs, [0.0, 0.0, sign * body.hip_width / 2.0])
    hip_hs[:, 2] += centre_hs["pelvis_lateral"] * leg
    length = body.thigh + body.shank
    cos_add = np.cos(np.radians(adduction))
    a, k = np.radians(thigh_hs), np.radians(knee_hs)
    ankle_x = hip_hs[:, 0] + (body.thigh * np.sin(a) + body.shank * np.sin(a - k)) * cos_add
    ankle_z = hip_hs[:, 2] - sign * np.sin(np.radians(adduction)) * length
    surge_now = curves.all_at(phase)[1]["pelvis_surge"] * leg
    # where the planted ankle is now, relative to the hip: behind by the progress since strike,
    # ahead by how far the foot has rolled
    flat = ankle_x - _rocker(sole_hs, body)
    target_x = flat + _rocker(sole, body) - stride * u - (surge_now - centre_hs["pelvis_surge"] * leg) - hip[:, 0]
    tilt = np.degrees(np.arcsin(np.clip(-sign * (ankle_z - hip[:, 2]) / length, -0.5, 0.5)))
    k = np.radians(knee_flex)
    reach = np.hypot(body.thigh + body.shank * np.cos(k), body.shank * np.sin(k)) * np.cos(np.radians(tilt))
    offset = np.arctan2(body.shank * np.sin(k), body.thigh + body.shank * np.cos(k))
    solved = np.degrees(offset + np.arcsin(np.clip(target_x / reach, -0.98, 0.98)))
    w = _stance_weight(u)
    return w * solved + (1.0 - w) * thigh, w * tilt + (1.0 - w) * adduction


def _stance_weight(u: np.ndarray) -> np.ndarray:
    """How planted a foot is at its own gait phase ``u`` (0: heel strike): 1 in stance, 0 in
    swing, smooth ramps at heel strike and toe-off."""
    up = np.clip(u / 0.05, 0.0, 1.0)
    down = np.clip((_TOE_OFF - u) / 0.06, 0.0, 1.0)
    w = np.minimum(up, down)
    return w * w * (3.0 - 2.0 * w)


def _pose(
    phase: np.ndarray,
    curves: WalkCurves,
    body: Body,
    style: GaitStyle,
    eff: CovariateEffect,
    arm_jitter: np.ndarray | None = None,
    stride: float | None = None,
):
    """Joints (n, 16, 3) and feet (n, 2, 3, 3) in the walker's frame with the pelvis centre above
    the origin at height 0 (the floor comes later), for right-leg ``phase`` (n,).

    With ``stride`` (m per cycle), stance feet are *planted*: during stance each thigh angle is
    solved (two-bone IK, knee flexion kept) so that the ankle stays where it struck the floor
    while the pelvis progresses by ``stride`` per cycle plus its surge; the curves alone drive
    the swing. Without it the curves drive everything (as for measuring the stride).
    """
    n = len(phase)
    joints = np.zeros((n, NUM_JOINTS, 3))
    feet = np.zeros((n, 2, 3, 3))
    soles = np.zeros((n, 2))
    leg = body.leg_length
    sides, centre = curves.all_at(phase)
    pelvis = np.zeros((n, 3))
    pelvis[:, 2] = centre["pelvis_lateral"] * leg
    r_pelvis = _rot(1, centre["pelvis_rotation"]) @ _rot(0, -centre["pelvis_obliquity"])
    # hip adduction so that the feet land step_width apart under a vertical leg
    adduction = np.degrees(np.arcsin(np.clip((body.hip_width - style.step_width) / 2.0 / (body.thigh + body.shank), -0.5, 0.5)))
    pitch = centre["trunk_pitch"] + eff.trunk_pitch_add
    roll = centre["trunk_roll"] + eff.trunk_roll_add
    r_trunk = _rot(1, centre["thorax_rotation"]) @ _rot(0, roll) @ _rot(2, -pitch)
    thorax = pelvis + _apply(r_trunk, [0.0, body.torso, 0.0])
    joints[:, PELVIS] = pelvis
    joints[:, THORAX] = thorax
    means = {name: (curves.side[name][0, 0], curves.side[name][1, 0]) for name in curves.side}  # a0 = cycle mean
    half_shoulders = (body.shoulder_width + eff.shoulder_width_add) / 2.0
    for s, sign in enumerate(_SIDE_SIGN):
        hip_i, knee_i, ankle_i = _LEG_JOINTS[s]
        hip = pelvis + _apply(r_pelvis, [0.0, 0.0, sign * body.hip_width / 2.0])
        thigh = _swing(sides["thigh"][s], means["thigh"][s], eff.step)
        knee_flex = _knee(_swing(sides["knee"][s], means["knee"][s], eff.step))
        shank = thigh - knee_flex
        sole = np.radians(sides["ankle"][s] + shank)  # sole pitch (+ toes up), as the curves have it
        tilt = np.full(n, adduction)
        if stride is not None:
            thigh, tilt = _plant(phase, s, thigh, knee_flex, sole, hip, curves, body, eff, adduction, stride)
            shank = thigh - knee_flex
        knee = hip + body.thigh * _segment(thigh, tilt, -sign)
        ankle = knee + body.shank * _segment(shank, tilt, -sign)
        joints[:, hip_i], joints[:, knee_i], joints[:, ankle_i] = hip, knee, ankle
        feet[:, s] = _foot(ankle, sole, body)
        soles[:, s] = sole

        sh_i, el_i, wr_i = _ARM_JOINTS[s]
        shoulder = thorax + _apply(r_trunk, [0.0, 0.0, sign * half_shoulders])
        joints[:, sh_i] = shoulder
        if s in eff.wrist_targets:
            target = thorax + _apply(r_trunk, eff.wrist_targets[s])
            if arm_jitter is not None:
                target = target + arm_jitter[:, s]
            pole = _apply(r_trunk, [-0.4, -1.0, sign * 0.7])
            elbow, wrist = _two_bone_ik(shoulder, target, body.upper_arm, body.forearm, pole)
        else:
            upper = _swing(sides["arm"][s], means["arm"][s], eff.arm_swing[s]) + pitch
            elbow_flex = _swing(sides["elbow"][s], means["elbow"][s], eff.arm_swing[s]) + eff.elbow_add[s]
            elbow_flex = np.maximum(elbow_flex, 3.0)
            abduction = np.maximum(sides["abduction"][s] + eff.abduction_add[s], -2.0)
            elbow = shoulder + body.upper_arm * _segment(upper, abduction, sign)
            wrist = elbow + body.forearm * _segment(upper + elbow_flex, 0.5 * abduction, sign)
        joints[:, el_i], joints[:, wr_i] = elbow, wrist

    neck_pitch = style.neck_pitch + eff.neck_pitch_add
    r_neck = r_trunk @ _rot(2, -np.full(n, neck_pitch))
    joints[:, UPPER_NECK] = thorax + _apply(r_neck, [0.0, body.neck, 0.0])
    r_head = r_neck @ _rot(2, -np.full(n, style.head_pitch)) @ _rot(0, np.full(n, eff.head_roll))
    joints[:, HEAD_TOP] = joints[:, UPPER_NECK] + _apply(r_head, [0.0, body.head, 0.0])
    return joints, feet, soles


def _ground(feet: np.ndarray, periodic: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis lift (n,) that puts the loaded part of the feet on the floor, and the forward steps
    (n,) between samples that keep it still on the floor.

    The load goes to the lowest foot points (a soft minimum over heels, balls and toe tips, so
    contact rolls smoothly from heel to ball to toe) among those *not moving forward* relative
    to the body: a swinging foot that grazes the floor on its way forward does not carry the
    walker backwards. No foot point sinks more than 1 cm below the floor.
    """
    n = len(feet)
    x = feet[..., 0].reshape(n, -1)
    y = feet[..., 1].reshape(n, -1)
    if periodic:
        dx = np.roll(x, -1, axis=0) - x
    else:
        dx = np.diff(x, axis=0, append=2 * x[-1:] - x[-2:-1])
    scale = 0.1 * float(np.median(np.abs(dx).max(axis=1))) + 1e-9
    backward = 0.5 * (1.0 - np.tanh(dx / scale))  # ~1 moving back (stance), ~0 moving forward (swing)
    low = y.min(axis=1, keepdims=True)
    w = np.exp(-(y - low) / _CONTACT_MM) * backward + 1e-12
    w /= w.sum(axis=1, keepdims=True)
    lift = -(w * y).sum(axis=1)
    lift = np.maximum(lift, -low[:, 0] - 0.01)
    return lift, -(w * dx).sum(axis=1)


def stride_length(curves: WalkCurves, body: Body, style: GaitStyle, eff: CovariateEffect, samples: int = 400) -> float:
    """Distance (m) one gait cycle of these curves carries the walker (rolling foot contact)."""
    phase = np.arange(samples) / samples
    _, feet, _ = _pose(phase, curves, body, style, eff)
    return float(_ground(feet, periodic=True)[1].sum())


def simulate(
    identity: Identity,
    rng: np.random.Generator,
    *,
    fps: float = 30.0,
    seconds: float = 4.0,
    covariate: str | None = None,
    direction: int = 1,
    speed: float | None = None,
    heading_deg: float | None = None,
    trial_variation: float = 1.0,
) -> Walk:
    """Simulate one walk of ``identity``: see :func:`gaitcli.synth.dataset.simulate_walk`."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, not {direction!r}")
    if not (fps > 0 and seconds > 0):
        raise ValueError("fps and seconds must be positive")
    body, style = identity.body, identity.style
    eff = sample_covariate(covariate, body, rng)
    leg = body.leg_length
    if speed is None:
        froude = style.froude * float(np.exp(rng.normal(0.0, style.speed_sd))) * eff.speed
    else:
        froude = float(speed) / np.sqrt(GRAVITY * leg)
    froude = float(np.clip(froude, 0.15, 0.75))
    curves = walk_curves(style, froude, rng, trial_variation=trial_variation)
    stride = stride_length(curves, body, style, eff, samples=200)
    if trial_variation > 0:
        # Trial-to-trial variation reshapes the curves, but people keep their stride length at a
        # given speed (within ~2 %): rescale the thigh swing to this person's own stride.
        usual = stride_length(walk_curves(style, froude, rng, trial_variation=0.0), body, style, eff, samples=200)
        target = usual * (1.0 + float(np.clip(rng.normal(0.0, 0.02), -0.05, 0.05)))
        for _ in range(2):
            curves.side["thigh"][:, 1:] *= target / stride
            stride = stride_length(curves, body, style, eff, samples=200)
    velocity = froude * np.sqrt(GRAVITY * leg)
    cadence = velocity / stride

    n_frames = max(2, int(round(seconds * fps)))
    n_fine = (n_frames - 1) * _OVERSAMPLE + 1
    t = np.arange(n_fine) / (fps * _OVERSAMPLE)
    # the pace wanders a little within the walk (+-0..3 % over a few seconds)
    wobble, period, offset = rng.uniform(0.0, 0.03), rng.uniform(3.0, 8.0), rng.uniform(0.0, 2 * np.pi)
    rate = cadence * (1.0 + wobble * np.sin(2 * np.pi * t / period + offset))
    start_phase = float(rng.random())
    phase = start_phase + np.concatenate([[0.0], np.cumsum((rate[1:] + rate[:-1]) / 2.0 * np.diff(t))])
    arm_jitter = None
    if eff.wrist_targets:  # held hands are not perfectly still: slow random drift of ~1-2 cm
        knots = rng.normal(0.0, 0.012, (int(seconds) + 3, 2, 3))
        arm_jitter = np.stack([np.stack([np.interp(t, np.arange(len(knots)) - 1.0, knots[:, s, k]) for k in range(3)], -1) for s in range(2)], 1)
    local, feet, soles = _pose(phase, curves, body, style, eff, arm_jitter, stride=stride)
    lift, _ = _ground(feet, periodic=False)
    for s, ankle in enumerate((R_ANKLE, L_ANKLE)):  # swinging feet clear the floor
        loaded = _stance_weight(np.mod(phase - (0.0 if s == 0 else curves.left_phase), 1.0))
        feet[:, s] = _foot(local[:, ankle], _clear_floor(local[:, ankle, 1] + lift, soles[:, s], body, loaded), body)
    # steady progress (one stride per cycle) plus the pelvis's own surge within the stride;
    # the planted feet stay put under it
    surge = curves.all_at(phase)[1]["pelvis_surge"] * leg
    forward = stride * (phase - phase[0]) + surge - surge[0]

    # heading: a small offset per walk plus a slow drift, then the walking direction
    h0 = rng.normal(0.0, 3.0) if heading_deg is None else float(heading_deg)
    drift = rng.normal(0.0, 2.0) * np.sin(2 * np.pi * t / rng.uniform(4.0, 12.0) + rng.uniform(0, 2 * np.pi))
    heading = h0 + drift + (0.0 if direction == 1 else 180.0)
    r_world = _rot(1, heading)  # (n, 3, 3): the walker's +x turned by `heading` about the vertical
    step = np.diff(forward, prepend=0.0)
    path = np.cumsum(_apply(r_world, np.array([1.0, 0.0, 0.0])) * step[:, None], axis=0)
    offset3 = np.array([0.0, 1.0, 0.0]) * lift[:, None]

    def to_world(points: np.ndarray) -> np.ndarray:
        shape = points.shape
        flat = points.reshape(len(points), -1, 3)
        world = np.einsum("nij,nkj->nki", r_world, flat) + (path + offset3)[:, None, :]
        return world.reshape(shape)

    joints = to_world(local)
    feet_w = to_world(feet)
    middle = (joints[0, PELVIS] + joints[-1, PELVIS]) / 2.0
    middle[1] = 0.0
    joints -= middle
    feet_w -= middle
    keep = slice(0, n_fine, _OVERSAMPLE)
    joints, feet_w = joints[keep], feet_w[keep]

    props: dict[str, np.ndarray] = {}
    if covariate == "bag":
        wrist = joints[:, R_WRIST if eff.side == 0 else L_WRIST]
        props["bag"] = wrist - np.array([0.0, 0.18, 0.0])
    elif covariate in ("phone", "texting"):
        held = [R_WRIST, L_WRIST][eff.side] if len(eff.wrist_targets) == 1 else None
        props["phone"] = joints[:, held] if held is not None else (joints[:, R_WRIST] + joints[:, L_WRIST]) / 2.0
    elif covariate == "carry":
        props["box"] = (joints[:, R_WRIST] + joints[:, L_WRIST]) / 2.0

    travelled = np.linalg.norm(np.diff(joints[:, PELVIS][:, [0, 2]], axis=0), axis=1).sum()
    meta = {
        "speed_mps": float(travelled / ((n_frames - 1) / fps)),
        "cadence_hz": float(cadence),
        "stride_length_m": float(stride),
        "froude": froude,
        "heading_deg": float(h0),
        "start_phase": start_phase,
        "covariate_side": ["right", "left"][eff.side] if eff.side >= 0 else None,
    }
    return Walk(
        joints=joints,
        feet=feet_w,
        fps=float(fps),
        identity_id=identity.identity_id,
        body=body,
        covariate=covariate,
        direction=int(direction),
        props=props,
        meta=meta,
    )
