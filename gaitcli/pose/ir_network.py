"""HumanPoseIRNetwork: the seed's pose network (HumanPoseNN) in Keras 3.

Exactly the seed's graph, so its TF-1 checkpoints (``MPII+LSP.ckpt``, ``Human3.6m.ckpt``)
give the seed's numbers:

* input (B, 299, 299, 3) RGB in 0..255, preprocessed to ``((x / 255) - 0.5) * 2``;
* the slim Inception-ResNet-v2 trunk up to the seed's auxiliary tower
  (:mod:`gaitcli.pose.inception_resnet_v2`) -> (B, 17, 17, 768);
* ``NewInceptionResnetV2/AuxiliaryScoring``: dropout (keep 0.7, training only), the
  ``Scoring_layer`` 1x1 conv to 32 channels (bias, no activation) = the spatial features
  (B, 17, 17, 32), and the ``Upsampling_layer`` 17x17 stride-17 VALID transposed conv to 16
  channels -> (B, 289, 289, 16);
* separable Gaussian smoothing of those maps (size 21, std 1.0 sampled on linspace(-2, 2),
  normalised to sum 1, times sqrt(0.2)) = the network's logits (the training losses use them);
* sigmoid, then a second smoothing (size 15, std 0.7, sum 1) = the heat maps;
* joints: x = argmax over columns of the row-wise maximum of the heat maps, y likewise over
  rows, both times 299 / 289 (pixels of the 299x299 input); the probability is the maximum
  of the sigmoid map (before the second smoothing).

Weights come from the seed's TF-1 checkpoints or from gaitcli's native Keras weights
(``*.weights.h5``, written by :meth:`HumanPoseIRNetwork.save`).

This module imports TensorFlow: import it only where the network is needed.
"""

from __future__ import annotations

from gaitcli.tf_import import import_tensorflow

tf = import_tensorflow()  # Keras imports TensorFlow: load it first, without its start-up chatter

import os
import warnings
from pathlib import Path
from typing import Sequence

import keras  # noqa: E402
import numpy as np
from keras import layers, ops  # noqa: E402

from gaitcli.atomic import atomic_output
from gaitcli.constants import FEATURE_CHANNELS, FEATURE_SPACE_SEED_IR, IR_HEATMAP_SIZE, IR_INPUT_SIZE, NUM_JOINTS
from gaitcli.errors import InputError, ModelError
from gaitcli.pose.inception_resnet_v2 import inception_resnet_v2_trunk, keras_name
from gaitcli.pose.ir_checkpoint import HEAD_SCOPE, load_tf1_weights

DROPOUT_KEEP = 0.7
UPSAMPLING = 17  # kernel size and stride of the transposed conv: 17 x 17 -> 289 x 289
LOGIT_SMOOTHING = (21, 1.0, 0.2)  # size, std, kernel sum
HEAT_SMOOTHING = (15, 0.7, 1.0)
NATIVE_SUFFIX = ".weights.h5"


def gaussian_kernel(size: int, std: float, kernel_sum: float = 1.0) -> np.ndarray:
    """The seed's 1-D smoothing kernel: N(0, std) sampled on linspace(-2, 2, size).

    Normalised to sum 1, then multiplied by ``sqrt(kernel_sum)`` (it is applied twice,
    horizontally and vertically, so the 2-D kernel sums to ``kernel_sum``).
    """
    t = np.linspace(-2.0, 2.0, size)
    samples = np.exp(-0.5 * (t / std) ** 2)  # the pdf's constant factor cancels below
    samples /= samples.sum()
    return samples * np.sqrt(kernel_sum)


def _depthwise_kernels(size: int, std: float, kernel_sum: float) -> tuple[np.ndarray, np.ndarray]:
    k = gaussian_kernel(size, std, kernel_sum).astype(np.float32)
    horizontal = np.tile(k[None, :, None, None], (1, 1, NUM_JOINTS, 1))  # (1, size, 16, 1)
    return horizontal, np.ascontiguousarray(horizontal.transpose(1, 0, 2, 3))


