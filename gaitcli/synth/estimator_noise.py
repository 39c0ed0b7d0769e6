"""Make projected joints look like a real pose estimator's output.

A pose engine does not see joint centres; it guesses them, frame by frame, with errors that
have a structure. :func:`apply_estimator_noise` reproduces the kinds that matter for gait:

* **Localisation noise** scaled to the person's size in the image (a fraction of their pixel
  height), larger for the joints estimators find hardest (wrists, hips, head top, ankles) and
  for joints hidden behind the body.
* **Temporal jitter**: part white (frame-to-frame flicker), part correlated over a few frames
  (an AR(1) drift), plus a small per-frame scale wobble of the whole skeleton (detector crops).
* **Left/right swaps**: short episodes where an estimator mixes up the two legs (most often
  while they cross in mid-stance) or the two arms.
* **Dropped joints**: now and then a joint is lost: probability near 0 and a position that is
  off by a lot.
* **Probabilities** in [0, 1]: high for joints in plain view, lower for far-side limbs and
  occluded joints, a little noisy, occasionally lower for a whole frame (motion blur). As
  BlazePose does on a real profile walk (../shared/data/videos/walk_profile_outdoor.mp4: hidden
  hips and shoulders still ~0.99, the far knee ~0.8 and ankle ~0.9, the far elbow and wrist
  ~0.4-0.5 and often below 0.1), hidden trunk joints keep most of their probability, hidden
  leg joints some, hidden arm joints little.
* **Derived joints**: ``pelvis`` and ``thorax`` are the midpoints of the (noisy) hips and
  shoulders with the mean of their probabilities, as the keypoint engines define them.

Every parameter is drawn per walk (:func:`sample_noise_profile`), never per person: a real
video's noise says nothing about who walks in it.
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

#: How hard each joint is to localise, relative to the others (seed order).
JOINT_DIFFICULTY = np.ones(NUM_JOINTS)
JOINT_DIFFICULTY[[R_ANKLE, L_ANKLE]] = 1.3
JOINT_DIFFICULTY[[R_KNEE, L_KNEE]] = 1.0
JOINT_DIFFICULTY[[R_HIP, L_HIP]] = 1.5
JOINT_DIFFICULTY[PELVIS] = 1.1
JOINT_DIFFICULTY[THORAX] = 0.8
JOINT_DIFFICULTY[UPPER_NECK] = 1.0
JOINT_DIFFICULTY[HEAD_TOP] = 1.4
JOINT_DIFFICULTY[[R_SHOULDER, L_SHOULDER]] = 1.0
JOINT_DIFFICULTY[[R_ELBOW, L_ELBOW]] = 1.3
JOINT_DIFFICULTY[[R_WRIST, L_WRIST]] = 1.7

#: Which hidden-joint behaviour each joint follows: 0 trunk and head, 1 legs, 2 arms.
_JOINT_GROUP = np.zeros(NUM_JOINTS, dtype=int)
_JOINT_GROUP[[R_KNEE, L_KNEE, R_ANKLE, L_ANKLE]] = 1
_JOINT_GROUP[[R_ELBOW, L_ELBOW, R_WRIST, L_WRIST]] = 2
_LIMB = _JOINT_GROUP > 0

_LEG_PAIRS = ((R_HIP, L_HIP), (R_KNEE, L_KNEE), (R_ANKLE, L_ANKLE))
_ARM_PAIRS = ((R_SHOULDER, L_SHOULDER), (R_ELBOW, L_ELBOW), (R_WRIST, L_WRIST))


@dataclass(frozen=True)
class NoiseProfile:
    """One walk's estimator behaviour (see the module docstring); ``sigma`` is in units of the
    person's pixel height."""

    sigma: float
    correlation: float  # AR(1) coefficient of the drifting part
    white_share: float  # share of the variance that flickers frame to frame
    scale_wobble: float  # sd of the per-frame scale error of the whole skeleton
    swap_rate: float  # chance per frame that a left/right swap starts
    drop_rate: float  # chance per joint and frame of losing the joint
    prob_visible: float  # typical probability of a joint in plain view
    hidden_floor: tuple[float, float, float]  # share of it a hidden trunk/leg/arm joint keeps
    far_side: float  # factor on the probability of far-side limb joints (knees to wrists)
    blur_rate: float  # chance per frame of a low-confidence (blurred) frame


