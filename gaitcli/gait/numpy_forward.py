"""The gait network's inference in plain NumPy: the same weights, no TensorFlow import.

Equal to :class:`gaitcli.gait.network.GaitNetwork` in inference mode (batch norm with its
moving statistics) up to float32 round-off; the tests hold both, and the seed's own TF-1
graph, to 1e-4. This is what ``gaitcli embed`` runs, so it never waits for TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from gaitcli.constants import FEATURE_SHAPE
from gaitcli.gait.architecture import BN_EPSILON, GaitConfig, check_weights


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # the tanh form never overflows, unlike 1 / (1 + exp(-x))
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def _conv2d_same(x: np.ndarray, kernel: np.ndarray, stride: int = 1, bias: np.ndarray | None = None) -> np.ndarray:
    """TensorFlow's SAME-padded NHWC convolution with an HWIO kernel, as one matmul."""
    n, h, w, cin = x.shape
    kh, kw, _, cout = kernel.shape
    out_h, out_w = -(-h // stride), -(-w // stride)
    pad_h = max((out_h - 1) * stride + kh - h, 0)
    pad_w = max((out_w - 1) * stride + kw - w, 0)
    if pad_h or pad_w:  # TF puts the odd pixel of padding after, not before
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    if kh == kw == 1:
        patches = x[:, : (out_h - 1) * stride + 1 : stride, : (out_w - 1) * stride + 1 : stride, :]
    else:  # (kh, kw, cin) patch order matches the kernel's reshape below
        patches = np.concatenate(
            [
                x[:, i : i + (out_h - 1) * stride + 1 : stride, j : j + (out_w - 1) * stride + 1 : stride, :]
                for i in range(kh)
                for j in range(kw)
            ],
            axis=-1,
        )
    out = patches.reshape(-1, kh * kw * cin) @ kernel.reshape(kh * kw * cin, cout)
    if bias is not None:
        out += bias
    return out.reshape(n, out_h, out_w, cout)


class NumpyGaitNetwork:
    """Inference of a gait network from its weights (see :mod:`gaitcli.gait.architecture`).

    ``weights`` is the flat name -> array dict of a :class:`~gaitcli.gait.checkpoint.GaitCheckpoint`
    (or :meth:`gaitcli.gait.network.GaitNetwork.get_gait_weights`). Raises ``ValueError`` when
    a weight is missing or mis-shaped for ``config``.
    """

    def __init__(self, config: GaitConfig, weights: Mapping[str, np.ndarray]):
        self.config = config
        self.weights = check_weights(config, weights)
        w = self.weights
        # fold each inference-mode batch norm (no gamma) into one scale and offset
        self._bn: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in w:
            if name.endswith("/beta"):
                prefix = name[: -len("/beta")]
                scale = 1.0 / np.sqrt(w[f"{prefix}/moving_variance"] + np.float32(BN_EPSILON))
                self._bn[prefix] = (scale.astype(np.float32), (w[name] - w[f"{prefix}/moving_mean"] * scale).astype(np.float32))

    @classmethod
    def from_checkpoint(cls, checkpoint) -> "NumpyGaitNetwork":
        """From a loaded :class:`~gaitcli.gait.checkpoint.GaitCheckpoint`."""
        return cls(checkpoint.config, checkpoint.weights)

    @classmethod
    def load(cls, path: str | Path, feature_space: str | None = None) -> "NumpyGaitNetwork":
        """Load a gaitcli ``.npz`` gait checkpoint (fingerprint verified).

        With ``feature_space`` given, a checkpoint trained on another feature space is a
        :class:`~gaitcli.errors.ModelError`.
        """
        from gaitcli.gait.checkpoint import GaitCheckpoint

        checkpoint = GaitCheckpoint.load(path)
        if feature_space is not None:
            checkpoint.require(feature_space=feature_space)
        return cls.from_checkpoint(checkpoint)

    # --- the network, layer by layer ---------------------------------------------------

    def _batch_norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        scale, offset = self._bn[prefix]
        return x * scale + offset

    def _conv_bn_elu(self, x: np.ndarray, layer: str) -> np.ndarray:
        return _elu(self._batch_norm(_conv2d_same(x, self.weights[f"{layer}/kernel"]), f"{layer}/bn"))

    def _residual_block(self, x: np.ndarray, block: str) -> np.ndarray:
        w = self.weights
        shortcut = _conv2d_same(x, w[f"{block}/shortcut/kernel"], 2, w[f"{block}/shortcut/bias"])
        y = _relu(self._batch_norm(x, f"{block}/bn1"))
        y = _conv2d_same(y, w[f"{block}/conv1/kernel"], 1, w[f"{block}/conv1/bias"])
        y = _relu(self._batch_norm(y, f"{block}/bn2"))
        y = _conv2d_same(y, w[f"{block}/conv2/kernel"], 2, w[f"{block}/conv2/bias"])
        y = _relu(self._batch_norm(y, f"{block}/bn3"))
        y = _conv2d_same(y, w[f"{block}/conv3/kernel"], 1, w[f"{block}/conv3/bias"])
        return _relu(y + shortcut)

    def frame_descriptors(self, frames: np.ndarray) -> np.ndarray:
        """Per-frame pose descriptors (N, fc) of spatial features (N, 17, 17, 32)."""
        x = np.asarray(frames, dtype=np.float32) * np.float32(self.config.input_scale)
        x = self._conv_bn_elu(x, "stem")
        x = self._residual_block(x, "block8")
        x = self._residual_block(x, "block4")
        x = self._conv_bn_elu(x, "head_1x1")
        x = self._conv_bn_elu(x, "head_3x3")
        x = x.reshape(x.shape[0], -1)  # HWC order, as TF's flatten
        return x @ self.weights["fc/kernel"] + self.weights["fc/bias"]

    def _recurrent(self, x: np.ndarray) -> np.ndarray:
        """Stacked recurrent layers over (B, T, F) -> outputs (B, T, units), zero initial state."""
        units = self.config.identification_size
        for k in range(self.config.rnn_layers):
            kernel = self.weights[f"rnn_{k}/kernel"]
            recurrent = self.weights[f"rnn_{k}/recurrent_kernel"]
            inputs = x @ kernel + self.weights[f"rnn_{k}/bias"]  # all time steps at once
            batch, steps = x.shape[:2]
            h = np.zeros((batch, units), np.float32)
            outputs = np.empty((batch, steps, units), np.float32)
            if self.config.recurrent_unit == "GRU":
                # Keras order (update z, reset r, candidate); reset applied before the matmul
                gate_kernel, cand_kernel = recurrent[:, : 2 * units], recurrent[:, 2 * units :]
                for t in range(steps):
                    gates = inputs[:, t, : 2 * units] + h @ gate_kernel
                    z, r = _sigmoid(gates[:, :units]), _sigmoid(gates[:, units:])
                    candidate = np.tanh(inputs[:, t, 2 * units :] + (r * h) @ cand_kernel)
                    h = z * h + (1.0 - z) * candidate
                    outputs[:, t] = h
            else:
                # Keras order (input i, forget f, cell c, output o); forget bias already folded
                c = np.zeros((batch, units), np.float32)
                for t in range(steps):
                    z = inputs[:, t] + h @ recurrent
                    i, f = _sigmoid(z[:, :units]), _sigmoid(z[:, units : 2 * units])
                    c = f * c + i * np.tanh(z[:, 2 * units : 3 * units])
                    h = _sigmoid(z[:, 3 * units :]) * np.tanh(c)
                    outputs[:, t] = h
            x = outputs
        return x

    # --- public API ----------------------------------------------------------------

    def feed_forward(self, spatial_features: np.ndarray) -> np.ndarray:
        """Identification vector (units,) of one sequence of spatial features (T, 17, 17, 32)."""
        x = _check_sequence(spatial_features)
        descriptors = self.frame_descriptors(x)
        return self._recurrent(descriptors[None])[0].mean(axis=0)

    def feed_forward_batch(self, sequences: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Identification vectors (B, units) of several sequences.

        ``sequences`` is one (B, T, 17, 17, 32) array or a list of (T_i, 17, 17, 32) arrays of
        any lengths; the convolutional part runs on all frames at once.
        """
        seqs = [_check_sequence(s) for s in sequences]
        if not seqs:
            return np.zeros((0, self.config.identification_size), np.float32)
        descriptors = self.frame_descriptors(np.concatenate(seqs))
        bounds = np.cumsum([0] + [len(s) for s in seqs])
        if len({len(s) for s in seqs}) == 1:  # equal lengths: one batched recurrence
            steps = descriptors.reshape(len(seqs), len(seqs[0]), -1)
            return self._recurrent(steps).mean(axis=1)
        return np.stack(
            [self._recurrent(descriptors[a:b][None])[0].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])]
        )


def _check_sequence(spatial_features) -> np.ndarray:
    x = np.asarray(spatial_features, dtype=np.float32)
    if x.ndim != 4 or x.shape[1:] != FEATURE_SHAPE or x.shape[0] < 1:
        raise ValueError(f"spatial features must be shaped (T, {', '.join(map(str, FEATURE_SHAPE))}) with T >= 1; got {x.shape}")
    return x
