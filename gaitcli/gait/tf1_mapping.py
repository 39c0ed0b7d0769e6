"""Reading the seed's TF-1 GaitNN checkpoints (``H3.6m-GRU-1.ckpt``, ``M+L-GRU-2.ckpt``).

Maps the seed's slim/TF-1 variable names onto gaitcli's gait weights
(:mod:`gaitcli.gait.architecture`):

* slim layers: ``.../Conv/weights``, ``.../Conv/biases``, ``.../BatchNorm/{beta,moving_mean,
  moving_variance}`` (no gamma: slim's ``scale=False``), ``.../fully_connected/{weights,biases}``;
  in a stride-2 residual block slim numbered the layers in creation order: shortcut ``Conv``,
  then ``BatchNorm``, ``Conv_1``, ``BatchNorm_1``, ``Conv_2``, ``BatchNorm_2``, ``Conv_3``;
* RNN cells in three generations of TF names (detected, together with the cell type and the
  number of layers, from the names themselves):
  ``rnn/multi_rnn_cell/cell_k/gru_cell/{gates,candidate}/{kernel,bias}`` and
  ``.../lstm_cell/{kernel,bias}`` (TF >= 1.2), the same with ``weights``/``biases``
  (TF 1.0-1.1), and ``RNN/MultiRNNCell/Cellk/GRUCell/{Gates,Candidate}/Linear/{Matrix,Bias}``,
  ``.../LSTMCell/{W_0,B}`` (TF 0.12);
* TF-1's cells take one kernel over ``[input, state]``; Keras splits it into input and
  recurrent kernels. TF-1's GRU orders its gate block (reset, update) and applies the reset
  before the candidate's matmul (Keras ``reset_after=False``, order update, reset,
  candidate). TF-1's LSTMCell orders (input, new input j, forget, output) and adds
  ``forget_bias`` = 1.0 at run time; Keras orders (input, forget, cell, output), so the
  forget bias is folded into the loaded bias.

Variables the network does not use (optimizer slots, ``global_step``, the training
``Logits``, the seed's discarded repeated residual blocks) are ignored. A missing or
mis-shaped variable is a :class:`~gaitcli.errors.ModelError` that names it and says what the
checkpoint looks like instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcli.errors import ModelError
from gaitcli.gait.architecture import SEED_INPUT_SCALE, GaitConfig, weight_shapes
from gaitcli.tf1_checkpoint import TF1Checkpoint

GAIT_SCOPE = "GaitNN/"
POSE_SCOPE = "InceptionResnetV2/"

#: TF-1's LSTMCell default, added to the forget gate at run time (not stored).
TF1_LSTM_FORGET_BIAS = 1.0

# canonical layer -> the seed's slim scope (only the layers that reach the output)
_CONV_BN_SCOPES = {
    "stem": "GaitNN/DownSampling/17x17/Conv",
    "head_1x1": "GaitNN/DownSampling/4x4/Conv",
    "head_3x3": "GaitNN/DownSampling/4x4/Conv_1",
}
_BLOCK_SCOPES = {
    "block8": "GaitNN/DownSampling/8x8/ResidualBlock",
    "block4": "GaitNN/DownSampling/4x4/ResidualBlock",
}
_BLOCK_LAYERS = {
    "shortcut": "Conv",
    "bn1": "BatchNorm",
    "conv1": "Conv_1",
    "bn2": "BatchNorm_1",
    "conv2": "Conv_2",
    "bn3": "BatchNorm_2",
    "conv3": "Conv_3",
}
_FC_SCOPE = "GaitNN/FullyConnected/fully_connected"
_BN_PARTS = ("beta", "moving_mean", "moving_variance")

_CELL_RE = re.compile(
    r"^GaitNN/Recurrent/(?:rnn/multi_rnn_cell/cell_|RNN/MultiRNNCell/Cell)(\d+)/(gru_cell|lstm_cell|GRUCell|LSTMCell)/"
)


@dataclass(frozen=True)
class RnnNaming:
    """One generation of TF-1's RNN variable names (``{k}`` is the layer index)."""

    generation: str
    cell: str
    gru: tuple[str, str, str, str]  # gates kernel, gates bias, candidate kernel, candidate bias
    lstm: tuple[str, str]  # kernel, bias

    def names(self, unit: str, k: int) -> tuple[str, ...]:
        """Full variable names of layer ``k`` of a ``unit`` ('GRU' or 'LSTM') stack."""
        prefix = self.cell.format(k=k)
        return tuple(prefix + leaf for leaf in (self.gru if unit == "GRU" else self.lstm))


