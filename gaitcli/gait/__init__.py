"""Gait: a sequence of 17x17x32 spatial features -> one identification vector.

* :mod:`gaitcli.gait.architecture` - :class:`GaitConfig` and the weights' names and shapes;
* :mod:`gaitcli.gait.numpy_forward` - :class:`NumpyGaitNetwork`, inference without TensorFlow;
* :mod:`gaitcli.gait.checkpoint` - :class:`GaitCheckpoint`, gaitcli's fingerprinted ``.npz``;
* :mod:`gaitcli.gait.discriminant` - a checkpoint's discriminant head (walk statistics + network
  vector -> identification vector), fed by :mod:`gaitcli.gait.head_inputs` (which mirror-averages
  walks toward or away from the camera);
* :mod:`gaitcli.gait.network` - ``GaitNetwork``, the seed's GaitNN in Keras 3 (training, TF-1
  checkpoints); it imports TensorFlow, so it is not imported here;
* :mod:`gaitcli.gait.tf1_mapping` - the seed's TF-1 variable names -> gaitcli's weights.
"""

from gaitcli.gait.architecture import SEED_INPUT_SCALE, SEED_WIDTHS, GaitConfig
from gaitcli.gait.checkpoint import GaitCheckpoint
from gaitcli.gait.numpy_forward import NumpyGaitNetwork

__all__ = ["SEED_INPUT_SCALE", "SEED_WIDTHS", "GaitCheckpoint", "GaitConfig", "NumpyGaitNetwork"]
