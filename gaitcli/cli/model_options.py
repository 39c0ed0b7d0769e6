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
FPS: Optional[float] = typer.Option(None, "--fps", help="Frame rate of inputs that have none (frame folders, keypoint files; default 30; 5 to 1000).")
