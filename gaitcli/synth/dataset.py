"""The synthetic gait dataset: identities, walks, and what a pose engine would report on them.

Everything here is deterministic given its seed/rng. The training script calls
:func:`make_sequences`; renderers call :func:`sample_identity` + :func:`simulate_walk` and
project with :mod:`gaitcli.synth.camera`.

What is personal (drawn once per :class:`~gaitcli.synth.walker.Identity`): sex, stature,
segment proportions and build (:mod:`~gaitcli.synth.body`); the gait style -- joint-angle
curves, arm swing, trunk and pelvis motion, left/right asymmetry, preferred speed, step width,
head carriage (:mod:`~gaitcli.synth.gait_curves`).

What is drawn per walk, independently of the person (nothing here may tell people apart):
speed around the person's preference, trial-to-trial variation of the curves, start phase,
heading and its drift, walking direction, covariate, duration, frame rate, camera (distance,
height, field of view, yaw, image size) and the pose estimator's noise profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcli.constants import PELVIS
from gaitcli.synth import camera as cam
from gaitcli.synth.body import sample_body
from gaitcli.synth.covariates import COVARIATES, CovariateEffect
from gaitcli.synth.estimator_noise import NoiseProfile, apply_estimator_noise, sample_noise_profile
from gaitcli.synth.gait_curves import GRAVITY, plausible, sample_style, walk_curves
from gaitcli.synth.walker import Identity, Walk, simulate, stride_length

__all__ = [
    "COVARIATES",
    "Identity",
    "Observation",
    "Walk",
    "make_sequences",
    "mocap_available",
    "mocap_walks",
    "observe",
    "observe_walk",
    "sample_identity",
    "simulate_walk",
    "synthetic_identity",
    "synthetic_walk",
    "WalkOptions",
]

#: Image sizes (H, W) a walk may be filmed at.
IMAGE_SIZES: tuple[tuple[int, int], ...] = ((360, 640), (480, 640), (576, 768), (720, 1280), (1080, 1920))
#: Plausible natural cadence (strides per second) and stride length (leg lengths) at a
#: person's preferred speed; styles outside are redrawn.
CADENCE_RANGE = (0.8, 1.12)
STRIDE_RANGE = (1.2, 1.85)


def sample_identity(rng: np.random.Generator, identity_id: int = 0, *, spread: float = 1.0) -> Identity:
    """Draw one person: body and gait style (see :mod:`gaitcli.synth.gait_curves`).

    Styles whose natural walk would be implausible for a healthy adult (curves unlike real
    gait, see :func:`~gaitcli.synth.gait_curves.plausible`; cadence outside
    :data:`CADENCE_RANGE`; stride outside :data:`STRIDE_RANGE` leg lengths) are redrawn.
    ``spread`` scales the between-person variation of the gait curves.
    """
    body = sample_body(rng)
    for _ in range(100):
        style = sample_style(rng, spread=spread)
        if not plausible(style):
            continue
        curves = walk_curves(style, style.froude, rng, trial_variation=0.0)
        stride = stride_length(curves, body, style, CovariateEffect(), samples=200)
        cadence = style.froude * np.sqrt(GRAVITY * body.leg_length) / stride
        if CADENCE_RANGE[0] <= cadence <= CADENCE_RANGE[1] and STRIDE_RANGE[0] <= stride / body.leg_length <= STRIDE_RANGE[1]:
            break
    return Identity(identity_id=identity_id, body=body, style=style)


def simulate_walk(
    identity: Identity,
    rng: np.random.Generator,
    *,
    fps: float = 30.0,
    seconds: float = 4.0,
    covariate: str | None = None,
    yaw_deg: float = 0.0,
    direction: int = 1,
    speed: float | None = None,
    heading_sd: float = 3.0,
) -> Walk:
    """Simulate one walk of ``identity``: :class:`~gaitcli.synth.walker.Walk` with joints (T, 16, 3).

    ``covariate``: None or one of :data:`COVARIATES`; ``direction`` +1 walks along world +x
    (left to right for a side camera), -1 along -x; ``yaw_deg`` turns the path about the
    vertical (towards the camera of :func:`gaitcli.synth.camera.side_camera` for positive
    values when ``direction`` is +1), on top of a random heading offset (sd ``heading_sd``
    degrees) and a slow drift; ``speed`` in m/s (default: around the person's preferred speed).
    """
    heading = float(yaw_deg) + (rng.normal(0.0, heading_sd) if heading_sd > 0 else 0.0)
    return simulate(identity, rng, fps=fps, seconds=seconds, covariate=covariate, direction=direction, speed=speed, heading_deg=heading)


@dataclass
class Observation:
    """A walk as a pose engine reports it: ``coords_y``, ``coords_x``, ``probs`` (T, 16) in image
    pixels, plus the clean ``projection`` and the ``noise`` profile used."""

    coords_y: np.ndarray
    coords_x: np.ndarray
    probs: np.ndarray
    projection: cam.Projection
    noise: NoiseProfile


def observe_walk(
    walk: Walk,
    rng: np.random.Generator,
    *,
    image_size: tuple[int, int] | None = None,
    yaw_deg: float | None = None,
    noise_level: float = 1.0,
    camera: cam.Camera | None = None,
) -> Observation:
    """Film ``walk`` with a side camera and pass it through a simulated pose estimator.

    Unset options are drawn: ``image_size`` from :data:`IMAGE_SIZES`, ``yaw_deg`` uniform in
    ±30°; camera distance 4-12 m (backing off until the walk fits), height 0.8-2.2 m,
    horizontal field of view 45-75°. A given ``camera`` overrides all of them.
    """
    if camera is None:
        if image_size is None:
            image_size = IMAGE_SIZES[int(rng.integers(len(IMAGE_SIZES)))]
        if yaw_deg is None:
            yaw_deg = float(rng.uniform(-30.0, 30.0))
        camera = cam.side_camera(
            walk.joints,
            image_size=image_size,
            yaw_deg=yaw_deg,
            distance_m=float(rng.uniform(4.0, 12.0)),
            height_m=float(rng.uniform(0.8, 2.2)),
            hfov_deg=float(rng.uniform(45.0, 75.0)),
        )
    projection = cam.project_walk(walk.joints, camera)
    profile = sample_noise_profile(rng, noise_level, covariate=walk.covariate)
    xy, probs = apply_estimator_noise(projection.xy, projection.visibility, projection.far_side, rng, profile)
    return Observation(xy[..., 1], xy[..., 0], probs, projection, profile)


def observe(
    walk: Walk,
    rng: np.random.Generator,
    *,
    image_size: tuple[int, int] | None = None,
    yaw_deg: float | None = None,
    noise_level: float = 1.0,
    camera: cam.Camera | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(coords_y, coords_x, probs)``, each (T, 16), as a pose engine's ``joint_positions``
    would give for the frames of ``walk`` (see :func:`observe_walk` for the options)."""
    obs = observe_walk(walk, rng, image_size=image_size, yaw_deg=yaw_deg, noise_level=noise_level, camera=camera)
    return obs.coords_y, obs.coords_x, obs.probs


# --- real walks --------------------------------------------------------------------------------------


def mocap_available(mocap_dir: str | Path | None = None) -> bool:
    """Whether the real CMU walks are there to mix in (``../shared/data/mocap``)."""
    from gaitcli.synth import mocap

    return mocap.mocap_available(mocap_dir)


def mocap_walks(rng: np.random.Generator, *, fps: float = 30.0, seconds: float = 4.0, mocap_dir: str | Path | None = None) -> list[Walk]:
    """The real CMU walks as :class:`Walk` objects in this package's world frame (level floor at
    y = 0, heading along +x or -x at random, path centred), cut into windows of at most
    ``seconds``. ``identity_id`` is ``"cmu-SS"``; ``meta["identity_bones"]`` is False for the
    retargeted (generic-skeleton) subjects. Empty when the data are absent.
    """
    from gaitcli.synth import mocap

    out: list[Walk] = []
    for real in mocap.load_walks(mocap_dir, fps=fps):
        if "uneven" in real.description:
            continue
        n = len(real.joints)
        win = min(n, max(2, int(round(seconds * fps))))
        for start in range(0, n - win + 1, win):
            joints = real.joints[start : start + win].copy()
            feet = real.feet[start : start + win]
            travel = joints[-1, PELVIS] - joints[0, PELVIS]
            if np.hypot(travel[0], travel[2]) < 0.25 * win / fps:
                continue  # a window where the subject turns or stands
            direction = 1 if rng.random() < 0.5 else -1
            # turn about the vertical so that the walk heads along +x (or -x)
            angle = (0.0 if direction == 1 else np.pi) - np.arctan2(-travel[2], travel[0])
            c, s = np.cos(angle), np.sin(angle)
            joints = joints @ np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]).T
            floor = float(min(feet[..., 1].min(), joints[..., 1].min()))
            middle = (joints[0, PELVIS] + joints[-1, PELVIS]) / 2.0
            joints -= np.array([middle[0], floor, middle[2]])
            out.append(
                Walk(
                    joints=joints,
                    feet=None,
                    fps=float(fps),
                    identity_id=f"cmu-{real.subject:02d}",
                    body=None,
                    covariate=None,
                    direction=direction,
                    meta={"source": "mocap", "trial": real.trial, "identity_bones": real.identity_bones, "description": real.description},
                )
            )
    return out


