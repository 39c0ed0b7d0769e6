"""`gaitcli enroll`: add a person's walks to a gallery (created when missing) and refit it."""

from __future__ import annotations

from pathlib import Path

import typer

from gaitcli.cli.output import console, print_json

TRUST_HELP = "Load the gallery even if it is unsigned or not signed by you (loading a gallery can run code: only for files you trust)."


def enroll(
    inputs: list[Path] = typer.Argument(
        ..., help="Videos, frame folders, keypoint files, or .npy vectors from `gaitcli embed --out`.", show_default=False
    ),
    gallery: Path = typer.Option(..., "--gallery", "-g", help="Gallery file (created when missing).", show_default=False),
    name: str = typer.Option(..., "--name", "-n", help="Who walks in these inputs.", show_default=False),
    trust: bool = typer.Option(False, "--trust", help=TRUST_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
) -> None:
    """Enroll every walk in INPUT... under NAME; reports how many walks NAME now has.

    The gallery's SVMs and open-set threshold are refit before it is saved (signed, atomically, under a lock, so concurrent enrolls into one gallery all land).
    """
    import numpy as np

    from gaitcli.errors import InputError
    from gaitcli.gallery.store import Gallery, editing, validate_name
    from gaitcli.gallery.walks import collect_walks

    validate_name(name)
    walks = collect_walks(inputs)  # embedding is slow: done before the gallery is locked
    first = walks[0]
    dim = int(first.vector.shape[0])
    for walk in walks[1:]:
        if (walk.model_fingerprint, walk.feature_space, walk.vector.shape[0]) != (first.model_fingerprint, first.feature_space, dim):
            raise InputError(f"{walk.input} and {first.input} come from different gait models; enroll vectors of one model only")
    engines = {w.pose_engine for w in walks if w.pose_engine}
    if len(engines) > 1:
        raise InputError(f"the walks were embedded with different pose engine settings ({', '.join(sorted(engines))}); enroll walks of one setting only")
    engine = engines.pop() if engines else None
    created = False

    def new_gallery() -> Gallery:  # called under the lock, only when the file does not exist
        nonlocal created
        created = True
        return Gallery(first.model_fingerprint, first.feature_space, dim, default_threshold=first.open_set_threshold)

    with editing(gallery, trust=trust, create=new_gallery) as target:
        target.check_compatible(first.model_fingerprint, first.feature_space, dim, what=f"the walks of {first.input}", pose_engine=engine)
        count = target.add(name, np.stack([w.vector for w in walks]), [w.source for w in walks], pose_engine=engine)
        people, total = len(target.names), target.n_walks

    if as_json:
        print_json({"gallery": str(gallery), "created": created, "name": name, "added": len(walks),
                    "walks": count, "people": people, "total_walks": total})
        return
    verb = "created" if created else "updated"
    console.print(
        f"enrolled {len(walks)} walk(s) as {name}: {name} now has {count} walk(s) "
        f"({verb} {gallery}: {people} people, {total} walks)",
        markup=False, highlight=False, soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add `gaitcli enroll` to the CLI."""
    app.command("enroll")(enroll)
