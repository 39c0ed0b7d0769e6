"""GaitNetwork (Keras) and the NumPy forward pass reproduce the seed's TF-1 GaitNN.

The seed's graph is rebuilt in tf.compat.v1 with its variable names (tests/tf1_gait_graphs.py),
saved as V1/V2 checkpoints with all three generations of TF RNN names, and loaded back.
"""

from __future__ import annotations

import numpy as np
import pytest

from tf1_gait_graphs import build_seed_gait_checkpoint, read_tf1_variables, save_tf1_variables

pytest.importorskip("tensorflow")

from gaitcli.constants import FEATURE_SPACE_SEED_IR  # noqa: E402
from gaitcli.errors import InputError, ModelError  # noqa: E402
from gaitcli.gait.architecture import GaitConfig  # noqa: E402
from gaitcli.gait.network import GaitNetwork  # noqa: E402
from gaitcli.gait.numpy_forward import NumpyGaitNetwork  # noqa: E402
from gaitcli.gait.tf1_mapping import load_tf1_gait_checkpoint  # noqa: E402

NARROW = {
    "stem": 48,
    "block8_channels": 96,
    "block8_inner": 24,
    "block4_channels": 80,
    "block4_inner": 32,
    "head_1x1": 40,
    "head_3x3": 36,
    "fc": 64,
    "rnn_units": 48,
}
TOL = 1e-4

# case -> (unit, layers, TF names, checkpoint version, widths); the published checkpoints are
# GRU-1 and GRU-2 at the seed's widths, the rest are narrowed to keep the suite fast
CASES = {
    "GRU-1 kernel/bias V2 seed widths": ("GRU", 1, "tf1.2", "V2", None),
    "GRU-2 weights/biases V1 seed widths": ("GRU", 2, "tf1.0", "V1", None),
    "LSTM-1 weights/biases V2": ("LSTM", 1, "tf1.0", "V2", NARROW),
    "LSTM-2 kernel/bias V1": ("LSTM", 2, "tf1.2", "V1", NARROW),
    "GRU-2 TF-0.12 names V2": ("GRU", 2, "tf0.12", "V2", NARROW),
    "LSTM-1 TF-0.12 names V1": ("LSTM", 1, "tf0.12", "V1", NARROW),
}


@pytest.fixture(scope="module")
def seed_checkpoints(tmp_path_factory):
    """case -> (checkpoint path, features (6, 17, 17, 32), the TF-1 graph's vector)."""
    root = tmp_path_factory.mktemp("seed_gait")
    out = {}
    for i, (case, (unit, layers, naming, version, widths)) in enumerate(CASES.items()):
        prefix = root / f"case{i}" / f"{unit}-{layers}.ckpt"
        repeat_inner = (16, 16, 16) if widths else (64, 128, 256)
        features, vector = build_seed_gait_checkpoint(
            prefix, unit, layers, naming=naming, write_version=version, widths=widths,
            repeat_inner=repeat_inner, steps=6, seed=i,
        )
        out[case] = (str(prefix), features, vector)
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_keras_and_numpy_reproduce_the_seed_graph(seed_checkpoints, case):
    unit, layers, _, _, widths = CASES[case]
    path, features, expected = seed_checkpoints[case]
    assert expected.std() > 0.02  # a live vector, not a saturated or constant one

    net = GaitNetwork(unit, layers, widths=widths).restore(path)
    assert net.feature_space == FEATURE_SPACE_SEED_IR
    np.testing.assert_allclose(net.feed_forward(features), expected, atol=TOL, rtol=0)

    layout, weights = load_tf1_gait_checkpoint(path)
    assert layout.config == net.gait_config
    assert layout.config.label == f"{unit}-{layers}"
    numpy_net = NumpyGaitNetwork(layout.config, weights)
    np.testing.assert_allclose(numpy_net.feed_forward(features), expected, atol=TOL, rtol=0)


