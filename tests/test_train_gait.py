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
    # provenance: the packages that trained it, in the checkpoint and the report; no motion capture asked for
    assert ckpt.training["packages"]["numpy"] == np.__version__ and report["packages"] == ckpt.training["packages"]
    assert ckpt.training["mocap"] is None
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


def test_the_motion_capture_folder_is_never_guessed(tmp_path):
    """The recipe mixes in the CMU walks: their folder must be named, even where ../shared sits beside the checkout."""
    flags = [f for f in TINY if f != "--no-mocap"]
    done = subprocess.run([sys.executable, "-m", "gaitcli.cli.main", "train", "gait", "--out", str(tmp_path / "m.npz"), *flags],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 3 and "--mocap-dir" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.npz").exists()
    done = subprocess.run([sys.executable, "-m", "gaitcli.cli.main", "train", "gait", "--out", str(tmp_path / "m.npz"), *flags,
                           "--mocap-dir", str(tmp_path)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 3 and "--mocap-dir" in done.stderr


def test_the_shipped_model_was_made_by_todays_defaults():
    """What the packaged model's training recorded is what the commands do today with their defaults."""
    from dataclasses import asdict

    from gaitcli.training import gait_config as defaults

    report = json.loads((default_model_path().parent / "gait_default.json").read_text())
    today = asdict(defaults.GaitTrainingConfig())
    recorded = report["config"]
    assert {k: today[k] for k in recorded} == recorded
    assert all(today[k] is None for k in set(today) - set(recorded))  # options added since are off by default
    head = json.loads((default_model_path().parent / "gait_default_head.json").read_text())
    assert (head["gait_weight"], head["shrinkage"], head["head"]["output_size"]) == (
        defaults.HEAD_GAIT_WEIGHT, defaults.HEAD_SHRINKAGE, defaults.HEAD_DIMENSIONS)
    model = GaitCheckpoint.load(default_model_path())
    blocks = model.training["input_blocks"]
    weights = [*defaults.BLOCK_WEIGHTS, defaults.BLOCK_PROPORTION_WEIGHT]
    norm = float(np.linalg.norm(weights))
    assert blocks["weights"] == pytest.approx([w / norm for w in weights])
    assert blocks["axial_mirror"] == list(defaults.AXIAL_MIRROR) and blocks["proportions"] == model.head.proportions
    assert blocks["arm_joints"] == sorted(defaults.BLOCK_ARM_JOINTS) == list(model.head.arm_joints)
    assert (blocks["seed"], blocks["people"], blocks["walks"], blocks["max_yaw_deg"]) == (
        defaults.BLOCK_SEED, defaults.BLOCK_PEOPLE, defaults.BLOCK_WALKS, defaults.BLOCK_MAX_YAW_DEG)
    assert [w["file"] for w in blocks["threshold_walks"]] == ["engine_calib.npz"]
    assert (blocks["threshold_plain"], blocks["threshold_trials"]) == (defaults.BLOCK_THRESHOLD_PLAIN, defaults.BLOCK_THRESHOLD_TRIALS)
    assert blocks["block_scoring"] == defaults.BLOCK_SCORING == model.head.block_scoring
    assert head["fingerprint"] == model.fingerprint


def test_the_build_script_names_every_input_and_runs_the_stages_in_order(tmp_path):
    mocap = tmp_path / "mocap"
    mocap.mkdir()
    (mocap / "INDEX.tsv").write_text("subject_id\n")
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "build_default_model.py"
    done = subprocess.run([sys.executable, str(script), "--mocap-dir", str(mocap), "--work", str(tmp_path / "w"), "--dry-run"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "train gait" in lines[0] and f"--mocap-dir {mocap}" in lines[0]
    assert [n for line in lines[1:6] for n in ("train", "val", "extra", "calib", "test") if f"engine_{n}.npz" in line] == \
        ["train", "val", "extra", "calib", "test"]
    assert "train head" in lines[6] and "train blocks" in lines[7]
    assert "train cross-view" in lines[8] and "gait_crossview.npz" in lines[8] and len(lines) == 9
    assert not (tmp_path / "w").exists()  # a dry run writes nothing
    missing = subprocess.run([sys.executable, str(script), "--mocap-dir", str(tmp_path), "--work", str(tmp_path / "w")],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert missing.returncode == 2 and "INDEX.tsv" in missing.stderr
