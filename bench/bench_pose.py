"""Benchmark: BlazePose engine overhead over the raw LiteRT models, per image, in one run.

Usage: python bench/bench_pose.py [--rounds N] [--threads T] [--single-pass]

Images: ../shared/data/images/dummy.jpg and every 15th frame of
../shared/data/videos/walk_profile_outdoor.mp4 where ../shared is present, else rendered figures.
Each line compares like with like: per image the best of the rounds (the least disturbed by
other processes; raw and engine calls alternate within each round), averaged over images:

* landmarks: ``interpreter set_tensor + invoke + get outputs`` on a prepared 256x256 crop, as
  many times as the engine runs the model per ROI (twice, flip-averaged; once with ``--single-pass``) (raw)
  vs ``BlazePoseEstimator.track(image, roi)`` (crop from the full image, invoke(s), with flip
  averaging the mirrored crop and the average, landmarks back to image pixels, 33 -> 16 joint
  mapping, next ROI, Pose).
* detector: the same raw call on a prepared 224x224 input vs ``BlazePoseEstimator.detect(image)``
  (letterbox resize, invoke, anchor decoding, weighted NMS, ROIs).
* end to end: raw detector + raw landmarks (as many landmark runs as the engine makes on that
  image: one per detection until one is a person) vs ``BlazePoseEstimator.poses(image)``.

The engine's overhead over the raw models must stay below 20 % (ratio < 1.20).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
LIMIT = 1.20


def _images() -> tuple[str, list[np.ndarray]]:
    from gaitcli.io.images import load_image

    if SHARED.is_dir():
        import cv2

        images = [load_image(SHARED / "images" / "dummy.jpg")]
        video = cv2.VideoCapture(str(SHARED / "videos" / "walk_profile_outdoor.mp4"))
        index = 0
        while True:
            ok, frame = video.read()
            if not ok:
                break
            if index % 15 == 0:
                images.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            index += 1
        return "dummy.jpg + every 15th frame of walk_profile_outdoor.mp4 (1768x994)", images
    from gaitcli.synth.figure import render_figure

    joints = np.array(
        [[156, 410], [158, 330], [160, 250], [200, 250], [202, 330], [204, 410], [180, 250], [180, 150],
         [180, 125], [180, 80], [130, 270], [135, 215], [145, 155], [215, 155], [225, 215], [230, 270]],
        dtype=float,
    )  # fmt: skip
    return "rendered figures 360x480 (../shared absent)", [render_figure(joints, (480, 360), seed=s) for s in range(8)]


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _landmark_runs(engine, image: np.ndarray) -> int:
    """How many times ``engine.poses(image)`` invokes the landmark model."""
    model = engine.landmarks.model
    calls = []
    original = model.run
    model.run = lambda *a, **k: calls.append(1) or original(*a, **k)
    try:
        engine.poses(image)
    finally:
        del model.run  # back to the class's method
    return len(calls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--single-pass", action="store_true", help="time the engine without flip averaging (one landmark pass)")
    args = parser.parse_args()

    from gaitcli.pose.blazepose import BlazePoseEstimator

    engine = BlazePoseEstimator(num_threads=args.threads, flip_average=not args.single_pass)
    detector, landmarks = engine.detector, engine.landmarks
    passes = 2 if landmarks.flip_average else 1
    source, images = _images()
    rows = {"landmarks": [], "detector": [], "end to end": []}
    used = 0
    for image in images:
        detections = engine.detect(image)
        if not detections:
            continue  # no detection: nothing for the landmark model to do
        used += 1
        roi = max(detections, key=lambda d: d.roi.size).roi
        crop = landmarks.crop(image, roi)
        letterboxed = detector.preprocess(image)[0]
        for _ in range(3):  # warm-up
            engine.poses(image)

        def raw_landmark_run():
            landmarks.model.run(crop, landmarks.used_outputs)

        def raw_landmarks():  # the model runs track() makes: two with flip averaging
            for _ in range(passes):
                raw_landmark_run()

        def raw_detector():
            detector.model.run(letterboxed)

        # poses() runs the landmark model once per detection until one is a person: count them
        runs = _landmark_runs(engine, image)

        def raw_end_to_end():
            raw_detector()
            for _ in range(runs):
                raw_landmark_run()

        # Interleave the raw and engine timings round by round so that load changes hit both.
        pairs = {
            "landmarks": (raw_landmarks, lambda: engine.track(image, roi)),
            "detector": (raw_detector, lambda: engine.detect(image)),
            "end to end": (raw_end_to_end, lambda: engine.poses(image)),
        }
        samples = {name: ([], []) for name in pairs}
        for _ in range(args.rounds):
            for name, (raw, full) in pairs.items():
                samples[name][0].append(_seconds(raw))
                samples[name][1].append(_seconds(full))
        for name, (raw, full) in samples.items():
            rows[name].append((min(raw), min(full)))

    print(f"images: {used} with a detection ({source}); {args.rounds} rounds; {args.threads} threads; "
          f"{passes} landmark pass{'es' if passes > 1 else ''} per ROI")
    print(f"{'stage':<11} {'raw model ms':>13} {'engine ms':>10} {'ratio':>6}")
    worst = 0.0
    for name, values in rows.items():
        raw = 1000 * float(np.mean([r for r, _ in values]))
        full = 1000 * float(np.mean([f for _, f in values]))
        worst = max(worst, full / raw)
        print(f"{name:<11} {raw:>13.2f} {full:>10.2f} {full / raw:>6.3f}")
    verdict = "OK" if worst < LIMIT else "OVER"
    print(f"worst ratio {worst:.3f} (limit {LIMIT:.2f}): {verdict}")
    return 0 if worst < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
