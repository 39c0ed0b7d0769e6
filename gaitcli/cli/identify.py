"""`gaitcli identify`: who walks in each input, according to a gallery (or `unknown`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli import batch as batch_options
from gaitcli.cli import model_options
from gaitcli.cli.batch import OutputFormat
from gaitcli.cli.enroll import TRUST, WALKS_HELP
from gaitcli.cli.output import print_csv, print_json, print_table, printable, warning


def identify(
    inputs: list[Path] = typer.Argument(..., help=WALKS_HELP, show_default=False),
    gallery: Path = typer.Option(..., "--gallery", "-g", help="Gallery file made by `gaitcli enroll`.", show_default=False),
    top_k: int = typer.Option(3, "--top-k", "-k", min=1, help="How many candidates to list per input."),
    threshold: Optional[float] = typer.Option(
        None, "--threshold", "-t", help="Scores below this are `unknown` (default: the gallery's calibrated threshold)."
    ),
    trust: bool = TRUST,
    as_json: bool = typer.Option(
        False, "--json",
        help="Print one JSON array on stdout, in input order: a record per walk (input, source, name, score, threshold, "
        "camera, candidates) and an {input, error, exit_code} record per input that failed."),
    fmt: Optional[OutputFormat] = batch_options.FORMAT,
    camera: Optional[str] = typer.Option(
        None, "--camera", "-c",
        help="The walks were filmed by this camera, not the gallery's: a camera added with `gaitcli gallery camera` "
        "(its view is taken out of every walk before matching).", show_default=False),
    fps: Optional[float] = model_options.FPS,
    jobs: int = batch_options.JOBS,
    scheduler: Optional[str] = batch_options.SCHEDULER,
) -> None:
    """Print, per walk, the best-matching person and score, or `unknown`, with the runners-up.

    Every input is tried: one that cannot be used is reported on stderr (one line) and the others are still identified; the exit code is then that of the first failed input.

    Scores are signed distances of the walk to each person's SVM hyperplane (cosine similarity for a one-person gallery); see `gaitcli gallery info` for the threshold and how it was found.

    Walks filmed by another camera than the gallery's: add that camera once (`gaitcli gallery camera NAME WALK...`, anyone's walks) and identify with --camera NAME.
    """
    import numpy as np

    from gaitcli.batch import Failure
    from gaitcli.cli.batch import output_format
    from gaitcli.errors import GalleryError
    from gaitcli.gallery.store import check_gallery_path, load_gallery

    fmt = output_format(fmt, as_json)
    check_gallery_path(gallery)
    target = load_gallery(gallery, trust=trust)  # a bad gallery fails before any slow embedding
    if not target.names:
        raise GalleryError(f"gallery {gallery} is empty: enroll someone first (gaitcli enroll --gallery {gallery} --name NAME INPUT...)")
    if camera is not None:
        target.camera_profile(camera, path=gallery)  # an unknown camera fails before any slow embedding
    batch, entries = gallery_walks(target, inputs, "identifying", jobs=jobs, scheduler=scheduler, fps=fps)
    walks = [walk for entry in entries if not isinstance(entry, Failure) for walk in entry]
    answers = iter(target.identify(np.stack([w.vector for w in walks]), top_k=top_k, threshold=threshold, camera=camera)
                   if walks else [])
    records = []
    for entry in entries:
        if isinstance(entry, Failure):
            records.append(entry.as_dict())
            continue
        for walk in entry:
            answer = next(answers)
            records.append({
                "input": walk.input,
                "source": walk.source,
                "name": answer.name,
                "score": answer.score,  # unrounded: a printed score given back as --threshold decides as it did
                "threshold": answer.threshold,
                "camera": camera,
                "candidates": [{"name": c.name, "score": c.score} for c in answer.candidates],
            })
    if fmt is OutputFormat.json:
        print_json(records)
    elif fmt is OutputFormat.csv:
        print_csv(["input", "source", "name", "score", "threshold", "candidates", "camera"],
                  [[r["input"], r["source"], r["name"], f"{r['score']:.6f}", f"{r['threshold']:.6f}",
                    ";".join(f"{c['name']}:{c['score']:.6f}" for c in r["candidates"]), r["camera"] or ""]
                   for r in records if "error" not in r])
    elif walks:
        _show_table(records, gallery, threshold, target, camera)
    batch.finish()


def gallery_walks(target, inputs: list[Path], verb: str, **options):
    """Embed ``inputs`` for the gallery ``target`` (refusing another model's walks, before embedding
    when it can): ``(batch, entries)``, one entry per input in order, its walks or its Failure
    (already reported on stderr)."""
    from gaitcli.batch import Failure
    from gaitcli.cli.batch import Batch
    from gaitcli.errors import GalleryError, InputError
    from gaitcli.gallery.walks import check_embedding_model, collect_walks
    from gaitcli.io.walk_files import expand_inputs

    paths = expand_inputs(inputs)
    check_embedding_model(target, paths)
    with Batch(verb, paths) as batch:
        per_input = collect_walks(paths, on_done=batch.done, on_frames=batch.frames,
                                  on_warning=lambda k, m: warning(f"{paths[k]}: {m}"), **options)
    entries = []
    for index, outcome in enumerate(per_input):
        if not isinstance(outcome, Failure):
            try:
                for walk in outcome:
                    target.check_compatible(walk.model_fingerprint, walk.feature_space, walk.vector.shape[0],
                                            what=f"the vectors of {walk.input}", pose_engine=walk.pose_engine,
                                            score_blocks=walk.score_blocks)
            except (GalleryError, InputError) as exc:
                outcome = Failure.of(paths[index], exc)
                batch.fail(index, outcome)
        entries.append(outcome)
    return batch, entries


def _show_table(records: list[dict], gallery: Path, threshold: float | None, target, camera: str | None) -> None:
    from rich.table import Table

    from gaitcli.gallery.store import UNKNOWN

    answered = [r for r in records if "error" not in r]
    how = "given" if threshold is not None else target.model.calibration.get("source", "default")
    seen = f", walks from camera {camera}" if camera is not None else ""
    table = Table(title=_plain(f"{gallery} (threshold {answered[0]['threshold']:.3f}, {how}{seen})"), title_justify="left")
    table.add_column("walk")
    table.add_column("name", style="bold")
    table.add_column("score", justify="right")
    table.add_column("runners-up")
    for record in answered:
        walk = record["input"] if record["source"] == record["input"] else f"{record['input']} ({record['source']})"
        # for `unknown` the best guess is a runner-up too
        others = record["candidates"] if record["name"] == UNKNOWN else record["candidates"][1:]
        runners = ", ".join(f"{c['name']} {c['score']:.3f}" for c in others)
        table.add_row(_plain(walk), _plain(record["name"]), f"{record['score']:.3f}", _plain(runners))
    print_table(table)


def _plain(text: str):
    from rich.text import Text

    return Text(printable(text))  # names and paths are shown as written, never as rich markup or terminal controls


def register(app: typer.Typer) -> None:
    """Add `gaitcli identify` to the CLI."""
    app.command("identify")(identify)
