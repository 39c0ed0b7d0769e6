"""`gaitcli gallery list|info|remove`: look into a gallery and remove people from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli.batch import FORMAT, OutputFormat
from gaitcli.cli.enroll import TRUST_HELP
from gaitcli.cli.output import console, print_csv, print_json, print_table, printable

app = typer.Typer(help="Inspect a gallery or remove people from it.", no_args_is_help=True)

GALLERY_OPTION = typer.Option(..., "--gallery", "-g", help="Gallery file made by `gaitcli enroll`.", show_default=False)


@app.command("list")
def list_people(
    gallery: Path = GALLERY_OPTION,
    trust: bool = typer.Option(False, "--trust", help=TRUST_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the people as JSON on stdout."),
    fmt: Optional[OutputFormat] = FORMAT,
) -> None:
    """List the enrolled people with their number of walks and enrolment times."""
    from rich.table import Table
    from rich.text import Text

    from gaitcli.cli.batch import output_format
    from gaitcli.gallery.store import check_gallery_path, load_gallery

    fmt = output_format(fmt, as_json)
    people = load_gallery(check_gallery_path(gallery), trust=trust).people()
    if fmt is OutputFormat.json:
        print_json(people)
        return
    if fmt is OutputFormat.csv:
        print_csv(["name", "walks", "first_enrolled", "last_enrolled"], [list(p.values()) for p in people])
        return
    table = Table(title=f"{gallery}: {len(people)} people, {sum(p['walks'] for p in people)} walks", title_justify="left")
    for column in ("name", "walks", "first enrolled", "last enrolled"):
        table.add_column(column, justify="right" if column == "walks" else "left")
    for person in people:
        table.add_row(*(Text(printable(person[key])) for key in ("name", "walks", "first_enrolled", "last_enrolled")))
    print_table(table)


@app.command("info")
def info(
    gallery: Path = GALLERY_OPTION,
    trust: bool = typer.Option(False, "--trust", help=TRUST_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    fmt: Optional[OutputFormat] = FORMAT,
) -> None:
    """Summarise a gallery: gait model, people, walks, dates, classifier and threshold."""
    from rich.table import Table
    from rich.text import Text

    from gaitcli.cli.batch import output_format
    from gaitcli.gallery.store import GALLERY_VERSION, check_gallery_path, load_gallery, shipped_model_name

    fmt = output_format(fmt, as_json)
    target = load_gallery(check_gallery_path(gallery), trust=trust)
    summary = {
        "gallery": str(gallery),
        "format_version": GALLERY_VERSION,
        "signed": target.signed,
        "model_fingerprint": target.model_fingerprint,
        "model": shipped_model_name(target.model_fingerprint),  # the shipped model's name (--gait-checkpoint NAME), or None
        "feature_space": target.feature_space,
        "dim": target.dim,
        "pose_engine": target.pose_engine,
        "people": len(target.names),
        "walks": target.n_walks,
        "created": target.created,
        "updated": target.updated,
        "classifier": target.model.mode,
        "threshold": round(target.model.threshold, 6),
        "calibration": target.model.calibration,
    }
    if fmt is OutputFormat.json:
        print_json(summary)
        return
    if fmt is OutputFormat.csv:
        print_csv(["field", "value"], [[k, json.dumps(v) if isinstance(v, dict) else v] for k, v in summary.items()])
        return
    table = Table(show_header=False, title=str(gallery), title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in summary.items():
        if key == "calibration":
            value = ", ".join(f"{k} {round(v, 4) if isinstance(v, float) else v}" for k, v in value.items())
        elif key == "signed":
            value = "yes (by your key)" if value else "no (loaded with --trust)"
        elif key == "model":
            value = f"the shipped '{value}' model" if value else "not a shipped model"
        table.add_row(key.replace("_", " "), Text(printable(value)))
    print_table(table)


@app.command("remove")
def remove(
    names: list[str] = typer.Argument(..., help="People to remove (all their walks).", show_default=False),
    gallery: Path = GALLERY_OPTION,
    trust: bool = typer.Option(False, "--trust", help=TRUST_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
) -> None:
    """Remove people and all their walks, then refit the gallery."""
    from gaitcli.gallery.store import check_gallery_path, editing

    with editing(check_gallery_path(gallery), trust=trust) as target:
        removed = target.remove(names)
        people, total = len(target.names), target.n_walks
    if as_json:
        print_json({"gallery": str(gallery), "removed": list(dict.fromkeys(names)), "removed_walks": removed,
                    "people": people, "walks": total})
        return
    console.print(
        printable(f"removed {', '.join(dict.fromkeys(names))} ({removed} walks); {gallery} has {people} people, {total} walks"),
        markup=False, highlight=False, soft_wrap=True,
    )


def register(root: typer.Typer) -> None:
    """Add the `gaitcli gallery` group to the CLI."""
    root.add_typer(app, name="gallery")
