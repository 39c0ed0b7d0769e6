"""The TF-slim Inception-ResNet-v2 trunk of the seed's pose network, in Keras 3.

The seed cut slim's Inception-ResNet-v2 after the 20 Block17 units and kept a modified
auxiliary tower (``AuxLogits``: 5x5 average pool stride 1 SAME, 1x1 conv 128, 5x5 conv 768
SAME), which gives a (B, 17, 17, 768) map for a 299x299 input.

Every slim conv is a bias-free convolution, batch norm (epsilon 0.001, slim's default
``scale=False``: a ``beta`` but no ``gamma``) and ReLU; the residual up-projections of the
blocks have a bias and neither norm nor activation.

Keras layer names are the slim variable scopes with ``/`` written as ``.`` (Keras forbids
``/`` in names), e.g. ``InceptionResnetV2.Repeat.block35_1.Branch_0.Conv2d_1x1``, so each
layer finds its TF-1 variables by name (:mod:`gaitcli.pose.ir_checkpoint`).  slim.repeat
puts the repeated blocks under ``Repeat/block35_N`` and ``Repeat_1/block17_N``.

This module imports Keras (and so TensorFlow): import it only where the network is needed.
"""

from __future__ import annotations

from gaitcli.tf_import import import_tensorflow

import_tensorflow()  # Keras imports TensorFlow: load it first, without its start-up chatter

from keras import layers  # noqa: E402

BN_EPSILON = 0.001
#: The seed's batch-norm decay (``inception_resnet_v2_arg_scope(batch_norm_decay=0.999)``).
BN_MOMENTUM = 0.999

TRUNK_SCOPE = "InceptionResnetV2"
BLOCK35_SCALE = 0.17
BLOCK17_SCALE = 0.10
NUM_BLOCK35 = 10
NUM_BLOCK17 = 20


def keras_name(scope: str) -> str:
    """The Keras layer name of a slim variable scope (``/`` becomes ``.``)."""
    return scope.replace("/", ".")


def slim_scope(name: str) -> str:
    """The slim variable scope of a Keras layer name (inverse of :func:`keras_name`)."""
    return name.replace(".", "/")


def conv_bn(x, filters: int, kernel, scope: str, strides: int = 1, padding: str = "same"):
    """slim.conv2d under the seed's arg scope: conv (no bias) -> batch norm -> ReLU."""
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=keras_name(scope))(x)
    x = layers.BatchNormalization(
        epsilon=BN_EPSILON, momentum=BN_MOMENTUM, center=True, scale=False, name=keras_name(f"{scope}/BatchNorm")
    )(x)
    return layers.ReLU(name=keras_name(f"{scope}/Relu"))(x)


def _residual(x, mixed, scale: float, scope: str):
    """``relu(x + scale * up(mixed))`` with the up-projection's bias (no norm, no activation)."""
    up = layers.Conv2D(x.shape[-1], 1, padding="same", use_bias=True, name=keras_name(f"{scope}/Conv2d_1x1"))(mixed)
    up = layers.Rescaling(scale, name=keras_name(f"{scope}/scale"))(up)
    x = layers.Add(name=keras_name(f"{scope}/add"))([x, up])
    return layers.ReLU(name=keras_name(f"{scope}/Relu"))(x)


def _concat(tensors, scope: str):
    return layers.Concatenate(axis=-1, name=keras_name(f"{scope}/concat"))(tensors)


def block35(x, scope: str, scale: float = BLOCK35_SCALE):
    """The 35x35 residual unit (slim ``block35``)."""
    b0 = conv_bn(x, 32, 1, f"{scope}/Branch_0/Conv2d_1x1")
    b1 = conv_bn(x, 32, 1, f"{scope}/Branch_1/Conv2d_0a_1x1")
    b1 = conv_bn(b1, 32, 3, f"{scope}/Branch_1/Conv2d_0b_3x3")
    b2 = conv_bn(x, 32, 1, f"{scope}/Branch_2/Conv2d_0a_1x1")
    b2 = conv_bn(b2, 48, 3, f"{scope}/Branch_2/Conv2d_0b_3x3")
    b2 = conv_bn(b2, 64, 3, f"{scope}/Branch_2/Conv2d_0c_3x3")
    return _residual(x, _concat([b0, b1, b2], scope), scale, scope)


