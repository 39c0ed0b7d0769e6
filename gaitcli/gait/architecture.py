"""The gait network's architecture: its configuration and the names and shapes of its weights.

The seed's GaitNN, as it computed (see :mod:`gaitcli.gait.network` for the quirk that drops
the repeated residual blocks), per frame of a (T, 17, 17, 32) sequence:

====================  =====================================================================
``stem``              1x1 conv -> batch norm -> ELU                            (17x17, 256)
``block8``            bottleneck-v2 residual block, stride 2                    (9x9, 512/64)
``block4``            bottleneck-v2 residual block, stride 2                   (5x5, 512/128)
``head_1x1``          1x1 conv -> batch norm -> ELU                              (5x5, 256)
``head_3x3``          3x3 conv -> batch norm -> ELU                              (5x5, 256)
``fc``                flatten (5 * 5 * 256 = 6400) -> linear                          (512)
====================  =====================================================================

then ``rnn_layers`` stacked GRU or LSTM layers over time and the mean over time: the
identification vector. Widths are configurable (the seed's are the defaults) so that the
same code serves the seed's checkpoints and gaitcli's narrower trained models.

Weights are a flat ``{name: float32 array}`` dict, the one currency between the Keras
model, the NumPy forward pass, the TF-1 mapping and the ``.npz`` checkpoint:

* convolutions: ``<layer>/kernel`` (kh, kw, in, out) and, in the residual blocks, ``/bias``;
* batch norms (``center=True, scale=False``: no gamma, as slim's default):
  ``<layer>/bn/{beta,moving_mean,moving_variance}``, residual blocks ``<block>/bn1..3/...``;
* ``fc/kernel`` (flat, fc), ``fc/bias``;
* ``rnn_<k>/{kernel,recurrent_kernel,bias}`` in Keras' layout: GRU gate blocks (update,
  reset, candidate) with ``reset_after=False``; LSTM (input, forget, cell, output), the
  forget bias included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from gaitcli.constants import FEATURE_SHAPE

RECURRENT_UNITS = ("GRU", "LSTM")

#: The seed's widths (GaitNN in gait_nn.py).
SEED_WIDTHS: dict[str, int] = {
    "stem": 256,  # 17x17 stage 1x1 conv
    "block8_channels": 512,  # 8x8 stage residual block: output channels
    "block8_inner": 64,  # ... and bottleneck width
    "block4_channels": 512,  # 4x4 stage residual block
    "block4_inner": 128,
    "head_1x1": 256,  # 4x4 stage 1x1 conv
    "head_3x3": 256,  # 4x4 stage 3x3 conv
    "fc": 512,  # FullyConnected
    "rnn_units": 512,  # recurrent units = identification vector width
}
#: The seed's preprocessing: spatial features are divided by 100.
SEED_INPUT_SCALE = 0.01

BN_EPSILON = 1e-4  # the seed's batch-norm epsilon
BN_MOMENTUM = 0.999  # the seed's batch-norm decay (training only)

_BN_PARTS = ("beta", "moving_mean", "moving_variance")


def same_output_size(size: int, stride: int) -> int:
    """Spatial size after a SAME-padded convolution with ``stride`` (TensorFlow's rule)."""
    return math.ceil(size / stride)


@dataclass(frozen=True)
class GaitConfig:
    """Architecture of a gait network: cell type, depth, widths and input scale.

    ``widths`` overrides :data:`SEED_WIDTHS` key by key; ``input_scale`` multiplies the
    spatial features before the first layer (the seed: 0.01, i.e. x / 100).
    """

    recurrent_unit: str = "GRU"
    rnn_layers: int = 1
    widths: Mapping[str, int] = field(default_factory=lambda: dict(SEED_WIDTHS))
    input_scale: float = SEED_INPUT_SCALE

    def __post_init__(self) -> None:
        unit = str(self.recurrent_unit).upper()
        if unit not in RECURRENT_UNITS:
            raise ValueError(f"recurrent_unit must be one of {RECURRENT_UNITS}, not {self.recurrent_unit!r}")
        object.__setattr__(self, "recurrent_unit", unit)
        if isinstance(self.rnn_layers, bool) or not isinstance(self.rnn_layers, int) or self.rnn_layers < 1:
            raise ValueError(f"rnn_layers must be a positive integer, not {self.rnn_layers!r}")
        unknown = set(self.widths) - set(SEED_WIDTHS)
        if unknown:
            raise ValueError(f"unknown width(s) {sorted(unknown)}; known: {sorted(SEED_WIDTHS)}")
        widths = {**SEED_WIDTHS, **dict(self.widths)}
        for key, value in widths.items():
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"width {key} must be a positive integer, not {value!r}")
        object.__setattr__(self, "widths", {k: int(widths[k]) for k in SEED_WIDTHS})
        scale = float(self.input_scale)
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"input_scale must be a positive number, not {self.input_scale!r}")
        object.__setattr__(self, "input_scale", scale)

    @property
    def label(self) -> str:
        """The seed's checkpoint naming: ``GRU-1``, ``LSTM-2``, ..."""
        return f"{self.recurrent_unit}-{self.rnn_layers}"

    @property
    def identification_size(self) -> int:
        """Width of the identification vector (the recurrent units)."""
        return self.widths["rnn_units"]

    @property
    def gates(self) -> int:
        """Gate blocks per recurrent layer: 3 for GRU, 4 for LSTM."""
        return 3 if self.recurrent_unit == "GRU" else 4

    @property
    def flat_size(self) -> int:
        """Width of the flattened 4x4-stage output (5 * 5 * head_3x3 for 17x17 input)."""
        side = same_output_size(same_output_size(FEATURE_SHAPE[0], 2), 2)
        return side * side * self.widths["head_3x3"]

    def describe(self) -> str:
        """``GRU-2`` for the seed's widths; otherwise also the widths that differ."""
        diff = [f"{k} {v}" for k, v in self.widths.items() if v != SEED_WIDTHS[k]]
        extra = []
        if diff:
            extra.append("widths " + ", ".join(diff))
        if self.input_scale != SEED_INPUT_SCALE:
            extra.append(f"input scale {self.input_scale:g}")
        return self.label + (f" ({'; '.join(extra)})" if extra else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in gait checkpoints)."""
        return {
            "recurrent_unit": self.recurrent_unit,
            "rnn_layers": self.rnn_layers,
            "widths": dict(self.widths),
            "input_scale": self.input_scale,
            "input_shape": list(FEATURE_SHAPE),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GaitConfig":
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on anything malformed."""
        if not isinstance(data, Mapping):
            raise ValueError("architecture must be a JSON object")
        shape = data.get("input_shape", list(FEATURE_SHAPE))
        if list(shape) != list(FEATURE_SHAPE):
            raise ValueError(f"input shape {shape} is not {list(FEATURE_SHAPE)}")
        widths = data.get("widths")
        if not isinstance(widths, Mapping) or set(widths) != set(SEED_WIDTHS):
            raise ValueError(f"widths must name exactly {sorted(SEED_WIDTHS)}")
        return cls(
            recurrent_unit=data.get("recurrent_unit"),
            rnn_layers=data.get("rnn_layers"),
            widths=dict(widths),
            input_scale=data.get("input_scale"),
        )


