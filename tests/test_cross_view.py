"""The cross-view model: a head for galleries and probes filmed from different sides
(`gaitcli train cross-view`, shipped as `--gait-checkpoint cross-view`)."""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitcli.gait.checkpoint import GaitCheckpoint, compute_fingerprint
from gaitcli.gait.model import load_gait_model, packaged_model_path
from gaitcli.training import gait_config as defaults
from gaitcli.training import head as head_training

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import realwalks  # noqa: E402
from cli_run import run_cli  # noqa: E402  (tests/)


def test_the_packaged_cross_view_model_is_the_default_network_with_todays_cross_view_head():
    model = load_gait_model("cross-view")
    default = load_gait_model()
    assert model.source == "cross-view"
    ck, base = model.checkpoint, default.checkpoint
    assert compute_fingerprint(ck.config, ck.weights) == compute_fingerprint(base.config, base.weights)
    assert ck.head is not None and not ck.head.has_block and ck.head.discriminants == defaults.HEAD_DIMENSIONS
    assert ck.head.open_set_threshold is not None and math.isfinite(ck.head.open_set_threshold)
    record = ck.training["head"]
    assert record["kind"] == "cross-view" and "input_blocks" not in ck.training
    assert (record["seed"], record["people"], record["walks"], record["views"], record["max_yaw_deg"], record["threshold_people"]) == (
        defaults.CROSS_VIEW_SEED, defaults.CROSS_VIEW_PEOPLE, defaults.CROSS_VIEW_WALKS, defaults.CROSS_VIEW_VIEWS,
        defaults.CROSS_VIEW_MAX_YAW_DEG, defaults.CROSS_VIEW_THRESHOLD_PEOPLE)  # fmt: skip
    assert record["threshold_gallery"] == defaults.CROSS_VIEW_THRESHOLD_GALLERY
    assert (record["gait_weight"], record["shrinkage"]) == (defaults.HEAD_GAIT_WEIGHT, defaults.HEAD_SHRINKAGE)
    assert ck.head.axial_mirror == defaults.CROSS_VIEW_AXIAL_MIRROR and record.get("axial_mirror") == defaults.CROSS_VIEW_AXIAL_MIRROR
    report = json.loads(packaged_model_path("cross-view").with_suffix(".json").read_text())
    assert report["fingerprint"] == ck.fingerprint
    # a walk's vector is the head's 24 discriminants, unit length, and differs from the default's
    rng = np.random.default_rng(0)
    stats, net = rng.normal(size=ck.head.statistics_size), rng.normal(size=ck.head.gait_size)
    vector = ck.head.apply(stats, net)
    assert vector.shape == (defaults.HEAD_DIMENSIONS,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
    assert base.head.apply(stats, net, base.head.proportion_mean).shape != vector.shape


def test_a_misspelt_model_name_lists_the_shipped_models(tmp_path, capsys):
    assert run_cli(["embed", str(tmp_path / "walk.mp4"), "--gait-checkpoint", "crossview"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "gait model not found: crossview" in err and "default, cross-view" in err


def test_a_file_named_like_a_packaged_model_is_read_as_that_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cross-view").write_text("not a checkpoint")
    with pytest.raises(Exception) as caught:
        load_gait_model("cross-view")
    assert "cross-view" in str(caught.value)


def test_train_cross_view_is_deterministic_and_writes_a_checked_checkpoint(tmp_path, monkeypatch, capsys):
    small = functools.partial(head_training.train_cross_view, people=5, threshold_people=5, trials=20)
    monkeypatch.setattr(head_training, "train_cross_view", small)
    out = tmp_path / "xv.npz"
    assert run_cli(["train", "cross-view", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    ck = GaitCheckpoint.load(out)
    assert report["fingerprint"] == ck.fingerprint and report["kind"] == "cross-view"
    assert ck.head.discriminants == 4  # five people: at most four discriminants
    assert report["threshold_gallery"] == 4  # at most the held-out people but one
    assert all(0.0 <= rates["open_named"] <= 1.0 for rates in report["held_out"].values())
    again = tmp_path / "again.npz"
    assert run_cli(["train", "cross-view", "--out", str(again), "--json"]) == 0
    assert GaitCheckpoint.load(again).fingerprint == ck.fingerprint
    capsys.readouterr()
    assert run_cli(["train", "cross-view", "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert "--force" in err and len(err.strip().splitlines()) == 1


def test_the_cross_view_model_identifies_real_people_across_views(shared_data):
    """The UCalgary people (true joints, the benchmark's protocol: 27 enrolled, 46 probes each way,
    chance 1/27), the gallery walk filmed from the side and the probe walk from 45°, and the other
    way round.

    Under chance, 14 or more of 46 right (30 %) has probability below 1e-6 (binomial tail); the
    bound sits far below the benchmark's scores (docs/model-card.md) so that it holds for any
    sound cross-view model. (Front to side is not claimed: it stays near chance.)"""
    import bench_realwalks as bench

    if not realwalks.ucalgary_available():
        pytest.skip("the UCalgary walks are not in ../shared/data")
    walks = realwalks.load_ucalgary()
    pipeline = bench.Gaitcli("cross-view")
    features = {(w.person, w.walk, v): pipeline.vector(*realwalks.observe(w, v), w.fps) for w in walks for v in (45, 90)}

    def right_of(gallery_view: int, probe_view: int) -> tuple[int, int]:
        right = n = 0
        for gallery_walk, probe_walks in bench.splits(walks):
            gallery = {p: [features[(p, w, gallery_view)]] for p, w in gallery_walk.items()}
            probes = {p: [features[(p, w, probe_view)] for w in ws] for p, ws in probe_walks.items()}
            result = bench.identify("gaitcli", pipeline, gallery, probes)
            right += round(result["rank1"] * result["probes"])
            n += result["probes"]
        return right, n

    assert sum(math.comb(46, j) * (1 / 27) ** j * (26 / 27) ** (46 - j) for j in range(14, 47)) < 1e-6
    for gallery_view, probe_view in ((90, 45), (45, 90)):
        right, n = right_of(gallery_view, probe_view)
        assert n == 46
        assert right >= 14, (gallery_view, probe_view, right)


def test_a_cross_view_gallery_says_how_to_embed_walks_for_it(tmp_path):
    """A walk embedded by the default model, identified against a gallery made by the cross-view
    model: refused (exit 6) with the command that embeds walks for that gallery."""
    from gaitcli.errors import GalleryError
    from gaitcli.gallery.store import Gallery

    cross = load_gait_model("cross-view").checkpoint
    default = load_gait_model().checkpoint
    gallery = Gallery(cross.fingerprint, cross.feature_space, cross.head.output_size)
    with pytest.raises(GalleryError) as caught:
        gallery.check_compatible(default.fingerprint, default.feature_space, default.head.output_size, what="the walk's vectors")
    message = str(caught.value)
    assert caught.value.exit_code == 6 and "\n" not in message
    assert "the shipped cross-view model" in message and "gaitcli embed --gait-checkpoint cross-view --out WALK.npy" in message


def test_identify_and_enroll_refuse_videos_for_a_cross_view_gallery_before_embedding_them(tmp_path, capsys):
    """Videos would be embedded by the default model: for a cross-view gallery, identify and enroll
    refuse that up front (exit 6, one line), before any slow embedding (the video here does not
    even exist)."""
    from gaitcli.gallery.store import Gallery, save_gallery

    cross = load_gait_model("cross-view").checkpoint
    dim = cross.head.output_size
    gallery = Gallery(cross.fingerprint, cross.feature_space, dim)
    gallery.add("alice", np.eye(2, dim, dtype=np.float32), ["a.npy", "b.npy"])
    gallery.add("bob", np.eye(2, dim, k=2, dtype=np.float32), ["c.npy", "d.npy"])
    path = tmp_path / "cross.gallery"
    save_gallery(gallery, path)
    capsys.readouterr()
    assert run_cli(["identify", "--gallery", str(path), str(tmp_path / "absent.mp4")]) == 6
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "gaitcli embed --gait-checkpoint cross-view" in err and "absent.mp4" not in err
    assert run_cli(["enroll", "--gallery", str(path), "--name", "carol", str(tmp_path / "absent.mp4")]) == 6
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "gaitcli embed --gait-checkpoint cross-view" in err
    assert run_cli(["gallery", "info", "--gallery", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "cross-view"
