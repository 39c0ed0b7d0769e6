"""Shaded human figures drawn from 16 joints, for sample videos and pose-engine tests.

A stick figure is not a person to a real pose detector; this module draws one that is:
tapered, shaded limbs in clothes, a torso, a neck, a head with hair, eyes, nose, mouth and
ears (on the facing side in profile), hands and shoes, with the far-side limbs drawn first
and darker. Everything is sized from the figure's own torso length (pelvis to thorax), so
the same code draws a 60-pixel or a 600-pixel person.

Drawing happens on a small, 3x supersampled canvas around the figure that is then reduced
with area averaging (anti-aliasing) and composited onto the background through its coverage.
Images are RGB ``uint8`` (H, W, 3); joints are pixel ``(x, y)`` in the seed order of
:data:`gaitcli.constants.JOINT_NAMES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import cv2
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

if TYPE_CHECKING:  # pragma: no cover
    from gaitcli.synth.scene import Scene

RGB = tuple[int, int, int]

HAIR_STYLES = ("short", "long", "bald")
SLEEVES = ("short", "long")

_SUPERSAMPLE = 3  # canvas pixels per output pixel
_SHIFT = 4  # sub-pixel bits for OpenCV's drawing calls
_FAR_SHADE = 0.6  # brightness of far-side limbs (in the body's own shadow)
_LIGHT = np.array([-0.55, -0.83])  # unit vector towards the light (upper left), image axes

# Segment radii in torso lengths (pelvis to thorax, about 0.5 m on an adult).
_THIGH = (0.15, 0.10)
_SHIN = (0.095, 0.065)
_UPPER_ARM = (0.085, 0.068)
_FOREARM = (0.066, 0.05)
_NECK = 0.1

_SKIN_TONES: tuple[RGB, ...] = (
    (255, 219, 186), (241, 194, 160), (224, 172, 138), (198, 134, 100),
    (161, 102, 72), (120, 78, 52), (92, 58, 40),
)
_HAIR_COLOURS: tuple[RGB, ...] = (
    (25, 20, 18), (60, 40, 25), (105, 70, 40), (170, 130, 80), (200, 170, 110),
    (140, 60, 30), (150, 150, 150),
)
_CLOTH_COLOURS: tuple[RGB, ...] = (
    (200, 40, 40), (40, 90, 170), (30, 130, 70), (230, 190, 50), (240, 240, 235),
    (35, 35, 40), (120, 60, 140), (220, 120, 40), (90, 140, 200), (150, 30, 60),
)
_TROUSER_COLOURS: tuple[RGB, ...] = (
    (40, 50, 90), (35, 35, 40), (110, 90, 70), (80, 80, 85), (60, 80, 120), (170, 150, 120),
)
_SHOE_COLOURS: tuple[RGB, ...] = ((25, 25, 25), (235, 235, 235), (90, 55, 30), (60, 60, 70))


@dataclass(frozen=True)
class Appearance:
    """What a rendered person looks like: skin, hair, clothes, shoes and optional props.

    Colours are RGB tuples. ``coat`` (a colour, or None) adds a knee-length coat with long
    sleeves over the shirt; ``bag`` (a colour, or None) hangs a bag from ``bag_hand``.
    ``girth`` is the build (1.0 average, ~0.85 slim, ~1.3 heavy): it widens trunk and limbs.
    """

    skin: RGB = (224, 172, 138)
    hair: RGB = (60, 40, 25)
    hair_style: str = "short"
    shirt: RGB = (40, 90, 170)
    sleeves: str = "short"
    trousers: RGB = (40, 50, 90)
    shorts: bool = False
    shoes: RGB = (25, 25, 25)
    coat: RGB | None = None
    bag: RGB | None = None
    bag_hand: str = "right"
    girth: float = 1.0

    def __post_init__(self) -> None:
        if not 0.6 <= self.girth <= 1.6:
            raise ValueError(f"girth must lie in [0.6, 1.6] (1.0 is an average build); got {self.girth}")
        if self.hair_style not in HAIR_STYLES:
            raise ValueError(f"hair_style must be one of {HAIR_STYLES}; got {self.hair_style!r}")
        if self.sleeves not in SLEEVES:
            raise ValueError(f"sleeves must be one of {SLEEVES}; got {self.sleeves!r}")
        if self.bag_hand not in ("right", "left"):
            raise ValueError(f"bag_hand must be 'right' or 'left'; got {self.bag_hand!r}")

    @classmethod
    def random(cls, seed: int | np.random.Generator = 0, *, coat: bool = False, bag: bool = False) -> Appearance:
        """A plausible random look (seeded). ``coat``/``bag`` add those props."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

        def pick(options):
            return tuple(int(v) for v in options[rng.integers(len(options))])

        shirt = pick(_CLOTH_COLOURS)
        trousers = pick(_TROUSER_COLOURS)
        return cls(
            skin=pick(_SKIN_TONES),
            hair=pick(_HAIR_COLOURS),
            hair_style=HAIR_STYLES[rng.choice(3, p=[0.55, 0.38, 0.07])],
            shirt=shirt,
            sleeves=SLEEVES[rng.integers(2)],
            trousers=trousers,
            shorts=bool(rng.random() < 0.15),
            shoes=pick(_SHOE_COLOURS),
            coat=pick(_TROUSER_COLOURS[:4] + ((120, 80, 50), (70, 90, 60))) if coat else None,
            bag=pick(((90, 50, 30), (30, 30, 30), (150, 40, 40), (60, 70, 110))) if bag else None,
            bag_hand=("right", "left")[rng.integers(2)],
        )


