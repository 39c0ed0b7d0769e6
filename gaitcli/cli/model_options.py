"""Command-line options that choose the models a walk is embedded with (shared by commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

GAIT_CHECKPOINT: Optional[Path] = typer.Option(
    None, "--gait-checkpoint",
    help="Gait model: a shipped one by name, 'default' or 'cross-view' (a head fitted on walks filmed from different "
         "sides), a gaitcli .npz, or the seed's TF-1 GaitNN checkpoint (default: 'default').",
)
POSE_CHECKPOINT: Optional[Path] = typer.Option(
    None,
    "--pose-checkpoint",
    help="Run the seed's HumanPoseIRNetwork (TF-1 .ckpt or converted .weights.h5) for the features; needs a seed gait checkpoint.",
)


def _checked_fps(value: Optional[float]) -> Optional[float]:
    """--fps checked before any input is read (an InputError, exit 3, as a file's own bad rate)."""
    if value is None:
        return None
    from gaitcli.io.video import check_fps

    return check_fps(value, "the frame rate given (--fps)")


FPS: Optional[float] = typer.Option(None, "--fps", callback=_checked_fps,
                                    help="Frame rate of inputs that have none (frame folders, keypoint files; default 30; 5 to 1000).")
