"""gaitcli's gait checkpoint (.npz + JSON meta + fingerprint) and the TensorFlow-free inference path."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from gaitcli.constants import FEATURE_SPACE_JOINT_MAPS, FEATURE_SPACE_SEED_IR
from gaitcli.errors import InputError, ModelError
from gaitcli.gait.architecture import GaitConfig, weight_shapes
from gaitcli.gait.checkpoint import GaitCheckpoint, compute_fingerprint
from gaitcli.gait.numpy_forward import NumpyGaitNetwork

SMALL = {
    "stem": 16,
    "block8_channels": 24,
    "block8_inner": 8,
    "block4_channels": 20,
    "block4_inner": 12,
    "head_1x1": 10,
    "head_3x3": 12,
    "fc": 32,
    "rnn_units": 16,
}
CONFIG = GaitConfig("GRU", 2, SMALL, input_scale=1.0)


def random_weights(config: GaitConfig, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in weight_shapes(config).items():
        if name.endswith("moving_variance"):
            out[name] = rng.uniform(0.5, 1.5, shape)
        elif len(shape) == 1:
            out[name] = rng.normal(0.0, 0.2, shape)
        else:
            out[name] = rng.normal(0.0, np.sqrt(2.0 / np.prod(shape[:-1])), shape)
    return {k: v.astype(np.float32) for k, v in out.items()}


@pytest.fixture(scope="module")
def checkpoint():
    return GaitCheckpoint.create(CONFIG, random_weights(CONFIG), FEATURE_SPACE_JOINT_MAPS, {"seed": 3, "epochs": 2})


@pytest.fixture(scope="module")
def sequence():
    return np.random.default_rng(5).uniform(0.0, 1.0, (7, 17, 17, 32)).astype(np.float32)


def test_round_trip_keeps_weights_meta_and_vectors(checkpoint, sequence, tmp_path):
    path = checkpoint.save(tmp_path / "gait.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["gait.npz"]  # no temporary file left behind
    loaded = GaitCheckpoint.load(path)
    assert loaded.config == CONFIG
    assert loaded.feature_space == FEATURE_SPACE_JOINT_MAPS
    assert loaded.training == {"seed": 3, "epochs": 2}
    assert loaded.fingerprint == checkpoint.fingerprint and len(loaded.fingerprint) == 64
    assert set(loaded.weights) == set(checkpoint.weights)
    for name, value in checkpoint.weights.items():
        np.testing.assert_array_equal(loaded.weights[name], value)
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
    assert meta["format"] == "gaitcli-gait" and meta["format_version"] == 1
    assert meta["architecture"]["recurrent_unit"] == "GRU" and meta["architecture"]["widths"] == SMALL

    vector = NumpyGaitNetwork.load(path, feature_space=FEATURE_SPACE_JOINT_MAPS).feed_forward(sequence)
    direct = NumpyGaitNetwork(CONFIG, checkpoint.weights).feed_forward(sequence)
    assert vector.shape == (16,) and vector.std() > 1e-3
    np.testing.assert_array_equal(vector, direct)


def test_fingerprint_covers_every_weight_and_the_architecture(checkpoint):
    weights = dict(checkpoint.weights)
    tweaked = dict(weights)
    tweaked["rnn_1/bias"] = np.nextafter(weights["rnn_1/bias"], np.float32(np.inf))  # one ulp
    assert compute_fingerprint(CONFIG, tweaked) != checkpoint.fingerprint
    other_scale = GaitConfig("GRU", 2, SMALL, input_scale=0.5)
    assert compute_fingerprint(other_scale, weights) != checkpoint.fingerprint
    assert compute_fingerprint(CONFIG, weights) == checkpoint.fingerprint


def test_edited_weights_fail_the_fingerprint(checkpoint, tmp_path):
    path = tmp_path / "edited.npz"
    arrays = {"meta": np.array(json.dumps(checkpoint.meta()))}
    arrays.update(checkpoint.weights)
    arrays["fc/bias"] = arrays["fc/bias"] + 0.5  # same meta, changed weights
    np.savez(path, **arrays)
    with pytest.raises(ModelError, match="fails its fingerprint check"):
        GaitCheckpoint.load(path)


def test_corrupt_truncated_and_foreign_files_are_model_errors(checkpoint, tmp_path):
    good = checkpoint.save(tmp_path / "good.npz").read_bytes()
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    (tmp_path / "truncated.npz").write_bytes(good[: len(good) // 3])
    (tmp_path / "text.npz").write_text("hello, I am not a model\n")
    np.savez(tmp_path / "plain.npz", x=np.zeros(3))
    np.savez(tmp_path / "pickled.npz", meta=np.array(json.dumps(checkpoint.meta())), **{"fc/bias": np.array([object()] * 3)})
    for name, message in [
        ("flipped.npz", "corrupt|fingerprint"),
        ("truncated.npz", "corrupt or truncated"),
        ("text.npz", "not a gaitcli gait checkpoint"),
        ("plain.npz", "not a gaitcli gait checkpoint"),
        ("pickled.npz", "corrupt"),
    ]:
        with pytest.raises(ModelError, match=message):
            GaitCheckpoint.load(tmp_path / name)
    with pytest.raises(InputError, match="not found"):
        GaitCheckpoint.load(tmp_path / "absent.npz")
    with pytest.raises(InputError, match="directory"):
        GaitCheckpoint.load(tmp_path)


def test_newer_format_and_bad_architecture_are_refused(checkpoint, tmp_path):
    for key, value, message in [
        ("format_version", 99, "newer than this gaitcli reads"),
        ("architecture", {"recurrent_unit": "GRU"}, "malformed architecture"),
    ]:
        meta = {**checkpoint.meta(), key: value}
        path = tmp_path / f"{key}.npz"
        np.savez(path, meta=np.array(json.dumps(meta)), **checkpoint.weights)
        with pytest.raises(ModelError, match=message):
            GaitCheckpoint.load(path)


def test_require_refuses_another_feature_space(checkpoint):
    checkpoint.require(feature_space=FEATURE_SPACE_JOINT_MAPS)
    with pytest.raises(ModelError, match=r"trained on gaitcli's joint maps \(joint-maps-v2\).*gives the seed "):
        checkpoint.require(feature_space=FEATURE_SPACE_SEED_IR)


def test_save_never_overwrites_silently(checkpoint, tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"precious")
    with pytest.raises(InputError, match="already exists; pass --force"):
        checkpoint.save(path)
    assert path.read_bytes() == b"precious"
    checkpoint.save(path, overwrite=True)
    assert zipfile.is_zipfile(path)
    with pytest.raises(InputError, match="does not exist"):
        checkpoint.save(tmp_path / "no" / "such" / "model.npz")


def test_inference_path_never_imports_tensorflow(checkpoint, tmp_path):
    path = checkpoint.save(tmp_path / "gait.npz")
    code = (
        "import sys, numpy as np\n"
        "from gaitcli.gait import NumpyGaitNetwork\n"
        f"net = NumpyGaitNetwork.load({str(path)!r}, feature_space='joint-maps-v2')\n"
        "v = net.feed_forward(np.ones((4, 17, 17, 32), np.float32))\n"
        "assert v.shape == (16,), v.shape\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'sklearn', 'ai_edge_litert') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "heavy: []" in result.stdout


def test_keras_network_loads_the_npz(checkpoint, sequence, tmp_path):
    pytest.importorskip("tensorflow")
    from gaitcli.gait.network import GaitNetwork

    path = checkpoint.save(tmp_path / "gait.npz")
    net = GaitNetwork.from_checkpoint(path)
    assert net.gait_config == CONFIG and net.feature_space == FEATURE_SPACE_JOINT_MAPS
    expected = NumpyGaitNetwork(CONFIG, checkpoint.weights).feed_forward(sequence)
    np.testing.assert_allclose(net.feed_forward(sequence), expected, atol=1e-4, rtol=0)
    # written back by the Keras model: the same weights, so the same fingerprint
    assert net.to_checkpoint(FEATURE_SPACE_JOINT_MAPS).fingerprint == checkpoint.fingerprint
    with pytest.raises(ModelError, match=r"is a GRU-2 \(widths .*\) gait checkpoint, but this network is GRU-1"):
        GaitNetwork("GRU", 1, widths=SMALL, input_scale=1.0).restore(path)
