"""Covariates: what people carry or wear changes how they walk.

Each covariate is drawn per walk (:func:`sample_covariate`) as a :class:`CovariateEffect` that
the walker applies on top of the person's own gait:

* ``bag`` -- a bag in one hand: that arm's swing drops to 15-40 %, its elbow straightens, the
  arm hangs a little away from the body, the trunk leans away from the load, steps shorten a
  little.
* ``coat`` -- a heavy coat: both arms swing less (60-85 %) and a little wider, steps are
  slightly shorter and slower, the shoulders look broader.
* ``phone`` -- a phone at the ear: that hand is held at the ear (fixed, moving with the head),
  the other arm swings less, the head tilts towards the phone.
* ``texting`` -- looking at a phone: one or both hands held in front of the chest, head bent
  down, slower and shorter steps.
* ``carry`` -- carrying something in front: both hands in front of the belly, trunk leaning
  back a little, slower and shorter steps.

Fixed hands are given as *wrist targets* in the trunk frame (metres from the thorax; ``x``
forward, ``y`` up, ``z`` to the person's right); the walker reaches them with two-bone IK.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaitcli.synth.body import Body

COVARIATES: tuple[str, ...] = ("bag", "coat", "phone", "texting", "carry")

RIGHT, LEFT = 0, 1


@dataclass
class CovariateEffect:
    """How one covariate changes one walk (factors are 1.0 and offsets 0.0 for a plain walk).

    ``arm_swing`` (2,): scales the swing of the right/left arm (shoulder and elbow curves about
    their means); ``elbow_add``, ``abduction_add`` (2,) degrees; ``step``: scales the swing of
    thighs and knees about their means; ``speed``: scales walking speed; ``trunk_pitch_add``,
    ``trunk_roll_add`` (+ right), ``neck_pitch_add``, ``head_roll`` degrees;
    ``shoulder_width_add`` metres; ``wrist_targets``: side -> (3,) fixed wrist position in the
    trunk frame; ``side``: the hand that holds the bag/phone (0 right, 1 left, -1 none).
    """

    name: str | None = None
    side: int = -1
    arm_swing: np.ndarray = field(default_factory=lambda: np.ones(2))
    elbow_add: np.ndarray = field(default_factory=lambda: np.zeros(2))
    abduction_add: np.ndarray = field(default_factory=lambda: np.zeros(2))
    step: float = 1.0
    speed: float = 1.0
    trunk_pitch_add: float = 0.0
    trunk_roll_add: float = 0.0
    neck_pitch_add: float = 0.0
    head_roll: float = 0.0
    shoulder_width_add: float = 0.0
    wrist_targets: dict[int, np.ndarray] = field(default_factory=dict)


def sample_covariate(name: str | None, body: Body, rng: np.random.Generator) -> CovariateEffect:
    """Draw the effect of covariate ``name`` (one of :data:`COVARIATES`, or None for a plain walk)
    on a person with ``body``; which hand and how strongly are drawn per walk."""
    if name is None:
        return CovariateEffect()
    if name not in COVARIATES:
        raise ValueError(f"unknown covariate {name!r}; choose one of {', '.join(COVARIATES)} or None")
    side = int(rng.integers(2))
    out = 1.0 if side == RIGHT else -1.0  # +z is the person's right
    u = rng.uniform
    eff = CovariateEffect(name=name, side=side)
    if name == "bag":
        eff.arm_swing[side] = u(0.15, 0.4)
        eff.arm_swing[1 - side] = u(0.9, 1.1)
        eff.elbow_add[side] = -u(10.0, 25.0)  # straighter elbow under the load
        eff.abduction_add[side] = u(4.0, 12.0)
        eff.trunk_roll_add = -out * u(1.5, 5.0)  # lean away from the bag
        eff.step = u(0.93, 1.0)
        eff.speed = u(0.92, 1.0)
    elif name == "coat":
        eff.arm_swing[:] = u(0.6, 0.85)
        eff.abduction_add[:] = u(3.0, 8.0)
        eff.step = u(0.92, 0.99)
        eff.speed = u(0.93, 1.0)
        eff.shoulder_width_add = u(0.02, 0.05)
    elif name == "phone":
        eff.wrist_targets[side] = np.array([u(0.0, 0.06), body.neck * u(0.55, 0.9), out * (body.shoulder_width / 2 - u(0.04, 0.08))])
        eff.arm_swing[1 - side] = u(0.5, 0.9)
        eff.head_roll = out * u(3.0, 12.0)  # head tilts towards the phone
        eff.speed = u(0.88, 1.0)
        eff.step = u(0.93, 1.0)
    elif name == "texting":
        both = rng.random() < 0.6
        hands = (RIGHT, LEFT) if both else (side,)
        fwd, down = u(0.22, 0.32), body.torso * u(0.3, 0.5)
        for h in hands:
            lateral = (1.0 if h == RIGHT else -1.0) * (u(0.04, 0.08) if both else u(0.04, 0.12))
            eff.wrist_targets[h] = np.array([fwd, -down, lateral])
        if not both:
            eff.arm_swing[1 - side] = u(0.5, 0.9)
        eff.neck_pitch_add = u(15.0, 35.0)
        eff.speed = u(0.8, 0.95)
        eff.step = u(0.88, 0.97)
    elif name == "carry":
        fwd, down, half = u(0.3, 0.42), body.torso * u(0.45, 0.7), u(0.12, 0.2)
        eff.wrist_targets[RIGHT] = np.array([fwd, -down, half])
        eff.wrist_targets[LEFT] = np.array([fwd, -down, -half])
        eff.trunk_pitch_add = -u(1.0, 5.0)  # lean back against the load
        eff.speed = u(0.85, 0.97)
        eff.step = u(0.9, 0.98)
    return eff
