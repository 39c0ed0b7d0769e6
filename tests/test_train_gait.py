"""`gaitcli train gait` end to end on a tiny synthetic set, and the shipped default model."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from gaitcli.constants import FEATURE_SPACE_JOINT_MAPS, FEATURE_SHAPE
from gaitcli.gait.checkpoint import GaitCheckpoint
from gaitcli.gait.model import default_model_path
from gaitcli.gait.numpy_forward import NumpyGaitNetwork
from gaitcli.training.gait_config import scaled_widths

TINY = ["--identities", "8", "--walks", "2", "--val-identities", "4", "--steps", "3", "--no-mocap", "--fresh", "4", "--width-scale", "0.5"]


def _train(out, *extra):
    """One `gaitcli train gait` run in a fresh process, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "gaitcli.cli.main", "train", "gait", "--out", str(out), *TINY, *extra],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    sys.stderr.write(done.stderr[-2000:])
    return done.returncode


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train")
    return folder, _train(folder / "a.npz")


def test_training_writes_a_checkpoint_for_joint_maps(tiny_run):
    folder, code = tiny_run
    assert code == 0
    ckpt = GaitCheckpoint.load(folder / "a.npz")
    assert ckpt.feature_space == FEATURE_SPACE_JOINT_MAPS
    assert ckpt.training["steps"] == 3 and ckpt.training["seed"] == 20261124
    assert ckpt.config.widths == scaled_widths(0.5) and ckpt.config.identification_size == 64
    report = json.loads((folder / "a.json").read_text())
    assert report["history"] and np.isfinite(report["history"][-1]["loss"])
    assert report["fresh_walks"] == 2 * 4  # fresh walks drawn before steps 2 and 3
    net = NumpyGaitNetwork.load(folder / "a.npz", feature_space=FEATURE_SPACE_JOINT_MAPS)
    vec = net.feed_forward(np.random.default_rng(0).random((10, *FEATURE_SHAPE), dtype=np.float32))
    assert vec.shape == (ckpt.config.identification_size,) and np.all(np.isfinite(vec))


@pytest.mark.slow
def test_training_is_reproducible(tiny_run):
    """A second run with the same seed, in its own process, gives the same model."""
    folder, _ = tiny_run
    assert _train(folder / "b.npz") == 0
    a, b = GaitCheckpoint.load(folder / "a.npz"), GaitCheckpoint.load(folder / "b.npz")
    assert a.fingerprint == b.fingerprint


def test_training_refuses_to_overwrite(tiny_run):
    folder, _ = tiny_run
    before = (folder / "a.npz").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "gaitcli.cli.main", "train", "gait", "--out", str(folder / "a.npz"), *TINY],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 3 and "--force" in done.stderr
    assert (folder / "a.npz").read_bytes() == before


def test_default_model_ships_and_numpy_equals_keras():
    from gaitcli.gait.network import GaitNetwork

    ckpt = GaitCheckpoint.load(default_model_path())
    assert ckpt.feature_space == FEATURE_SPACE_JOINT_MAPS
    assert default_model_path().stat().st_size <= 20 * 1024 * 1024
    x = np.random.default_rng(1).random((2, 24, *FEATURE_SHAPE), dtype=np.float32)
    keras_net = GaitNetwork.from_checkpoint(default_model_path())
    np.testing.assert_allclose(
        NumpyGaitNetwork.from_checkpoint(ckpt).feed_forward_batch(x), keras_net.feed_forward_batch(x), atol=1e-4
    )


def test_fresh_walks_are_new_walks_of_the_same_people():
    """The refresher swaps a slot's walk for an unseen walk of the same person, reproducibly."""
    from gaitcli.training.gait import GaitTrainingConfig, WalkRefresher, build_walks

    cfg = GaitTrainingConfig(train_identities=3, walks_per_identity=2, include_mocap=False)

    def refreshed():
        data = build_walks(3, 2, cfg.seed, log=lambda _: None)
        before = [w.joints[0].copy() for w in data.walks]
        labels = data.labels.copy()
        refresher = WalkRefresher(data, cfg)
        refresher.refresh(4)
        return data, before, labels, refresher

    data, before, labels, refresher = refreshed()
    changed = [i for i, w in enumerate(data.walks) if w.joints[0].shape != before[i].shape or not np.array_equal(w.joints[0], before[i])]
    assert len(changed) == 4 and refresher.replaced == 4
    assert np.array_equal(data.labels, labels)  # same people, same classes
    assert [data.meta[i]["identity"] for i in range(6)] == [0, 0, 1, 1, 2, 2]
    again, _, _, _ = refreshed()
    assert all(np.array_equal(a.joints[0], b.joints[0]) for a, b in zip(data.walks, again.walks))
