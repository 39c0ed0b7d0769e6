"""Keypoint files of synthetic walks, as other pose tools write them (fast inputs for the embed pipeline)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gaitcli.constants import JOINT_NAMES

COCO_FROM_SEED = {  # COCO-17 keypoint index for each seed joint that COCO has
    "right_ankle": 16, "right_knee": 14, "right_hip": 12, "left_hip": 11, "left_knee": 13, "left_ankle": 15,
    "right_wrist": 10, "right_elbow": 8, "right_shoulder": 6, "left_shoulder": 5, "left_elbow": 7, "left_wrist": 9,
}  # fmt: skip


def write_coco(path: Path, ys, xs, ps, *, decoy: bool = False) -> Path:
    """COCO-17 results JSON of one walker (and optionally a second person standing still)."""
    path.write_text(json.dumps(coco_records(ys, xs, ps, decoy=decoy)))
    return path


def coco_records(ys, xs, ps, *, ids=None, decoy: bool = False) -> list[dict]:
    """The COCO-17 results of one walker, frame ``t`` as image ``ids[t]`` (default ``frame_<t>.jpg``)."""
    records = []
    for t in range(len(ys)):
        kp = np.zeros((17, 3))
        for name, k in COCO_FROM_SEED.items():
            j = JOINT_NAMES.index(name)
            kp[k] = (xs[t, j], ys[t, j], ps[t, j])
        head = JOINT_NAMES.index("head_top"), JOINT_NAMES.index("upper_neck")
        nose = (xs[t, head[0]] * 0.4 + xs[t, head[1]] * 0.6, ys[t, head[0]] * 0.4 + ys[t, head[1]] * 0.6)
        for k in range(5):  # nose, eyes, ears near the head
            kp[k] = (nose[0], nose[1], 0.9)
        image = f"frame_{t}.jpg" if ids is None else ids[t]
        records.append({"image_id": image, "category_id": 1, "keypoints": kp.ravel().tolist(), "score": 0.9})
        if decoy:
            still = kp.copy()
            still[:, 0] += 2000 - xs[t].mean()  # somebody far away, standing still
            records.append({"image_id": image, "category_id": 1, "keypoints": still.ravel().tolist(), "score": 0.95})
    return records


def synthetic_coco_walks(folder: Path, count: int, *, seed: int = 7) -> list[Path]:
    """``count`` COCO-17 keypoint files ``walk<k>.json`` of synthetic walkers (two walks per person)."""
    from gaitcli.synth.dataset import make_sequences

    folder.mkdir(parents=True, exist_ok=True)
    walks = make_sequences((count + 1) // 2, 2, seed=seed, covariate_share=0.0)[:count]
    return [write_coco(folder / f"walk{k}.json", ys, xs, ps) for k, (_, ys, xs, ps, _) in enumerate(walks)]
