"""`gaitcli evaluate`: rank-1/rank-5, mAP and EER of gait recognition on a labelled set of walks."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli import batch as batch_options
from gaitcli.cli import model_options
from gaitcli.cli.batch import OutputFormat
from gaitcli.cli.output import console, err_console, print_csv, print_json, print_table, warning


class PresetName(str, Enum):
    casia_b = "casia-b"
    tum_gaid = "tum-gaid"


def evaluate(
    dataset: Path = typer.Argument(..., help="Folder with one sub-folder per subject holding its walks."),
    preset: Optional[PresetName] = typer.Option(
        None,
        "--preset",
        case_sensitive=False,
        help="Published protocol: casia-b (gallery nm-01..04; probes nm-05/06, bg, cl; cross-view) or "
        "tum-gaid (gallery n01..04; probes n05/06, b, s). Default: the one the walk names follow.",
    ),
    gallery_patterns: list[str] = typer.Option(
        [], "--gallery-pattern", help="Glob on walk names selecting the gallery (repeatable), e.g. 'nm-0[1-4]*'."
    ),
    probe_patterns: list[str] = typer.Option(
        [], "--probe-pattern", help="Glob on walk names selecting probes (repeatable; each is a condition)."
    ),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Folder for the report, plots and embedding cache (default: ./evaluation-<DATASET name>)."
    ),
    camera_adapt: bool = typer.Option(
        True, "--camera-adapt/--no-camera-adapt",
        help="Where walk names carry views (10+ walks each): take each view's mean vector out of its walks before "
        "matching (no names used). Across views this is what makes matching work."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    gait_checkpoint: Optional[Path] = model_options.GAIT_CHECKPOINT,
    pose_checkpoint: Optional[Path] = model_options.POSE_CHECKPOINT,
    fps: Optional[float] = model_options.FPS,
    fmt: Optional[OutputFormat] = batch_options.FORMAT,
    jobs: int = batch_options.JOBS,
    scheduler: Optional[str] = batch_options.SCHEDULER,
) -> None:
    """Measure identification (rank-1, rank-5, mAP) and verification (EER) on DATASET/<subject>/<walk>.

    Walks are videos, frame folders, keypoint files or .npy vectors from `gaitcli embed --out`.

    Writes <protocol>-report.json, <protocol>-cmc.png and <protocol>-roc.png into --out and caches the embeddings there (per gait model), so a rerun with another protocol does not embed again. --gait-checkpoint evaluates a model of your own.
    """
    from gaitcli.cli.batch import Batch, output_format
    from gaitcli.evaluation import evaluate_dataset
    from gaitcli.evaluation.embedding import ApiEmbedder

    fmt = output_format(fmt, as_json)
    embedder = ApiEmbedder(gait_checkpoint=gait_checkpoint, pose_checkpoint=pose_checkpoint, fps=fps, jobs=jobs, scheduler=scheduler)

    with Batch("embedding walks", [], unit="walks") as batch:

        def on_plan(split) -> None:
            err_console.print(
                f"{split.protocol}: {len(split.gallery)} gallery and {len(split.probes)} probe walks"
                + (f" ({len(split.unused)} unused)" if split.unused else "")
            )
            batch.plan([w.path for w in split.walks])

        def on_walk(walk, status: str) -> None:
            if status.startswith("failed"):
                warning(f"{walk.label} left out: {status[len('failed: '):]}")
            batch.done(batch.completed, status)

        evaluation = evaluate_dataset(
            dataset,
            preset=preset.value if preset is not None else None,
            gallery_patterns=gallery_patterns,
            probe_patterns=probe_patterns,
            out=out,
            embedder=embedder,
            on_plan=on_plan,
            on_walk=on_walk,
            camera_adapt=camera_adapt,
        )

    report = evaluation.report
    if evaluation.ignored:
        examples = ", ".join(p.name for p in evaluation.ignored[:3])
        err_console.print(f"[yellow]ignored[/] {len(evaluation.ignored)} entries that are not walks (e.g. {examples})")
    if evaluation.embeddings.failed:
        err_console.print(f"[yellow]{len(evaluation.embeddings.failed)} walk(s) could not be embedded and are left out "
                          "(listed in the report under \"failed\")[/]")
    if fmt is OutputFormat.json:
        print_json(report)
        return
    if fmt is OutputFormat.csv:
        rates = ("rank1", "rank5", "mAP", "EER")
        rows = [[name, c["probes"], *(c[k] for k in rates)] for name, c in report["conditions"].items()]
        print_csv(["condition", "probes", *rates], [*rows, ["overall", report["counts"]["probe_walks"], *(report["overall"][k] for k in rates)]])
        err_console.print(f"camera adaptation {report['camera_adaptation']}", highlight=False, markup=False)
    else:
        from rich.table import Table

        from gaitcli.evaluation.report import tables

        for part in tables(report):
            if isinstance(part, Table):
                print_table(part)
            else:
                console.print(part)
    counts = report["counts"]
    err_console.print(
        f"{counts['embedded']} walks embedded, {counts['cached']} from the cache, {counts['loaded']} .npy; "
        f"wrote {', '.join(report['files'].values())}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the `evaluate` command to the app."""
    app.command("evaluate")(evaluate)
