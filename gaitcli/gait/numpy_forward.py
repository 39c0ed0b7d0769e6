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
    """ELU of a temporary array, in place: max(x, expm1(min(x, 0))) as expm1(x) >= x."""
    negative = np.minimum(x, 0.0)
    np.expm1(negative, out=negative)
    return np.maximum(x, negative, out=x)


def _relu(x: np.ndarray) -> np.ndarray:
    """ReLU of a temporary array, in place."""
    return np.maximum(x, 0.0, out=x)


def _conv2d_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int = 1) -> np.ndarray:
    """TensorFlow's SAME-padded NHWC convolution with an HWIO kernel and a bias, as one matmul."""
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

        def bn(prefix):  # inference-mode batch norm (no gamma) as one scale and offset
            scale = 1.0 / np.sqrt(w[f"{prefix}/moving_variance"].astype(np.float64) + BN_EPSILON)
            return scale, w[f"{prefix}/beta"] - w[f"{prefix}/moving_mean"] * scale

        def folded(kernel, bias, norm, input_scale=1.0):
            # conv followed by batch norm == one conv with scaled kernel and shifted bias
            scale, offset = norm
            k = kernel.astype(np.float64) * (scale * input_scale)
            b = (0.0 if bias is None else bias.astype(np.float64)) * scale + offset
            return k.astype(np.float32), b.astype(np.float32)

        # (kernel, bias) per conv with the following batch norm (and the input scale) folded in
        self._convs: dict[str, tuple[np.ndarray, np.ndarray]] = {
            "stem": folded(w["stem/kernel"], None, bn("stem/bn"), config.input_scale),
            "head_1x1": folded(w["head_1x1/kernel"], None, bn("head_1x1/bn")),
            "head_3x3": folded(w["head_3x3/kernel"], None, bn("head_3x3/bn")),
        }
        self._pre_bn: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for block in ("block8", "block4"):
            self._convs[f"{block}/shortcut"] = (w[f"{block}/shortcut/kernel"], w[f"{block}/shortcut/bias"])
            self._convs[f"{block}/conv1"] = folded(w[f"{block}/conv1/kernel"], w[f"{block}/conv1/bias"], bn(f"{block}/bn2"))
            self._convs[f"{block}/conv2"] = folded(w[f"{block}/conv2/kernel"], w[f"{block}/conv2/bias"], bn(f"{block}/bn3"))
            self._convs[f"{block}/conv3"] = (w[f"{block}/conv3/kernel"], w[f"{block}/conv3/bias"])
            scale, offset = bn(f"{block}/bn1")  # the pre-activation norm also feeds the shortcut
            self._pre_bn[block] = (scale.astype(np.float32), offset.astype(np.float32))
        # each recurrent layer's gate blocks as contiguous arrays
        units = config.identification_size
        self._rnn = []
        for k in range(config.rnn_layers):
            rec = w[f"rnn_{k}/recurrent_kernel"]
            parts = (rec[:, : 2 * units], rec[:, 2 * units :]) if config.recurrent_unit == "GRU" else (rec,)
            self._rnn.append((w[f"rnn_{k}/kernel"], w[f"rnn_{k}/bias"], tuple(np.ascontiguousarray(p) for p in parts)))

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

    def _conv(self, x: np.ndarray, name: str, stride: int = 1) -> np.ndarray:
        kernel, bias = self._convs[name]
        return _conv2d_same(x, kernel, bias, stride)

    def _residual_block(self, x: np.ndarray, block: str) -> np.ndarray:
        shortcut = self._conv(x, f"{block}/shortcut", 2)
        scale, offset = self._pre_bn[block]
        y = _relu(x * scale + offset)
        y = _relu(self._conv(y, f"{block}/conv1"))  # conv1 -> bn2 -> relu
        y = _relu(self._conv(y, f"{block}/conv2", 2))  # conv2 -> bn3 -> relu
        y = self._conv(y, f"{block}/conv3")
        return _relu(y + shortcut)

    def _descriptors(self, x: np.ndarray) -> np.ndarray:
        x = _elu(self._conv(x, "stem"))  # input scale, conv, batch norm, ELU
        x = self._residual_block(x, "block8")
        x = self._residual_block(x, "block4")
        x = _elu(self._conv(x, "head_1x1"))
        x = _elu(self._conv(x, "head_3x3"))
        x = x.reshape(x.shape[0], -1)  # HWC order, as TF's flatten
        return x @ self.weights["fc/kernel"] + self.weights["fc/bias"]

    def _recurrent(self, x: np.ndarray) -> np.ndarray:
        """Stacked recurrent layers over (B, T, F) -> outputs (B, T, units), zero initial state."""
        units = self.config.identification_size
        batch, steps = x.shape[:2]
        for kernel, bias, recurrent in self._rnn:
            inputs = x @ kernel + bias  # the input part of all time steps at once
            h = np.zeros((batch, units), np.float32)
            outputs = np.empty((batch, steps, units), np.float32)
            if self.config.recurrent_unit == "GRU":
                # Keras order (update z, reset r, candidate); reset applied before the matmul
                gate_kernel, cand_kernel = recurrent
                for t in range(steps):
                    gates = inputs[:, t, : 2 * units] + h @ gate_kernel
                    z, r = _sigmoid(gates[:, :units]), _sigmoid(gates[:, units:])
                    candidate = np.tanh(inputs[:, t, 2 * units :] + (r * h) @ cand_kernel)
                    h = z * h + (1.0 - z) * candidate
                    outputs[:, t] = h
            else:
                # Keras order (input i, forget f, cell c, output o); forget bias already folded
                (full_kernel,) = recurrent
                c = np.zeros((batch, units), np.float32)
                for t in range(steps):
                    z = inputs[:, t] + h @ full_kernel
                    i, f = _sigmoid(z[:, :units]), _sigmoid(z[:, units : 2 * units])
                    c = f * c + i * np.tanh(z[:, 2 * units : 3 * units])
                    h = _sigmoid(z[:, 3 * units :]) * np.tanh(c)
                    outputs[:, t] = h
            x = outputs
        return x

    # --- public API ----------------------------------------------------------------

    def frame_descriptors(self, frames: np.ndarray) -> np.ndarray:
        """Per-frame pose descriptors (N, fc) of spatial features (N, 17, 17, 32)."""
        with _one_blas_thread():
            return self._descriptors(_check_sequence(frames))

    def feed_forward(self, spatial_features: np.ndarray) -> np.ndarray:
        """Identification vector (units,) of one sequence of spatial features (T, 17, 17, 32)."""
        x = _check_sequence(spatial_features)
        with _one_blas_thread():
            return self._recurrent(self._descriptors(x)[None])[0].mean(axis=0)

    def feed_forward_batch(self, sequences: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Identification vectors (B, units) of several sequences.

        ``sequences`` is one (B, T, 17, 17, 32) array or a list of (T_i, 17, 17, 32) arrays of
        any lengths; the convolutional part runs on all frames at once.
        """
        seqs = [_check_sequence(s) for s in sequences]
        if not seqs:
            return np.zeros((0, self.config.identification_size), np.float32)
        with _one_blas_thread():
            descriptors = self._descriptors(np.concatenate(seqs))
            if len({len(s) for s in seqs}) == 1:  # equal lengths: one batched recurrence
                steps = descriptors.reshape(len(seqs), len(seqs[0]), -1)
                return self._recurrent(steps).mean(axis=1)
            bounds = np.cumsum([0] + [len(s) for s in seqs])
            return np.stack(
                [self._recurrent(descriptors[a:b][None])[0].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])]
            )


def _one_blas_thread():
    """Run NumPy's BLAS on one thread for the duration of a forward pass.

    The recurrence is a chain of small matrix-vector products and the convolutions are small
    matrix products: a multi-threaded BLAS gains little there and, when the cores are busy
    (the pose engine, other processes), loses badly - measured 5x slower for a whole forward
    pass and 90x for one recurrent step on a loaded 2-core machine.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _check_sequence(spatial_features) -> np.ndarray:
    x = np.asarray(spatial_features, dtype=np.float32)
    if x.ndim != 4 or x.shape[1:] != FEATURE_SHAPE or x.shape[0] < 1:
        raise ValueError(f"spatial features must be shaped (T, {', '.join(map(str, FEATURE_SHAPE))}) with T >= 1; got {x.shape}")
    return x
