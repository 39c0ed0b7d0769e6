"""Where the synthetic walkers walk: a textured 3D backdrop, a ground shadow, and video files.

:func:`make_scene` ray-casts a simple world through the walk's own camera
(:class:`gaitcli.synth.camera.Camera`; metres, ``y`` up, floor at ``y = 0``): a floor with
perspective-correct texture (paving slabs on a ``"street"``, grass with a gravel path in a
``"park"``), a wall behind the path (bricks, or a hedge), trees or buildings above it and a sky
gradient, fading into haze with distance. It is drawn once per clip at 2x and reduced (so the
texture does not shimmer); each frame then copies it, casts the figure's soft ground shadow
(:meth:`Scene.cast_shadow`) and lays the figure over it (:func:`gaitcli.synth.figure.render_frame`).

:class:`VideoWriter` streams frames into a file one at a time (memory does not grow with the
clip) with the MPEG-4 Part 2 codec (``mp4v``), which OpenCV's own FFmpeg writes and reads back
frame-exactly here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from gaitcli.atomic import atomic_output

if TYPE_CHECKING:  # pragma: no cover
    from gaitcli.synth.camera import Camera
    from gaitcli.synth.figure import FigureLayer

SCENE_KINDS = ("street", "park")
CODEC = "mp4v"

_SUPERSAMPLE = 2
_FACADES = ((190, 180, 165), (165, 95, 75), (205, 185, 140), (150, 160, 175), (215, 205, 190), (120, 135, 120))
_HAZE_M = 60.0  # distance at which the scene is 63 % haze
_FAR_M = 200.0  # rays that hit nothing nearer end here (sky)


@dataclass
class Scene:
    """A backdrop for one clip: ``background`` RGB uint8 (H, W, 3), seen by ``camera``.

    ``shadow_strength`` (0-1) is how much the ground shadow darkens the floor; a point of the
    figure ``h`` pixels above the ground casts its shadow ``shadow_shear * h`` pixels to the
    right and ``shadow_squash * h`` pixels up (light from the upper left, behind the camera).
    """

    background: np.ndarray
    camera: Camera | None = None
    shadow_strength: float = 0.45
    shadow_shear: float = 0.5
    shadow_squash: float = 0.12

    def cast_shadow(self, image: np.ndarray, layer: FigureLayer) -> None:
        """Darken ``image`` (RGB uint8, in place) under ``layer``'s figure.

        The shadow is the figure's own silhouette laid flat on the floor from the lower
        shoe's sole (squashed and sheared away from the light) plus a soft contact patch
        under the body, both blurred.
        """
        if len(layer.soles) == 0:
            return
        h, w = image.shape[:2]
        ground = float(layer.soles[:, 1].max())
        fh, fw = layer.alpha.shape
        k, s = self.shadow_squash, self.shadow_shear
        # a box at the figure's corner, widened to the right for the sheared shadow
        bx0, by0 = layer.x0, layer.y0
        box_w, box_h = fw + int(np.ceil(s * fh)) + 2, fh
        g = ground - by0
        src = np.zeros((box_h, box_w), np.float32)
        src[:, :fw] = layer.alpha
        # a point `height` pixels above the ground goes to (x + s * height, g - k * height)
        m = np.array([[1.0, -s, s * g], [0.0, k, (1.0 - k) * g]])
        flat = cv2.warpAffine(src, m, (box_w, box_h), flags=cv2.INTER_LINEAR)
        torso_px = max(fh / 5.0, 4.0)
        centre = (int(round(layer.soles[:, 0].mean() - bx0)), int(round(g)))
        axes = (int(round(torso_px * 0.9)), max(int(round(torso_px * 0.12)), 1))
        cv2.ellipse(flat, centre, axes, 0.0, 0.0, 360.0, 1.0, -1, cv2.LINE_AA)
        flat = cv2.GaussianBlur(flat, (0, 0), max(torso_px * 0.06, 1.0))
        shade = 1.0 - self.shadow_strength * np.clip(flat, 0.0, 1.0)
        x0, y0 = max(bx0, 0), max(by0, 0)
        x1, y1 = min(bx0 + box_w, w), min(by0 + box_h, h)
        if x1 <= x0 or y1 <= y0:
            return
        part = shade[y0 - by0:y1 - by0, x0 - bx0:x1 - bx0, None]
        image[y0:y1, x0:x1] = (image[y0:y1, x0:x1].astype(np.float32) * part + 0.5).astype(np.uint8)


def make_scene(camera: Camera, kind: str = "street", seed: int = 0, path_z: float = 0.0) -> Scene:
    """Render the backdrop that ``camera`` sees of a walk along the line ``z = path_z``.

    ``kind`` is ``"street"`` (paving slabs, brick wall, buildings) or ``"park"`` (grass, a
    gravel path, a hedge, trees); ``seed`` varies colours and textures.
    """
    if kind not in SCENE_KINDS:
        raise ValueError(f"kind must be one of {SCENE_KINDS}; got {kind!r}")
    rng = np.random.default_rng(seed)
    h, w = camera.image_size
    hs, ws = h * _SUPERSAMPLE, w * _SUPERSAMPLE
    # one ray per (supersampled) pixel centre, in world coordinates
    u = (np.arange(ws) + 0.5) / _SUPERSAMPLE - w / 2.0
    v = (np.arange(hs) + 0.5) / _SUPERSAMPLE - h / 2.0
    uu, vv = np.meshgrid(u / camera.focal_px, v / camera.focal_px)
    rays = np.stack([uu, vv, np.ones_like(uu)], axis=-1) @ np.asarray(camera.rotation)
    origin = np.asarray(camera.position, dtype=np.float64)

    wall_z = path_z - rng.uniform(2.5, 4.0)
    wall_h = rng.uniform(0.9, 1.6) if kind == "street" else rng.uniform(1.2, 1.8)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = np.where(rays[..., 1] < -1e-9, -origin[1] / rays[..., 1], np.inf)
        t_wall = np.where(rays[..., 2] < -1e-9, (wall_z - origin[2]) / rays[..., 2], np.inf)
    t_floor = np.where(t_floor > 0, t_floor, np.inf)
    t_wall = np.where(t_wall > 0, t_wall, np.inf)
    wall_hit = origin + t_wall[..., None] * rays
    floor_hit = origin + np.minimum(t_floor, _FAR_M)[..., None] * rays

    palette = _palette(kind, rng)
    colour = np.repeat(_sky(v, palette)[:, None, :], ws, axis=1)
    dist = np.full(vv.shape, _FAR_M)

    # the wall's plane carries the wall itself and, above it, buildings or trees
    on_plane = np.isfinite(t_wall) & (t_wall < t_floor)
    upper = on_plane & (wall_hit[..., 1] > wall_h)
    lower = on_plane & (wall_hit[..., 1] >= 0.0) & (wall_hit[..., 1] <= wall_h)
    # the skyline's height depends on x alone: sample it finely once, then look it up
    xs = wall_hit[upper, 0]
    line_x = np.linspace(xs.min(), xs.max(), 4096) if xs.size else np.zeros(1)
    top = wall_h + np.interp(xs, line_x, _skyline(line_x, kind, rng))
    upper[upper] = wall_hit[upper, 1] < top
    colour[upper] = _skyline_texture(wall_hit[upper], kind, palette, rng)
    colour[lower] = _wall_texture(wall_hit[lower], kind, palette, rng)
    dist[upper | lower] = t_wall[upper | lower]

    ground = np.isfinite(t_floor) & ~(lower | upper)
    colour[ground] = _floor_texture(floor_hit[ground], kind, palette, path_z, rng)
    dist[ground] = t_floor[ground]

    haze = (1.0 - np.exp(-dist / _HAZE_M))[..., None]
    colour = colour * (1.0 - haze) + palette["haze"] * haze
    image = cv2.resize(colour.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    return Scene(background=np.clip(image + 0.5, 0, 255).astype(np.uint8), camera=camera)


class VideoWriter:
    """Write RGB uint8 frames (H, W, 3) to a video file as they come (``mp4v``).

    The file appears under its name only when :meth:`close` succeeds (it is written beside
    it under a temporary name first), so an interrupted run never leaves a half-written clip
    or clobbers an older one. Use it as a context manager.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int]):
        self.path = Path(path)
        self.fps, self.size = float(fps), (int(size[0]), int(size[1]))
        self.frames = 0
        # the temporary file keeps the extension: OpenCV picks the container by it
        self._output = atomic_output(self.path, suffix=f".partial{self.path.suffix}")
        self._tmp = self._output.__enter__()
        try:
            self._writer = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter_fourcc(*CODEC), self.fps,
                                           (self.size[1], self.size[0]))
            if not self._writer.isOpened():
                raise OSError(f"OpenCV cannot write {CODEC} video to {self._tmp}")
        except BaseException as exc:
            self._drop(exc)
            raise

    def write(self, frame: np.ndarray) -> None:
        """Append one RGB uint8 frame of the writer's size."""
        frame = np.asarray(frame)
        if frame.shape != (*self.size, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frames must be RGB uint8 shaped {(*self.size, 3)}; got {frame.dtype} {frame.shape}")
        self._writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        self.frames += 1

    def close(self) -> Path:
        """Finish the file, check that it holds every frame, and move it into place.

        Raises ``OSError`` (and leaves any older file alone) when nothing was written or the
        container does not report the frames written.
        """
        self._writer.release()
        cap = cv2.VideoCapture(str(self._tmp))
        stored = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else -1
        cap.release()
        if self.frames == 0 or stored != self.frames:
            error = OSError(f"{self.path}: wrote {self.frames} frames but the file holds {max(stored, 0)}")
            self._drop(error)
            raise error
        self._output.__exit__(None, None, None)  # fsync and rename into place
        return self.path

    def abort(self) -> None:
        """Drop the partial file (the target, if it existed, stays as it was)."""
        self._writer.release()
        self._drop(OSError(f"{self.path}: aborted"))

    def _drop(self, error: BaseException) -> None:
        self._output.__exit__(type(error), error, error.__traceback__)  # removes the temporary file

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


# --------------------------------------------------------------------------- textures


def _palette(kind: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    def jitter(rgb, amount=12.0):
        return np.clip(np.asarray(rgb, np.float64) + rng.normal(0.0, amount, 3), 0, 255)

    base = {
        "sky_top": jitter((120, 165, 215)), "sky_low": jitter((205, 220, 232)),
        "haze": jitter((200, 208, 215), 6.0),
    }
    if kind == "street":
        base.update(floor=jitter((150, 145, 138)), grout=jitter((105, 100, 95)), wall=jitter((160, 85, 60), 18.0),
                    mortar=jitter((190, 185, 175)), window=jitter((70, 85, 100)),
                    facades=np.stack([jitter(c, 10.0) for c in _FACADES]))
    else:
        base.update(floor=jitter((85, 135, 60)), path=jitter((190, 175, 145)), wall=jitter((50, 95, 45)),
                    upper=jitter((60, 105, 55)), trunk=jitter((90, 70, 50)))
    return base


def _hash_noise(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Smooth value noise in [-1, 1] on a unit lattice (bilinear, smoothstep-eased)."""
    ix, iy = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = x - ix, y - iy
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)

    def corner(i, j):
        hsh = (i * 73856093) ^ (j * 19349663) ^ (seed * 83492791)
        hsh = (hsh ^ (hsh >> 13)) * 1274126177
        return ((hsh ^ (hsh >> 16)) & 0xFFFF) / 32767.5 - 1.0

    a, b = corner(ix, iy), corner(ix + 1, iy)
    c, d = corner(ix, iy + 1), corner(ix + 1, iy + 1)
    return (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy


def _fbm(x, y, seed: int, octaves: int = 3) -> np.ndarray:
    """A few octaves of value noise, roughly in [-1, 1]."""
    total, amp, norm = 0.0, 1.0, 0.0
    for o in range(octaves):
        total = total + amp * _hash_noise(x * 2**o, y * 2**o, seed + o)
        norm += amp
        amp *= 0.5
    return total / norm


def _sky(rows: np.ndarray, palette) -> np.ndarray:
    """Sky colour per image row (top to bottom: deep to pale), shaped (rows, 3)."""
    t = np.clip((rows - rows.min()) / max(np.ptp(rows), 1e-9), 0, 1)[:, None]
    return palette["sky_top"] * (1 - t) + palette["sky_low"] * t


def _skyline(x: np.ndarray, kind: str, rng) -> np.ndarray:
    """Height above the wall's top of the buildings / trees behind it, along world x."""
    seed = int(rng.integers(1 << 20))
    x = np.where(np.isfinite(x), x, 0.0)
    if kind == "street":  # blocks of houses, 4-8 m wide, 3-9 m tall
        block = np.floor(x / 6.0)
        return 3.0 + 3.0 * (1.0 + _hash_noise(block, np.zeros_like(block), seed))
    return 2.0 + 1.5 * _fbm(x * 0.5, np.zeros_like(x), seed, 4) + 0.6 * _fbm(x * 2.0, np.ones_like(x), seed, 2)


def _skyline_texture(p: np.ndarray, kind: str, palette, rng) -> np.ndarray:
    seed = int(rng.integers(1 << 20))
    x, y = p[:, 0], p[:, 1]
    if kind == "street":
        block = np.floor(x / 6.0).astype(np.int64)
        facades = palette["facades"]
        col = facades[(block * 7 + seed) % len(facades)] * (1.0 + 0.04 * _fbm(x * 4, y * 4, seed, 2))[:, None]
        wx, wy = np.mod(x, 1.5), np.mod(y - 0.3, 1.2)
        window = (wx > 0.45) & (wx < 1.05) & (wy > 0.3) & (wy < 1.0)
        col[window] = palette["window"] * (1.0 + 0.15 * _hash_noise(x[window], y[window], seed + 1))[:, None]
        return col
    n = _fbm(x * 1.5, y * 1.5, seed, 4)
    return palette["upper"] * (1.0 + 0.35 * n)[:, None]


def _wall_texture(p: np.ndarray, kind: str, palette, rng) -> np.ndarray:
    seed = int(rng.integers(1 << 20))
    x, y = p[:, 0], p[:, 1]
    if kind == "street":  # running-bond bricks 21.5 x 6.5 cm with 1 cm mortar
        row = np.floor(y / 0.075)
        shifted = x + 0.1125 * np.mod(row, 2)
        col_i = np.floor(shifted / 0.225)
        mortar = (np.mod(y, 0.075) < 0.01) | (np.mod(shifted, 0.225) < 0.01)
        tint = 1.0 + 0.12 * _hash_noise(col_i * 1.7, row * 2.3, seed) + 0.05 * _fbm(x * 20, y * 20, seed + 1, 2)
        col = palette["wall"] * tint[:, None]
        col[mortar] = palette["mortar"]
        return col
    n = _fbm(x * 3.0, y * 3.0, seed, 4)  # a hedge
    return palette["wall"] * (1.0 + 0.45 * n)[:, None]


def _floor_texture(p: np.ndarray, kind: str, palette, path_z: float, rng) -> np.ndarray:
    seed = int(rng.integers(1 << 20))
    x, z = p[:, 0], p[:, 2]
    if kind == "street":  # 60 cm paving slabs with grout lines
        slab_x, slab_z = np.floor(x / 0.6), np.floor(z / 0.6)
        tint = 1.0 + 0.06 * _hash_noise(slab_x * 1.3, slab_z * 1.9, seed) + 0.04 * _fbm(x * 8, z * 8, seed + 1, 2)
        col = palette["floor"] * tint[:, None]
        grout = (np.mod(x, 0.6) < 0.015) | (np.mod(z, 0.6) < 0.015)
        col[grout] = palette["grout"]
        return col
    on_path = np.abs(z - path_z) < 0.9 + 0.08 * _hash_noise(x * 2.0, np.zeros_like(x), seed)
    col = np.empty((len(p), 3))
    xg, zg = x[~on_path], z[~on_path]
    col[~on_path] = palette["floor"] * (1.0 + 0.25 * _fbm(xg * 6, zg * 6, seed + 2, 3))[:, None]
    xp, zp = x[on_path], z[on_path]
    col[on_path] = palette["path"] * (1.0 + 0.08 * _fbm(xp * 25, zp * 25, seed + 3, 2))[:, None]
    return col
