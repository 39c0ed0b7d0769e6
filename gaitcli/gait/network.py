"""GaitNetwork: the seed's GaitNN in Keras 3, for training and for the seed's TF-1 checkpoints.

Importing this module imports TensorFlow/Keras; inference without TensorFlow is
:class:`gaitcli.gait.numpy_forward.NumpyGaitNetwork`, which runs the same weights.

**The seed's quirk.** In the seed's ``GaitNetwork.get_network`` every DownSampling stage calls
``slim.repeat(net, n, residual_block, ...)`` without assigning the result::

    net = layers.convolution2d(net, num_outputs=256, kernel_size=1)         # 17x17
    slim.repeat(net, 3, self.residual_block, ch=256, ch_inner=64)           # result dropped
    net = self.residual_block(net, ch=512, ch_inner=64, stride=2)           # 8x8
    slim.repeat(net, 2, self.residual_block, ch=512, ch_inner=128)          # result dropped
    ...

so those repeated blocks' variables exist in the published checkpoints but never reach the
output. gaitcli reproduces what the seed computed, not what it meant: the repeated blocks
are left out here, their checkpoint variables are ignored, and the seed's checkpoints give
the seed's identification vectors.
"""

from __future__ import annotations

from gaitcli.tf_import import import_tensorflow

import_tensorflow()  # Keras imports TensorFlow: load it first, without its start-up chatter

from pathlib import Path
from typing import Any, Mapping

import keras  # noqa: E402
import numpy as np
from keras import layers, ops  # noqa: E402

from gaitcli.constants import FEATURE_SHAPE, FEATURE_SPACE_SEED_IR
from gaitcli.errors import ModelError
from gaitcli.gait.architecture import (
    BN_EPSILON,
    BN_MOMENTUM,
    SEED_INPUT_SCALE,
    GaitConfig,
    check_weights,
    weight_shapes,
)


def _batch_norm(name: str) -> layers.BatchNormalization:
    # slim.batch_norm's defaults as the seed used them: beta, no gamma
    return layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, center=True, scale=False, name=name)


