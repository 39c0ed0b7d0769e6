#!/usr/bin/env python
"""Regenerate ``sample_videos/``: short profile clips of synthetic people walking.

Three people, two walks each, and a fourth person with a single walk (a stranger, whom the
demo and the gallery tests never enroll: they must come out ``unknown``), drawn by gaitcli's own synthetic-walker generator
(:mod:`gaitcli.synth.dataset`: a personal body and gait per identity, a fresh walk per clip)
and rendered as shaded figures (:mod:`gaitcli.synth.figure`) in a ray-cast street or park
(:mod:`gaitcli.synth.scene`), filmed in profile by a still camera: 640 x 360 at 25 fps, mp4v.
The two walks of one person differ in direction, speed, distance from the camera and where
the walker is when the clip starts; people differ in body, gait and clothes.

Everything is seeded: the same command writes the same frames (the encoded bytes can differ
between OpenCV builds). ``--check`` then runs the default pose engine on every frame of every
clip and prints how often it finds the person.

    python scripts/make_sample_videos.py            # writes sample_videos/*.mp4 + README.md
    python scripts/make_sample_videos.py --check    # ... and measures pose detection per clip
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from gaitcli.constants import HEAD_TOP, PELVIS  # noqa: E402
from gaitcli.synth.camera import Camera, look_at  # noqa: E402
from gaitcli.synth.dataset import Walk, sample_identity, simulate_walk  # noqa: E402
from gaitcli.synth.figure import Appearance, render_frame  # noqa: E402
from gaitcli.synth.gait_curves import GRAVITY  # noqa: E402
from gaitcli.synth.scene import Scene, VideoWriter, make_scene  # noqa: E402

SIZE = (360, 640)  # H, W
FPS = 25.0
HFOV_DEG = 50.0
CAMERA_HEIGHT_M = 1.2
MAX_BYTES = 1_000_000
SEED = 20240611


@dataclass(frozen=True)
class Clip:
    """One sample clip: who walks, which way, how fast, where, for how long."""

    person: int  # 1-based
    walk: int  # 1-based
    direction: int  # +1: left to right, -1: right to left
    speed_factor: float  # times the person's own comfortable speed
    seconds: float
    distance_m: float  # camera to the walking line
    start_shift: float  # where the walk sits in the frame: -1 (left) .. +1 (right) of the room left
    scene: str  # "street" | "park"
    covariate: str | None = None  # what the walker carries or wears ("bag", "coat", ...)

    @property
    def name(self) -> str:
        return f"person{self.person}_walk{self.walk}.mp4"


def random_clip(rng: np.random.Generator, person: int, walk: int) -> Clip:
    """A clip of ``person`` with a setting drawn as widely as the sample clips vary (for
    measuring and training on clips of people who are not in the samples)."""
    return Clip(
        person=person, walk=walk,
        direction=int(rng.choice([-1, 1])),
        speed_factor=float(rng.uniform(0.85, 1.15)),
        seconds=float(rng.uniform(3.2, 4.4)),
        distance_m=float(rng.uniform(4.2, 5.6)),
        start_shift=float(rng.uniform(-0.7, 0.7)),
        scene=str(rng.choice(["street", "park"])),
        covariate=[None, None, "bag", "coat"][int(rng.integers(4))],
    )


CLIPS: tuple[Clip, ...] = (
    Clip(1, 1, +1, 1.00, 4.0, 4.6, -0.6, "street"),
    Clip(1, 2, -1, 0.85, 4.4, 5.4, +0.5, "park"),
    Clip(2, 1, -1, 1.00, 3.6, 4.8, 0.0, "park"),
    Clip(2, 2, +1, 1.15, 3.2, 4.4, +0.7, "street", covariate="bag"),
    Clip(3, 1, +1, 0.95, 4.0, 5.0, +0.3, "street"),
    Clip(3, 2, -1, 1.10, 3.6, 4.6, -0.5, "park", covariate="coat"),
    Clip(4, 1, +1, 1.05, 4.0, 4.8, -0.2, "park"),  # the stranger: one walk, never enrolled
)


def person_rng(person: int) -> np.random.Generator:
    return np.random.default_rng([SEED, person])


def walk_rng(clip: Clip) -> np.random.Generator:
    return np.random.default_rng([SEED, clip.person, clip.walk])


def film(joints: np.ndarray, clip: Clip) -> Camera:
    """A still profile camera at ``clip.distance_m`` that keeps the whole walk in view.

    The walk is placed off-centre by ``clip.start_shift`` (a fraction of the room left at the
    sides); if the walk does not fit, the camera backs off.
    """
    h, w = SIZE
    focal = (w / 2.0) / np.tan(np.radians(HFOV_DEG) / 2.0)
    pelvis = joints[:, PELVIS]
    middle = (pelvis.min(axis=0) + pelvis.max(axis=0)) / 2.0
    stature = float(np.median(joints[:, HEAD_TOP, 1]))
    distance = clip.distance_m
    extent = np.ptp(joints[..., 0]) + 0.2  # metres of walk, with the body's width
    for _ in range(30):
        view = 2.0 * distance * np.tan(np.radians(HFOV_DEG) / 2.0)
        room = max(view * 0.9 - extent, 0.0) / 2.0
        target = np.array([middle[0] - clip.start_shift * room, 0.5 * stature, middle[2]])
        position = np.array([target[0], CAMERA_HEIGHT_M, middle[2] + distance])
        camera = look_at(position, target, SIZE, focal)
        xy, _ = camera.project(joints)
        if (xy[..., 0].min() > 0.03 * w and xy[..., 0].max() < 0.97 * w
                and xy[..., 1].min() > 0.03 * h and xy[..., 1].max() < 0.97 * h):
            return camera
        distance *= 1.08
    raise RuntimeError(f"{clip.name}: the walk does not fit the frame")


def appearance(person: int, covariate: str | None, girth: float, bag_hand: str) -> Appearance:
    """The person's clothes (the same in both walks) plus the walk's props."""
    look = Appearance.random(person_rng(person).integers(1 << 31), coat=covariate == "coat", bag=covariate == "bag")
    return replace(look, girth=float(np.clip(girth, 0.6, 1.6)), bag_hand=bag_hand)


def simulate(clip: Clip) -> tuple[Walk, np.random.Generator]:
    """The clip's walk (C1's generator), and the clip's random stream, advanced past it."""
    identity = sample_identity(person_rng(clip.person), identity_id=clip.person)
    rng = walk_rng(clip)
    body, style = identity.body, identity.style
    own_speed = style.froude * np.sqrt(GRAVITY * body.leg_length)  # the person's comfortable pace
    walk = simulate_walk(identity, rng, fps=FPS, seconds=clip.seconds, covariate=clip.covariate,
                         direction=clip.direction, speed=clip.speed_factor * own_speed)
    return walk, rng


