"""`gaitcli convert`: seed TF-1 gait checkpoints -> gaitcli .npz, and its refusals."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tf1_gait_graphs import build_seed_gait_checkpoint, save_tf1_variables

pytest.importorskip("tensorflow")

from gaitcli.cli.main import main  # noqa: E402
from gaitcli.constants import FEATURE_SPACE_SEED_IR  # noqa: E402
from gaitcli.gait.checkpoint import GaitCheckpoint  # noqa: E402
from gaitcli.gait.numpy_forward import NumpyGaitNetwork  # noqa: E402

WIDTHS = {
    "stem": 32,
    "block8_channels": 48,
    "block8_inner": 16,
    "block4_channels": 40,
    "block4_inner": 16,
    "head_1x1": 24,
    "head_3x3": 24,
    "fc": 48,
    "rnn_units": 32,
}


@pytest.fixture(scope="module")
def seed_gait(tmp_path_factory):
    """A seed GRU-2 gait checkpoint (TF 1.0 names, V2) with its reference vector."""
    prefix = tmp_path_factory.mktemp("seed") / "M+L-GRU-2.ckpt"
    features, vector = build_seed_gait_checkpoint(
        prefix, "GRU", 2, naming="tf1.0", widths=WIDTHS, repeat_inner=(8, 8, 8), steps=6, seed=11
    )
    return str(prefix), features, vector


def run(args, capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def assert_one_line_error(code, err, expected_code, pattern):
    assert code == expected_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gaitcli: error: "), err
    assert "Traceback" not in err
    assert re.search(pattern, lines[0]), lines[0]


def test_converts_a_gait_checkpoint_to_npz(seed_gait, tmp_path, capsys):
    prefix, features, vector = seed_gait
    out = tmp_path / "gru2.npz"
    code, stdout, err = run(["convert", prefix, str(out)], capsys)
    assert code == 0, err
    assert "converted a GRU-2" in err and stdout == ""
    loaded = GaitCheckpoint.load(out)
    assert loaded.config.label == "GRU-2" and loaded.config.widths == WIDTHS
    assert loaded.config.input_scale == 0.01
    assert loaded.feature_space == FEATURE_SPACE_SEED_IR
    assert loaded.training["converted_from"] == "M+L-GRU-2.ckpt"
    assert loaded.training["tf1_names"] == "TF 1.0-1.1"
    np.testing.assert_allclose(NumpyGaitNetwork.from_checkpoint(loaded).feed_forward(features), vector, atol=1e-4)


def test_json_summary_and_index_path(seed_gait, tmp_path, capsys):
    prefix = seed_gait[0]
    out = tmp_path / "gru2.npz"
    code, stdout, err = run(["convert", prefix + ".index", str(out), "--json"], capsys)
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["kind"] == "gait" and summary["output"] == str(out)
    assert summary["architecture"]["rnn_layers"] == 2 and summary["feature_space"] == FEATURE_SPACE_SEED_IR
    assert summary["fingerprint"] == GaitCheckpoint.load(out).fingerprint


def test_existing_output_needs_force(seed_gait, tmp_path, capsys):
    out = tmp_path / "model.npz"
    out.write_bytes(b"keep me")
    code, _, err = run(["convert", seed_gait[0], str(out)], capsys)
    assert_one_line_error(code, err, 3, "already exists; pass --force")
    assert out.read_bytes() == b"keep me"
    code, _, err = run(["convert", seed_gait[0], str(out), "--force"], capsys)
    assert code == 0, err
    assert GaitCheckpoint.load(out).config.label == "GRU-2"


def test_bad_inputs_are_one_line_errors(seed_gait, tmp_path, capsys):
    (tmp_path / "garbage.ckpt").write_bytes(b"\x00garbage" * 50)
    save_tf1_variables(tmp_path / "other.ckpt", {"dense/kernel": np.zeros((2, 2), np.float32)})
    save_tf1_variables(tmp_path / "pose.ckpt", {"InceptionResnetV2/Conv2d_1a_3x3/weights": np.zeros((3, 3, 3, 32), np.float32)})
    good = tmp_path / "good.npz"
    assert run(["convert", seed_gait[0], str(good)], capsys)[0] == 0
    cases = [
        (["convert", str(tmp_path / "absent.ckpt"), str(tmp_path / "a.npz")], 3, "checkpoint not found"),
        (["convert", str(tmp_path / "garbage.ckpt"), str(tmp_path / "b.npz")], 5, "cannot read TensorFlow checkpoint"),
        (["convert", str(tmp_path / "other.ckpt"), str(tmp_path / "c.npz")], 5, "neither a seed pose checkpoint"),
        (["convert", str(good), str(tmp_path / "d.npz")], 5, "already a gaitcli gait checkpoint"),
        (["convert", seed_gait[0], str(tmp_path / "e.weights.h5")], 3, "gait checkpoint is written as a .npz"),
        (["convert", str(tmp_path / "pose.ckpt"), str(tmp_path / "g.npz")], 3, "pose weights are written as a .weights.h5"),
        (["convert", seed_gait[0], str(tmp_path)], 3, "is a directory"),
        (["convert", seed_gait[0], str(tmp_path / "no" / "f.npz")], 3, "does not exist"),
    ]
    for args, expected_code, pattern in cases:
        code, stdout, err = run(args, capsys)
        assert_one_line_error(code, err, expected_code, pattern)
        assert stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".npz") == ["good.npz"]


def test_refuses_to_write_over_the_checkpoint_itself(tmp_path, capsys):
    """A V1 checkpoint is one file: converting it onto itself, even with --force, is refused."""
    v1 = tmp_path / "seed.ckpt.npz"
    build_seed_gait_checkpoint(
        v1, "LSTM", 1, write_version="V1", widths=WIDTHS, repeat_inner=(8, 8, 8), steps=2, seed=1
    )
    before = v1.read_bytes()
    code, _, err = run(["convert", str(v1), str(v1), "--force"], capsys)
    assert_one_line_error(code, err, 3, "is the checkpoint being converted")
    assert v1.read_bytes() == before