def smooth(maps, size: int, std: float, kernel_sum: float = 1.0):
    """Separable Gaussian smoothing of (B, H, W, 16) maps: horizontal, then vertical (SAME)."""
    horizontal, vertical = _depthwise_kernels(size, std, kernel_sum)
    maps = ops.depthwise_conv(maps, horizontal, strides=1, padding="same")
    return ops.depthwise_conv(maps, vertical, strides=1, padding="same")


class GaussianSmoothing(layers.Layer):
    """:func:`smooth` as a weightless layer."""

    def __init__(self, size: int, std: float, kernel_sum: float = 1.0, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.size, self.std, self.kernel_sum = size, std, kernel_sum

    def call(self, inputs):
        return smooth(inputs, self.size, self.std, self.kernel_sum)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "std": self.std, "kernel_sum": self.kernel_sum}


def _as_input(x: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """A (B, 299, 299, 3) float32 batch from an array or a list of images."""
    if isinstance(x, (list, tuple)):
        x = np.stack([np.asarray(im) for im in x]) if len(x) else np.zeros((0, IR_INPUT_SIZE, IR_INPUT_SIZE, 3))
    arr = np.asarray(x)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[1:] != (IR_INPUT_SIZE, IR_INPUT_SIZE, 3):
        raise InputError(
            f"the pose network takes RGB images of {IR_INPUT_SIZE}x{IR_INPUT_SIZE}x3 (0..255); got shape "
            f"{tuple(arr.shape)} (IREstimator letterboxes images of any size)"
        )
    return arr.astype(np.float32, copy=False)


class HumanPoseIRNetwork(keras.Model):
    """The seed's HumanPoseIRNetwork (Inception-ResNet-v2 heat-map network) as a Keras model.

    Calling the model gives ``{"logits": (B, 289, 289, 16), "features": (B, 17, 17, 32)}``
    (logits after the first smoothing, as the seed's losses use them).  The seed's methods
    take (B, 299, 299, 3) RGB batches in 0..255 and return NumPy arrays.  Weights start
    random: call :meth:`restore` before using the outputs.
    """

    IMAGE_SIZE = IR_INPUT_SIZE
    HEATMAP_SIZE = IR_HEATMAP_SIZE
    FEATURES = FEATURE_CHANNELS
    feature_space = FEATURE_SPACE_SEED_IR

    def __init__(self, batch_size: int = 8, name: str = "HumanPoseIRNetwork"):
        image = keras.Input((IR_INPUT_SIZE, IR_INPUT_SIZE, 3), name="input_image")
        x = (image / 255.0 - 0.5) * 2.0
        x = inception_resnet_v2_trunk(x)
        x = layers.Dropout(1.0 - DROPOUT_KEEP, name=keras_name(f"{HEAD_SCOPE}/Dropout"))(x)
        features = layers.Conv2D(FEATURE_CHANNELS, 1, name=keras_name(f"{HEAD_SCOPE}/Scoring_layer"))(x)
        x = layers.Conv2DTranspose(
            NUM_JOINTS, UPSAMPLING, strides=UPSAMPLING, padding="valid", name=keras_name(f"{HEAD_SCOPE}/Upsampling_layer")
        )(features)
        logits = GaussianSmoothing(*LOGIT_SMOOTHING, name="NewInceptionResnetV2.Smoothing")(x)
        super().__init__(inputs=image, outputs={"logits": logits, "features": features}, name=name)
        #: Images per forward pass in the NumPy methods (bounds memory on long inputs).
        self.batch_size = max(1, int(batch_size))
        self._compiled = None  # the traced forward pass, made on first use

    # --- weights ----------------------------------------------------------------

    def restore(self, path: str | Path, *, trunk_only: bool = False) -> None:
        """Load weights: a seed TF-1 checkpoint (V1 ``.ckpt`` file or V2 prefix) or native ``*.weights.h5``.

        ``trunk_only`` loads just the Inception-ResNet-v2 trunk of a TF-1 checkpoint (e.g.
        slim's ImageNet checkpoint, to start training); the scoring layers keep their values.
        A missing, corrupt or foreign file raises InputError / ModelError and leaves the
        weights unchanged.
        """
        p = os.fspath(path)
        if p.endswith(".h5"):
            self._load_native(p)
        else:
            load_tf1_weights(self, p, trunk_only=trunk_only)

    def _load_native(self, path: str) -> None:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"weights file not found: {path}" if not p.exists() else f"not a weights file: {path}")
        backup = [v.numpy() for v in self.weights]
        try:
            self.load_weights(path)
        except Exception as exc:  # h5py / Keras raise many types for foreign or corrupt files
            for variable, value in zip(self.weights, backup):
                variable.assign(value)
            reason = " ".join(str(exc).split())[:160]
            raise ModelError(f"{p.name} is not a HumanPoseIRNetwork weights file ({type(exc).__name__}: {reason})") from exc

    def save(self, path: str | Path) -> Path:
        """Write native Keras weights to ``path`` (must end in ``.weights.h5``), atomically."""
        path = Path(path)
        if not path.name.endswith(NATIVE_SUFFIX):
            raise InputError(f"native pose weights are written to a file ending in {NATIVE_SUFFIX}; got {path.name}")
        with atomic_output(path, suffix=NATIVE_SUFFIX) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Keras's writer trips NumPy 2's __array__(copy=) per variable
            self.save_weights(str(tmp))
        return path

    # --- the seed's methods -------------------------------------------------------------

    def feed_forward_features(self, x: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """(B, 17, 17, 32) spatial features (the ``Scoring_layer``) of (B, 299, 299, 3) RGB images."""
        return self._run(x)["features"]

    def heat_maps(self, x: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """(B, 289, 289, 16) smoothed sigmoid heat maps."""
        return self._run(x)["heat_maps"]

    def joint_positions(self, x: Sequence[np.ndarray] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(coords_y, coords_x, probabilities), each (B, 16); coordinates in 299x299 input pixels."""
        out = self.infer(x)
        return out["coords_y"], out["coords_x"], out["probabilities"]

    def infer(self, x: Sequence[np.ndarray] | np.ndarray, *, with_maps: bool = False) -> dict[str, np.ndarray]:
        """Everything from one forward pass: ``features``, ``coords_y``, ``coords_x``,
        ``probabilities``, and with ``with_maps`` the (B, 289, 289, 16) ``heat_maps`` and ``logits``."""
        out = self._run(x)
        if not with_maps:
            del out["heat_maps"], out["logits"]
        return out

    # --- inference plumbing ---------------------------------------------------------

    def _run(self, x) -> dict[str, np.ndarray]:
        # one traced function serves every method: the heads after the features cost ~2% of the trunk
        batch = _as_input(x)
        fn = self._compiled or self._compile()
        chunks = [fn(tf.constant(batch[i : i + self.batch_size])) for i in range(0, len(batch), self.batch_size)]
        if not chunks:  # an empty batch: empty outputs of the right shapes
            chunks = [{k: v[:0] for k, v in fn(tf.zeros((1, *batch.shape[1:]))).items()}]
        return {k: np.concatenate([np.asarray(c[k]) for c in chunks]) for k in chunks[0]}

    def _compile(self):
        scale = IR_INPUT_SIZE / IR_HEATMAP_SIZE

        @tf.function(input_signature=[tf.TensorSpec((None, IR_INPUT_SIZE, IR_INPUT_SIZE, 3), tf.float32)])
        def forward(x):
            out = self(x, training=False)
            sigm = tf.sigmoid(out["logits"])
            heat = smooth(sigm, *HEAT_SMOOTHING)
            return {
                "features": out["features"],
                "logits": out["logits"],
                "heat_maps": heat,
                "coords_y": tf.cast(tf.argmax(tf.reduce_max(heat, axis=2), axis=1), tf.float32) * scale,
                "coords_x": tf.cast(tf.argmax(tf.reduce_max(heat, axis=1), axis=1), tf.float32) * scale,
                "probabilities": tf.reduce_max(sigm, axis=[1, 2]),
            }

        self._compiled = forward
        return forward
