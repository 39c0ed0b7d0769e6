"""Write synthetic walkers as a labelled dataset of keypoint files (for `gaitcli evaluate`).

``<root>/<subject>/walk-<k>.json`` in gaitcli's pose JSON (``gaitcli.pose/1``): what a pose
engine would have reported for each walk, with its frame rate, so the files go through exactly
the path a real video's joints take.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitcli.io.keypoints import KeypointSequence, write_pose_json


def write_keypoint_dataset(
    root: str | Path,
    subjects: int,
    walks: int,
    *,
    seed: int = 424242,
    identity_offset: int = 5_000_000,
    covariate_share: float = 0.0,
) -> list[Path]:
    """Write ``subjects`` x ``walks`` synthetic walks; returns the files written.

    ``identity_offset`` keeps these people apart from the training set's (ids from 0) and the
    training validation set's; ``covariate_share`` of the walks carry a bag, coat, phone, ...
    """
    from gaitcli.synth.dataset import make_sequences

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    written = []
    for identity, ys, xs, ps, meta in make_sequences(
        subjects, walks, seed, identity_offset=identity_offset, covariate_share=covariate_share
    ):
        subject = f"s{int(identity) - identity_offset:03d}"
        counts[subject] = counts.get(subject, 0) + 1
        t = len(ys)
        w, h = meta["image_size"]
        seq = KeypointSequence(
            coords_y=ys, coords_x=xs, probs=ps, frame_indices=np.arange(t), scores=np.ones(t),
            boxes=np.tile([0.0, 0.0, float(w), float(h)], (t, 1)), fps=float(meta["fps"]),
            image_size=(int(w), int(h)), source_format="gaitcli",
        )  # fmt: skip
        (root / subject).mkdir(exist_ok=True)
        written.append(write_pose_json(root / subject / f"walk-{counts[subject]}.json", seq))
    return written
