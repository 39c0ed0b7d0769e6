"""The seed's TF-1 pose checkpoints (slim variable names) mapped onto HumanPoseIRNetwork.

Each Keras layer is named after its slim scope (``/`` written as ``.``), so its variables are
``<scope>/weights`` and ``<scope>/biases`` for convolutions (the transposed convolution's
``[17, 17, 16, 32]`` kernel has Keras's layout already) and ``<scope>/BatchNorm/{beta,
moving_mean, moving_variance}`` for batch norm (slim's default has no ``gamma``).  Variables
the network does not use (``global_step``, optimizer slots, ImageNet logits) are ignored.
"""

from __future__ import annotations

from gaitcli.tf_import import import_tensorflow

import_tensorflow()  # Keras imports TensorFlow: load it first, without its start-up chatter

from pathlib import Path

import numpy as np
from keras import layers  # noqa: E402

from gaitcli.errors import ModelError
from gaitcli.pose.inception_resnet_v2 import TRUNK_SCOPE, slim_scope
from gaitcli.tf1_checkpoint import TF1Checkpoint

HEAD_SCOPE = "NewInceptionResnetV2/AuxiliaryScoring"
_TRUNK_MARKER = f"{TRUNK_SCOPE}/Conv2d_1a_3x3/weights"
_HEAD_MARKER = f"{HEAD_SCOPE}/Scoring_layer/weights"


def checkpoint_kind(ckpt: TF1Checkpoint) -> str:
    """What a TF-1 checkpoint holds.

    ``"pose"`` (the seed's HumanPoseIRNetwork: trunk and scoring layers), ``"imagenet"``
    (slim's Inception-ResNet-v2 trunk without the seed's scoring layers), ``"gait"`` (the
    seed's GaitNN) or ``"unknown"``.
    """
    if _TRUNK_MARKER in ckpt:
        return "pose" if _HEAD_MARKER in ckpt else "imagenet"
    if ckpt.names("GaitNN/"):
        return "gait"
    return "unknown"


def describe(ckpt: TF1Checkpoint) -> str:
    """One phrase saying what the checkpoint looks like (for error messages)."""
    kind = checkpoint_kind(ckpt)
    if kind == "pose":
        return "this is a HumanPoseIRNetwork pose checkpoint"
    if kind == "imagenet":
        return (
            "this is an Inception-ResNet-v2 trunk without the seed's scoring layers "
            "(e.g. the ImageNet checkpoint; use it with `gaitcli train pose --init`)"
        )
    if kind == "gait":
        return "this is a GaitNN gait checkpoint, not a pose checkpoint"
    names = ckpt.names()
    example = f" such as {names[0]}" if names else ""
    return f"this checkpoint holds {len(names)} variables{example}, none of the seed's pose network"


def layer_variables(layer) -> list[tuple[object, str]]:
    """(Keras variable, TF-1 variable name) for each variable of one layer."""
    scope = slim_scope(layer.name)
    if isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)):
        out = [(layer.kernel, f"{scope}/weights")]
        if layer.use_bias:
            out.append((layer.bias, f"{scope}/biases"))
        return out
    if isinstance(layer, layers.BatchNormalization):
        out = [(layer.beta, f"{scope}/beta")] if layer.center else []
        if layer.scale:
            out.append((layer.gamma, f"{scope}/gamma"))
        return out + [(layer.moving_mean, f"{scope}/moving_mean"), (layer.moving_variance, f"{scope}/moving_variance")]
    if layer.weights:
        raise TypeError(f"no TF-1 mapping for layer {layer.name} ({type(layer).__name__})")
    return []


def open_pose_checkpoint(path: str | Path, *, trunk_only: bool = False) -> TF1Checkpoint:
    """Open a TF-1 checkpoint and check that it holds the pose network (or, with
    ``trunk_only``, at least its trunk); cheap, so callers check before building the network."""
    ckpt = TF1Checkpoint(path)
    wanted = ("pose", "imagenet") if trunk_only else ("pose",)
    if checkpoint_kind(ckpt) not in wanted:
        raise ModelError(f"{Path(str(path)).name} is not a HumanPoseIRNetwork checkpoint: {describe(ckpt)}")
    return ckpt


def load_tf1_weights(model, path: str | Path, *, trunk_only: bool = False) -> int:
    """Load a TF-1 checkpoint into ``model``; returns the number of variables loaded.

    ``trunk_only`` loads only the ``InceptionResnetV2`` trunk (for an ImageNet checkpoint);
    otherwise the checkpoint must be a pose checkpoint.  Every variable is read and checked
    before any is assigned, so a failed load leaves the model unchanged.
    """
    ckpt = open_pose_checkpoint(path, trunk_only=trunk_only)
    # every name is there in the seed's checkpoints: a gap or another shape means another variant
    hint = "the checkpoint holds another variant of the network than the seed's HumanPoseIRNetwork"
    pending = []
    for layer in model.layers:
        for variable, name in layer_variables(layer):
            if trunk_only and not name.startswith(f"{TRUNK_SCOPE}/"):
                continue
            value = ckpt.get(name, tuple(variable.shape), describe=hint)
            pending.append((variable, value.astype(np.float32, copy=False)))
    for variable, value in pending:
        variable.assign(value)
    return len(pending)