RNN_NAMINGS = (
    RnnNaming(
        "TF >= 1.2",
        "GaitNN/Recurrent/rnn/multi_rnn_cell/cell_{k}/",
        ("gru_cell/gates/kernel", "gru_cell/gates/bias", "gru_cell/candidate/kernel", "gru_cell/candidate/bias"),
        ("lstm_cell/kernel", "lstm_cell/bias"),
    ),
    RnnNaming(
        "TF 1.0-1.1",
        "GaitNN/Recurrent/rnn/multi_rnn_cell/cell_{k}/",
        ("gru_cell/gates/weights", "gru_cell/gates/biases", "gru_cell/candidate/weights", "gru_cell/candidate/biases"),
        ("lstm_cell/weights", "lstm_cell/biases"),
    ),
    RnnNaming(
        "TF 0.12",
        "GaitNN/Recurrent/RNN/MultiRNNCell/Cell{k}/",
        (
            "GRUCell/Gates/Linear/Matrix",
            "GRUCell/Gates/Linear/Bias",
            "GRUCell/Candidate/Linear/Matrix",
            "GRUCell/Candidate/Linear/Bias",
        ),
        ("LSTMCell/W_0", "LSTMCell/B"),
    ),
)


@dataclass(frozen=True)
class SeedGaitLayout:
    """What a TF-1 gait checkpoint holds: the architecture and the RNN naming generation."""

    config: GaitConfig
    naming: RnnNaming

    def describe(self) -> str:
        """E.g. ``a GRU-2 gait checkpoint (TF 1.0-1.1 names)``."""
        return f"a {self.config.describe()} gait checkpoint ({self.naming.generation} names)"


def checkpoint_kind(ckpt: TF1Checkpoint) -> str | None:
    """``"gait"`` (GaitNN/...), ``"pose"`` (InceptionResnetV2/...) or None for anything else."""
    if ckpt.names(GAIT_SCOPE):
        return "gait"
    if ckpt.names(POSE_SCOPE):
        return "pose"
    return None


def _not_gait(ckpt: TF1Checkpoint) -> ModelError:
    name = Path(ckpt.path).name
    if checkpoint_kind(ckpt) == "pose":
        return ModelError(f"checkpoint {name} is a seed pose checkpoint (InceptionResnetV2), not a gait checkpoint")
    first = ", ".join(ckpt.names()[:3]) or "no variables at all"
    return ModelError(f"checkpoint {name} is not a seed gait checkpoint: it has no GaitNN variables (it holds {first})")


def _dim(ckpt: TF1Checkpoint, name: str, axis: int, hint: str) -> int:
    if name not in ckpt:
        raise ModelError(f"checkpoint {Path(ckpt.path).name} has no variable {name}; {hint}")
    return int(ckpt.shapes[name][axis])


def inspect_gait_checkpoint(ckpt: TF1Checkpoint) -> SeedGaitLayout:
    """The cell type, layer count, widths and naming generation of a TF-1 gait checkpoint."""
    if checkpoint_kind(ckpt) != "gait":
        raise _not_gait(ckpt)
    name = Path(ckpt.path).name
    cells: dict[int, set[str]] = {}
    for var in ckpt.names("GaitNN/Recurrent/"):
        match = _CELL_RE.match(var)
        if match:
            unit = "GRU" if match.group(2).lower().startswith("gru") else "LSTM"
            cells.setdefault(int(match.group(1)), set()).add(unit)
    units = set().union(*cells.values()) if cells else set()
    if not units:
        raise ModelError(
            f"checkpoint {name} has GaitNN variables but no recurrent cells under GaitNN/Recurrent "
            "(GRU or LSTM); it is not a complete seed gait checkpoint"
        )
    if len(units) > 1:
        raise ModelError(f"checkpoint {name} mixes GRU and LSTM cells; it is not a seed gait checkpoint")
    unit = units.pop()
    layers = max(cells) + 1
    naming = next((n for n in RNN_NAMINGS if n.names(unit, 0)[0] in ckpt), None)
    if naming is None:
        found = ", ".join(v for v in ckpt.names("GaitNN/Recurrent/") if _CELL_RE.match(v))[:300]
        raise ModelError(
            f"checkpoint {name} has {unit} cells under names gaitcli does not know ({found}); "
            "expected TF 0.12, 1.0-1.1 or >= 1.2 RNN names"
        )
    hint = f"it looks like a {unit}-{layers} gait checkpoint ({naming.generation} names) with layers missing"
    rnn_names = naming.names(unit, 0)
    widths = {
        "stem": _dim(ckpt, f"{_CONV_BN_SCOPES['stem']}/weights", 3, hint),
        "block8_channels": _dim(ckpt, f"{_BLOCK_SCOPES['block8']}/Conv/weights", 3, hint),
        "block8_inner": _dim(ckpt, f"{_BLOCK_SCOPES['block8']}/Conv_1/weights", 3, hint),
        "block4_channels": _dim(ckpt, f"{_BLOCK_SCOPES['block4']}/Conv/weights", 3, hint),
        "block4_inner": _dim(ckpt, f"{_BLOCK_SCOPES['block4']}/Conv_1/weights", 3, hint),
        "head_1x1": _dim(ckpt, f"{_CONV_BN_SCOPES['head_1x1']}/weights", 3, hint),
        "head_3x3": _dim(ckpt, f"{_CONV_BN_SCOPES['head_3x3']}/weights", 3, hint),
        "fc": _dim(ckpt, f"{_FC_SCOPE}/weights", 1, hint),
        # GRU: the candidate bias is (units,); LSTM: the bias is (4 * units,)
        "rnn_units": _dim(ckpt, rnn_names[3], 0, hint) if unit == "GRU" else _dim(ckpt, rnn_names[1], 0, hint) // 4,
    }
    try:
        config = GaitConfig(unit, layers, widths, SEED_INPUT_SCALE)
    except ValueError as exc:
        raise ModelError(f"checkpoint {name} has an unusable gait architecture: {exc}") from exc
    return SeedGaitLayout(config, naming)