# --- the training set -------------------------------------------------------------------------------------


def _draw(value, rng: np.random.Generator) -> float:
    """A number, or a uniform draw from a (low, high) range."""
    if isinstance(value, (tuple, list)):
        return float(rng.uniform(value[0], value[1]))
    return float(value)


@dataclass(frozen=True)
class WalkOptions:
    """How synthetic walks are drawn and filmed (:func:`make_sequences`, :func:`synthetic_walk`).

    Per walk: a covariate with probability ``covariate_share`` (uniform over ``covariates``),
    camera yaw uniform in ``±max_yaw_deg``, direction ±1, and ``fps``/``seconds``/
    ``noise_level`` drawn from their ranges (a number is used as it is).
    """

    covariate_share: float = 0.4
    covariates: tuple[str, ...] = COVARIATES
    max_yaw_deg: float = 30.0
    fps: float | tuple[float, float] = (24.0, 30.0)
    seconds: float | tuple[float, float] = (3.0, 5.0)
    noise_level: float | tuple[float, float] = (0.5, 1.5)


def make_sequences(
    n_identities: int,
    walks_per_identity: int,
    seed: int,
    *,
    identity_offset: int = 0,
    include_mocap: bool = False,
    mocap_views: int = 4,
    mocap_dir: str | Path | None = None,
    **options,
) -> list[tuple]:
    """Synthetic (and optionally real) walks as a pose engine would see them.

    Returns a list of ``(identity_id, coords_y, coords_x, probs, meta)``: arrays (T, 16) in image
    pixels; ``meta`` has ``source`` ("synthetic" or "mocap"), ``covariate``, ``direction``,
    ``yaw_deg``, ``fps``, ``image_size``, ``speed_mps``, ``cadence_hz`` and more. Identity ids
    are ``identity_offset + k`` for k < ``n_identities`` (so disjoint offsets/seeds give
    disjoint people); real walks are labelled ``"cmu-SS"`` by CMU subject (``include_mocap``,
    ``mocap_views`` camera/noise draws per real walk; silently none when
    :func:`mocap_available` is False). ``options`` are :class:`WalkOptions` fields.
    Deterministic given ``seed``; identity ``k``'s walks do not depend on ``n_identities``.
    """
    how = WalkOptions(**options)
    out: list[tuple] = []
    for k in range(n_identities):
        identity = synthetic_identity(seed, identity_offset + k)
        out.extend(synthetic_walk(identity, seed, w, how) for w in range(walks_per_identity))
    if include_mocap and mocap_available(mocap_dir):
        rng = np.random.default_rng([seed, 2])
        rate, length = _draw(how.fps, rng), _draw(how.seconds, rng)
        for walk in mocap_walks(rng, fps=rate, seconds=length, mocap_dir=mocap_dir):
            for _ in range(mocap_views):
                out.append(_observed(walk, rng, how.max_yaw_deg, _draw(how.noise_level, rng), dict(walk.meta)))
    return out


