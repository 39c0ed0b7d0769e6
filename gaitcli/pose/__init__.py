"""Pose engines: images -> the seed's 16 joints (see :class:`gaitcli.pose.base.PoseEstimator`).

Engines, by name (imported only when asked for):

* ``"blazepose"`` (default): MediaPipe's BlazePose on LiteRT, :mod:`gaitcli.pose.blazepose`.
* ``"ir"``: the seed's HumanPoseIRNetwork on TensorFlow, :mod:`gaitcli.pose.ir_engine`; it
  needs a trained checkpoint and never runs random weights.
"""

from __future__ import annotations

from gaitcli.errors import InputError, ModelError
from gaitcli.pose.base import Pose, PoseEstimator

ENGINES = ("blazepose", "ir")


def load_estimator(engine: str = "blazepose", checkpoint: str | None = None, **kw) -> PoseEstimator:
    """Load a pose engine by name; ``kw`` goes to the engine's constructor.

    ``checkpoint`` is required by the ``"ir"`` engine and refused by ``"blazepose"``.
    """
    if engine == "blazepose":
        if checkpoint is not None:
            raise InputError("the blazepose engine takes no checkpoint; --checkpoint is for --engine ir")
        from gaitcli.pose.blazepose import BlazePoseEstimator

        return BlazePoseEstimator(**kw)
    if engine == "ir":
        if checkpoint is None:
            raise ModelError("the ir engine needs a trained checkpoint: pass --checkpoint CKPT (it never runs untrained weights)")
        from gaitcli.pose.ir_engine import IREstimator

        return IREstimator(checkpoint, **kw)
    raise InputError(f"unknown pose engine '{engine}'; choose one of: {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Pose", "PoseEstimator", "load_estimator"]
