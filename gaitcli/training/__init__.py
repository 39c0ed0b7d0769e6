"""Training gaitcli's networks (``gaitcli train``): :mod:`gaitcli.training.pose` trains the seed's
pose network. These modules import TensorFlow: only the training commands import them."""