@dataclass
class FigureLayer:
    """A rendered figure on its own: premultiplied RGB and coverage over a box of the frame.

    ``rgb`` is float32 (h, w, 3) already multiplied by ``alpha`` (float32 (h, w) in [0, 1]);
    the box's top-left corner sits at pixel ``(x0, y0)`` of the frame (it may stick out).
    """

    rgb: np.ndarray
    alpha: np.ndarray
    x0: int
    y0: int
    soles: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (k, 2) lowest shoe points, frame pixels

    def composite(self, image: np.ndarray) -> np.ndarray:
        """Lay the figure over ``image`` (RGB uint8, modified in place and returned)."""
        h, w = image.shape[:2]
        fh, fw = self.alpha.shape
        x0, y0 = max(self.x0, 0), max(self.y0, 0)
        x1, y1 = min(self.x0 + fw, w), min(self.y0 + fh, h)
        if x1 <= x0 or y1 <= y0:
            return image
        sx, sy = x0 - self.x0, y0 - self.y0
        a = self.alpha[sy:sy + y1 - y0, sx:sx + x1 - x0, None]
        fg = self.rgb[sy:sy + y1 - y0, sx:sx + x1 - x0]
        region = image[y0:y1, x0:x1].astype(np.float32)
        image[y0:y1, x0:x1] = np.clip(region * (1.0 - a) + fg + 0.5, 0, 255).astype(np.uint8)
        return image


def render_figure(
    joints_xy: np.ndarray,
    size: tuple[int, int] = (360, 640),
    appearance: Appearance | None = None,
    background: np.ndarray | None = None,
    seed: int = 0,
    depth: np.ndarray | None = None,
    facing: int | None = None,
    feet: np.ndarray | None = None,
) -> np.ndarray:
    """Draw a shaded person with the given joints; returns an RGB uint8 image.

    ``joints_xy`` is (16, 2) pixel ``(x, y)`` in seed order; ``size`` is ``(H, W)`` (ignored
    when ``background``, an RGB uint8 (H, W, 3) image, is given; it is not modified).
    ``appearance`` defaults to :meth:`Appearance.random` of ``seed``; without a background the
    figure stands on a plain light backdrop with faint seeded noise. ``depth`` (16,) is each
    joint's distance from the camera (any unit; larger is farther) and decides which limbs
    are behind the body; ``facing`` is +1 (looking right), -1 (left) or 0 (at the camera) and
    is inferred from ``depth`` or the knees' bend when not given. ``feet`` (2, k, 2), optional,
    holds pixel points along each sole (right foot first; e.g. heel, ball, toe tip) to shape
    the shoes; without it each shoe is placed square to its shin, pointing the way the figure
    looks.
    """
    appearance = Appearance.random(seed) if appearance is None else appearance
    if background is None:
        h, w = int(size[0]), int(size[1])
        if h <= 0 or w <= 0:
            raise ValueError(f"size must be positive (H, W); got {size}")
        rng = np.random.default_rng(seed)
        shade = np.linspace(222, 200, h, dtype=np.float32)[:, None, None]
        noise = rng.normal(0.0, 3.0, (h, w, 1)).astype(np.float32)
        image = np.clip(shade + noise + np.array([0, 2, 6], np.float32), 0, 255).astype(np.uint8)
    else:
        image = _check_image(background).copy()
    layer = figure_layer(joints_xy, appearance, depth=depth, facing=facing, feet=feet)
    return layer.composite(image)


