"""`gaitcli embed`: walks -> L2-normalised identification vectors (a thin layer over gaitcli.api)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from gaitcli.cli import model_options
from gaitcli.cli.output import console, err_console, print_json, progress


def embed(
    inputs: List[Path] = typer.Argument(..., help="Videos, folders of frames or keypoint files (COCO, OpenPose, gaitcli JSON)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the vectors to this .npy file (one row per input; meta in FILE.npy.json)."),
    json_output: bool = typer.Option(False, "--json", help="Print machine-readable results only."),
    track: Optional[int] = typer.Option(None, "--track", help="Embed this track instead of the main walker (see --list-tracks)."),
    list_tracks: bool = typer.Option(False, "--list-tracks", help="List the people found in each input and which is the walker; embed nothing."),
    fps: Optional[float] = model_options.FPS,
    gait_checkpoint: Optional[Path] = model_options.GAIT_CHECKPOINT,
    pose_checkpoint: Optional[Path] = model_options.POSE_CHECKPOINT,
    flip_average: Optional[bool] = typer.Option(
        None, "--flip-average/--no-flip-average",
        help="BlazePose also sees each crop mirrored and averages (the default): about half the pose error of a single pass."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Turn each walk into an identification vector (the default pose engine and gait model, or the seed's)."""
    from gaitcli.api import Embedder
    from gaitcli.errors import InputError

    if out is not None:
        if out.suffix.lower() != ".npy":
            raise InputError(f"{out}: vectors are written as .npy; give a file name ending in .npy")
        if out.exists() and not force:
            raise InputError(f"{out} already exists; pass --force to overwrite it")
        if any(out.resolve() == Path(p).resolve() for p in inputs):
            raise InputError(f"{out} is one of the inputs; choose another output file")
    embedder = Embedder(
        gait_checkpoint=gait_checkpoint,
        pose_checkpoint=pose_checkpoint,
        fps=fps,
        flip_average=flip_average,
    )
    quiet = json_output or not err_console.is_terminal
    if list_tracks:
        listing = {}
        for path in inputs:
            with progress(disable=quiet) as bar:
                task = bar.add_task(f"tracking {Path(path).name}", total=None)
                listing[str(path)] = embedder.list_tracks(path, progress=lambda d, t: bar.update(task, completed=d, total=t))
        _show_tracks(listing, json_output)
        return

    results = []
    for path in inputs:
        with progress(disable=quiet) as bar:
            task = bar.add_task(f"embedding {Path(path).name}", total=None)
            results.append(embedder.embed(path, track=track, progress=lambda d, t: bar.update(task, completed=d, total=t)))
    if out is not None:
        from gaitcli.gallery.vectors import save_vectors

        save_vectors(
            out,
            [r.vector for r in results],
            {
                "model_fingerprint": embedder.gait.fingerprint,
                "feature_space": embedder.feature_space,
                "open_set_threshold": embedder.gait.open_set_threshold,
                "pose_engine": embedder.pose_engine,
                "sources": [r.source for r in results],
                "info": [r.info for r in results],
            },
        )
    if json_output:
        print_json(
            [
                {
                    "source": r.source,
                    "vector": r.vector,
                    "model_fingerprint": r.model_fingerprint,
                    "feature_space": r.feature_space,
                    **r.info,
                }
                for r in results
            ]
        )
        return
    _show_results(results, embedder, out)


def _show_results(results, embedder, out: Optional[Path]) -> None:
    from rich.table import Table

    table = Table(title=f"gait model {embedder.gait.describe()}")
    for column in ("input", "frames", "posed", "with pose", "used", "track", "mirrored", "vector"):
        table.add_column(column, justify="left" if column in ("input", "vector") else "right")
    for r in results:
        i = r.info
        table.add_row(
            Path(r.source).name,
            str(i["frames_read"]),
            str(i.get("frames_posed", i["frames_read"])),
            str(i["frames_with_pose"]),
            str(i["frames_used"]),
            f"{i['track']} of {i['tracks']}" if i.get("tracks") else "-",
            "yes" if i.get("mirrored") else "no",
            f"{len(r.vector)}-d",
        )
    console.print(table)
    if out is not None:
        err_console.print(f"wrote {len(results)} vector(s) to {out} (meta in {out}.json)")


def _show_tracks(listing: dict, json_output: bool) -> None:
    if json_output:
        print_json(listing)
        return
    from rich.table import Table

    for path, tracks in listing.items():
        table = Table(title=f"people in {Path(path).name}")
        for column in ("track", "frames", "first", "last", "visibility", "travel (body heights)", "score", ""):
            table.add_column(column, justify="right")
        for t in tracks:
            table.add_row(
                str(t["id"]),
                str(t["frames"]),
                str(t["first_frame"]),
                str(t["last_frame"]),
                f"{t['visibility']:.2f}",
                f"{t['displacement_heights']:.2f}",
                f"{t['score']:.1f}",
                "walker" if t["chosen"] else "",
            )
        console.print(table)