def synthetic_identity(seed: int, identity_id: int) -> Identity:
    """Person ``identity_id`` of the synthetic population ``seed`` (as :func:`make_sequences` draws them)."""
    return sample_identity(np.random.default_rng([seed, 0, identity_id]), identity_id)


def synthetic_walk(identity: Identity, seed: int, walk_index: int, how: WalkOptions = WalkOptions()) -> tuple:
    """Walk number ``walk_index`` of ``identity``, observed: ``(identity_id, coords_y, coords_x, probs, meta)``.

    Deterministic given ``(seed, identity, walk_index)``, so a trainer can draw fresh walks of
    the same people (any ``walk_index``) reproducibly.
    """
    rng = np.random.default_rng([seed, 1, identity.identity_id, walk_index])
    covariate = None
    if how.covariates and rng.random() < how.covariate_share:
        covariate = how.covariates[int(rng.integers(len(how.covariates)))]
    direction = 1 if rng.random() < 0.5 else -1
    rate = _draw(how.fps, rng)
    walk = simulate_walk(identity, rng, fps=rate, seconds=_draw(how.seconds, rng), covariate=covariate, direction=direction)
    return _observed(walk, rng, how.max_yaw_deg, _draw(how.noise_level, rng), {"source": "synthetic", **walk.meta})


def _observed(walk: Walk, rng: np.random.Generator, max_yaw_deg: float, noise_level: float, meta: dict) -> tuple:
    yaw = float(rng.uniform(-max_yaw_deg, max_yaw_deg))
    obs = observe_walk(walk, rng, yaw_deg=yaw, noise_level=noise_level)
    meta.update(
        covariate=walk.covariate,
        direction=walk.direction,
        yaw_deg=yaw,
        fps=walk.fps,
        frames=walk.frames,
        image_size=obs.projection.camera.image_size,
        noise_level=noise_level,
    )
    return (walk.identity_id, obs.coords_y, obs.coords_x, obs.probs, meta)