def block17(x, scope: str, scale: float = BLOCK17_SCALE):
    """The 17x17 residual unit (slim ``block17``)."""
    b0 = conv_bn(x, 192, 1, f"{scope}/Branch_0/Conv2d_1x1")
    b1 = conv_bn(x, 128, 1, f"{scope}/Branch_1/Conv2d_0a_1x1")
    b1 = conv_bn(b1, 160, (1, 7), f"{scope}/Branch_1/Conv2d_0b_1x7")
    b1 = conv_bn(b1, 192, (7, 1), f"{scope}/Branch_1/Conv2d_0c_7x1")
    return _residual(x, _concat([b0, b1], scope), scale, scope)


def inception_resnet_v2_trunk(x, scope: str = TRUNK_SCOPE):
    """The seed's trunk on preprocessed (B, 299, 299, 3) input -> (B, 17, 17, 768) (AuxLogits)."""
    s = scope
    x = conv_bn(x, 32, 3, f"{s}/Conv2d_1a_3x3", strides=2, padding="valid")  # 149 x 149 x 32
    x = conv_bn(x, 32, 3, f"{s}/Conv2d_2a_3x3", padding="valid")  # 147 x 147 x 32
    x = conv_bn(x, 64, 3, f"{s}/Conv2d_2b_3x3")  # 147 x 147 x 64
    x = layers.MaxPooling2D(3, strides=2, padding="valid", name=keras_name(f"{s}/MaxPool_3a_3x3"))(x)  # 73
    x = conv_bn(x, 80, 1, f"{s}/Conv2d_3b_1x1", padding="valid")  # 73 x 73 x 80
    x = conv_bn(x, 192, 3, f"{s}/Conv2d_4a_3x3", padding="valid")  # 71 x 71 x 192
    x = layers.MaxPooling2D(3, strides=2, padding="valid", name=keras_name(f"{s}/MaxPool_5a_3x3"))(x)  # 35

    m = f"{s}/Mixed_5b"  # 35 x 35 x 320
    b0 = conv_bn(x, 96, 1, f"{m}/Branch_0/Conv2d_1x1")
    b1 = conv_bn(x, 48, 1, f"{m}/Branch_1/Conv2d_0a_1x1")
    b1 = conv_bn(b1, 64, 5, f"{m}/Branch_1/Conv2d_0b_5x5")
    b2 = conv_bn(x, 64, 1, f"{m}/Branch_2/Conv2d_0a_1x1")
    b2 = conv_bn(b2, 96, 3, f"{m}/Branch_2/Conv2d_0b_3x3")
    b2 = conv_bn(b2, 96, 3, f"{m}/Branch_2/Conv2d_0c_3x3")
    # TF's SAME average pooling divides by the number of valid (unpadded) inputs, as Keras does.
    b3 = layers.AveragePooling2D(3, strides=1, padding="same", name=keras_name(f"{m}/Branch_3/AvgPool_0a_3x3"))(x)
    b3 = conv_bn(b3, 64, 1, f"{m}/Branch_3/Conv2d_0b_1x1")
    x = _concat([b0, b1, b2, b3], m)

    for i in range(1, NUM_BLOCK35 + 1):
        x = block35(x, f"{s}/Repeat/block35_{i}")

    m = f"{s}/Mixed_6a"  # 17 x 17 x 1088
    b0 = conv_bn(x, 384, 3, f"{m}/Branch_0/Conv2d_1a_3x3", strides=2, padding="valid")
    b1 = conv_bn(x, 256, 1, f"{m}/Branch_1/Conv2d_0a_1x1")
    b1 = conv_bn(b1, 256, 3, f"{m}/Branch_1/Conv2d_0b_3x3")
    b1 = conv_bn(b1, 384, 3, f"{m}/Branch_1/Conv2d_1a_3x3", strides=2, padding="valid")
    b2 = layers.MaxPooling2D(3, strides=2, padding="valid", name=keras_name(f"{m}/Branch_2/MaxPool_1a_3x3"))(x)
    x = _concat([b0, b1, b2], m)

    for i in range(1, NUM_BLOCK17 + 1):
        x = block17(x, f"{s}/Repeat_1/block17_{i}")

    a = f"{s}/AuxLogits"  # the seed's auxiliary tower: 17 x 17 x 768
    x = layers.AveragePooling2D(5, strides=1, padding="same", name=keras_name(f"{a}/Conv2d_1a_3x3"))(x)
    x = conv_bn(x, 128, 1, f"{a}/Conv2d_1b_1x1")
    return conv_bn(x, 768, 5, f"{a}/Conv2d_2a_5x5")

