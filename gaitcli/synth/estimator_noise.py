"""Make projected joints look like a real pose estimator's output — BlazePose's, as measured.

A pose engine does not see joint centres; it guesses them, frame by frame, with errors that
have a structure. :func:`apply_estimator_noise` reproduces the kinds that matter for gait, with
sizes fitted to the default engine by ``scripts/estimator_calibration.py`` (BlazePose in
tracking mode on 40 rendered walks of known joints; see docs/synthetic-walkers.md, "How the estimator noise
is fitted to BlazePose"); ``level`` 1 of :func:`sample_noise_profile` is that fit:

* **Systematic offsets**: where the estimator puts a joint relative to the joint centre (the
  head top ahead, the ankles high, ...; legs by front and back leg), scaled per walk, plus
  offsets of the walk's own (the same for a whole clip) and what clothes do: under a heavy coat
  BlazePose places the hips 3.6 % of the person's height lower.
* **Left/right swaps**: short episodes where the estimator mixes up the two legs (whole legs,
  or just a knee or an ankle, mostly while they pass each other) or the two arms (a quarter of
  the frames in profile). The swapped joint keeps the probability of what the estimator sees
  where it puts it.
* **Localisation noise** scaled to the person's size in the image, per joint and axis (mostly
  along the walk for the limbs), larger for joints hidden behind the body; part white
  (frame-to-frame flicker), part correlated over a few frames (an AR(1) drift), plus a small
  per-frame scale wobble of the whole skeleton (detector crops).
* **Dropped joints** (rare with BlazePose, which always answers): probability near 0 and a
  position that is off by a lot.
* **Probabilities** in [0, 1]: ~1 for the trunk even where hidden, lower for far-side legs,
  0.1-0.3 for the far arm (as BlazePose on rendered walks and on the real profile walk
  ../shared/data/videos/walk_profile_outdoor.mp4), a little noisy, occasionally lower for a
  whole frame (motion blur).
* **Derived joints**: ``pelvis`` and ``thorax`` are the midpoints of the (noisy) hips and
  shoulders with the mean of their probabilities, as the keypoint engines define them.

Every parameter is drawn per walk (:func:`sample_noise_profile`), never per person: a real
video's noise says nothing about who walks in it.
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
from gaitcli.features.joint_maps import right_leg_in_front

#: How hard each joint is to localise along x (the walking direction) and y, relative to the
#: profile's ``sigma`` (seed order). Fitted with ``scripts/estimator_calibration.py`` to BlazePose
#: on rendered walks of known joints: the legs and arms err most and mostly along the walk, the
#: trunk and head least.
JOINT_DIFFICULTY = np.ones((NUM_JOINTS, 2))
JOINT_DIFFICULTY[[R_ANKLE, L_ANKLE]] = (0.9, 2.7)
JOINT_DIFFICULTY[[R_KNEE, L_KNEE]] = (3.1, 2.1)
JOINT_DIFFICULTY[[R_HIP, L_HIP]] = (1.0, 0.8)
JOINT_DIFFICULTY[PELVIS] = (1.0, 0.8)  # derived from the hips in the end
JOINT_DIFFICULTY[UPPER_NECK] = (0.4, 0.6)
JOINT_DIFFICULTY[HEAD_TOP] = (0.8, 0.4)
JOINT_DIFFICULTY[[R_SHOULDER, L_SHOULDER]] = (1.3, 0.5)
JOINT_DIFFICULTY[[R_ELBOW, L_ELBOW]] = (1.3, 1.1)
JOINT_DIFFICULTY[[R_WRIST, L_WRIST]] = (1.0, 0.8)

#: Where the estimator puts a joint on average relative to the joint centre, in person heights
#: (+x ahead in the walking direction, +y down), from the same calibration: the head top ahead,
#: hips low, ankles high, elbows ahead. Legs are given front leg / back leg (rows 0 and 1 of
#: ``LEG_BIAS``: hip, knee, ankle), since an estimator's leg labels are unreliable in profile.
JOINT_BIAS = np.zeros((NUM_JOINTS, 2))
JOINT_BIAS[HEAD_TOP] = (0.017, -0.005)
JOINT_BIAS[[R_ELBOW, L_ELBOW]] = (0.014, -0.007)
JOINT_BIAS[[R_WRIST, L_WRIST]] = (0.004, 0.002)
JOINT_BIAS[[R_SHOULDER, L_SHOULDER]] = (-0.005, 0.005)
LEG_BIAS = np.array([
    [(0.013, 0.006), (-0.019, -0.002), (-0.008, -0.020)],  # front leg: hip, knee, ankle
    [(-0.004, 0.006), (-0.003, -0.008), (0.018, -0.011)],  # back leg
])

#: What clothes do to those offsets: under a heavy coat the hips are placed 3.6 % of the
#: person's height lower (the torso comes out 11 % longer), consistently from walk to walk.
COVARIATE_BIAS = {"coat": np.zeros((NUM_JOINTS, 2))}
COVARIATE_BIAS["coat"][[R_HIP, L_HIP]] = (0.0, 0.036)
COVARIATE_BIAS["coat"][[R_SHOULDER, L_SHOULDER]] = (0.0, 0.006)

#: How much the offsets differ from walk to walk (sd, person heights; the same clothes and
#: scene give the same offsets for a whole clip, other clips other ones).
WALK_OFFSET_SD = np.zeros((NUM_JOINTS, 2))
WALK_OFFSET_SD[[R_ANKLE, L_ANKLE]] = (0.008, 0.008)
WALK_OFFSET_SD[[R_KNEE, L_KNEE]] = (0.010, 0.009)
WALK_OFFSET_SD[[R_HIP, L_HIP]] = (0.010, 0.011)
WALK_OFFSET_SD[HEAD_TOP] = (0.009, 0.008)
WALK_OFFSET_SD[UPPER_NECK] = (0.005, 0.007)
WALK_OFFSET_SD[[R_SHOULDER, L_SHOULDER]] = (0.015, 0.008)
WALK_OFFSET_SD[[R_ELBOW, L_ELBOW]] = (0.015, 0.010)
WALK_OFFSET_SD[[R_WRIST, L_WRIST]] = (0.020, 0.011)

#: Which hidden-joint behaviour each joint follows: 0 trunk and head, 1 legs, 2 arms.
_JOINT_GROUP = np.zeros(NUM_JOINTS, dtype=int)
_JOINT_GROUP[[R_KNEE, L_KNEE, R_ANKLE, L_ANKLE]] = 1
_JOINT_GROUP[[R_ELBOW, L_ELBOW, R_WRIST, L_WRIST]] = 2
_LIMB = _JOINT_GROUP > 0

_LEG_PAIRS = ((R_HIP, L_HIP), (R_KNEE, L_KNEE), (R_ANKLE, L_ANKLE))
_ARM_PAIRS = ((R_SHOULDER, L_SHOULDER), (R_ELBOW, L_ELBOW), (R_WRIST, L_WRIST))
_RIGHT_LEG = (R_HIP, R_KNEE, R_ANKLE)
_LEFT_LEG = (L_HIP, L_KNEE, L_ANKLE)


@dataclass(frozen=True)
class NoiseProfile:
    """One walk's estimator behaviour (see the module docstring); ``sigma`` is in units of the
    person's pixel height."""

    sigma: float
    correlation: float  # AR(1) coefficient of the drifting part
    white_share: float  # share of the variance that flickers frame to frame
    scale_wobble: float  # sd of the per-frame scale error of the whole skeleton
    swap_rate: float  # chance per frame that a whole-leg left/right swap starts
    drop_rate: float  # chance per joint and frame of losing the joint
    prob_visible: float  # typical probability of a joint in plain view
    hidden_floor: tuple[float, float, float]  # share of it a hidden trunk/leg/arm joint keeps
    far_side: float  # factor on the probability of far-side limb joints (knees to wrists)
    blur_rate: float  # chance per frame of a low-confidence (blurred) frame
    arm_swap_rate: float = 0.0  # chance per frame that an arm left/right swap starts
    mix_rate: float = 0.0  # chance per frame that one knee or one ankle takes the other's place
    bias: float = 0.0  # factor on the estimator's systematic offsets (JOINT_BIAS, LEG_BIAS)
    #: (16, 2) this walk's own offsets in person heights (+x ahead, +y down): a draw of
    #: WALK_OFFSET_SD plus what the walker wears (COVARIATE_BIAS)
    offsets: np.ndarray | None = field(default=None, compare=False)