def read_gait_weights(ckpt: TF1Checkpoint, layout: SeedGaitLayout) -> dict[str, np.ndarray]:
    """All weights of ``layout.config`` from ``ckpt``, converted to gaitcli's layout."""
    config = layout.config
    shapes = weight_shapes(config)
    hint = f"the rest of it looks like {layout.describe()}"
    out: dict[str, np.ndarray] = {}

    def get(tf_name: str, shape: tuple[int, ...]) -> np.ndarray:
        return np.asarray(ckpt.get(tf_name, shape, describe=hint), dtype=np.float32)

    def conv(canon: str, scope: str, with_bias: bool) -> None:
        out[f"{canon}/kernel"] = get(f"{scope}/weights", shapes[f"{canon}/kernel"])
        if with_bias:
            out[f"{canon}/bias"] = get(f"{scope}/biases", shapes[f"{canon}/bias"])

    def batch_norm(canon: str, scope: str) -> None:
        for part in _BN_PARTS:
            out[f"{canon}/{part}"] = get(f"{scope}/{part}", shapes[f"{canon}/{part}"])

    for canon, scope in _CONV_BN_SCOPES.items():
        conv(canon, scope, with_bias=False)  # slim drops the bias when a normalizer follows
        batch_norm(f"{canon}/bn", f"{scope}/BatchNorm")
    for block, block_scope in _BLOCK_SCOPES.items():
        for canon, layer in _BLOCK_LAYERS.items():
            if canon.startswith("bn"):
                batch_norm(f"{block}/{canon}", f"{block_scope}/{layer}")
            else:
                conv(f"{block}/{canon}", f"{block_scope}/{layer}", with_bias=True)
    out["fc/kernel"] = get(f"{_FC_SCOPE}/weights", shapes["fc/kernel"])
    out["fc/bias"] = get(f"{_FC_SCOPE}/biases", shapes["fc/bias"])

    units = config.identification_size
    width_in = config.widths["fc"]
    for k in range(config.rnn_layers):
        names = layout.naming.names(config.recurrent_unit, k)
        if config.recurrent_unit == "GRU":
            gates_k = get(names[0], (width_in + units, 2 * units))
            gates_b = get(names[1], (2 * units,))
            cand_k = get(names[2], (width_in + units, units))
            cand_b = get(names[3], (units,))
            reset, update = slice(0, units), slice(units, 2 * units)
            kernel = np.concatenate([gates_k[:, update], gates_k[:, reset], cand_k], axis=1)
            bias = np.concatenate([gates_b[update], gates_b[reset], cand_b])
        else:
            lstm_k = get(names[0], (width_in + units, 4 * units))
            lstm_b = get(names[1], (4 * units,))
            i, j, f, o = (slice(n * units, (n + 1) * units) for n in range(4))
            kernel = np.concatenate([lstm_k[:, i], lstm_k[:, f], lstm_k[:, j], lstm_k[:, o]], axis=1)
            bias = np.concatenate([lstm_b[i], lstm_b[f] + np.float32(TF1_LSTM_FORGET_BIAS), lstm_b[j], lstm_b[o]])
        # TF-1 multiplies [input, state] by one kernel: the first rows see the input
        out[f"rnn_{k}/kernel"] = np.ascontiguousarray(kernel[:width_in])
        out[f"rnn_{k}/recurrent_kernel"] = np.ascontiguousarray(kernel[width_in:])
        out[f"rnn_{k}/bias"] = bias.astype(np.float32)
        width_in = units
    return out


def load_tf1_gait_checkpoint(
    path: str | Path, expect: GaitConfig | None = None
) -> tuple[SeedGaitLayout, dict[str, np.ndarray]]:
    """Open a TF-1 gait checkpoint and read its weights (imports TensorFlow).

    With ``expect``, a checkpoint of another architecture (a GRU-2 checkpoint for a GRU-1
    network, LSTM for GRU, other widths) is a ModelError that says what it is.
    """
    ckpt = TF1Checkpoint(path)
    layout = inspect_gait_checkpoint(ckpt)
    if expect is not None and expect != layout.config:
        raise ModelError(
            f"checkpoint {Path(ckpt.path).name} is {layout.describe()}, but this network is "
            f"{expect.describe()}; build GaitNetwork(recurrent_unit={layout.config.recurrent_unit!r}, "
            f"rnn_layers={layout.config.rnn_layers}) or use GaitNetwork.from_checkpoint()"
        )
    return layout, read_gait_weights(ckpt, layout)