def render_frame(
    joints_xy: np.ndarray,
    scene: Scene,
    appearance: Appearance,
    depth: np.ndarray | None = None,
    facing: int | None = None,
    feet: np.ndarray | None = None,
) -> np.ndarray:
    """One video frame: the scene's background, the figure's ground shadow, then the figure
    (arguments as :func:`render_figure`)."""
    image = scene.background.copy()
    layer = figure_layer(joints_xy, appearance, depth=depth, facing=facing, feet=feet)
    scene.cast_shadow(image, layer)
    return layer.composite(image)


def infer_facing(joints_xy: np.ndarray, depth: np.ndarray | None = None) -> int:
    """Which way the figure looks in the image: +1 right, -1 left, 0 at the camera.

    With ``depth`` the side nearer the camera decides (a person walking right shows the
    camera their right side); without it, or when both sides are equally far, the knees
    decide: they bend forwards. Straight legs without depth give 0.
    """
    j = _check_joints(joints_xy)
    torso = max(float(np.hypot(*(j[THORAX] - j[PELVIS]))), 1e-6)
    if depth is not None:
        z = np.asarray(depth, dtype=np.float64).reshape(NUM_JOINTS)
        far_left = (z[L_HIP] + z[L_SHOULDER]) - (z[R_HIP] + z[R_SHOULDER])
        if far_left != 0:
            return 1 if far_left > 0 else -1
    # signed horizontal offset of each knee from its hip-ankle line
    bend = 0.0
    for hip, knee, ankle in ((R_HIP, R_KNEE, R_ANKLE), (L_HIP, L_KNEE, L_ANKLE)):
        t = np.clip(_project(j[knee], j[hip], j[ankle]), 0.0, 1.0)
        bend += float(j[knee, 0] - (j[hip, 0] + t * (j[ankle, 0] - j[hip, 0])))
    if abs(bend) < 0.02 * torso:
        return 0
    return 1 if bend > 0 else -1


def figure_layer(
    joints_xy: np.ndarray,
    appearance: Appearance,
    depth: np.ndarray | None = None,
    facing: int | None = None,
    feet: np.ndarray | None = None,
) -> FigureLayer:
    """Render the figure alone (see :class:`FigureLayer`); arguments as :func:`render_figure`."""
    j = _check_joints(joints_xy)
    if feet is not None:
        feet = np.asarray(feet, dtype=np.float64)
        if feet.ndim != 3 or feet.shape[0] != 2 or feet.shape[2] != 2 or not np.isfinite(feet).all():
            raise ValueError(f"feet must be finite pixel points shaped (2, k, 2); got {feet.shape}")
    if facing is None:
        facing = infer_facing(j, depth)
    facing = int(np.sign(facing))
    torso = float(np.hypot(*(j[THORAX] - j[PELVIS])))
    if not torso > 1e-3:
        raise ValueError("the figure's torso (pelvis to thorax) has no length")
    margin = 0.8 * torso + 4
    pts = j if feet is None else np.concatenate([j, feet.reshape(-1, 2)])
    x0 = int(np.floor(pts[:, 0].min() - margin))
    y0 = int(np.floor(pts[:, 1].min() - margin))
    x1 = int(np.ceil(pts[:, 0].max() + margin))
    y1 = int(np.ceil(pts[:, 1].max() + margin))
    canvas = _Canvas(x1 - x0, y1 - y0, x0, y0, _SUPERSAMPLE)
    soles = _Figure(canvas, j, torso, appearance, facing, depth, feet).draw()
    rgb, alpha = canvas.reduce()
    return FigureLayer(rgb, alpha, x0, y0, soles)


