"""Per-identity bodies: segment lengths and proportions with realistic anthropometric variation.

Proportions follow the classic segment-length fractions of stature (Drillis & Contini, as
tabulated in Winter's *Biomechanics and Motor Control of Human Movement*): hip 0.530 H, knee
0.285 H, ankle 0.039 H, shoulder 0.818 H, chin 0.870 H, upper arm 0.186 H, forearm 0.146 H.
Every person draws a stature from their sex's distribution (adult means 1.76 m / 1.63 m,
sd 7 / 6.5 cm) and then personal proportion factors (leg length, thigh/shank split, arm
length, shoulder and hip breadth, neck, head), each a few percent, so two people of one
height still differ in shape, as real people do.

Joints are the seed's 16 (see :data:`gaitcli.constants.JOINT_NAMES`); here their *anatomical*
placement is fixed once: ``pelvis`` is the midpoint of the two hip joint centres, ``thorax``
the midpoint of the two shoulder joint centres (as the pose engines define both), ``upper_neck`` the top of
the neck under the chin, ``head_top`` the vertex of the skull.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MALE_HEIGHT = (1.76, 0.070)  # mean, sd in metres
FEMALE_HEIGHT = (1.63, 0.065)


@dataclass(frozen=True)
class Body:
    """One person's skeleton (metres) and build.

    Lengths are between joint centres. ``foot_*`` describe the foot (not one of the 16
    joints, but it carries the walker on the ground): the ball of the foot lies
    ``foot_forward`` ahead of and ``ankle_height`` below the ankle, the heel
    ``heel_back`` behind it.
    """

    sex: str  # "female" | "male"
    height: float  # stature, floor to head top, standing
    thigh: float  # hip -> knee
    shank: float  # knee -> ankle
    ankle_height: float  # ankle centre above the sole
    foot_forward: float  # ankle -> ball of the foot, along the sole
    heel_back: float  # ankle -> heel, along the sole
    hip_width: float  # right hip centre <-> left hip centre
    torso: float  # pelvis -> thorax (mid-hips -> mid-shoulders)
    shoulder_width: float  # right shoulder centre <-> left shoulder centre
    neck: float  # thorax -> upper neck
    head: float  # upper neck -> head top
    upper_arm: float  # shoulder -> elbow
    forearm: float  # elbow -> wrist
    mass: float  # kg
    girth: float  # build factor for renderers: 1.0 average, ~0.85 slim .. ~1.3 heavy

    @property
    def leg_length(self) -> float:
        """Hip joint centre to the floor, standing (the length gait scales with)."""
        return self.thigh + self.shank + self.ankle_height

    @property
    def pelvis_height(self) -> float:
        """Pelvis above the floor, standing."""
        return self.leg_length

    def standing_height(self) -> float:
        """Floor to head top when standing straight (recomputed from the segments)."""
        return self.leg_length + self.torso + self.neck + self.head


def sample_body(rng: np.random.Generator, sex: str | None = None) -> Body:
    """Draw one adult body: sex, stature, personal proportions and build.

    ``sex`` is drawn (50/50) when not given. Deterministic for a given ``rng`` state.
    """
    if sex is None:
        sex = "female" if rng.random() < 0.5 else "male"
    if sex not in ("female", "male"):
        raise ValueError(f"sex must be 'female' or 'male', not {sex!r}")
    mean, sd = FEMALE_HEIGHT if sex == "female" else MALE_HEIGHT
    stature = float(np.clip(rng.normal(mean, sd), mean - 3 * sd, mean + 3 * sd))

    def factor(sd_: float) -> float:  # a personal proportion factor, truncated at 2.5 sd
        return float(1.0 + sd_ * np.clip(rng.standard_normal(), -2.5, 2.5))

    leg = factor(0.025)  # relative leg length (the sitting-height ratio varies ~2-3 %)
    split = factor(0.02)  # thigh vs shank
    arm = factor(0.03)
    female = sex == "female"
    h = stature
    # Segment fractions of stature; legs are rescaled by `leg`, the trunk takes up the rest so
    # that stature stays as drawn (long-legged people have shorter trunks, not more height).
    ankle_height = 0.039 * h * factor(0.05)
    thigh = 0.245 * h * leg * split
    shank = 0.246 * h * leg / split
    head = 0.125 * h * factor(0.04)
    neck = 0.057 * h * factor(0.10)
    torso = h - (ankle_height + thigh + shank) - neck - head
    shoulder_width = (0.195 if female else 0.212) * h * factor(0.05)
    hip_width = (0.105 if female else 0.095) * h * factor(0.06)
    foot = (0.148 if female else 0.152) * h * factor(0.04)  # heel to toe tip
    bmi = float(np.clip(rng.normal(23.5 if female else 25.0, 3.5), 17.0, 38.0))
    mass = bmi * h * h
    return Body(
        sex=sex,
        height=h,
        thigh=thigh,
        shank=shank,
        ankle_height=ankle_height,
        foot_forward=0.52 * foot,
        heel_back=0.22 * foot,
        hip_width=hip_width,
        torso=torso,
        shoulder_width=shoulder_width,
        neck=neck,
        head=head,
        upper_arm=0.186 * h * arm * factor(0.02),
        forearm=0.146 * h * arm * factor(0.02),
        mass=mass,
        girth=float((bmi / 24.0) ** 0.8),
    )
