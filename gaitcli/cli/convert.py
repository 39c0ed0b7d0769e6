"""`gaitcli convert CKPT OUT`: a seed TF-1 checkpoint -> gaitcli's native, fast-loading weights.

A gait checkpoint (GaitNN/...) becomes a fingerprinted ``.npz`` gait checkpoint (feature
space ``seed-ir-v1``) that loads without TensorFlow; a pose checkpoint
(InceptionResnetV2/...) becomes native Keras weights (``*.weights.h5``) of
HumanPoseIRNetwork. OUT is written atomically and never overwritten without ``--force``.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import typer

from gaitcli.cli.output import err_console, print_json

GAIT_SUFFIX = ".npz"
POSE_SUFFIX = ".weights.h5"


def convert(
    checkpoint: Path = typer.Argument(
        ..., metavar="CKPT", help="A seed TF-1 checkpoint: a V1 .ckpt file or a V2 prefix (or its .index file)."
    ),
    out: Path = typer.Argument(
        ..., metavar="OUT", help="Output file: NAME.npz for a gait checkpoint, NAME.weights.h5 for a pose checkpoint."
    ),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite OUT if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Convert a seed TF-1 checkpoint (HumanPoseNN or GaitNN) to gaitcli's native weights."""
    from gaitcli.errors import InputError, ModelError
    from gaitcli.gait.checkpoint import looks_like_gait_checkpoint

    if out.is_dir():
        raise InputError(f"OUT {out} is a directory; give a file name such as {out / ('model' + GAIT_SUFFIX)}")
    if out.exists() and not force:
        raise InputError(f"{out} already exists; pass --force to overwrite it")
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist; create it first")
    if looks_like_gait_checkpoint(checkpoint):
        raise ModelError(f"{checkpoint} is already a gaitcli gait checkpoint (.npz); nothing to convert")
    if checkpoint.name.endswith(".h5"):
        raise ModelError(f"{checkpoint} is already native Keras weights; nothing to convert")

    from gaitcli.tf1_checkpoint import TF1Checkpoint

    ckpt = TF1Checkpoint(checkpoint)
    source = Path(ckpt.path)
    if _same_file(out, source):
        raise InputError(f"OUT {out} is the checkpoint being converted; choose another file name")
    if ckpt.names("GaitNN/"):
        summary = _convert_gait(ckpt, out, force)
    elif ckpt.names("InceptionResnetV2/"):
        summary = _convert_pose(ckpt, out, quiet=as_json)
    else:
        names = ckpt.names()
        example = f" (it holds {len(names)} variables such as {names[0]})" if names else " (it holds no variables)"
        raise ModelError(
            f"{source.name} is neither a seed pose checkpoint (InceptionResnetV2/...) nor a seed gait "
            f"checkpoint (GaitNN/...){example}"
        )
    summary = {"input": str(checkpoint), "output": str(out), **summary}
    if as_json:
        print_json(summary)
    else:
        err_console.print(
            f"converted {summary['description']}: {checkpoint} -> {out}", highlight=False, soft_wrap=True
        )


def _same_file(out: Path, source: Path) -> bool:
    """Whether writing OUT would replace the checkpoint itself (its V1 file or a V2 file)."""
    targets = [source, source.with_name(source.name + ".index")]
    targets += list(source.parent.glob(source.name + ".data-*"))
    try:
        return any(out.resolve() == t.resolve() for t in targets)
    except OSError:
        return False


def _convert_gait(ckpt, out: Path, force: bool) -> dict:
    from gaitcli.constants import FEATURE_SPACE_SEED_IR
    from gaitcli.errors import InputError
    from gaitcli.gait.checkpoint import GaitCheckpoint
    from gaitcli.gait.tf1_mapping import inspect_gait_checkpoint, read_gait_weights

    if not out.name.endswith(GAIT_SUFFIX):
        raise InputError(f"a gait checkpoint is written as a {GAIT_SUFFIX} file; got {out.name}")
    layout = inspect_gait_checkpoint(ckpt)
    weights = read_gait_weights(ckpt, layout)
    checkpoint = GaitCheckpoint.create(
        layout.config,
        weights,
        FEATURE_SPACE_SEED_IR,
        {
            "source": "the seed's TF-1 GaitNN checkpoint",
            "converted_from": Path(ckpt.path).name,
            "tf1_names": layout.naming.generation,
        },
    )
    checkpoint.save(out, overwrite=force)
    return {
        "kind": "gait",
        "description": layout.describe(),
        "architecture": layout.config.to_dict(),
        "feature_space": checkpoint.feature_space,
        "fingerprint": checkpoint.fingerprint,
    }


def _convert_pose(ckpt, out: Path, quiet: bool) -> dict:
    from gaitcli.errors import InputError

    if not out.name.endswith(POSE_SUFFIX):
        raise InputError(f"pose weights are written as a {POSE_SUFFIX} file; got {out.name}")
    from gaitcli.pose.ir_network import HumanPoseIRNetwork

    status = nullcontext() if quiet else err_console.status("converting the pose network", spinner="dots")
    with status:
        net = HumanPoseIRNetwork()
        net.restore(ckpt.path)
        net.save(out)
    return {"kind": "pose", "description": "HumanPoseIRNetwork pose checkpoint", "feature_space": net.feature_space}


def register(app: typer.Typer) -> None:
    """Add the `convert` command to the app."""
    app.command("convert")(convert)
