"""`gaitcli evaluate` end to end: synthetic walkers of known identity, the default pipeline and model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gaitcli.cli.main import main
from gaitcli.io.keypoints import KeypointSequence, write_pose_json

SUBJECTS = 10
WALKS = 3  # walk-1 enrolled, walk-2 and walk-3 probed
CHANCE = 1.0 / SUBJECTS


@pytest.fixture(scope="module")
def walkers(tmp_path_factory):
    """<subject>/walk-<k>.json keypoint files of synthetic people never seen in training."""
    from gaitcli.synth.dataset import make_sequences

    root = tmp_path_factory.mktemp("walkers")
    sequences = make_sequences(SUBJECTS, WALKS, seed=424242, identity_offset=5_000_000, covariate_share=0.0)
    counts: dict[str, int] = {}
    for identity, ys, xs, ps, meta in sequences:
        subject = f"s{int(identity) - 5_000_000:02d}"
        counts[subject] = counts.get(subject, 0) + 1
        t = len(ys)
        w, h = meta["image_size"]
        seq = KeypointSequence(
            coords_y=ys, coords_x=xs, probs=ps, frame_indices=np.arange(t), scores=np.ones(t),
            boxes=np.tile([0.0, 0.0, float(w), float(h)], (t, 1)), fps=float(meta["fps"]), image_size=(w, h),
            source_format="gaitcli",
        )  # fmt: skip
        (root / subject).mkdir(exist_ok=True)
        write_pose_json(root / subject / f"walk-{counts[subject]}.json", seq)
    return root


@pytest.fixture(scope="module")
def report(walkers, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    with pytest.raises(SystemExit) as done:
        main(["evaluate", str(walkers), "--gallery-pattern", "walk-1*", "--out", str(out), "--json"])
    assert done.value.code == 0
    return out


def test_evaluation_of_unseen_synthetic_walkers(report):
    files = {p.name: p for p in report.iterdir()}
    reports = [p for name, p in files.items() if name.endswith("-report.json")]
    assert len(reports) == 1
    data = json.loads(reports[0].read_text())
    overall = data["overall"]
    # 10 people never seen in training, profile views, no covariates: well above chance
    assert overall["rank1"] >= 4 * CHANCE, overall
    assert overall["rank5"] >= overall["rank1"]
    assert 0.0 <= overall["EER"] < 0.45
    for name in files:
        if name.endswith(".png"):
            assert files[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any(name.endswith("-cmc.png") for name in files) and any(name.endswith("-roc.png") for name in files)
