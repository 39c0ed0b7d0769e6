"""Peak memory (RSS) while streaming a long 1080p video through gaitcli.

The goal (issue 4): a 10-minute 1080p clip goes through the whole embed pipeline under
1.5 GB peak RSS. This script writes a synthetic 1080p clip (a textured background with a
moving figure, ``--seconds`` long) into a temporary folder — or takes ``--video`` — and
measures, each in a fresh process so that peaks do not mix:

* ``opencv``: a bare ``cv2.VideoCapture`` loop (the reference: what decoding alone costs);
* ``--pipeline`` (default ``read``: :func:`gaitcli.io.video.open_frames`, every frame
  converted to RGB and handed over): any ``module:function`` that takes the opened
  :class:`~gaitcli.io.video.FrameSource` and consumes it, so the whole embed pipeline can be
  measured the same way once it exists (``--pipeline gaitcli.some_module:function``).

Printed per run: frames, wall time, frames per second, peak RSS (``ru_maxrss``), and the
ratios pipeline / reference for both speed and memory, the peak against the 1.5 GB goal, and
the peak against what holding the whole clip in memory would take.

    python bench/bench_video_memory.py                  # 90 s of 1080p at 30 fps
    python bench/bench_video_memory.py --seconds 600    # the issue's 10 minutes
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_BYTES = 1.5e9


def make_clip(path: Path, seconds: float, fps: float, width: int, height: int) -> int:
    """Write a synthetic clip (mp4v): a textured background and a figure walking across."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    texture = cv2.resize(rng.integers(40, 200, (height // 8, width // 8, 3), dtype=np.uint8), (width, height),
                         interpolation=cv2.INTER_CUBIC)  # fmt: skip
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise SystemExit("OpenCV cannot write mp4v video here")
    n = int(round(seconds * fps))
    for i in range(n):
        frame = np.roll(texture, i * 2, axis=1)
        x = int((i * 12) % (width + 200)) - 100
        y = height // 2 + int(20 * np.sin(i / 5))
        cv2.ellipse(frame, (x, y), (60, 220), 0, 0, 360, (30, 60, 200), -1)
        cv2.circle(frame, (x, y - 270), 50, (180, 150, 120), -1)
        writer.write(frame)
    writer.release()
    return n


def read_pipeline(source) -> int:
    """The reader alone: every frame decoded, converted to RGB and handed over."""
    n = 0
    for _, frame in source:
        n += int(frame.shape[0] > 0)
    return n


def _opencv_reference(path: str) -> int:
    import cv2

    cap = cv2.VideoCapture(path)
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def _measure(path: str, pipeline: str, stride: int) -> dict:
    """Run one consumer in this (fresh) process and report its frames, time and peak RSS."""
    if pipeline == "opencv":
        consume, opener = _opencv_reference, None
    else:
        module, _, name = pipeline.rpartition(":")
        consume = read_pipeline if pipeline == "read" else getattr(importlib.import_module(module), name)
        from gaitcli.io.video import open_frames

        opener = open_frames
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    frames = consume(path) if opener is None else consume(opener(path, stride=stride))
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes
    return {"pipeline": pipeline, "frames": frames, "wall_s": wall, "peak_rss": peak, "rss_before": base}


def _run_child(path: Path, pipeline: str, stride: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", str(path), "--pipeline", pipeline, "--stride", str(stride)],
                         check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=90.0, help="length of the synthetic clip")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--video", type=Path, help="measure this video instead of a synthetic one")
    parser.add_argument("--pipeline", default="read", help="'read' (default) or module:function taking a FrameSource")
    parser.add_argument("--stride", type=int, default=1, help="frame stride given to open_frames")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the child process
    args = parser.parse_args(argv)

    if args.measure:
        print(json.dumps(_measure(args.measure, args.pipeline, args.stride)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        video = args.video
        if video is None:
            video = Path(tmp) / "long_1080p.mp4"
            start = time.perf_counter()
            n = make_clip(video, args.seconds, args.fps, args.width, args.height)
            print(f"wrote {n} frames of {args.width}x{args.height} ({args.seconds:g} s at {args.fps:g} fps, "
                  f"{video.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s")  # fmt: skip
        import cv2

        cap = cv2.VideoCapture(str(video))
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        cap.release()
        ref = _run_child(video, "opencv", 1)
        run = _run_child(video, args.pipeline, args.stride)

    whole = ref["frames"] * width * height * 3
    print(f"{'run':<28}{'frames':>8}{'wall s':>9}{'fps':>9}{'peak RSS MB':>13}")
    for r in (ref, run):
        print(f"{r['pipeline']:<28}{r['frames']:>8}{r['wall_s']:>9.1f}{r['frames'] / r['wall_s']:>9.1f}{r['peak_rss'] / 2**20:>13.0f}")
    print(f"speed   {args.pipeline} / opencv reference: {(run['frames'] / run['wall_s']) / (ref['frames'] / ref['wall_s']):.2f}")
    print(f"memory  {args.pipeline} / opencv reference: {run['peak_rss'] / ref['peak_rss']:.2f}")
    print(f"peak RSS / 1.5 GB goal: {run['peak_rss'] / GOAL_BYTES:.2f}")
    print(f"peak RSS / whole clip held in memory ({whole / 2**30:.1f} GiB): {run['peak_rss'] / whole:.3f}")


if __name__ == "__main__":
    main()
