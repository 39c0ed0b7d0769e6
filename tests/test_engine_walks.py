"""Walks seen by the real pose engine, for training: scripts/engine_walks.py renders clips of
synthetic people and runs BlazePose over them; gaitcli.training.engine_walks stores them;
`gaitcli train gait --engine-walks/--engine-val-walks` learns and validates on them."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitcli.constants import HEAD_TOP, R_ANKLE, THORAX, UPPER_NECK
from gaitcli.errors import InputError
from gaitcli.gait.checkpoint import GaitCheckpoint
from gaitcli.training.engine_walks import engine_sequences, file_fingerprint, load_engine_walks, save_engine_walks

from engine_fixtures import records_from_synthetic

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"


def _script():
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location("engine_walks_script", SCRIPTS / "engine_walks.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPTS))
    return module


def test_file_round_trip_and_bad_files(tmp_path):
    records = records_from_synthetic(2, 2, 0)
    path = tmp_path / "walks.npz"
    save_engine_walks(records, path)
    back = load_engine_walks(path)
    assert [(r["person"], r["walk"], r["covariate"], r["direction"]) for r in back] == [
        (r["person"], r["walk"], r["covariate"], r["direction"]) for r in records
    ]
    for a, b in zip(records, back):
        np.testing.assert_allclose(b["coords_x"], a["coords_x"], rtol=1e-6)
        assert b["probs"].shape == a["probs"].shape
    assert [s[0] for s in engine_sequences(back)] == ["engine-0", "engine-0", "engine-1", "engine-1"]
    assert not list(tmp_path.glob("*.part.npz"))  # written beside, then renamed
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    (tmp_path / "broken.npz").write_bytes(path.read_bytes()[:200])
    for bad, words in (("other.npz", "not a gaitcli-engine-walks-1 file"), ("broken.npz", "unreadable"), ("missing.npz", "no such")):
        with pytest.raises(InputError, match=words):
            load_engine_walks(tmp_path / bad)


def test_the_script_renders_other_people_and_runs_the_engine(tmp_path):
    """One person, two walks through the real renderer and BlazePose; a rerun resumes (no work)."""
    script = _script()
    out = tmp_path / "engine.npz"
    assert script.main(["--people", "1", "--walks", "2", "--out", str(out), "--workers", "1"]) == 0
    records = load_engine_walks(out)
    assert [(r["person"], r["walk"]) for r in records] == [(script.FIRST_PERSON, 1), (script.FIRST_PERSON, 2)]
    for r in records:
        clip = script.clip_of(r["person"], r["walk"])
        assert r["direction"] == clip.direction and r["covariate"] == (clip.covariate or "")
        assert len(r["probs"]) == round(clip.seconds * r["fps"])  # one row per frame of the clip
        seen = r["probs"].max(axis=1) > 0
        assert seen.mean() > 0.9  # the walker is found in (nearly) every frame
        xs = r["coords_x"][seen].mean(axis=1)
        assert np.sign(xs[-1] - xs[0]) == clip.direction  # and followed the way they walk
    stamp = out.stat().st_mtime_ns
    assert script.main(["--people", "1", "--walks", "2", "--out", str(out), "--workers", "1"]) == 0
    assert out.stat().st_mtime_ns >= stamp and len(load_engine_walks(out)) == 2
    # the same clips' true joints: frame for frame, and the engine's torso lies on the true one
    truth = tmp_path / "truth.npz"
    assert script.main(["--people", "1", "--walks", "2", "--out", str(truth), "--workers", "1", "--truth"]) == 0
    for r, t in zip(records, load_engine_walks(truth)):
        assert (t["person"], t["walk"], t["direction"], t["covariate"]) == (r["person"], r["walk"], r["direction"], r["covariate"])
        assert t["probs"].shape == r["probs"].shape and (t["probs"] == 1).all()
        seen = r["probs"].max(axis=1) > 0
        torso = [THORAX, UPPER_NECK]  # the same points in both skeletons
        error = np.hypot(r["coords_y"][seen][:, torso] - t["coords_y"][seen][:, torso], r["coords_x"][seen][:, torso] - t["coords_x"][seen][:, torso])
        height = np.median(t["coords_y"][:, R_ANKLE] - t["coords_y"][:, HEAD_TOP])  # pixels
        assert np.median(error) < 0.05 * height  # about 0.015 measured


def test_training_mixes_in_and_validates_on_engine_walks(tmp_path):
    train, val = tmp_path / "train.npz", tmp_path / "val.npz"
    save_engine_walks(records_from_synthetic(4, 2, 100), train)
    save_engine_walks(records_from_synthetic(3, 2, 200), val)
    out = tmp_path / "model.npz"
    done = subprocess.run(
        [sys.executable, "-m", "gaitcli.cli.main", "train", "gait", "--out", str(out), "--identities", "8", "--walks", "2",
         "--val-identities", "4", "--steps", "2", "--no-mocap", "--fresh", "2", "--width-scale", "0.25",
         "--engine-walks", str(train), "--engine-val-walks", str(val)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "mixed in 8 walks seen by the pose engine" in done.stderr
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["train_walks"] == 8 * 2 + 8
    assert 0.0 <= report["best"]["engine_rank1"] <= 1.0 and report["best"]["engine_probes"] == 3
    assert report["best"]["score"] == pytest.approx((report["best"]["rank1"] + report["best"]["engine_rank1"]) / 2)
    training = GaitCheckpoint.load(out).training
    assert training["engine_walks"] == {"walks": 8, "fingerprint": file_fingerprint(train)}
    assert "engine_rank1" in training["validation"]


def test_training_refuses_a_bad_engine_walks_file(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    out = tmp_path / "model.npz"
    done = subprocess.run(
        [sys.executable, "-m", "gaitcli.cli.main", "train", "gait", "--out", str(out), "--engine-walks", str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "bad.npz" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_engine_share_fixes_how_many_people_of_a_batch_come_from_engine_walks():
    from gaitcli.training.gait import GaitTrainingConfig, sample_batch, walk_set
    from gaitcli.synth.dataset import make_sequences

    data = walk_set([*make_sequences(10, 2, 3), *engine_sequences(records_from_synthetic(3, 2, 50))], log=lambda _: None)
    engine = {int(lab) for lab, m in zip(data.labels, data.meta) if m["source"] == "engine"}
    assert len(engine) == 3
    rng = np.random.default_rng(0)
    for share, expected in ((0.5, 2), (0.0, 0), (1.0, 3)):  # at most as many as there are
        cfg = GaitTrainingConfig(batch_identities=4, walks_per_batch_identity=2, engine_share=share)
        for _ in range(5):
            _, labels = sample_batch(data, cfg, rng)
            assert len({int(lab) for lab in labels} & engine) == expected
    counts = [len({int(lab) for lab in sample_batch(data, GaitTrainingConfig(batch_identities=4), rng)[1]} & engine) for _ in range(60)]
    assert 0.5 < np.mean(counts) < 1.9  # by default in proportion: 4 x 3/13 = 0.92 a batch


def test_score_reports_rank1_and_three_person_galleries(tmp_path):
    from gaitcli.gait.model import default_model_path

    walks = tmp_path / "test.npz"
    save_engine_walks(records_from_synthetic(5, 3, 300), walks)
    script = _script()
    result = script.score(str(default_model_path()), walks, trials=200, open_sets=((3, 1), (2, 2)))
    assert result["people"] == 5
    assert 0.0 <= result["three_all"] <= result["three_probe"] <= 1.0 and 0.0 <= result["rank1"] <= 1.0
    assert set(result["open_set"]) == {"3x1", "2x2"}
    for rates in result["open_set"].values():
        assert 0.0 <= rates["open_all"] <= min(rates["open_named"], rates["open_stranger_unknown"]) <= 1.0
    assert result["three_probe"] > 1 / 3  # better than guessing among three (synthetic walks, light noise)
    with pytest.raises(InputError, match="at least 6 people with 3 walks"):
        script.score(str(default_model_path()), walks, trials=20, open_sets=((5, 2),))
    assert script.gallery_shape("10X2") == (10, 2)
    for bad in ("3", "3x", "1x1", "3x0", "axb"):
        with pytest.raises(argparse.ArgumentTypeError):
            script.gallery_shape(bad)