def projected(clip: Clip) -> tuple[Walk, np.random.Generator, Camera, np.ndarray, np.ndarray]:
    """The clip's walk and random stream (:func:`simulate`), its camera (:func:`film`) and the
    true joints in the image: ``xy`` (T, 16, 2) pixels (x, y) and their ``depth``."""
    walk, rng = simulate(clip)
    camera = film(walk.joints, clip)
    xy, depth = camera.project(walk.joints)
    return walk, rng, camera, xy, depth


def frames(clip: Clip) -> Iterator[np.ndarray]:
    """The clip's frames (RGB uint8, SIZE), rendered one at a time."""
    walk, rng, camera, xy, depth = projected(clip)
    body = walk.body
    soles, _ = camera.project(walk.feet)  # (T, 2, 3, 2): right/left x heel/ball/toe tip
    look = appearance(clip.person, clip.covariate, body.girth, walk.meta.get("covariate_side") or "right")
    scene: Scene = make_scene(camera, kind=clip.scene, seed=int(rng.integers(1 << 31)),
                              path_z=float(np.median(walk.joints[:, PELVIS, 2])))
    for t in range(walk.frames):
        yield render_frame(xy[t], scene, look, depth=depth[t], feet=soles[t])


def write_clip(clip: Clip, out_dir: Path) -> tuple[Path, int]:
    """Render and encode one clip into ``out_dir``; returns its path and frame count."""
    path = out_dir / clip.name
    with VideoWriter(path, FPS, SIZE) as writer:
        for frame in frames(clip):
            writer.write(frame)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise RuntimeError(f"{clip.name} is {size} bytes, over the {MAX_BYTES} limit")
    return path, writer.frames