def sample_noise_profile(rng: np.random.Generator, level: float = 1.0, covariate: str | None = None) -> NoiseProfile:
    """Draw one walk's estimator behaviour; ``level`` scales every error (0: a perfect estimator,
    1: BlazePose on a person 150-300 px tall, as calibrated, 2: a poor estimator); ``covariate``
    is what the walker carries or wears ("coat", ...; see :data:`COVARIATE_BIAS`)."""
    level = max(float(level), 0.0)
    bias = level * rng.uniform(0.5, 1.5)
    offsets = level * WALK_OFFSET_SD * rng.standard_normal(WALK_OFFSET_SD.shape)
    if covariate in COVARIATE_BIAS:
        offsets = offsets + bias * COVARIATE_BIAS[covariate]
    return NoiseProfile(
        sigma=level * rng.uniform(0.004, 0.008),
        correlation=rng.uniform(0.6, 0.9),
        white_share=rng.uniform(0.15, 0.45),
        scale_wobble=level * rng.uniform(0.0, 0.006),
        swap_rate=level * rng.uniform(0.0, 0.1),
        drop_rate=level * rng.uniform(0.0, 0.001),
        prob_visible=float(np.clip(rng.uniform(0.95, 1.0) - 0.03 * level * rng.random(), 0.3, 1.0)),
        hidden_floor=(rng.uniform(0.95, 1.0), rng.uniform(0.7, 1.0), rng.uniform(0.0, 0.3)),
        far_side=rng.uniform(0.4, 1.0),
        blur_rate=level * rng.uniform(0.0, 0.03),
        arm_swap_rate=level * rng.uniform(0.03, 0.15),
        mix_rate=level * rng.uniform(0.0, 0.02),
        bias=bias,
        offsets=offsets,
    )


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], rho: float) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 0."""
    eps = rng.standard_normal(shape)
    out = np.empty(shape)
    out[0] = eps[0]
    k = np.sqrt(1.0 - rho * rho)
    for t in range(1, shape[0]):
        out[t] = rho * out[t - 1] + k * eps[t]
    return out


def _episodes(rng: np.random.Generator, start_p: np.ndarray):
    """Spans of frames (slices) where an error episode runs; one may start at frame t with
    probability ``start_p[t]`` and lasts a geometric number of frames (mean ~3)."""
    t, frame = len(start_p), 0
    while frame < t:
        if rng.random() < start_p[frame]:
            length = int(rng.geometric(0.35))
            yield slice(frame, min(t, frame + length))
            frame += length
        frame += 1


def _swap(arrays: tuple[np.ndarray, ...], span: slice, pairs) -> None:
    for array in arrays:
        for a, b in pairs:
            array[span, a], array[span, b] = array[span, b].copy(), array[span, a].copy()


def _systematic_offsets(xy: np.ndarray, direction: float) -> np.ndarray:
    """(T, 16, 2) offsets in person heights: ``JOINT_BIAS`` plus ``LEG_BIAS`` by which leg is in front."""
    t = xy.shape[0]
    right_front = right_leg_in_front(direction * xy[..., 0])  # the rule joint-maps-v2 orders the legs by
    bias = np.repeat(JOINT_BIAS[None], t, axis=0)
    for k, (r, l) in enumerate(zip(_RIGHT_LEG, _LEFT_LEG)):
        bias[:, r] = np.where(right_front[:, None], LEG_BIAS[0, k], LEG_BIAS[1, k])
        bias[:, l] = np.where(right_front[:, None], LEG_BIAS[1, k], LEG_BIAS[0, k])
    bias[..., 0] *= direction
    return bias


def apply_estimator_noise(
    xy: np.ndarray,
    visibility: np.ndarray,
    far_side: np.ndarray,
    rng: np.random.Generator,
    profile: NoiseProfile,
) -> tuple[np.ndarray, np.ndarray]:
    """Turn clean pixel joints ``xy`` (T, 16, 2) into an estimator's ``(xy, probabilities)``.

    ``visibility`` (T, 16) in [0, 1] and ``far_side`` (T, 16) bool come from
    :func:`gaitcli.synth.camera.project_walk`.
    """
    xy = np.array(xy, dtype=np.float64, copy=True)
    vis = np.clip(np.array(visibility, dtype=np.float64, copy=True), 0.0, 1.0)
    far = np.array(far_side, dtype=bool, copy=True)
    t = xy.shape[0]
    # the person's size in pixels, per frame (head top to the lower ankle), lightly smoothed
    ankles = np.maximum(xy[:, R_ANKLE, 1], xy[:, L_ANKLE, 1])
    height = np.maximum(ankles - xy[:, HEAD_TOP, 1], 1.0)
    height = np.convolve(np.pad(height, 2, mode="edge"), np.ones(5) / 5, mode="valid")
    direction = 1.0 if xy[-1, PELVIS, 0] >= xy[0, PELVIS, 0] else -1.0

    # 1. systematic offsets: where this estimator puts each joint relative to the joint centre
    offsets = profile.bias * _systematic_offsets(xy, direction)
    if profile.offsets is not None:
        offsets += np.asarray(profile.offsets, dtype=np.float64)[None] * np.array([direction, 1.0])
    xy += offsets * height[:, None, None]

    # 2. left/right swaps (before the noise: the estimator places the wrong limb precisely, and
    #    the probability goes with what it sees there)
    seen = (xy, vis, far)
    crossing = np.abs(xy[:, R_ANKLE, 0] - xy[:, L_ANKLE, 0]) / height  # legs cross when ~0
    for span in _episodes(rng, profile.swap_rate * (1.0 + 4.0 * np.exp(-crossing / 0.05))):
        _swap(seen, span, _LEG_PAIRS if rng.random() < 0.5 else _LEG_PAIRS[1:])
    for span in _episodes(rng, np.full(t, profile.arm_swap_rate)):
        _swap(seen, span, _ARM_PAIRS if rng.random() < 0.5 else _ARM_PAIRS[1:])
    for a, b in ((R_KNEE, L_KNEE), (R_ANKLE, L_ANKLE)):  # one joint of a leg mixed up, mostly when close
        close = np.abs(xy[:, a, 0] - xy[:, b, 0]) / height
        for span in _episodes(rng, profile.mix_rate * (1.0 + 6.0 * np.exp(-close / 0.04))):
            _swap(seen, span, ((a, b),))

    # 3. localisation noise: white + drifting, per joint and axis, larger when hidden
    sd = profile.sigma * height[:, None, None] * JOINT_DIFFICULTY[None] * (1.0 + 1.5 * (1.0 - vis))[..., None]
    white = rng.standard_normal(xy.shape)
    drift = _ar1(rng, xy.shape, profile.correlation)
    mix = np.sqrt(profile.white_share) * white + np.sqrt(1.0 - profile.white_share) * drift
    xy += mix * sd
    # whole-skeleton scale wobble about the pelvis (detector crops differ frame to frame)
    wobble = 1.0 + profile.scale_wobble * _ar1(rng, (t,), 0.7)
    centre = xy[:, PELVIS : PELVIS + 1]
    xy = centre + (xy - centre) * wobble[:, None, None]

    # 4. probabilities
    floor = np.asarray(profile.hidden_floor)[_JOINT_GROUP]
    base = profile.prob_visible * (floor + (1.0 - floor) * vis)
    base = np.where(far & _LIMB, base * profile.far_side, base)
    probs = base + rng.normal(0.0, 0.04, base.shape)
    blurred = rng.random(t) < profile.blur_rate
    probs[blurred] *= rng.uniform(0.4, 0.8, (int(blurred.sum()), 1))

    # 5. dropped joints: lost, badly placed, probability ~0
    dropped = rng.random(probs.shape) < profile.drop_rate
    if dropped.any():
        probs[dropped] = rng.uniform(0.0, 0.04, int(dropped.sum()))
        xy[dropped] += rng.normal(0.0, 0.25, (int(dropped.sum()), 2)) * height[np.nonzero(dropped)[0], None]

    # 6. pelvis and thorax are not seen but derived, as the pose engines do: the midpoints of
    #    the hips and of the shoulders, with the mean of their probabilities
    probs = np.clip(probs, 0.0, 1.0)
    for centre_joint, (a, b) in ((PELVIS, (R_HIP, L_HIP)), (THORAX, (R_SHOULDER, L_SHOULDER))):
        xy[:, centre_joint] = (xy[:, a] + xy[:, b]) / 2.0
        probs[:, centre_joint] = (probs[:, a] + probs[:, b]) / 2.0
    return xy, probs
