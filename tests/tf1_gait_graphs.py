"""Test-only: the seed's GaitNN as a TF-1 graph with the seed's variable names.

Built in ``tf.compat.v1`` graph mode from raw ops (``get_variable``, ``conv2d``, ``elu``,
``batch_normalization`` with explicit moving statistics) following the seed's gait_nn.py:
slim's default scope names (``Conv``, ``Conv_1``, ``BatchNorm``, ``fully_connected``), batch
norm with beta and no gamma (epsilon 1e-4), the ``slim.repeat`` blocks computed and their
result dropped as the seed did, and the RNN cells written by hand after TF-1's GRUCell and
LSTMCell (``forget_bias`` 1.0) under the names of three TF generations. Every variable,
batch-norm statistics included, gets random values; the graph's identification vector is
the reference the Keras and NumPy networks must reproduce from the saved checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

SEED_WIDTHS = {
    "stem": 256,
    "block8_channels": 512,
    "block8_inner": 64,
    "block4_channels": 512,
    "block4_inner": 128,
    "head_1x1": 256,
    "head_3x3": 256,
    "fc": 512,
    "rnn_units": 512,
}
#: the discarded slim.repeat blocks' inner widths (17x17, 8x8, 4x4 stages) in the seed
SEED_REPEAT_INNER = (64, 128, 256)

# RNN variable names by TF generation, written out independently of gaitcli's mapping
_RNN_NAMES = {
    "tf1.2": (
        "GaitNN/Recurrent/rnn/multi_rnn_cell/cell_{k}/",
        {"gru": ("gru_cell/gates/kernel", "gru_cell/gates/bias", "gru_cell/candidate/kernel", "gru_cell/candidate/bias"),
         "lstm": ("lstm_cell/kernel", "lstm_cell/bias")},
    ),
    "tf1.0": (
        "GaitNN/Recurrent/rnn/multi_rnn_cell/cell_{k}/",
        {"gru": ("gru_cell/gates/weights", "gru_cell/gates/biases", "gru_cell/candidate/weights",
                 "gru_cell/candidate/biases"),
         "lstm": ("lstm_cell/weights", "lstm_cell/biases")},
    ),
    "tf0.12": (
        "GaitNN/Recurrent/RNN/MultiRNNCell/Cell{k}/",
        {"gru": ("GRUCell/Gates/Linear/Matrix", "GRUCell/Gates/Linear/Bias", "GRUCell/Candidate/Linear/Matrix",
                 "GRUCell/Candidate/Linear/Bias"),
         "lstm": ("LSTMCell/W_0", "LSTMCell/B")},
    ),
}


def build_seed_gait_checkpoint(
    prefix: str | Path,
    recurrent_unit: str = "GRU",
    rnn_layers: int = 1,
    *,
    naming: str = "tf1.2",
    write_version: str = "V2",
    widths: Mapping[str, int] | None = None,
    repeat_inner: tuple[int, int, int] = SEED_REPEAT_INNER,
    steps: int = 6,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Build, run and save the seed's GaitNN; returns (features (T,17,17,32), vector (units,)).

    Extra variables a real training checkpoint holds (``global_step``, the ``Logits`` layer,
    an RMSProp slot) are saved too.
    """
    import tensorflow as tf

    tf1 = tf.compat.v1
    w = {**SEED_WIDTHS, **dict(widths or {})}
    units = w["rnn_units"]
    rng = np.random.default_rng(seed)
    features = rng.normal(0.0, 50.0, (steps, 17, 17, 32)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():

        def variable(name, shape, kind):
            if kind == "kernel":  # He-normal, like the seed's variance-scaling initialiser
                value = rng.normal(0.0, np.sqrt(2.0 / np.prod(shape[:-1])), shape)
            elif kind == "glorot":
                limit = np.sqrt(6.0 / (shape[0] + shape[1]))
                value = rng.uniform(-limit, limit, shape)
            elif kind == "variance":
                value = rng.uniform(0.5, 1.5, shape)
            else:  # biases, beta, moving mean
                value = rng.normal(0.0, 0.1, shape)
            return tf1.get_variable(name, initializer=tf.constant(value.astype(np.float32)))

        def batch_norm(x, scope="BatchNorm"):
            channels = int(x.shape[-1])
            with tf1.variable_scope(scope):
                beta = variable("beta", (channels,), "bias")
                mean = variable("moving_mean", (channels,), "bias")
                var = variable("moving_variance", (channels,), "variance")
            return tf.nn.batch_normalization(x, mean, var, beta, None, 1e-4)

        def conv(x, scope, filters, size, stride=1, normalized=False):
            """slim conv2d: with normalizer -> no bias, BN, ELU; without -> bias, no activation."""
            with tf1.variable_scope(scope):
                kernel = variable("weights", (size, size, int(x.shape[-1]), filters), "kernel")
                y = tf.nn.conv2d(x, kernel, strides=[1, stride, stride, 1], padding="SAME")
                if normalized:
                    return tf.nn.elu(batch_norm(y))
                return tf.nn.bias_add(y, variable("biases", (filters,), "bias"))

        def residual_block(x, scope, ch, inner, stride=1):
            with tf1.variable_scope(scope):
                shortcut = x
                names = iter(["Conv", "Conv_1", "Conv_2", "Conv_3"])
                if stride > 1:
                    shortcut = conv(x, next(names), ch, 1, stride)
                y = conv(tf.nn.relu(batch_norm(x, "BatchNorm")), next(names), inner, 1)
                y = conv(tf.nn.relu(batch_norm(y, "BatchNorm_1")), next(names), inner, 3, stride)
                y = conv(tf.nn.relu(batch_norm(y, "BatchNorm_2")), next(names), ch, 1)
                return tf.nn.relu(y + shortcut)

        def repeat(x, n, ch, inner):
            with tf1.variable_scope("Repeat"):
                for i in range(n):
                    x = residual_block(x, f"residual_block_{i + 1}", ch, inner)
            return x

        x = tf.constant(features) / 100.0
        with tf1.variable_scope("GaitNN"):
            with tf1.variable_scope("DownSampling"):
                with tf1.variable_scope("17x17"):
                    x = conv(x, "Conv", w["stem"], 1, normalized=True)
                    repeat(x, 3, w["stem"], repeat_inner[0])  # the seed drops this result
                with tf1.variable_scope("8x8"):
                    x = residual_block(x, "ResidualBlock", w["block8_channels"], w["block8_inner"], 2)
                    repeat(x, 2, w["block8_channels"], repeat_inner[1])  # dropped
                with tf1.variable_scope("4x4"):
                    x = residual_block(x, "ResidualBlock", w["block4_channels"], w["block4_inner"], 2)
                    repeat(x, 1, w["block4_channels"], repeat_inner[2])  # dropped
                    x = conv(x, "Conv", w["head_1x1"], 1, normalized=True)
                    x = conv(x, "Conv_1", w["head_3x3"], 3, normalized=True)
            with tf1.variable_scope("FullyConnected/fully_connected"):
                x = tf.reshape(x, (steps, -1))
                fc_w = variable("weights", (int(x.shape[1]), w["fc"]), "kernel")
                x = tf.matmul(x, fc_w) + variable("biases", (w["fc"],), "bias")
            cell_scope, leaves = _RNN_NAMES[naming]
            leaves = leaves[recurrent_unit.lower()]
            inputs = [x[t : t + 1] for t in range(steps)]
            for k in range(rnn_layers):
                width_in = int(inputs[0].shape[1])
                scope = cell_scope.format(k=k)

                def rnn_var(leaf, shape, kind):
                    *path, name = (scope + leaf).split("/")
                    with tf1.variable_scope("/".join(path[1:]), reuse=False):  # under GaitNN/
                        return variable(name, shape, kind)

                h = tf.zeros((1, units))
                outputs = []
                if recurrent_unit == "GRU":  # TF-1 GRUCell
                    gates_w = rnn_var(leaves[0], (width_in + units, 2 * units), "glorot")
                    gates_b = rnn_var(leaves[1], (2 * units,), "bias")
                    cand_w = rnn_var(leaves[2], (width_in + units, units), "glorot")
                    cand_b = rnn_var(leaves[3], (units,), "bias")
                    for xt in inputs:
                        gates = tf.sigmoid(tf.matmul(tf.concat([xt, h], 1), gates_w) + gates_b)
                        r, u = tf.split(gates, 2, axis=1)
                        c = tf.tanh(tf.matmul(tf.concat([xt, r * h], 1), cand_w) + cand_b)
                        h = u * h + (1 - u) * c
                        outputs.append(h)
                else:  # TF-1 LSTMCell, forget_bias 1.0
                    lstm_w = rnn_var(leaves[0], (width_in + units, 4 * units), "glorot")
                    lstm_b = rnn_var(leaves[1], (4 * units,), "bias")
                    c = tf.zeros((1, units))
                    for xt in inputs:
                        z = tf.matmul(tf.concat([xt, h], 1), lstm_w) + lstm_b
                        i, j, f, o = tf.split(z, 4, axis=1)
                        c = tf.sigmoid(f + 1.0) * c + tf.sigmoid(i) * tf.tanh(j)
                        h = tf.sigmoid(o) * tf.tanh(c)
                        outputs.append(h)
                inputs = outputs
            vector = tf.reduce_mean(tf.concat(inputs, 0), 0)  # temporal average pooling
            with tf1.variable_scope("Logits/fully_connected"):  # training-only layer
                variable("weights", (units, 7), "kernel")
                variable("biases", (7,), "bias")
        tf1.get_variable("global_step", initializer=tf.constant(1234, tf.int64), trainable=False)
        with tf1.variable_scope("GaitNN/FullyConnected/fully_connected/weights"):
            variable("RMSProp", (int(fc_w.shape[0]), w["fc"]), "bias")  # an optimizer slot
        with tf1.Session(graph=graph) as session:
            session.run(tf1.global_variables_initializer())
            result = session.run(vector)
            _save(session, tf1.global_variables(), prefix, write_version)
    return features, result


def save_tf1_variables(prefix: str | Path, values: Mapping[str, np.ndarray], write_version: str = "V2") -> None:
    """Write arbitrary named arrays as a TF-1 checkpoint (fake or doctored checkpoints)."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        variables = [tf1.get_variable(name, initializer=tf.constant(value)) for name, value in values.items()]
        with tf1.Session(graph=graph) as session:
            session.run(tf1.global_variables_initializer())
            _save(session, variables, prefix, write_version)


def read_tf1_variables(prefix: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a TF-1 checkpoint."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def _save(session, variables, prefix, write_version: str) -> None:
    import tensorflow as tf

    tf1 = tf.compat.v1
    version = {"V1": tf1.train.SaverDef.V1, "V2": tf1.train.SaverDef.V2}[write_version]
    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    tf1.train.Saver(variables, write_version=version).save(session, str(prefix), write_meta_graph=False)
