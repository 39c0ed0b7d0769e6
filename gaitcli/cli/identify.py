"""`gaitcli identify`: who walks in each input, according to a gallery (or `unknown`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli.enroll import TRUST_HELP
from gaitcli.cli.output import console, print_json


def identify(
    inputs: list[Path] = typer.Argument(
        ..., help="Videos, frame folders, keypoint files, or .npy vectors from `gaitcli embed --out`.", show_default=False
    ),
    gallery: Path = typer.Option(..., "--gallery", "-g", help="Gallery file made by `gaitcli enroll`.", show_default=False),
    top_k: int = typer.Option(3, "--top-k", "-k", min=1, help="How many candidates to list per input."),
    threshold: Optional[float] = typer.Option(
        None, "--threshold", "-t", help="Scores below this are `unknown` (default: the gallery's calibrated threshold)."
    ),
    trust: bool = typer.Option(False, "--trust", help=TRUST_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON record per walk on stdout."),
) -> None:
    """Print, per walk, the best-matching person and score, or `unknown`, with the runners-up.

    Scores are signed distances of the walk to each person's SVM hyperplane (cosine similarity for a one-person gallery); see `gaitcli gallery info` for the threshold and how it was found.
    """
    import numpy as np

    from gaitcli.errors import GalleryError
    from gaitcli.gallery.store import UNKNOWN, load_gallery
    from gaitcli.gallery.walks import collect_walks

    target = load_gallery(gallery, trust=trust)  # a bad gallery fails before any slow embedding
    if not target.names:
        raise GalleryError(f"gallery {gallery} is empty: enroll someone first (gaitcli enroll --gallery {gallery} --name NAME INPUT...)")
    walks = collect_walks(inputs)
    for walk in walks:
        target.check_compatible(walk.model_fingerprint, walk.feature_space, walk.vector.shape[0], what=f"the vectors of {walk.input}",
                                pose_engine=walk.pose_engine)
    answers = target.identify(np.stack([w.vector for w in walks]), top_k=top_k, threshold=threshold)

    records = [
        {
            "input": walk.input,
            "source": walk.source,
            "name": answer.name,
            "score": round(answer.score, 6),
            "threshold": round(answer.threshold, 6),
            "candidates": [{"name": c.name, "score": round(c.score, 6)} for c in answer.candidates],
        }
        for walk, answer in zip(walks, answers)
    ]
    if as_json:
        print_json(records)
        return

    from rich.table import Table

    how = "given" if threshold is not None else target.model.calibration.get("source", "default")
    table = Table(title=f"{gallery} (threshold {answers[0].threshold:.3f}, {how})", title_justify="left")
    table.add_column("walk")
    table.add_column("name", style="bold")
    table.add_column("score", justify="right")
    table.add_column("runners-up")
    for record in records:
        walk = record["input"] if record["source"] == record["input"] else f"{record['input']} ({record['source']})"
        # for `unknown` the best guess is a runner-up too
        others = record["candidates"] if record["name"] == UNKNOWN else record["candidates"][1:]
        runners = ", ".join(f"{c['name']} {c['score']:.3f}" for c in others)
        table.add_row(_plain(walk), _plain(record["name"]), f"{record['score']:.3f}", _plain(runners))
    console.print(table)


def _plain(text: str):
    from rich.text import Text

    return Text(text)  # names and paths are shown as written, never as rich markup


def register(app: typer.Typer) -> None:
    """Add `gaitcli identify` to the CLI."""
    app.command("identify")(identify)