def _bn(prefix: str, width: int) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}/{part}": (width,) for part in _BN_PARTS}


def _residual_block(prefix: str, cin: int, channels: int, inner: int) -> dict[str, tuple[int, ...]]:
    shapes = {f"{prefix}/shortcut/kernel": (1, 1, cin, channels), f"{prefix}/shortcut/bias": (channels,)}
    shapes.update(_bn(f"{prefix}/bn1", cin))
    shapes.update({f"{prefix}/conv1/kernel": (1, 1, cin, inner), f"{prefix}/conv1/bias": (inner,)})
    shapes.update(_bn(f"{prefix}/bn2", inner))
    shapes.update({f"{prefix}/conv2/kernel": (3, 3, inner, inner), f"{prefix}/conv2/bias": (inner,)})
    shapes.update(_bn(f"{prefix}/bn3", inner))
    shapes.update({f"{prefix}/conv3/kernel": (1, 1, inner, channels), f"{prefix}/conv3/bias": (channels,)})
    return shapes


def weight_shapes(config: GaitConfig) -> dict[str, tuple[int, ...]]:
    """Every weight of the network ``config`` describes, name -> shape, in layer order."""
    w = config.widths
    shapes: dict[str, tuple[int, ...]] = {"stem/kernel": (1, 1, FEATURE_SHAPE[2], w["stem"])}
    shapes.update(_bn("stem/bn", w["stem"]))
    shapes.update(_residual_block("block8", w["stem"], w["block8_channels"], w["block8_inner"]))
    shapes.update(_residual_block("block4", w["block8_channels"], w["block4_channels"], w["block4_inner"]))
    shapes["head_1x1/kernel"] = (1, 1, w["block4_channels"], w["head_1x1"])
    shapes.update(_bn("head_1x1/bn", w["head_1x1"]))
    shapes["head_3x3/kernel"] = (3, 3, w["head_1x1"], w["head_3x3"])
    shapes.update(_bn("head_3x3/bn", w["head_3x3"]))
    shapes["fc/kernel"] = (config.flat_size, w["fc"])
    shapes["fc/bias"] = (w["fc"],)
    units, width_in = w["rnn_units"], w["fc"]
    for k in range(config.rnn_layers):
        shapes[f"rnn_{k}/kernel"] = (width_in, config.gates * units)
        shapes[f"rnn_{k}/recurrent_kernel"] = (units, config.gates * units)
        shapes[f"rnn_{k}/bias"] = (config.gates * units,)
        width_in = units
    return shapes


def check_weights(config: GaitConfig, weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``weights`` as float32 arrays after checking names and shapes against ``config``.

    Raises ``ValueError`` naming the first missing, unexpected or mis-shaped weight.
    """
    expected = weight_shapes(config)
    missing = [n for n in expected if n not in weights]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ValueError(f"missing weight {missing[0]}{more}")
    extra = sorted(set(weights) - set(expected))
    if extra:
        raise ValueError(f"unexpected weight {extra[0]} for a {config.describe()} gait network")
    out = {}
    for name, shape in expected.items():
        array = np.asarray(weights[name])
        if array.shape != shape:
            raise ValueError(f"weight {name} is shaped {list(array.shape)}, expected {list(shape)}")
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"weight {name} has dtype {array.dtype}, expected float32")
        out[name] = np.ascontiguousarray(array, dtype=np.float32)
    return out