def sample_noise_profile(rng: np.random.Generator, level: float = 1.0) -> NoiseProfile:
    """Draw one walk's estimator behaviour; ``level`` scales every error (0: a perfect estimator,
    1: typical of a good single-person estimator on a person 150-500 px tall, 2: a poor one)."""
    level = max(float(level), 0.0)
    return NoiseProfile(
        sigma=level * rng.uniform(0.004, 0.014),
        correlation=rng.uniform(0.3, 0.85),
        white_share=rng.uniform(0.3, 0.7),
        scale_wobble=level * rng.uniform(0.0, 0.012),
        swap_rate=level * rng.uniform(0.0, 0.015),
        drop_rate=level * rng.uniform(0.0, 0.006),
        prob_visible=float(np.clip(rng.uniform(0.85, 0.99) - 0.05 * level * rng.random(), 0.3, 1.0)),
        hidden_floor=(rng.uniform(0.75, 1.0), rng.uniform(0.5, 1.0), rng.uniform(0.05, 0.7)),
        far_side=rng.uniform(0.6, 1.0),
        blur_rate=level * rng.uniform(0.0, 0.03),
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
    vis = np.clip(np.asarray(visibility, dtype=np.float64), 0.0, 1.0)
    far = np.asarray(far_side, dtype=bool)
    t = xy.shape[0]
    # the person's size in pixels, per frame (head top to the lower ankle), lightly smoothed
    ankles = np.maximum(xy[:, R_ANKLE, 1], xy[:, L_ANKLE, 1])
    height = np.maximum(ankles - xy[:, HEAD_TOP, 1], 1.0)
    height = np.convolve(np.pad(height, 2, mode="edge"), np.ones(5) / 5, mode="valid")

    # 1. left/right swaps (before the noise: the estimator places the wrong limb precisely)
    crossing = np.abs(xy[:, R_ANKLE, 0] - xy[:, L_ANKLE, 0]) / height  # legs cross when ~0
    start_p = profile.swap_rate * (1.0 + 4.0 * np.exp(-crossing / 0.05))
    frame = 0
    while frame < t:
        if rng.random() < start_p[frame]:
            length = int(rng.geometric(0.35))
            pairs = _LEG_PAIRS if rng.random() < 0.75 else _ARM_PAIRS
            if rng.random() < 0.5:  # often only the lower limb is mixed up
                pairs = pairs[1:]
            span = slice(frame, min(t, frame + length))
            for a, b in pairs:
                xy[span, a], xy[span, b] = xy[span, b].copy(), xy[span, a].copy()
            frame += length
        frame += 1

    # 2. localisation noise: white + drifting, per joint, larger when hidden
    sd = profile.sigma * height[:, None] * JOINT_DIFFICULTY[None, :] * (1.0 + 1.5 * (1.0 - vis))
    white = rng.standard_normal(xy.shape)
    drift = _ar1(rng, xy.shape, profile.correlation)
    mix = np.sqrt(profile.white_share) * white + np.sqrt(1.0 - profile.white_share) * drift
    xy += mix * sd[..., None]
    # whole-skeleton scale wobble about the pelvis (detector crops differ frame to frame)
    wobble = 1.0 + profile.scale_wobble * _ar1(rng, (t,), 0.7)
    centre = xy[:, PELVIS : PELVIS + 1]
    xy = centre + (xy - centre) * wobble[:, None, None]

    # 3. probabilities
    floor = np.asarray(profile.hidden_floor)[_JOINT_GROUP]
    base = profile.prob_visible * (floor + (1.0 - floor) * vis)
    base = np.where(far & _LIMB, base * profile.far_side, base)
    probs = base + rng.normal(0.0, 0.04, base.shape)
    blurred = rng.random(t) < profile.blur_rate
    probs[blurred] *= rng.uniform(0.4, 0.8, (int(blurred.sum()), 1))

    # 4. dropped joints: lost, badly placed, probability ~0
    dropped = rng.random(probs.shape) < profile.drop_rate
    if dropped.any():
        probs[dropped] = rng.uniform(0.0, 0.04, int(dropped.sum()))
        xy[dropped] += rng.normal(0.0, 0.25, (int(dropped.sum()), 2)) * height[np.nonzero(dropped)[0], None]

    # 5. pelvis and thorax are not seen but derived, as the pose engines do: the midpoints of
    #    the hips and of the shoulders, with the mean of their probabilities
    probs = np.clip(probs, 0.0, 1.0)
    for centre_joint, (a, b) in ((PELVIS, (R_HIP, L_HIP)), (THORAX, (R_SHOULDER, L_SHOULDER))):
        xy[:, centre_joint] = (xy[:, a] + xy[:, b]) / 2.0
        probs[:, centre_joint] = (probs[:, a] + probs[:, b]) / 2.0
    return xy, probs