def detection_rate(path: Path, estimator) -> tuple[int, int]:
    """(frames where ``estimator`` finds a person, frames) of one clip."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    found = total = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        total += 1
        found += bool(estimator.poses(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), max_people=1))
    cap.release()
    return found, total


def readme(rows: list[tuple[Clip, int]]) -> str:
    """sample_videos/README.md for the clips written (``(clip, frames)`` each)."""
    lines = [
        "# Sample videos",
        "",
        "Short clips of synthetic people walking past a still camera in profile, for trying",
        "gaitcli without data of your own. Each person is drawn by gaitcli's synthetic-walker",
        "generator (`gaitcli.synth`: personal body proportions and gait) and rendered as a shaded",
        "figure (skin, hair, clothes, shoes) in a ray-cast street or park. Both walks of one person",
        "have the same body, gait and clothes (plus a bag or a coat where noted, which also changes",
        "the gait); they differ in direction, speed, distance from the camera and where the walker",
        "starts. Person 4 walks once: a stranger whom `gaitcli demo` (and the gallery tests)",
        "never enroll, so gaitcli should call them `unknown`. 640 x 360, 25 fps, MPEG-4 (mp4v).",
        "Speed is a factor of the person's own comfortable pace and, in brackets, as walked.",
        "",
        "| clip | person | walk | direction | speed | seconds | frames | scene | carrying |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for clip, n in rows:
        direction = "left to right" if clip.direction > 0 else "right to left"
        walked = simulate(clip)[0].meta["speed_mps"]
        lines.append(
            f"| {clip.name} | {clip.person} | {clip.walk} | {direction} | {clip.speed_factor:.2f} x own"
            f" ({walked:.2f} m/s) | {n / FPS:.1f} | {n} | {clip.scene} | {clip.covariate or '-'} |"
        )
    lines += [
        "",
        "Regenerate them (seeded: the same frames every time) with",
        "",
        "```bash",
        "python scripts/make_sample_videos.py          # add --check to measure pose detection",
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "sample_videos", help="output folder")
    parser.add_argument("--check", action="store_true", help="measure pose detection on every frame")
    parser.add_argument("--only", nargs="+", metavar="CLIP", help="render only these clips (e.g. person4_walk1.mp4)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    unknown = set(args.only or ()) - {clip.name for clip in CLIPS}
    if unknown:
        parser.error(f"no such clip: {', '.join(sorted(unknown))}")
    rows = []
    for clip in CLIPS:
        if args.only and clip.name not in args.only:
            import cv2

            cap = cv2.VideoCapture(str(args.out / clip.name))
            rows.append((clip, int(cap.get(cv2.CAP_PROP_FRAME_COUNT))))
            cap.release()
            continue
        path, n = write_clip(clip, args.out)
        rows.append((clip, n))
        print(f"{path.name}: {n} frames, {path.stat().st_size / 1e3:.0f} kB", flush=True)
    (args.out / "README.md").write_text(readme(rows))
    if args.check:
        from gaitcli.pose import load_estimator

        estimator = load_estimator("blazepose")  # the default pose engine
        for clip, _ in rows:
            if args.only and clip.name not in args.only:
                continue
            found, total = detection_rate(args.out / clip.name, estimator)
            print(f"{clip.name}: person found in {found}/{total} frames ({100 * found / total:.1f} %)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
