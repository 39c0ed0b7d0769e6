"""Benchmark: the whole embed pipeline against the raw landmark model, in one run.

Usage: python bench/bench_embed.py [--clip sample_videos/person1_walk1.mp4] [--rounds 3] [--flip-average]

Printed:

* **raw landmarks**: frames per second of the BlazePose landmark model alone
  (``set_tensor + invoke + get outputs`` on prepared 256x256 crops of the clip's frames, run as
  many times per frame as the engine runs it: once, twice with flip averaging);
* **embed pipeline**: frames per second of :meth:`gaitcli.api.Embedder.embed` on the same
  clip — decoding, detection, tracking, landmarks, joint mapping, feature maps and the gait
  network — and the ratio pipeline / raw (goal >= 0.8);
* **gaitcli embed**: wall time of the command on the clip, start-up and model loading
  included (goal < 3 s for a 4-s clip), against the clip's duration.

Each number is the best of ``--rounds`` (the run least disturbed by other processes).
Peak memory on a long 1080p clip: ``python bench/bench_video_memory.py --seconds 600
--pipeline bench_embed:embed_source``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def embed_source(source) -> int:
    """The whole embed pipeline on an opened FrameSource (a hook for bench_video_memory.py)."""
    from gaitcli.api import Embedder
    from gaitcli.features.sequence import prepare_walk
    from gaitcli.pose.video import poses_over_frames

    from gaitcli.errors import NoPersonError
    from gaitcli.features.sequence import TooFewFramesError

    embedder = Embedder()
    try:
        seq = poses_over_frames(embedder.blazepose, source, name=str(source.path), fps=source.fps)
        walk = prepare_walk(seq.coords_y, seq.coords_x, seq.probs, float(seq.fps or 30.0))
        embedder.gait.embed_walk(walk)
    except (NoPersonError, TooFewFramesError):  # a clip without a walker still streams every frame
        pass
    return source.num_frames


def raw_landmark_fps(frames: list[np.ndarray], rounds: int, flip_average: bool = False) -> float:
    from gaitcli.pose.blazepose import BlazePoseEstimator

    engine = BlazePoseEstimator(flip_average=flip_average)
    crops = []
    roi = None
    for frame in frames:  # the crops the engine would feed the model
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
    return len(crops) / best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, default=REPO / "sample_videos" / "person1_walk1.mp4")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flip-average", action="store_true", help="time embedding with flip averaging (gaitcli embed --flip-average)")
    args = parser.parse_args(argv)

    from gaitcli.api import Embedder
    from gaitcli.io.video import open_frames

    source = open_frames(args.clip)
    frames = [frame for _, frame in source]
    duration = len(frames) / source.fps
    print(f"clip: {args.clip.name}, {len(frames)} frames, {source.width}x{source.height}, {duration:.1f} s")

    raw = raw_landmark_fps(frames, args.rounds, args.flip_average)
    embedder = Embedder(flip_average=args.flip_average)
    embedder.embed(args.clip)  # warm-up: model loading is not part of the per-frame rate
    best = float("inf")
    for _ in range(args.rounds):
        start = time.perf_counter()
        embedder.embed(args.clip)
        best = min(best, time.perf_counter() - start)
    pipeline = len(frames) / best
    print(f"raw landmark model : {raw:7.1f} frames/s")
    print(f"embed pipeline     : {pipeline:7.1f} frames/s   ratio {pipeline / raw:.2f} (goal >= 0.80)")

    wall = float("inf")
    for _ in range(args.rounds):
        start = time.perf_counter()
        command = [sys.executable, "-m", "gaitcli.cli.main", "embed", str(args.clip)] + ["--flip-average"] * args.flip_average
        done = subprocess.run(command, capture_output=True)
        wall = min(wall, time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode())
    print(f"gaitcli embed      : {wall:7.2f} s wall for a {duration:.1f}-s clip   (goal < 3 s for 4 s)")


if __name__ == "__main__":
    main()
