"""`gaitcli gallery list|info|remove|camera|threshold`: look into a gallery, remove people from it, add cameras to it,
check its threshold on walks of your own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli import model_options
from gaitcli.cli.batch import FORMAT, JOBS, SCHEDULER, OutputFormat
from gaitcli.cli.enroll import JSON_RESULT, TRUST
from gaitcli.cli.output import console, print_csv, print_json, print_table, printable, warning

app = typer.Typer(help="Inspect a gallery, remove people from it, add the cameras its probes come from, or check its "
                  "threshold on walks of your own.", no_args_is_help=True)

GALLERY_OPTION = typer.Option(..., "--gallery", "-g", help="Gallery file made by `gaitcli enroll`.", show_default=False)


@app.command("list")
def list_people(
    gallery: Path = GALLERY_OPTION,
    trust: bool = TRUST,
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
    trust: bool = TRUST,
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
        "score_blocks": [list(block) for block in target.model.blocks],  # [start, stop, weight]; one: the whole vector
        "threshold": float(target.model.threshold),
        "calibration": target.model.calibration,
        "cameras": {name: {"walks": p.walks, "updated": p.updated} for name, p in target.cameras.items()},
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
        elif key == "threshold":
            value = f"{value:.4f} (exact value: --json)"
        elif key == "signed":
            value = "yes (by your key)" if value else "no (loaded with --trust)"
        elif key == "model":
            value = f"the shipped '{value}' model" if value else "not a shipped model"
        elif key == "cameras":
            value = ", ".join(f"{name} ({p['walks']} walks)" for name, p in value.items()) or "none (probes from the gallery's camera)"
        elif key == "score_blocks":
            value = ("1 (one SVM per person over the whole vector)" if len(value) == 1 else
                     f"{len(value)} (one SVM per person and block, scores summed, weights "
                     f"{' : '.join(f'{w:.3g}' for _, _, w in value)})")
        elif key == "pose_engine" and value is None:
            value = "not recorded (walks from keypoint files or vectors only)"
        table.add_row(key.replace("_", " "), Text(printable(value)))
    print_table(table)


@app.command("remove")
def remove(
    names: list[str] = typer.Argument(..., help="People to remove (all their walks).", show_default=False),
    gallery: Path = GALLERY_OPTION,
    trust: bool = TRUST,
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
        printable(f"removed {', '.join(dict.fromkeys(names))} ({removed} walk{'' if removed == 1 else 's'}); {gallery} has {people} "
                  f"{'person' if people == 1 else 'people'}, {total} walk{'' if total == 1 else 's'}"),
        markup=False, highlight=False, soft_wrap=True,
    )


@app.command("camera")
def camera(
    name: str = typer.Argument(..., metavar="NAME", help="The camera's name (what `gaitcli identify --camera` takes).", show_default=False),
    inputs: Optional[list[Path]] = typer.Argument(
        None, metavar="WALK", help="Walks filmed by that camera, anyone's (no names needed): videos, frame folders, keypoint files or "
        ".npy vectors; a folder stands for every walk inside it.", show_default=False),
    gallery: Path = GALLERY_OPTION,
    remove_it: bool = typer.Option(False, "--remove", help="Forget this camera instead."),
    trust: bool = TRUST,
    as_json: bool = JSON_RESULT,
    fps: Optional[float] = model_options.FPS,
    jobs: int = JOBS,
    scheduler: Optional[str] = SCHEDULER,
) -> None:
    """Teach the gallery another camera: what it puts into every walk it films, from some walks it filmed.

    `gaitcli identify --camera NAME` then takes that out of each walk before matching it against people enrolled from the gallery's own camera. Across views this is what makes matching work (see docs/gallery.md); ten or more walks from the camera, of several people, are enough. Adding more walks later refines the camera; they need not be of enrolled people, and each walk should be given once. They must be embedded as the gallery's walks were (same gait model, same pose-engine setting).
    """
    from gaitcli.batch import Failure
    from gaitcli.cli.identify import gallery_walks
    from gaitcli.errors import InputError
    from gaitcli.gallery.cameras import MIN_CAMERA_WALKS
    from gaitcli.gallery.store import check_gallery_path, editing, load_gallery, same_walks, validate_name

    import numpy as np

    validate_name(name, what="camera name")
    check_gallery_path(gallery)
    if remove_it:
        if inputs:
            raise typer.BadParameter("--remove takes only the camera's name, no walks")
        with editing(gallery, trust=trust) as target:
            target.remove_camera(name)
            left = list(target.cameras)
        if as_json:
            print_json({"gallery": str(gallery), "camera": name, "removed": True, "cameras": left})
        else:
            console.print(printable(f"removed camera {name} from {gallery}"), markup=False, highlight=False, soft_wrap=True)
        return
    if not inputs:
        raise typer.BadParameter("give the camera's walks (WALK...), or --remove")
    target = load_gallery(gallery, trust=trust)  # a bad gallery fails before any slow embedding
    if not target.n_walks:
        raise InputError(f"gallery {gallery} is empty: enroll people from its own camera first (gaitcli enroll)")
    batch, entries = gallery_walks(target, inputs, "embedding camera walks", jobs=jobs, scheduler=scheduler, fps=fps)
    walks = [walk for entry in entries if not isinstance(entry, Failure) for walk in entry]
    if walks:  # the same walk given twice in one call counts once
        stacked = np.stack([w.vector for w in walks])
        repeats = {i for i, earlier in enumerate(same_walks(stacked, stacked)) if any(j < i for j in earlier)}
        if repeats:
            warning(f"{len(repeats)} walk(s) given more than once; each counted once")
            walks = [w for i, w in enumerate(walks) if i not in repeats]
    result = {"gallery": str(gallery), "camera": name, "added": len(walks), "walks": None}
    if walks:
        with editing(gallery, trust=trust) as target:
            for walk in walks:  # the gallery may have changed while the walks were embedded
                target.check_compatible(walk.model_fingerprint, walk.feature_space, walk.vector.shape[0],
                                        what=f"the vectors of {walk.input}", pose_engine=walk.pose_engine,
                                        score_blocks=walk.score_blocks)
            result["walks"] = target.add_camera_walks(name, np.stack([w.vector for w in walks])).walks
        if result["walks"] < MIN_CAMERA_WALKS:
            warning(f"camera {name} has {result['walks']} walk(s); its view is estimated from them, and "
                    f"{MIN_CAMERA_WALKS} or more (of several people) give a steadier estimate")
    result["failures"] = [batch.failures[i].as_dict() for i in sorted(batch.failures)]
    if as_json:
        print_json(result)
    elif walks:
        import shlex

        console.print(printable(f"camera {name}: added {len(walks)} walk(s), {result['walks']} in all ({gallery}); identify its "
                                f"walks with `gaitcli identify --gallery {shlex.quote(str(gallery))} --camera {shlex.quote(name)} WALK...`"),
                      markup=False, highlight=False, soft_wrap=True)
    batch.finish()


@app.command("threshold")
def threshold(
    check: Path = typer.Argument(..., metavar="CHECK", help="Labelled walks that are not enrolled: CHECK/<person>/<walk> (or "
                                 "CHECK/<person>.<ext>); enrolled people's names for their walks, any other name for a stranger.",
                                 show_default=False),
    gallery: Path = GALLERY_OPTION,
    camera: Optional[str] = typer.Option(None, "--camera", "-c", help="The walks were filmed by this camera of the gallery's "
                                         "(added with `gaitcli gallery camera`).", show_default=False),
    trust: bool = TRUST,
    as_json: bool = JSON_RESULT,
    fps: Optional[float] = model_options.FPS,
    jobs: int = JOBS,
    scheduler: Optional[str] = SCHEDULER,
) -> None:
    """Check the gallery's open-set threshold on walks of your own, and suggest one from them.

    Give walks that are not enrolled, in a folder of people like `gaitcli enroll --from-folder` takes: walks of enrolled people (to be named) and of strangers (to come out unknown). Prints, at the gallery's threshold and at the one that minimises FAR + FRR on these walks, how many are named right and how many strangers come out unknown; pass the suggestion to `gaitcli identify --threshold`. Nothing is changed. The more walks, the better the estimate (under 10 of either kind is flagged).
    """
    import numpy as np

    from gaitcli.batch import Failure
    from gaitcli.cli.enroll import people_in_folder
    from gaitcli.cli.identify import gallery_walks
    from gaitcli.gallery.store import check_gallery_path, load_gallery
    from gaitcli.gallery.threshold_check import check_threshold
    from gaitcli.io.walk_files import known_people

    target = load_gallery(check_gallery_path(gallery), trust=trust)  # a bad gallery fails before any slow embedding
    if camera is not None:
        target.camera_profile(camera, path=gallery)
    pairs = people_in_folder(check, known_people, what="CHECK")
    batch, entries = gallery_walks(target, [path for _, path in pairs], "embedding walks to check", jobs=jobs, scheduler=scheduler,
                                   fps=fps)
    names, vectors = [], []
    for (person, _), entry in zip(pairs, entries):
        if not isinstance(entry, Failure):
            for walk in entry:
                names.append(person)
                vectors.append(walk.vector)
    failures = [batch.failures[i].as_dict() for i in sorted(batch.failures)]
    if not vectors:
        batch.finish()
        return
    result = check_threshold(target, names, np.stack(vectors), camera=camera)
    if as_json:
        print_json({"gallery": str(gallery), "camera": camera, **result.as_dict(), "failures": failures})
    else:
        _show_threshold_check(result, gallery, camera)
    batch.finish()


def _show_threshold_check(result, gallery: Path, camera: str | None) -> None:
    import shlex

    from rich.table import Table

    from gaitcli.gallery.threshold_check import FEW_WALKS

    seen = f", walks from camera {camera}" if camera is not None else ""
    table = Table(title=printable(f"{gallery}: {result.genuine_walks} walks of {result.people} enrolled people, "
                                  f"{result.stranger_walks} of {result.strangers} strangers{seen}"), title_justify="left")
    for column in ("threshold", "value", "named right", "missed (FRR)", "strangers unknown", "strangers named (FAR)"):
        table.add_column(column, justify="left" if column == "threshold" else "right")
    for label, r in (("the gallery's", result.current), ("least FAR + FRR on these walks", result.suggested)):
        table.add_row(printable(label), f"{r.threshold:.4f}", f"{100 * r.named:.1f} %", f"{100 * r.missed:.1f} %",
                      f"{100 * r.stranger_unknown:.1f} %", f"{100 * r.stranger_named:.1f} %")
    print_table(table)
    console.print(printable(f"the gallery's threshold: {result.current_source}"), markup=False, highlight=False, soft_wrap=True)
    if result.enrolled_left_out:
        warning(f"{result.enrolled_left_out} walk(s) given are enrolled in the gallery and were left out")
    if result.rough:
        warning(f"fewer than {FEW_WALKS} walks of enrolled people or of strangers: the suggestion is rough")
    flag = f" --camera {shlex.quote(camera)}" if camera is not None else ""
    console.print(printable(f"to use it: gaitcli identify --gallery {shlex.quote(str(gallery))}{flag} "
                            f"--threshold {result.suggested.threshold:.4f} WALK..."), markup=False, highlight=False, soft_wrap=True)


def register(root: typer.Typer) -> None:
    """Add the `gaitcli gallery` group to the CLI."""
    root.add_typer(app, name="gallery")
