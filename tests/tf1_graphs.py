"""Test-only builders of the seed's TF-1 pose graph (HumanPoseIRNetwork), in raw tf.compat.v1 ops.

The graph is written from the seed's description (human_pose_nn.py, inception_resnet_v2.py),
independently of gaitcli's Keras code: ``tf.compat.v1.get_variable`` under the seed's variable
scopes, ``tf.nn.conv2d`` + ``tf.nn.batch_normalization`` (slim's default batch norm: ``beta``,
no ``gamma``, moving statistics at inference), slim.repeat's ``Repeat``/``Repeat_1`` scopes.
Every variable, batch-norm statistics included, is initialised randomly, and the checkpoint
also holds variables a real training run leaves behind (``global_step``, RMSProp slots), which
a loader must ignore.  The gait graphs live in ``tests/tf1_gait_graphs.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BN_EPSILON = 0.001


class _Init:
    """Random, well-scaled initial values (activations stay O(1) through the 30 residual blocks)."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def weights(self, shape) -> np.ndarray:
        fan_in = int(np.prod(shape[:-1]))
        return (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def small(self, shape, std: float) -> np.ndarray:
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def variance(self, shape) -> np.ndarray:
        return self.rng.uniform(0.5, 2.0, shape).astype(np.float32)


def _var(tf, name: str, value: np.ndarray):
    return tf.compat.v1.get_variable(name, initializer=value)


def _conv(tf, init, x, filters, kernel, scope, stride=1, padding="SAME", bn=True):
    """slim.conv2d: with batch norm + ReLU (no bias), or with bias and no activation."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    with tf.compat.v1.variable_scope(scope):
        w = _var(tf, "weights", init.weights((kh, kw, int(x.shape[-1]), filters)))
        y = tf.nn.conv2d(x, w, strides=[1, stride, stride, 1], padding=padding)
        if not bn:
            return tf.nn.bias_add(y, _var(tf, "biases", init.small((filters,), 0.05)))
        with tf.compat.v1.variable_scope("BatchNorm"):
            beta = _var(tf, "beta", init.small((filters,), 0.1))
            mean = _var(tf, "moving_mean", init.small((filters,), 0.2))
            var = _var(tf, "moving_variance", init.variance((filters,)))
        y = tf.nn.batch_normalization(y, mean, var, offset=beta, scale=None, variance_epsilon=BN_EPSILON)
        return tf.nn.relu(y)


def _block35(tf, init, net, scope):
    with tf.compat.v1.variable_scope(scope):
        with tf.compat.v1.variable_scope("Branch_0"):
            t0 = _conv(tf, init, net, 32, 1, "Conv2d_1x1")
        with tf.compat.v1.variable_scope("Branch_1"):
            t1 = _conv(tf, init, net, 32, 1, "Conv2d_0a_1x1")
            t1 = _conv(tf, init, t1, 32, 3, "Conv2d_0b_3x3")
        with tf.compat.v1.variable_scope("Branch_2"):
            t2 = _conv(tf, init, net, 32, 1, "Conv2d_0a_1x1")
            t2 = _conv(tf, init, t2, 48, 3, "Conv2d_0b_3x3")
            t2 = _conv(tf, init, t2, 64, 3, "Conv2d_0c_3x3")
        up = _conv(tf, init, tf.concat([t0, t1, t2], 3), int(net.shape[-1]), 1, "Conv2d_1x1", bn=False)
        return tf.nn.relu(net + 0.17 * up)


def _block17(tf, init, net, scope):
    with tf.compat.v1.variable_scope(scope):
        with tf.compat.v1.variable_scope("Branch_0"):
            t0 = _conv(tf, init, net, 192, 1, "Conv2d_1x1")
        with tf.compat.v1.variable_scope("Branch_1"):
            t1 = _conv(tf, init, net, 128, 1, "Conv2d_0a_1x1")
            t1 = _conv(tf, init, t1, 160, [1, 7], "Conv2d_0b_1x7")
            t1 = _conv(tf, init, t1, 192, [7, 1], "Conv2d_0c_7x1")
        up = _conv(tf, init, tf.concat([t0, t1], 3), int(net.shape[-1]), 1, "Conv2d_1x1", bn=False)
        return tf.nn.relu(net + 0.10 * up)


def _trunk(tf, init, net):
    with tf.compat.v1.variable_scope("InceptionResnetV2"):
        net = _conv(tf, init, net, 32, 3, "Conv2d_1a_3x3", stride=2, padding="VALID")
        net = _conv(tf, init, net, 32, 3, "Conv2d_2a_3x3", padding="VALID")
        net = _conv(tf, init, net, 64, 3, "Conv2d_2b_3x3")
        net = tf.nn.max_pool2d(net, 3, 2, "VALID")
        net = _conv(tf, init, net, 80, 1, "Conv2d_3b_1x1", padding="VALID")
        net = _conv(tf, init, net, 192, 3, "Conv2d_4a_3x3", padding="VALID")
        net = tf.nn.max_pool2d(net, 3, 2, "VALID")
        with tf.compat.v1.variable_scope("Mixed_5b"):
            with tf.compat.v1.variable_scope("Branch_0"):
                t0 = _conv(tf, init, net, 96, 1, "Conv2d_1x1")
            with tf.compat.v1.variable_scope("Branch_1"):
                t1 = _conv(tf, init, net, 48, 1, "Conv2d_0a_1x1")
                t1 = _conv(tf, init, t1, 64, 5, "Conv2d_0b_5x5")
            with tf.compat.v1.variable_scope("Branch_2"):
                t2 = _conv(tf, init, net, 64, 1, "Conv2d_0a_1x1")
                t2 = _conv(tf, init, t2, 96, 3, "Conv2d_0b_3x3")
                t2 = _conv(tf, init, t2, 96, 3, "Conv2d_0c_3x3")
            with tf.compat.v1.variable_scope("Branch_3"):
                t3 = tf.nn.avg_pool2d(net, 3, 1, "SAME")
                t3 = _conv(tf, init, t3, 64, 1, "Conv2d_0b_1x1")
            net = tf.concat([t0, t1, t2, t3], 3)
        with tf.compat.v1.variable_scope("Repeat"):
            for i in range(1, 11):
                net = _block35(tf, init, net, f"block35_{i}")
        with tf.compat.v1.variable_scope("Mixed_6a"):
            with tf.compat.v1.variable_scope("Branch_0"):
                t0 = _conv(tf, init, net, 384, 3, "Conv2d_1a_3x3", stride=2, padding="VALID")
            with tf.compat.v1.variable_scope("Branch_1"):
                t1 = _conv(tf, init, net, 256, 1, "Conv2d_0a_1x1")
                t1 = _conv(tf, init, t1, 256, 3, "Conv2d_0b_3x3")
                t1 = _conv(tf, init, t1, 384, 3, "Conv2d_1a_3x3", stride=2, padding="VALID")
            with tf.compat.v1.variable_scope("Branch_2"):
                t2 = tf.nn.max_pool2d(net, 3, 2, "VALID")
            net = tf.concat([t0, t1, t2], 3)
        with tf.compat.v1.variable_scope("Repeat_1"):
            for i in range(1, 21):
                net = _block17(tf, init, net, f"block17_{i}")
        with tf.compat.v1.variable_scope("AuxLogits"):
            aux = tf.nn.avg_pool2d(net, 5, 1, "SAME")
            aux = _conv(tf, init, aux, 128, 1, "Conv2d_1b_1x1")
            return _conv(tf, init, aux, 768, 5, "Conv2d_2a_5x5")


def _gauss_smoothing(tf, net, size, std, kernel_sum=1.0):
    """The seed's separable smoothing: depthwise horizontal then vertical, SAME."""
    t = np.linspace(-2, 2, size)
    pdf = np.exp(-(t**2) / (2 * std**2)) / (std * np.sqrt(2 * np.pi))
    pdf = pdf / pdf.sum() * kernel_sum**0.5
    filter_h = np.zeros((1, size, 16, 1), np.float32)
    filter_h[0, :, :, 0] = pdf[:, None]
    net = tf.nn.depthwise_conv2d(net, filter_h, strides=[1, 1, 1, 1], padding="SAME")
    return tf.nn.depthwise_conv2d(net, filter_h.swapaxes(0, 1), strides=[1, 1, 1, 1], padding="SAME")


def seed_pose_checkpoint(images: np.ndarray, directory: Path, seed: int = 0) -> dict:
    """Build the seed's pose graph, save it as TF-1 V2 and V1 checkpoints, run it on ``images``.

    Returns ``{"v2": prefix, "v1": file, "features", "logits", "heat_maps", "coords_y",
    "coords_x", "probabilities"}`` (the reference outputs for the (B, 299, 299, 3) images).
    """
    import tensorflow as tf

    init = _Init(seed)
    graph = tf.Graph()
    with graph.as_default():
        inp = tf.compat.v1.placeholder(tf.float32, (None, 299, 299, 3), name="input_image")
        net = _trunk(tf, init, ((inp / 255) - 0.5) * 2.0)
        with tf.compat.v1.variable_scope("NewInceptionResnetV2"):
            with tf.compat.v1.variable_scope("AuxiliaryScoring"):
                # dropout is the identity at inference (is_training=False)
                feature = _conv(tf, init, net, 32, 1, "Scoring_layer", bn=False)
                with tf.compat.v1.variable_scope("Upsampling_layer"):
                    # conv2d_transpose filters are [h, w, out, in]; a larger scale spreads the logits
                    w = _var(tf, "weights", init.small((17, 17, 16, 32), 8.0))
                    b = _var(tf, "biases", init.small((16,), 0.3))
                out_shape = tf.stack([tf.shape(feature)[0], 289, 289, 16])
                up = tf.nn.conv2d_transpose(feature, w, out_shape, strides=[1, 17, 17, 1], padding="VALID")
                up = tf.nn.bias_add(up, b)
            logits = _gauss_smoothing(tf, up, 21, 1.0, 0.2)
        sigm = tf.sigmoid(logits)
        heat = _gauss_smoothing(tf, sigm, 15, 0.7)
        scale = 299 / 289
        xs = tf.cast(tf.argmax(tf.reduce_max(heat, 1), 1), tf.float32) * scale
        ys = tf.cast(tf.argmax(tf.reduce_max(heat, 2), 1), tf.float32) * scale
        probs = tf.reduce_max(sigm, [1, 2])

        model_vars = tf.compat.v1.global_variables()
        # what a training run leaves in a checkpoint besides the model
        extras = [tf.compat.v1.get_variable("global_step", initializer=np.int64(1234))]
        with tf.compat.v1.variable_scope("InceptionResnetV2/Conv2d_1a_3x3"):
            extras.append(_var(tf, "weights/RMSProp", init.small((3, 3, 3, 32), 1.0)))
        savers = {
            "v2": tf.compat.v1.train.Saver(model_vars + extras),
            "v1": tf.compat.v1.train.Saver(model_vars + extras, write_version=tf.compat.v1.train.SaverDef.V1),
        }
        result: dict = {}
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for version, saver in savers.items():
                folder = Path(directory) / version
                folder.mkdir(parents=True, exist_ok=True)
                result[version] = saver.save(sess, str(folder / "MPII+LSP.ckpt"), write_meta_graph=False)
            names = ("features", "logits", "heat_maps", "coords_y", "coords_x", "probabilities")
            values = sess.run([feature, logits, heat, ys, xs, probs], feed_dict={inp: images.astype(np.float32)})
            result.update(zip(names, values))
    return result


def tiny_checkpoint(path: Path, variables: dict[str, np.ndarray], version: str = "v2") -> str:
    """Save a TF-1 checkpoint holding just ``variables`` (name -> value); returns its path."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf_vars = [tf.compat.v1.get_variable(name, initializer=np.asarray(value)) for name, value in variables.items()]
        write_version = tf.compat.v1.train.SaverDef.V1 if version == "v1" else tf.compat.v1.train.SaverDef.V2
        saver = tf.compat.v1.train.Saver(tf_vars, write_version=write_version)
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            return saver.save(sess, str(path), write_meta_graph=False)