# --------------------------------------------------------------------------- internals


def _check_joints(joints_xy) -> np.ndarray:
    j = np.asarray(joints_xy, dtype=np.float64)
    if j.shape != (NUM_JOINTS, 2):
        raise ValueError(f"joints_xy must be shaped ({NUM_JOINTS}, 2); got {j.shape}")
    if not np.isfinite(j).all():
        raise ValueError("joints_xy must be finite")
    return j


def _check_image(image) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"background must be RGB uint8 (H, W, 3); got {image.dtype} {image.shape}")
    return image


def _project(p, a, b) -> float:
    """Position of ``p``'s projection on segment a-b (0 at a, 1 at b)."""
    d = b - a
    return float(np.dot(p - a, d) / max(np.dot(d, d), 1e-12))


def _unit(v) -> np.ndarray:
    n = float(np.hypot(v[0], v[1]))
    return np.asarray(v, dtype=np.float64) / n if n > 1e-9 else np.array([0.0, 1.0])


def _scaled(colour, k: float) -> tuple[float, float, float]:
    return tuple(float(min(max(c * k, 0.0), 255.0)) for c in colour)


class _Canvas:
    """A supersampled drawing surface with a coverage channel, in frame coordinates."""

    def __init__(self, width: int, height: int, x0: int, y0: int, scale: int):
        self.scale, self.x0, self.y0 = scale, x0, y0
        self.size = (width, height)
        self.rgb = np.zeros((height * scale, width * scale, 3), np.float32)
        self.alpha = np.zeros((height * scale, width * scale), np.float32)

    def _pts(self, points) -> np.ndarray:
        p = (np.asarray(points, dtype=np.float64) - (self.x0, self.y0)) * self.scale
        return np.round(p * (1 << _SHIFT)).astype(np.int32).reshape(-1, 1, 2)

    def polygon(self, points, colour) -> None:
        pts = self._pts(points)
        cv2.fillPoly(self.rgb, [pts], colour, cv2.LINE_AA, _SHIFT)
        cv2.fillPoly(self.alpha, [pts], 1.0, cv2.LINE_AA, _SHIFT)

    def line(self, p, q, width: float, colour) -> None:
        pts = self._pts([p, q]).reshape(2, 2)
        thick = max(int(round(width * self.scale)), 1)
        cv2.line(self.rgb, tuple(pts[0]), tuple(pts[1]), colour, thick, cv2.LINE_AA, _SHIFT)
        cv2.line(self.alpha, tuple(pts[0]), tuple(pts[1]), 1.0, thick, cv2.LINE_AA, _SHIFT)

    def reduce(self) -> tuple[np.ndarray, np.ndarray]:
        """Area-average down to output pixels, with a slight blur that smooths the shading."""
        size = self.size
        rgb = cv2.resize(self.rgb, size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(self.alpha, size, interpolation=cv2.INTER_AREA)
        rgb = cv2.GaussianBlur(rgb, (0, 0), 0.6)
        alpha = cv2.GaussianBlur(alpha, (0, 0), 0.6)
        return rgb, np.clip(alpha, 0.0, 1.0)


def _circle_points(c, r, n: int = 20) -> np.ndarray:
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.asarray(c, dtype=np.float64) + r * np.stack([np.cos(t), np.sin(t)], axis=1)


def _hull(circles) -> np.ndarray:
    """Convex hull of a few circles ``(centre, radius)`` as a polygon."""
    pts = np.concatenate([_circle_points(c, r, 24) for c, r in circles])
    hull = cv2.convexHull(pts.astype(np.float32))
    return hull.reshape(-1, 2).astype(np.float64)


def _ellipse_points(c, a: float, b: float, axis, n: int = 40) -> np.ndarray:
    """Points of an ellipse with semi-axis ``a`` along unit vector ``axis`` and ``b`` across it."""
    u = _unit(axis)
    v = np.array([-u[1], u[0]])
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.asarray(c) + np.outer(a * np.cos(t), u) + np.outer(b * np.sin(t), v)


class _Figure:
    """Draws one figure onto a canvas, in depth order."""

    def __init__(self, canvas: _Canvas, joints: np.ndarray, torso: float, look: Appearance,
                 facing: int, depth: np.ndarray | None, feet: np.ndarray | None):
        self.c, self.j, self.T, self.look, self.facing = canvas, joints, torso, look, facing
        self.feet = feet
        self.depth = None if depth is None else np.asarray(depth, dtype=np.float64).reshape(NUM_JOINTS)
        self.up = _unit(joints[THORAX] - joints[PELVIS])  # body axis, pelvis to thorax
        self.limb_w = torso * look.girth**0.7  # limb radii scale with build, less than the trunk
        self.trunk_w = torso * look.girth

    # --- shaded primitives ------------------------------------------------------------

    def shaded_polygon(self, points, colour, k: float = 1.0) -> None:
        """A polygon lit from the upper left: dark rim, mid body, highlight offset to the light."""
        pts = np.asarray(points, dtype=np.float64)
        centre = pts.mean(axis=0)
        extent = float(np.sqrt(np.mean(np.sum((pts - centre) ** 2, axis=1))))
        for factor, bright in ((1.0, 0.72), (0.8, 0.9), (0.5, 1.04)):
            shift = _LIGHT * extent * (1.0 - factor) * 0.55
            self.c.polygon(centre + (pts - centre) * factor + shift, _scaled(colour, bright * k))

    def capsule(self, p, q, r1: float, r2: float, colour, k: float = 1.0) -> None:
        """A limb segment: tapered from radius r1 at p to r2 at q, shaded like a cylinder."""
        self.shaded_polygon(_hull([(p, r1), (q, r2)]), colour, k)

    # --- body parts -------------------------------------------------------------------

    def _far(self) -> dict[str, bool]:
        """Which limbs lie behind the torso."""
        if self.depth is not None:
            z = self.depth
            mid = float(np.mean(z[[R_HIP, L_HIP, R_SHOULDER, L_SHOULDER, THORAX, PELVIS]]))
            side = {
                "right_leg": z[[R_HIP, R_KNEE, R_ANKLE]].mean(), "left_leg": z[[L_HIP, L_KNEE, L_ANKLE]].mean(),
                "right_arm": z[[R_SHOULDER, R_ELBOW, R_WRIST]].mean(),
                "left_arm": z[[L_SHOULDER, L_ELBOW, L_WRIST]].mean(),
            }
            spread = max(float(np.ptp(z)), 1e-9)
            return {name: bool(v > mid + 0.02 * spread) for name, v in side.items()}
        # a figure looking right shows its right side; frontal figures have no far side
        far_side = {1: "left", -1: "right"}.get(self.facing)
        return {f"{s}_{part}": s == far_side for s in ("right", "left") for part in ("leg", "arm")}

    def draw(self) -> np.ndarray:
        far = self._far()
        parts = sorted(far, key=lambda name: self._depth_of(name), reverse=True)
        behind = [p for p in parts if far[p]]
        front = [p for p in parts if not far[p]]
        soles = []
        coat = self.look.coat is not None
        for name in behind:
            soles += self.limb(name, _FAR_SHADE)
        if coat:  # a coat covers the tops of both legs: legs first, coat over them
            for name in [p for p in front if p.endswith("leg")]:
                soles += self.limb(name, 1.0)
            front = [p for p in front if p.endswith("arm")]
        self.neck()
        self.trunk()
        for name in front:
            soles += self.limb(name, 1.0)
        self.head()
        return np.asarray(soles, dtype=np.float64).reshape(-1, 2)

    def _depth_of(self, name: str) -> float:
        if self.depth is None:
            return 0.0 if name.endswith("leg") else 1e-3  # arms swing outside the legs
        side, part = name.split("_")
        idx = {("right", "leg"): (R_HIP, R_KNEE, R_ANKLE), ("left", "leg"): (L_HIP, L_KNEE, L_ANKLE),
               ("right", "arm"): (R_SHOULDER, R_ELBOW, R_WRIST), ("left", "arm"): (L_SHOULDER, L_ELBOW, L_WRIST)}
        return float(self.depth[list(idx[side, part])].mean())

    def limb(self, name: str, k: float) -> list:
        side, part = name.split("_")
        if part == "leg":
            ids = (R_HIP, R_KNEE, R_ANKLE) if side == "right" else (L_HIP, L_KNEE, L_ANKLE)
            sole = None if self.feet is None else self.feet[0 if side == "right" else 1]
            return [self.leg(*(self.j[i] for i in ids), k, sole)]
        ids = (R_SHOULDER, R_ELBOW, R_WRIST) if side == "right" else (L_SHOULDER, L_ELBOW, L_WRIST)
        self.arm(*(self.j[i] for i in ids), k, bag=self.look.bag is not None and self.look.bag_hand == side)
        return []

    def leg(self, hip, knee, ankle, k: float, sole: np.ndarray | None) -> np.ndarray:
        T, W, look = self.T, self.limb_w, self.look
        lowest = self.shoe(knee, ankle, k, sole)
        if look.shorts:
            self.capsule(knee, ankle, _SHIN[0] * W, _SHIN[1] * W, look.skin, k)
            self.capsule(hip, knee, _THIGH[0] * W, _THIGH[1] * W, look.skin, k)
            hem = knee + 0.25 * (hip - knee)
            self.capsule(hip, hem, _THIGH[0] * 1.12 * W, _THIGH[1] * 1.25 * W, look.trousers, k)
        else:
            self.capsule(knee, ankle + 0.05 * T * _unit(ankle - knee), _SHIN[0] * 1.12 * W, _SHIN[1] * 1.25 * W,
                         look.trousers, k)
            self.capsule(hip, knee, _THIGH[0] * 1.08 * W, _THIGH[1] * 1.1 * W, look.trousers, k)
        return lowest

    def shoe(self, knee, ankle, k: float, sole: np.ndarray | None) -> np.ndarray:
        """A shoe round the ankle; returns its lowest point (where the ground shadow starts).

        ``sole`` (k, 2), points along the sole from heel to toe, shapes it; without it the
        shoe sits square to the shin, pointing the way the figure looks.
        """
        T = self.T
        down = _unit(ankle - knee)
        if sole is not None and len(sole) >= 2:
            heel, toe = sole[0], sole[-1]
            along = _unit(toe - heel)
            lift = np.array([-along[1], along[0]])  # from the sole towards the ankle
            if np.dot(ankle - heel, lift) < 0:
                lift = -lift
            # circles resting on the sole: thick at the heel, thin at the toe
            radii = np.linspace(0.075, 0.04, len(sole)) * T
            circles = [(p + lift * r, r) for p, r in zip(sole, radii)] + [(ankle, 0.075 * T)]
            self.shaded_polygon(_hull(circles), self.look.shoes, k)
            self.c.line(heel + lift * 0.02 * T, toe + lift * 0.015 * T, 0.035 * T, _scaled((200, 195, 185), k))
            return sole[np.argmax(sole[:, 1])].astype(np.float64)
        if self.facing == 0:
            centre = ankle + down * 0.1 * T
            pts = _ellipse_points(centre, 0.13 * T, 0.085 * T, (1.0, 0.0))
            self.shaded_polygon(pts, self.look.shoes, k)
        else:
            fwd = np.array([-down[1], down[0]])  # perpendicular to the shin ...
            if fwd[0] * self.facing < 0:  # ... pointing the way the figure looks
                fwd = -fwd
            heel = ankle - fwd * 0.12 * T + down * 0.08 * T
            toe = ankle + fwd * 0.4 * T + down * 0.1 * T
            pts = _hull([(heel, 0.085 * T), (toe, 0.06 * T), (ankle + down * 0.02 * T, 0.075 * T)])
            self.shaded_polygon(pts, self.look.shoes, k)
            # a light sole along the shoe's underside reads as a shoe even on dark floors
            sole_line = down * 0.07 * T
            self.c.line(heel + sole_line, toe + sole_line * 0.75, 0.035 * T, _scaled((200, 195, 185), k))
        return np.array([float(np.mean(pts[:, 0])), float(pts[:, 1].max())])

    def arm(self, shoulder, elbow, wrist, k: float, bag: bool) -> None:
        T, W, look = self.T, self.limb_w, self.look
        hand_dir = _unit(wrist - elbow)
        sleeve = look.coat if look.coat is not None else look.shirt
        long_sleeves = look.coat is not None or look.sleeves == "long"
        if bag:
            self.bag(wrist + hand_dir * 0.12 * T, k)
        # hand: a tapered blob past the wrist
        self.capsule(wrist, wrist + hand_dir * 0.26 * T, 0.055 * T, 0.06 * T, look.skin, k)
        forearm = sleeve if long_sleeves else look.skin
        self.capsule(elbow, wrist, _FOREARM[0] * W, _FOREARM[1] * W, forearm, k)
        self.capsule(shoulder, elbow, _UPPER_ARM[0] * W, _UPPER_ARM[1] * W, look.skin, k)
        end = elbow if long_sleeves else shoulder + 0.55 * (elbow - shoulder)
        self.capsule(shoulder, end, _UPPER_ARM[0] * 1.2 * W, _UPPER_ARM[1] * 1.25 * W, sleeve, k)

    def bag(self, hand, k: float) -> None:
        T = self.T
        top = hand + np.array([0.0, 0.18 * T])
        w, h = 0.3 * T, 0.34 * T
        body = np.array([[top[0] - w / 2, top[1]], [top[0] + w / 2, top[1]],
                         [top[0] + w / 2 * 1.05, top[1] + h], [top[0] - w / 2 * 1.05, top[1] + h]])
        self.c.line(hand, top + (-w * 0.3, 0), 0.03 * T, _scaled(self.look.bag, 0.6 * k))
        self.c.line(hand, top + (w * 0.3, 0), 0.03 * T, _scaled(self.look.bag, 0.6 * k))
        self.shaded_polygon(body, self.look.bag, k)

    def neck(self) -> None:
        j, T = self.j, self.T
        top = j[UPPER_NECK] + 0.25 * (j[HEAD_TOP] - j[UPPER_NECK])
        self.capsule(j[THORAX] - self.up * 0.05 * T, top, _NECK * T, _NECK * 0.9 * T, self.look.skin, 0.9)

    def trunk(self) -> None:
        j, T, W, up, look = self.j, self.T, self.trunk_w, self.up, self.look
        chest = j[THORAX] - up * 0.14 * T
        waist = j[PELVIS] + up * 0.35 * T
        shirt = [(j[R_SHOULDER], 0.1 * W), (j[L_SHOULDER], 0.1 * W), (chest, 0.265 * W),
                 (waist, 0.21 * W), (j[PELVIS], 0.21 * W), (j[R_HIP], 0.13 * W), (j[L_HIP], 0.13 * W)]
        self.shaded_polygon(_hull(shirt), look.shirt)
        # trousers' top: the hips below the belt line
        belt = j[PELVIS] + up * 0.16 * T
        self.shaded_polygon(_hull([(belt, 0.215 * W), (j[PELVIS], 0.22 * W), (j[R_HIP], 0.15 * W),
                                   (j[L_HIP], 0.15 * W)]), look.trousers)
        if look.coat is not None:
            hem = [(j[h] + 0.45 * (j[kn] - j[h]), 0.17 * W) for h, kn in ((R_HIP, R_KNEE), (L_HIP, L_KNEE))]
            self.shaded_polygon(_hull(shirt + hem), look.coat)
            # the coat's front opening: a darker line down the facing side
            side = np.array([-up[1], up[0]]) * (self.facing or 0)
            self.c.line(chest + side * 0.2 * T, j[PELVIS] + side * 0.18 * T, 0.03 * T, _scaled(look.coat, 0.6))

    def head(self) -> None:
        j, T, look, facing = self.j, self.T, self.look, self.facing
        neck, top = j[UPPER_NECK], j[HEAD_TOP]
        length = max(float(np.hypot(*(top - neck))), 0.3 * T)
        up = _unit(top - neck)
        centre = neck + up * 0.5 * length
        across = np.array([-up[1], up[0]])  # perpendicular to the head's axis
        if across[0] < 0:
            across = -across  # points to image right
        fwd = across * facing  # zero vector for frontal figures
        a = 0.55 * length  # the skull reaches a little past both joints
        b = (0.46 if facing else 0.41) * length
        skin = look.skin

        if look.hair_style == "long":  # hair hanging to the shoulders: behind the head, or both sides
            if facing:
                strands = [[(centre + up * 0.12 * length + fwd * 0.05 * length, b * 1.08),
                            (centre - up * 0.75 * length - fwd * 0.25 * length, b * 0.75)]]
            else:
                strands = [[(centre + up * 0.1 * length + across * s * 0.5 * b, 0.6 * b),
                            (centre - up * 0.62 * length + across * s * 0.8 * b, 0.32 * b)] for s in (-1, 1)]
            for strand in strands:
                self.shaded_polygon(_hull(strand), look.hair, 0.9)

        if not facing:  # seen from the front the ears stick out behind the head's outline
            for s in (-1, 1):
                self.ear(centre + across * s * b * 0.97 - up * 0.04 * length, up, length)

        head = _ellipse_points(centre, a, b, up)
        self.shaded_polygon(head, skin)

        if facing:
            # nose: a small wedge out of the face's edge; chin slightly forward
            edge = centre + fwd * b * 0.96
            nose = [edge + up * 0.1 * length, edge + fwd * 0.14 * length - up * 0.03 * length,
                    edge - up * 0.06 * length]
            self.c.polygon(nose, _scaled(skin, 0.95))
            eye = centre + fwd * b * 0.62 + up * 0.1 * length
            self.c.polygon(_ellipse_points(eye, 0.06 * length, 0.04 * length, fwd, 12), (245, 245, 240))
            self.c.polygon(_ellipse_points(eye + fwd * 0.02 * length, 0.035 * length, 0.035 * length, fwd, 10),
                           (35, 25, 20))
            self.c.line(eye + up * 0.08 * length - fwd * 0.06 * length, eye + up * 0.09 * length + fwd * 0.07 * length,
                        0.025 * length, _scaled(look.hair, 0.8))
            mouth = centre + fwd * b * 0.78 - up * 0.24 * length
            self.c.line(mouth - fwd * 0.1 * length, mouth + fwd * 0.06 * length, 0.03 * length, (150, 60, 60))
        else:
            for s in (-1, 1):
                eye = centre + across * s * 0.36 * b + up * 0.1 * length
                self.c.polygon(_ellipse_points(eye, 0.07 * length, 0.045 * length, across, 12), (245, 245, 240))
                self.c.polygon(_ellipse_points(eye, 0.035 * length, 0.035 * length, across, 10), (35, 25, 20))
                self.c.line(eye + up * 0.08 * length - across * 0.07 * length,
                            eye + up * 0.09 * length + across * 0.07 * length, 0.025 * length,
                            _scaled(look.hair, 0.8))
            self.c.line(centre + up * 0.02 * length, centre - up * 0.12 * length, 0.04 * length, _scaled(skin, 0.75))
            mouth = centre - up * 0.27 * length
            self.c.line(mouth - across * 0.1 * length, mouth + across * 0.1 * length, 0.03 * length, (150, 60, 60))

        if look.hair_style != "bald":
            # the hair cap: the head outline, slightly larger, above a hairline tilted to the back
            cap = _ellipse_points(centre + up * 0.04 * length, a * 1.08, b * 1.09, up, 60)  # hair has volume
            if facing:
                tilt = _unit(up * 0.8 - fwd * 0.6)
                keep = (cap - centre) @ tilt > -0.02 * length
            else:
                keep = (cap - centre) @ up > 0.18 * length
            self.shaded_polygon(cap[keep], look.hair)
        if facing and look.hair_style != "long":  # in profile the ear sits on the side of the head
            self.ear(centre - fwd * 0.1 * length - up * 0.05 * length, up, length)

    def ear(self, spot, up, length: float) -> None:
        skin = self.look.skin
        self.c.polygon(_ellipse_points(spot, 0.13 * length, 0.08 * length, up, 16), _scaled(skin, 0.9))
        self.c.polygon(_ellipse_points(spot, 0.07 * length, 0.04 * length, up, 12), _scaled(skin, 0.68))