class _ConvBnElu(layers.Layer):
    """A slim stage conv of the seed: conv (SAME, no bias) -> batch norm -> ELU."""

    def __init__(self, filters: int, kernel_size: int, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(
            filters, kernel_size, padding="same", use_bias=False, kernel_initializer="he_normal", name="conv"
        )
        self.bn = _batch_norm("bn")

    def call(self, x, training=False):
        return keras.activations.elu(self.bn(self.conv(x), training=training))


class _ResidualBlock(layers.Layer):
    """The seed's bottleneck-v2 residual block with stride 2 (``residual_block(stride=2)``).

    Pre-activation batch norm + ReLU before each plain conv (with bias), a strided 1x1
    projection as shortcut, ReLU after the sum.
    """

    def __init__(self, channels: int, inner: int, **kwargs):
        super().__init__(**kwargs)

        def conv(filters, size, stride, name):
            return layers.Conv2D(
                filters, size, strides=stride, padding="same", kernel_initializer="he_normal", name=name
            )

        self.shortcut = conv(channels, 1, 2, "shortcut")
        self.bn1, self.conv1 = _batch_norm("bn1"), conv(inner, 1, 1, "conv1")
        self.bn2, self.conv2 = _batch_norm("bn2"), conv(inner, 3, 2, "conv2")
        self.bn3, self.conv3 = _batch_norm("bn3"), conv(channels, 1, 1, "conv3")

    def call(self, x, training=False):
        y = self.conv1(ops.relu(self.bn1(x, training=training)))
        y = self.conv2(ops.relu(self.bn2(y, training=training)))
        y = self.conv3(ops.relu(self.bn3(y, training=training)))
        return ops.relu(y + self.shortcut(x))


class GaitNetwork(keras.Model):
    """The seed's ``GaitNetwork(recurrent_unit='GRU'|'LSTM', rnn_layers=N)`` in Keras 3.

    Called on a batch of sequences (B, T, 17, 17, 32) it returns their identification
    vectors (B, units): per frame ``x * input_scale`` -> residual conv net -> 512-d linear
    descriptor; over time ``rnn_layers`` stacked GRU (``reset_after=False``, as TF-1) or LSTM
    layers from a zero state; then the mean over time. ``training=True`` uses batch
    statistics in the batch norms (over all B * T frames) and updates their moving averages.

    ``widths`` overrides the seed's widths (:data:`gaitcli.gait.architecture.SEED_WIDTHS`:
    stem, block8_channels/inner, block4_channels/inner, head_1x1, head_3x3, fc, rnn_units);
    ``input_scale`` multiplies the input (the seed: 0.01).
    """

    def __init__(
        self,
        recurrent_unit: str = "GRU",
        rnn_layers: int = 1,
        *,
        widths: Mapping[str, int] | None = None,
        input_scale: float = SEED_INPUT_SCALE,
        name: str = "gait_network",
        **kwargs: Any,
    ):
        config = GaitConfig(recurrent_unit, rnn_layers, dict(widths or {}), input_scale)
        super().__init__(name=name, **kwargs)
        self.gait_config = config
        #: The spatial-feature space of the loaded weights (None until restored).
        self.feature_space: str | None = None
        w = config.widths
        self.stem = _ConvBnElu(w["stem"], 1, name="stem")
        self.block8 = _ResidualBlock(w["block8_channels"], w["block8_inner"], name="block8")
        self.block4 = _ResidualBlock(w["block4_channels"], w["block4_inner"], name="block4")
        self.head_1x1 = _ConvBnElu(w["head_1x1"], 1, name="head_1x1")
        self.head_3x3 = _ConvBnElu(w["head_3x3"], 3, name="head_3x3")
        self.fc = layers.Dense(w["fc"], kernel_initializer="he_normal", name="fc")
        rnn = layers.GRU if config.recurrent_unit == "GRU" else layers.LSTM
        extra = {"reset_after": False} if config.recurrent_unit == "GRU" else {}
        self.rnns = [
            rnn(w["rnn_units"], return_sequences=True, name=f"rnn_{k}", **extra) for k in range(config.rnn_layers)
        ]
        self(np.zeros((1, 1, *FEATURE_SHAPE), np.float32))  # create the variables

    @classmethod
    def from_gait_config(cls, config: GaitConfig) -> "GaitNetwork":
        """A randomly initialised network of architecture ``config``."""
        return cls(config.recurrent_unit, config.rnn_layers, widths=config.widths, input_scale=config.input_scale)

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> "GaitNetwork":
        """The network a checkpoint describes, with its weights.

        ``path`` is a seed TF-1 gait checkpoint (V1 ``.ckpt`` or V2 prefix; cell type, layers and
        widths are read from it) or a gaitcli ``.npz`` gait checkpoint.
        """
        from gaitcli.gait.checkpoint import GaitCheckpoint, looks_like_gait_checkpoint

        if looks_like_gait_checkpoint(path):
            checkpoint = GaitCheckpoint.load(path)
            net = cls.from_gait_config(checkpoint.config)
            net.set_gait_weights(checkpoint.weights)
            net.feature_space = checkpoint.feature_space
            return net
        from gaitcli.gait.tf1_mapping import load_tf1_gait_checkpoint

        layout, weights = load_tf1_gait_checkpoint(path)
        net = cls.from_gait_config(layout.config)
        net.set_gait_weights(weights)
        net.feature_space = FEATURE_SPACE_SEED_IR
        return net

    def call(self, inputs, training=False):
        """Identification vectors (B, units) of sequences (B, T, 17, 17, 32)."""
        x = ops.cast(inputs, "float32")
        batch, steps = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (-1, *FEATURE_SHAPE)) * self.gait_config.input_scale  # frames as one batch
        x = self.stem(x, training=training)
        x = self.block8(x, training=training)
        x = self.block4(x, training=training)
        x = self.head_1x1(x, training=training)
        x = self.head_3x3(x, training=training)
        x = ops.reshape(x, (batch, steps, self.gait_config.flat_size))  # HWC flatten, as slim's
        x = self.fc(x)
        for rnn in self.rnns:
            x = rnn(x, training=training)
        return ops.mean(x, axis=1)  # temporal average pooling

    # --- the seed's API ------------------------------------------------------------

    def restore(self, path: str | Path) -> "GaitNetwork":
        """Load weights from a seed TF-1 gait checkpoint or a gaitcli ``.npz`` gait checkpoint.

        A checkpoint of another architecture (e.g. GRU-2 for this GRU-1 network, LSTM for GRU)
        is a :class:`~gaitcli.errors.ModelError` that says what it is.
        """
        from gaitcli.gait.checkpoint import GaitCheckpoint, looks_like_gait_checkpoint

        if looks_like_gait_checkpoint(path):
            checkpoint = GaitCheckpoint.load(path)
            if checkpoint.config != self.gait_config:
                raise ModelError(
                    f"{Path(path).name} is a {checkpoint.config.describe()} gait checkpoint, but this network is "
                    f"{self.gait_config.describe()}; use GaitNetwork.from_checkpoint() to build the matching network"
                )
            self.set_gait_weights(checkpoint.weights)
            self.feature_space = checkpoint.feature_space
        else:
            from gaitcli.gait.tf1_mapping import load_tf1_gait_checkpoint

            _, weights = load_tf1_gait_checkpoint(path, expect=self.gait_config)
            self.set_gait_weights(weights)
            self.feature_space = FEATURE_SPACE_SEED_IR
        return self

    def feed_forward(self, spatial_features: np.ndarray) -> np.ndarray:
        """Identification vector (units,) of one sequence (T, 17, 17, 32), inference mode."""
        x = np.asarray(spatial_features, dtype=np.float32)
        if x.ndim != 4 or x.shape[1:] != FEATURE_SHAPE or len(x) < 1:
            raise ValueError(f"spatial features must be shaped (T, 17, 17, 32) with T >= 1; got {x.shape}")
        return self.feed_forward_batch(x[None])[0]

    def feed_forward_batch(self, sequences: np.ndarray) -> np.ndarray:
        """Identification vectors (B, units) of equally long sequences (B, T, 17, 17, 32)."""
        x = np.asarray(sequences, dtype=np.float32)
        if x.ndim != 5 or x.shape[2:] != FEATURE_SHAPE or x.shape[1] < 1:
            raise ValueError(f"sequences must be shaped (B, T, 17, 17, 32) with T >= 1; got {x.shape}")
        return np.asarray(self(x, training=False))

    # --- weights in gaitcli's layout ---------------------------------------------------

    def _gait_variables(self) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def conv(prefix, layer):
            found[f"{prefix}/kernel"] = layer.kernel
            if layer.use_bias:
                found[f"{prefix}/bias"] = layer.bias

        def batch_norm(prefix, layer):
            found[f"{prefix}/beta"] = layer.beta
            found[f"{prefix}/moving_mean"] = layer.moving_mean
            found[f"{prefix}/moving_variance"] = layer.moving_variance

        for name in ("stem", "head_1x1", "head_3x3"):
            block = getattr(self, name)
            conv(name, block.conv)
            batch_norm(f"{name}/bn", block.bn)
        for name in ("block8", "block4"):
            block = getattr(self, name)
            for part in ("shortcut", "conv1", "conv2", "conv3"):
                conv(f"{name}/{part}", getattr(block, part))
            for part in ("bn1", "bn2", "bn3"):
                batch_norm(f"{name}/{part}", getattr(block, part))
        conv("fc", self.fc)
        for k, rnn in enumerate(self.rnns):
            found[f"rnn_{k}/kernel"] = rnn.cell.kernel
            found[f"rnn_{k}/recurrent_kernel"] = rnn.cell.recurrent_kernel
            found[f"rnn_{k}/bias"] = rnn.cell.bias
        return {name: found[name] for name in weight_shapes(self.gait_config)}

    def get_gait_weights(self) -> dict[str, np.ndarray]:
        """All weights as gaitcli's flat name -> float32 array dict."""
        return {name: np.array(v.numpy(), np.float32) for name, v in self._gait_variables().items()}

    def set_gait_weights(self, weights: Mapping[str, np.ndarray]) -> None:
        """Assign gaitcli-layout weights; a missing or mis-shaped one is a ModelError."""
        try:
            checked = check_weights(self.gait_config, weights)
        except ValueError as exc:
            raise ModelError(f"gait weights do not fit a {self.gait_config.describe()} network: {exc}") from exc
        for name, variable in self._gait_variables().items():
            variable.assign(checked[name])

    def to_checkpoint(self, feature_space: str, training: Mapping[str, Any] | None = None):
        """The current weights as a :class:`~gaitcli.gait.checkpoint.GaitCheckpoint`."""
        from gaitcli.gait.checkpoint import GaitCheckpoint

        return GaitCheckpoint.create(self.gait_config, self.get_gait_weights(), feature_space, training)