def test_from_checkpoint_detects_cell_layers_and_widths(seed_checkpoints):
    path, features, expected = seed_checkpoints["LSTM-2 kernel/bias V1"]
    net = GaitNetwork.from_checkpoint(path)
    assert net.gait_config == GaitConfig("LSTM", 2, NARROW)
    assert net.gait_config.describe().startswith("LSTM-2 (widths stem 48")
    np.testing.assert_allclose(net.feed_forward(features), expected, atol=TOL, rtol=0)


def test_v2_checkpoint_given_as_its_index_file(seed_checkpoints):
    path, features, expected = seed_checkpoints["GRU-2 TF-0.12 names V2"]
    layout, weights = load_tf1_gait_checkpoint(path + ".index")
    np.testing.assert_allclose(NumpyGaitNetwork(layout.config, weights).feed_forward(features), expected, atol=TOL)


def test_gru2_checkpoint_into_gru1_network_says_what_it_is(seed_checkpoints):
    path = seed_checkpoints["GRU-2 weights/biases V1 seed widths"][0]
    net = GaitNetwork("GRU", 1)
    before = net.get_gait_weights()["fc/kernel"].copy()
    with pytest.raises(ModelError, match=r"is a GRU-2 gait checkpoint \(TF 1.0-1.1 names\).*this network is GRU-1"):
        net.restore(path)
    np.testing.assert_array_equal(net.get_gait_weights()["fc/kernel"], before)  # untouched


def test_lstm_checkpoint_into_gru_network_says_what_it_is(seed_checkpoints):
    path = seed_checkpoints["LSTM-1 weights/biases V2"][0]
    with pytest.raises(ModelError, match=r"is a LSTM-1 .*gait checkpoint.*this network is GRU-1"):
        GaitNetwork("GRU", 1, widths=NARROW).restore(path)


def test_missing_variable_is_named(seed_checkpoints, tmp_path):
    values = read_tf1_variables(seed_checkpoints["GRU-2 TF-0.12 names V2"][0])
    missing = "GaitNN/Recurrent/RNN/MultiRNNCell/Cell1/GRUCell/Candidate/Linear/Matrix"
    del values[missing]
    save_tf1_variables(tmp_path / "broken.ckpt", values)
    with pytest.raises(ModelError, match=f"has no variable {missing}.*GRU-2 .*gait checkpoint"):
        load_tf1_gait_checkpoint(tmp_path / "broken.ckpt")


def test_misshaped_variable_is_named(seed_checkpoints, tmp_path):
    values = read_tf1_variables(seed_checkpoints["LSTM-1 weights/biases V2"][0])
    name = "GaitNN/DownSampling/4x4/ResidualBlock/Conv_2/weights"
    values[name] = np.zeros((3, 3, 32, 31), np.float32)
    save_tf1_variables(tmp_path / "misshaped.ckpt", values)
    with pytest.raises(ModelError, match=rf"{name} is shaped \[3, 3, 32, 31\], expected \[3, 3, 32, 32\]"):
        GaitNetwork.from_checkpoint(tmp_path / "misshaped.ckpt")


def test_pose_and_foreign_checkpoints_are_refused(tmp_path):
    save_tf1_variables(tmp_path / "pose.ckpt", {"InceptionResnetV2/Conv2d_1a_3x3/weights": np.zeros((3, 3, 3, 32), np.float32)})
    with pytest.raises(ModelError, match="is a seed pose checkpoint"):
        GaitNetwork.from_checkpoint(tmp_path / "pose.ckpt")
    save_tf1_variables(tmp_path / "other.ckpt", {"dense/kernel": np.zeros((2, 2), np.float32)})
    with pytest.raises(ModelError, match="no GaitNN variables.*dense/kernel"):
        GaitNetwork("GRU", 1, widths=NARROW).restore(tmp_path / "other.ckpt")
    save_tf1_variables(tmp_path / "norecurrent.ckpt", {"GaitNN/FullyConnected/fully_connected/weights": np.zeros((2, 2), np.float32)})
    with pytest.raises(ModelError, match="no recurrent cells"):
        load_tf1_gait_checkpoint(tmp_path / "norecurrent.ckpt")
    (tmp_path / "garbage.ckpt").write_bytes(b"not a checkpoint at all" * 10)
    with pytest.raises(ModelError, match="cannot read TensorFlow checkpoint"):
        load_tf1_gait_checkpoint(tmp_path / "garbage.ckpt")
    with pytest.raises(InputError, match="not found"):
        load_tf1_gait_checkpoint(tmp_path / "absent.ckpt")


