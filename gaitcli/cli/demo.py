"""`gaitcli demo`: the main job on the bundled sample videos — enroll one walk per person, identify the rest.

Sample clips are named ``<person>_walk<k>.mp4`` (see sample_videos/README.md; installed with the
package, :func:`gaitcli.sample_videos.sample_folder`): the first walk
of each person with two or more walks is enrolled into a gallery, and every other walk is
identified against it. People with a single walk are strangers: never enrolled, they should
come out ``unknown``. The same as
running ``gaitcli enroll`` and ``gaitcli identify`` by hand, with the models loaded once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli.batch import FORMAT, OutputFormat
from gaitcli.cli.output import err_console, print_csv, print_json, print_table, progress

_WALK = re.compile(r"^(?P<person>.+?)_walk(?P<walk>\d+)$")


def demo(
    folder: Optional[Path] = typer.Argument(None, help="Folder of <person>_walk<k> clips (default: the bundled samples)."),
    gallery: Optional[Path] = typer.Option(None, "--gallery", "-g", help="Keep the gallery in this file (default: a temporary one)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON on stdout."),
    fmt: Optional[OutputFormat] = FORMAT,
) -> None:
    """Enroll each person's first sample walk, then identify every other walk."""
    import tempfile

    from gaitcli.api import Embedder
    from gaitcli.cli.batch import output_format
    from gaitcli.errors import InputError
    from gaitcli.gallery.store import UNKNOWN, Gallery, check_gallery_path, editing

    fmt = output_format(fmt, as_json)
    if gallery is not None:
        check_gallery_path(gallery)

    if folder is None:
        from gaitcli.sample_videos import sample_folder

        folder = sample_folder()
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of <person>_walk<k> clips")
    walks: dict[str, list[tuple[int, Path]]] = {}
    for path in sorted(folder.iterdir()):
        m = _WALK.match(path.stem)
        if m and path.is_file() and not path.name.startswith("."):
            walks.setdefault(m["person"], []).append((int(m["walk"]), path))
    enrolled = {person: min(items)[1] for person, items in walks.items() if len(items) >= 2}
    probes = [  # (who walks, the right answer, clip)
        (person, person if person in enrolled else UNKNOWN, p)
        for person, items in walks.items()
        for _, p in sorted(items)
        if p != enrolled.get(person)
    ]
    if not enrolled:
        raise InputError(f"{folder} holds no <person>_walk<k> clips with two walks of one person")

    embedder = Embedder()
    with tempfile.TemporaryDirectory() as tmp:
        path = gallery or Path(tmp) / "demo.gallery"
        vectors = {}
        with progress(disable=as_json) as bar:
            task = bar.add_task("embedding walks", total=len(enrolled) + len(probes))
            for clip in [*enrolled.values(), *(p for _, _, p in probes)]:
                vectors[clip] = embedder.embed(clip).vector
                bar.advance(task)
        model = embedder.gait

        def new_gallery() -> Gallery:
            return Gallery(model.fingerprint, embedder.feature_space, model.dimension, default_threshold=model.open_set_threshold,
                           score_blocks=model.score_blocks)

        with editing(path, create=new_gallery) as target:
            for person, clip in enrolled.items():
                target.add(person, vectors[clip][None], [str(clip)], pose_engine=embedder.pose_engine)
            answers = target.identify([vectors[p] for _, _, p in probes], top_k=3)
    rows = [
        {
            "walk": clip.name,
            "person": person,
            "enrolled": person in enrolled,
            "truth": truth,
            "name": a.name,
            "nearest": a.candidates[0].name,
            "score": a.score,
            "threshold": a.threshold,
            "correct": a.name == truth,
        }
        for (person, truth, clip), a in zip(probes, answers)
    ]
    correct = sum(r["correct"] for r in rows)
    if fmt is OutputFormat.json:
        print_json({"enrolled": {k: str(v) for k, v in enrolled.items()}, "results": rows, "correct": correct, "total": len(rows)})
        return
    if fmt is OutputFormat.csv:
        print_csv(list(rows[0]) if rows else ["walk"], [list(r.values()) for r in rows])
        return
    from rich.table import Table

    table = Table(title=f"enrolled {', '.join(f'{k} ({v.name})' for k, v in enrolled.items())}")
    for column in ("walk", "who it is", "gaitcli says", "nearest", "score", ""):
        table.add_column(column)
    for r in rows:
        mark = "✓" if r["correct"] else "✗"
        who = r["person"] if r["enrolled"] else f"{r['person']} (never enrolled)"
        table.add_row(r["walk"], who, r["name"], r["nearest"], f"{r['score']:.3f}", mark)
    print_table(table)
    known = [r for r in rows if r["enrolled"]]
    nearest = sum(r["nearest"] == r["truth"] for r in known)
    threshold = rows[0]["threshold"] if rows else float("nan")
    err_console.print(
        f"{correct} of {len(rows)} walks answered right ({len(known)} enrolled people's, to be named; "
        f"{len(rows) - len(known)} a stranger's, to come out unknown); the nearest person was right for {nearest} of {len(known)} enrolled people's walks "
        f"(open-set threshold {threshold:.3f}; gait model {embedder.gait.describe()})"
    )
