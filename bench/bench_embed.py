"""Benchmark: the whole embed pipeline against the raw landmark model, in one run.

Usage: python bench/bench_embed.py [--clip sample_videos/person1_walk1.mp4] [--rounds 3] [--single-pass] [--every-frame]

Printed:

* **raw landmarks**: clip frames per second of the BlazePose landmark model alone
  (``set_tensor + invoke + get outputs`` on prepared 256x256 crops), doing the model work the
  pipeline does: on the frames the engine runs on (those nearest the 15-fps grid, or every
  frame with ``--every-frame``), twice per frame with flip averaging (the default; once with
  ``--single-pass``);
* **embed pipeline**: frames per second of :meth:`gaitcli.api.Embedder.embed` on the same
  clip — decoding, detection, tracking, landmarks, joint mapping, feature maps and the gait
  network — and the ratio pipeline / raw (goal >= 0.8);
* **gaitcli embed**: wall time of the command on the clip, start-up and model loading
  included (goal < 3 s for a 4-s clip), against the clip's duration;

both with the pose cache off (:mod:`gaitcli.pose.cache`), so that every round computes the poses;
* **gait step**: :meth:`gaitcli.gait.model.GaitModel.embed_walk` alone on one synthetic 4-s walk
  filmed from the front (mirror-averaged: a second pass of the network) against the same walk
  filmed from the side (one pass), and their ratio (about 2 expected).

Each number is the best of ``--rounds`` (the run least disturbed by other processes).
Peak memory on a long 1080p clip: ``python bench/bench_video_memory.py --seconds 600
--pipeline bench_embed:embed_source``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def embed_source(source) -> int:
    """The whole embed pipeline on an opened FrameSource (a hook for bench_video_memory.py)."""
    from gaitcli.api import Embedder
    from gaitcli.errors import NoPersonError
    from gaitcli.features.sequence import TooFewFramesError

    embedder = Embedder()
    try:
        walk, _ = embedder.prepared_walk(embedder.source_joints(source, name=str(source.path)))
        embedder.gait.embed_walk(walk)
    except (NoPersonError, TooFewFramesError):  # a clip without a walker still streams every frame
        pass
    return source.num_frames


def raw_landmark_fps(frames: list[np.ndarray], rounds: int, flip_average: bool, run: list[bool]) -> float:
    """Clip frames per second of the landmark model alone, run on the frames ``run`` marks."""
    from gaitcli.pose.blazepose import BlazePoseEstimator

    engine = BlazePoseEstimator(flip_average=flip_average)
    crops = []
    roi = None
    for frame in (f for f, keep in zip(frames, run) if keep):  # the crops the engine would feed the model
        if roi is None:
            found = engine.detect(frame)
            roi = max(found, key=lambda d: d.roi.size).roi if found else None
        if roi is None:
            continue
        crops.append(engine.landmarks.crop(frame, roi))
        _, roi = engine.track(frame, roi)
    model, passes = engine.landmarks.model, 2 if engine.landmarks.flip_average else 1
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for crop in crops:
            for _ in range(passes):  # the engine runs the model twice per frame with flip averaging
                model.run(crop)
        best = min(best, time.perf_counter() - start)
    return len(frames) / best


def gait_step_seconds(rounds: int) -> tuple[float, float]:
    """Best-of-``rounds`` seconds of the default model's embed_walk on one synthetic 4-s walk seen
    from the front (toward the camera) and from the side."""
    from gaitcli.features.sequence import prepare_walk
    from gaitcli.gait.model import load_gait_model
    from gaitcli.synth.dataset import observe_walk, simulate_walk, synthetic_identity

    model = load_gait_model()
    out = []
    for yaw in (90.0, 0.0):
        rng = np.random.default_rng([7, int(yaw)])
        walk = simulate_walk(synthetic_identity(7, 0), rng, seconds=4.0, heading_sd=0.0)
        seen = observe_walk(walk, rng, yaw_deg=yaw)
        prepared = prepare_walk(seen.coords_y, seen.coords_x, seen.probs, walk.fps)
        model.embed_walk(prepared)  # warm-up
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            model.embed_walk(prepared)
            best = min(best, time.perf_counter() - start)
        out.append(best)
    return out[0], out[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, default=REPO / "sample_videos" / "person1_walk1.mp4")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single-pass", action="store_true", help="time embedding without flip averaging (gaitcli embed --no-flip-average)")
    parser.add_argument("--every-frame", action="store_true", help="run the engine on every frame (Embedder(sample_fps=None))")
    args = parser.parse_args(argv)

    from gaitcli.api import Embedder
    from gaitcli.constants import CANONICAL_FPS
    from gaitcli.io.video import open_frames
    from gaitcli.pose.video import sampled_frame

    source = open_frames(args.clip)
    frames = [frame for _, frame in source]
    duration = len(frames) / source.fps
    sample_fps = None if args.every_frame else CANONICAL_FPS
    run = [sampled_frame(i, source.fps, sample_fps) for i in range(len(frames))]
    print(f"clip: {args.clip.name}, {len(frames)} frames, {source.width}x{source.height}, {duration:.1f} s; "
          f"the engine runs on {sum(run)} of them, {'once' if args.single_pass else 'twice (flip-averaged)'} each")

    front, side = gait_step_seconds(args.rounds)
    print(f"gait step          : {1000 * front:7.0f} ms toward the camera (mirror-averaged), {1000 * side:.0f} ms "
          f"across the image, ratio {front / side:.2f}")

    raw = raw_landmark_fps(frames, args.rounds, not args.single_pass, run)
    embedder = Embedder(flip_average=not args.single_pass, sample_fps=sample_fps, cache=False)  # poses computed each time
    embedder.embed(args.clip)  # warm-up: model loading is not part of the per-frame rate
    best = float("inf")
    for _ in range(args.rounds):
        start = time.perf_counter()
        embedder.embed(args.clip)
        best = min(best, time.perf_counter() - start)
    pipeline = len(frames) / best
    print(f"raw landmark model : {raw:7.1f} frames/s")
    print(f"embed pipeline     : {pipeline:7.1f} frames/s   ratio {pipeline / raw:.2f} (goal >= 0.80)")

    if args.every_frame:  # the command always samples; its wall time is the default's
        return
    wall = float("inf")
    for _ in range(args.rounds):
        start = time.perf_counter()
        command = [sys.executable, "-m", "gaitcli.cli.main", "embed", str(args.clip)] + ["--no-flip-average"] * args.single_pass
        done = subprocess.run(command, capture_output=True, env={**os.environ, "GAITCLI_NO_POSE_CACHE": "1"})  # a first run
        wall = min(wall, time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode())
    print(f"gaitcli embed      : {wall:7.2f} s wall for a {duration:.1f}-s clip   (goal < 3 s for 4 s)")


if __name__ == "__main__":
    main()