@pytest.fixture(scope="module")
def random_lstm2():
    """A narrowed LSTM-2 network with random weights, batch-norm statistics included."""
    rng = np.random.default_rng(7)
    net = GaitNetwork("LSTM", 2, widths=NARROW, input_scale=1.0)
    weights = net.get_gait_weights()
    for name, value in weights.items():
        if name.endswith("moving_variance"):
            weights[name] = rng.uniform(0.5, 1.5, value.shape).astype(np.float32)
        elif name.endswith(("moving_mean", "beta", "bias")):
            weights[name] = rng.normal(0.0, 0.2, value.shape).astype(np.float32)
    net.set_gait_weights(weights)
    return net


def test_numpy_forward_equals_keras_for_batches(random_lstm2):
    rng = np.random.default_rng(1)
    numpy_net = NumpyGaitNetwork(random_lstm2.gait_config, random_lstm2.get_gait_weights())
    batch = rng.uniform(0.0, 1.0, (3, 5, 17, 17, 32)).astype(np.float32)
    keras_out = random_lstm2.feed_forward_batch(batch)
    assert keras_out.shape == (3, 48) and keras_out.std() > 0.01
    np.testing.assert_allclose(numpy_net.feed_forward_batch(batch), keras_out, atol=TOL, rtol=0)
    # sequences of different lengths, each equal to its own forward pass
    ragged = [batch[0], batch[1, :3], batch[2, :1]]
    expected = np.stack([random_lstm2.feed_forward(s) for s in ragged])
    np.testing.assert_allclose(numpy_net.feed_forward_batch(ragged), expected, atol=TOL, rtol=0)
    with pytest.raises(ValueError, match=r"\(T, 17, 17, 32\)"):
        numpy_net.feed_forward(np.zeros((0, 17, 17, 32), np.float32))


def test_training_mode_uses_batch_statistics_and_has_gradients(random_lstm2):
    import tensorflow as tf

    x = np.random.default_rng(2).uniform(0.0, 1.0, (2, 4, 17, 17, 32)).astype(np.float32)
    before = random_lstm2.stem.bn.moving_mean.numpy().copy()
    with tf.GradientTape() as tape:
        out = random_lstm2(x, training=True)
        loss = tf.reduce_sum(out**2)
    grads = tape.gradient(loss, random_lstm2.trainable_variables)
    assert out.shape == (2, 48)
    assert all(g is not None and np.isfinite(np.asarray(g)).all() for g in grads)
    assert not np.allclose(random_lstm2.stem.bn.moving_mean.numpy(), before)  # moving stats updated
    assert not np.allclose(np.asarray(out), random_lstm2.feed_forward_batch(x), atol=1e-3)
    # every weight is trainable except the batch norms' moving statistics
    moving = sum(1 for n in random_lstm2.get_gait_weights() if "moving_" in n)
    assert len(random_lstm2.trainable_variables) == len(random_lstm2.get_gait_weights()) - moving


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="recurrent_unit"):
        GaitConfig("RNN", 1)
    with pytest.raises(ValueError, match="unknown width"):
        GaitConfig("GRU", 1, {"stme": 3})
    with pytest.raises(ValueError, match="rnn_layers"):
        GaitConfig("GRU", 0)
