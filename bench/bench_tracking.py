"""Benchmark: finding and following every person in the two real videos, against hand labels.

Usage: python bench/bench_tracking.py [--videos DIR] [--labels bench/labels/people_boxes.json] [--video NAME]

The labels (``bench/labels/people_boxes.json``) hold, for 33 frames of
``shared/data/videos/pedestrians_vtest.avi`` and ``walk_profile_outdoor.mp4``, a box around every
person at least 50 px tall with most of the body visible, and "ignore" boxes (smaller, mostly
hidden or sun-washed people). Some people carry an ``id`` (the same person across frames).

Printed, per video and over both:

* **recall / precision** of people >= 50 px (a found box matches a labelled one at IoU >= 0.5,
  one to one, by the Hungarian method; found boxes on ignore boxes or under 40 px tall count
  neither way) for three things: the person detector alone (:class:`PersonDetector`, score >=
  0.5), ``gaitcli pose --all`` (its poses' boxes) and the tracking pipeline
  (:meth:`gaitcli.api.Embedder.people`, the ``embed`` defaults: 15-fps frames, flip-averaged
  landmarks; every confirmed track's box at the labelled frame);
* **identity**: for labelled people with an id, the tracks that cover them (``fragments``: the
  number of different track ids one person gets, less one) and ``switches`` (consecutive
  labelled sightings of one person on different tracks);
* **speed**: engine frames per second of the whole tracking pipeline, and the raw model-only
  rate measured in the same run: the same number of model calls (person-detector windows,
  BlazePose detector, landmark model) on prepared inputs, with nothing else; ratio pipeline/raw.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VIDEOS = Path(os.environ.get("GAITCLI_SHARED_DATA", REPO.parent / "shared" / "data")) / "videos"
MATCH_IOU = 0.5
MIN_COUNTED = 40  # px: found boxes smaller than this are not judged (labels start at 50)


def iou_matrix(a, b) -> np.ndarray:
    from gaitcli.pose.person_detector import box_iou_matrix

    a, b = np.asarray(a, dtype=float).reshape(-1, 4), np.asarray(b, dtype=float).reshape(-1, 4)
    return box_iou_matrix(a, b) if len(a) and len(b) else np.zeros((len(a), len(b)))


def judge(found: list, people: list, ignore: list) -> tuple[int, int, int, dict[int, int]]:
    """(true positives, false positives, misses, {labelled index: found index}) for one frame."""
    from scipy.optimize import linear_sum_assignment

    found = [list(map(float, b)) for b in found]
    iou = iou_matrix(people, found)
    pairs = {}
    if iou.size:
        rows, cols = linear_sum_assignment(-iou)
        pairs = {int(r): int(c) for r, c in zip(rows, cols) if iou[r, c] >= MATCH_IOU}
    used = set(pairs.values())
    fp = 0
    for k, box in enumerate(found):
        if k in used or box[3] - box[1] < MIN_COUNTED:
            continue
        area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)
        inside = [max(0.0, min(box[2], g[2]) - max(box[0], g[0])) * max(0.0, min(box[3], g[3]) - max(box[1], g[1])) / area for g in ignore]
        if any(v >= 0.5 for v in inside):
            continue
        fp += 1
    return len(pairs), fp, len(people) - len(pairs), pairs


def frames_of(path: Path, wanted: set[int]):
    from gaitcli.io.video import open_frames

    for index, image in open_frames(path):
        if index in wanted:
            yield index, image
        if index >= max(wanted):
            break


class ModelCalls:
    """Counts each LiteRT model's calls and keeps one input of each (for the raw rate)."""

    def __init__(self):
        from gaitcli.pose.litert import TfliteModel

        self.counts: dict[int, int] = {}
        self.samples: dict[int, tuple] = {}
        self.original = TfliteModel.run
        counts, samples, original = self.counts, self.samples, self.original

        def run(model, x, *args, **kwargs):
            counts[id(model)] = counts.get(id(model), 0) + 1
            samples.setdefault(id(model), (model, np.array(x)))
            return original(model, x, *args, **kwargs)

        TfliteModel.run = run

    def raw_seconds(self, repeats: int = 20) -> float:
        """Seconds the counted calls take on their own (each model timed on its kept input)."""
        total = 0.0
        for key, count in self.counts.items():
            model, x = self.samples[key]
            self.original(model, x)
            start = time.perf_counter()
            for _ in range(repeats):
                self.original(model, x)
            total += count * (time.perf_counter() - start) / repeats
        return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    parser.add_argument("--labels", type=Path, default=REPO / "bench" / "labels" / "people_boxes.json")
    parser.add_argument("--video", action="append", help="only this video (file name); repeatable")
    args = parser.parse_args(argv)

    from gaitcli.api import Embedder
    from gaitcli.pose.person_detector import MIN_SCORE

    labels = json.loads(args.labels.read_text())
    embedder = Embedder(cache=False)
    engine = embedder.blazepose
    engine.people  # loaded before timing
    calls = ModelCalls()
    totals = {k: np.zeros(3, int) for k in ("detector", "pose --all", "pipeline")}
    pipeline_seconds = raw_seconds = 0.0
    engine_frames = 0
    for name, video in labels["videos"].items():
        if args.video and name not in args.video:
            continue
        path = args.videos / name
        frames = {int(k): v for k, v in video["frames"].items()}
        print(f"\n{name}: {len(frames)} labelled frames, {sum(len(v['people']) for v in frames.values())} people >= 50 px")
        counts = {k: np.zeros(3, int) for k in totals}
        for index, image in frames_of(path, set(frames)):
            truth = frames[index]
            found = {
                "detector": [p.box for p in engine.find_people(image, min_score=MIN_SCORE)],
                "pose --all": [p.box for p in engine.poses(image, max_people=None)],
            }
            for key, boxes in found.items():
                counts[key] += judge(boxes, truth["people"], truth["ignore"])[:3]
        calls.counts.clear()
        start = time.perf_counter()
        people = embedder.people(path)
        seconds = time.perf_counter() - start
        raw = calls.raw_seconds()
        pipeline_seconds += seconds
        raw_seconds += raw
        engine_frames += len(people.frame_indices)
        seen: dict[int, list[tuple[int, int]]] = {}  # labelled id -> [(frame, track id)]
        for index, truth in sorted(frames.items()):
            on_frame = [(t.id, t.detection_at(index)) for t in people.tracks]
            on_frame = [(tid, d) for tid, d in on_frame if d is not None]
            tp, fp, fn, pairs = judge([d.box for _, d in on_frame], truth["people"], truth["ignore"])
            counts["pipeline"] += (tp, fp, fn)
            for k, person_id in enumerate(truth.get("ids") or []):
                if person_id is not None:
                    seen.setdefault(person_id, []).append((index, on_frame[pairs[k]][0] if k in pairs else 0))
        for key, (tp, fp, fn) in counts.items():
            totals[key] += (tp, fp, fn)
            print(f"  {key:<11} recall {tp / max(tp + fn, 1):6.1%}  precision {tp / max(tp + fp, 1):6.1%}   ({tp} found, {fn} missed, {fp} false)")
        if seen:
            fragments = sum(max(0, len({t for _, t in s if t}) - 1) for s in seen.values())
            switches = sum(sum(1 for (_, a), (_, b) in zip(s, s[1:]) if a and b and a != b) for s in seen.values())
            sightings = sum(len(s) for s in seen.values())
            print(f"  identity: {len(seen)} labelled people, {sightings} sightings: {fragments} extra fragments, {switches} switches")
        print(f"  tracks: {len(people.tracks)} confirmed over {len(people.frame_indices)} engine frames "
              f"({people.frames_read} read); person detector on {people.detector_runs} of them")
        print(f"  speed: pipeline {len(people.frame_indices) / seconds:5.2f} engine frames/s, "
              f"raw models {len(people.frame_indices) / raw:5.2f} frames/s, ratio {raw / seconds:.2f}")
    print("\nboth videos:")
    for key, (tp, fp, fn) in totals.items():
        print(f"  {key:<11} recall {tp / max(tp + fn, 1):6.1%}  precision {tp / max(tp + fp, 1):6.1%}   ({tp} found, {fn} missed, {fp} false)")
    if pipeline_seconds:
        print(f"  speed: pipeline {engine_frames / pipeline_seconds:5.2f} engine frames/s, raw models "
              f"{engine_frames / raw_seconds:5.2f} frames/s, ratio {raw_seconds / pipeline_seconds:.2f}")


if __name__ == "__main__":
    main()
