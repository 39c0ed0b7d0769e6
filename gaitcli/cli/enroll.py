"""`gaitcli enroll`: add people's walks to a gallery (created when missing) and refit it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli import batch as batch_options
from gaitcli.cli import model_options
from gaitcli.cli.batch import OutputFormat
from gaitcli.cli.output import console, print_csv, print_json, print_table, printable, warning

TRUST_HELP = "Load the gallery even if it is unsigned or not signed by you (its contents are then not vouched for; loading never runs code from it)."
TRUST = typer.Option(False, "--trust", help=TRUST_HELP)
JSON_RESULT = typer.Option(False, "--json", help="Print the result as JSON on stdout (failed inputs under \"failures\").")
WALKS_HELP = ("Videos, frame folders, keypoint files, or .npy vectors from `gaitcli embed --out`; "
              "a folder of walks stands for every walk inside it (a folder of images is one walk).")


def enroll(
    inputs: Optional[list[Path]] = typer.Argument(None, help=WALKS_HELP, show_default=False),
    gallery: Path = typer.Option(..., "--gallery", "-g", help="Gallery file, NAME.gallery (created when missing).", show_default=False),
    name: Optional[str] = typer.Option(None, "--name", "-n", help="Who walks in these inputs.", show_default=False),
    from_folder: Optional[Path] = typer.Option(
        None, "--from-folder", help="Enroll everyone in this folder instead: each sub-folder is a person (its name) holding "
        "their walks; a walk file directly in it is named by its stem (alice.mp4 is alice).", show_default=False),
    strict: bool = typer.Option(False, "--strict", help="Refuse a walk already enrolled under another name (default: a warning)."),
    track: Optional[int] = typer.Option(
        None, "--track",
        help="Enroll this person of a multi-person video (an id from `gaitcli embed VIDEO --list-tracks`) instead of its walker.",
        show_default=False),
    camera: Optional[str] = typer.Option(
        None, "--camera", "-c",
        help="The walks were filmed by this camera, not the gallery's: a camera added with `gaitcli gallery camera` "
        "(its view is taken out of each walk before it is enrolled).", show_default=False),
    trust: bool = TRUST,
    as_json: bool = JSON_RESULT,
    fmt: Optional[OutputFormat] = batch_options.FORMAT,
    fps: Optional[float] = model_options.FPS,
    jobs: int = batch_options.JOBS,
    scheduler: Optional[str] = batch_options.SCHEDULER,
) -> None:
    """Enroll every walk in INPUT... under NAME (or everyone in --from-folder); reports how many walks each person now has.

    Every input is tried: one that cannot be used is reported on stderr (one line), the others are enrolled, and the exit code is that of the first failed input.

    The gallery's SVMs and open-set threshold are refit before it is saved (signed, atomically, under a lock, so concurrent enrolls into one gallery all land).
    """
    from gaitcli.cli.batch import output_format
    from gaitcli.gallery.store import check_gallery_path, validate_name
    from gaitcli.io.walk_files import expand_inputs, known_people

    fmt = output_format(fmt, as_json)
    if from_folder is not None:
        if inputs or name is not None:
            raise typer.BadParameter("give either --from-folder KNOWN or --name NAME INPUT..., not both")
        check_gallery_path(gallery)
        pairs = people_in_folder(from_folder, known_people)
    else:
        if name is None or not inputs:
            raise typer.BadParameter("give --name NAME and the walks (INPUT...), or --from-folder KNOWN")
        check_gallery_path(gallery, name=name)
        validate_name(name)
        pairs = [(name, path) for path in expand_inputs(inputs)]
    if track is not None and (from_folder is not None or len(pairs) != 1 or pairs[0][1].suffix.lower() == ".npy"):
        from gaitcli.errors import InputError

        raise InputError("--track picks one person in one video (or frame folder, or keypoint file); give --name and exactly one such input")
    if camera is not None:
        from gaitcli.gallery.store import load_gallery

        load_gallery(gallery, trust=trust).camera_profile(camera, path=gallery)  # an unknown camera (or gallery) fails before any embedding
    batch, result = enroll_walks(gallery, pairs, trust=trust, strict=strict, jobs=jobs, scheduler=scheduler, track=track,
                                 camera=camera, fps=fps)
    if fmt is OutputFormat.json:
        if from_folder is None:
            person = result["people"][0] if result["people"] else {"added": 0, "walks": None}
            print_json({"gallery": result["gallery"], "created": result["created"], "camera": camera, "name": name, "added": person["added"],
                        "walks": person["walks"], "people": result["total_people"], "total_walks": result["total_walks"],
                        "failures": result["failures"]})
        else:
            print_json(result)
    elif fmt is OutputFormat.csv:
        print_csv(["name", "added", "walks"], [[p["name"], p["added"], p["walks"]] for p in result["people"]])
    elif result["people"]:
        _show(result, folder_mode=from_folder is not None)
    batch.finish()


def enroll_walks(gallery: Path, pairs: list[tuple[str, Path]], *, trust: bool, strict: bool, camera: str | None = None,
                 **options):
    """Embed ``(person, input)`` pairs and enroll the walks of those that worked; ``(batch, result)``,
    the batch holding the failures (each already reported on stderr). ``camera``: the walks were
    filmed by this camera of the gallery's, and are moved into the gallery's own before enrolling."""
    import numpy as np

    from gaitcli.batch import Failure
    from gaitcli.cli.batch import Batch
    from gaitcli.errors import InputError
    from gaitcli.gallery.classifier import check_blocks
    from gaitcli.gallery.store import Gallery, editing, load_gallery, same_walks, validate_name
    from gaitcli.gallery.walks import all_embedded_here, check_embedding_model, collect_walks
    from gaitcli.io.walk_files import walk_kind

    names = [person for person, _ in pairs]
    paths = [path for _, path in pairs]
    if all_embedded_here(paths) and Path(gallery).exists():  # another model's gallery is refused before the slow embedding
        check_embedding_model(load_gallery(gallery, trust=trust), paths)  # (and checked again under the lock)
    with Batch("embedding walks", paths) as batch:
        usable = []
        for index, person in enumerate(names):
            try:
                validate_name(person)
                if paths[index].is_dir() and walk_kind(paths[index]) is None:
                    raise InputError(f"{paths[index]} holds no walks (videos, frame folders, keypoint files or .npy vectors)")
                usable.append(index)
            except InputError as exc:
                batch.done(index, Failure.of(paths[index], exc))
        per_input = collect_walks([paths[i] for i in usable], on_done=lambda k, o: batch.done(usable[k], o),
                                  on_frames=lambda k, d, t: batch.frames(usable[k], d, t),
                                  on_warning=lambda k, m: warning(f"{paths[usable[k]]}: {m}"), **options)  # fmt: skip
    good = []  # (input index, walks) of the inputs whose walks can go into one gallery together
    for index, outcome in zip(usable, per_input):
        if isinstance(outcome, Failure):
            continue
        first = good[0][1][0] if good else outcome[0]
        for walk in outcome:
            if (walk.model_fingerprint, walk.feature_space, walk.vector.shape[0]) != (
                    first.model_fingerprint, first.feature_space, first.vector.shape[0]):
                outcome = Failure.of(paths[index], InputError(
                    f"{walk.input} and {first.input} come from different gait models; enroll vectors of one model only"))
                break
            if check_blocks(walk.score_blocks, first.vector.shape[0]) != check_blocks(first.score_blocks, first.vector.shape[0]):
                outcome = Failure.of(paths[index], InputError(
                    f"{walk.input} and {first.input} name one gait model but different blocks to score apart; a vectors "
                    "file was edited: re-run `gaitcli embed --out`"))
                break
            engines = {w.pose_engine for _, walks in good for w in walks if w.pose_engine} | {walk.pose_engine}
            if len(engines - {None}) > 1:
                outcome = Failure.of(paths[index], InputError(
                    f"{walk.input} and {first.input} were embedded with different pose engine settings "
                    f"({', '.join(sorted(engines - {None}))}); enroll walks of one setting only"))
                break
        if isinstance(outcome, Failure):
            batch.fail(index, outcome)
        else:
            good.append((index, outcome))
    result = {"gallery": str(gallery), "created": False, "camera": camera, "people": [], "total_people": None, "total_walks": None}
    if good:
        first = good[0][1][0]
        dim = int(first.vector.shape[0])
        engine = next((w.pose_engine for _, walks in good for w in walks if w.pose_engine), None)

        def new_gallery() -> Gallery:  # called under the lock, only when the file does not exist
            result["created"] = True
            return Gallery(first.model_fingerprint, first.feature_space, dim, default_threshold=first.open_set_threshold,
                           score_blocks=first.score_blocks)

        with editing(gallery, trust=trust, create=new_gallery) as target:
            target.check_compatible(first.model_fingerprint, first.feature_space, dim, what=f"the walks of {first.input}",
                                    pose_engine=engine, score_blocks=first.score_blocks)
            owners = [names[index] for index, walks in good for _ in walks]
            vectors = np.stack([w.vector for _, walks in good for w in walks])
            held = target.holders(vectors)
            for row, earlier in enumerate(same_walks(vectors, vectors)):  # the same walk twice in this batch
                held[row] |= {owners[j] for j in earlier if j < row}
            rows: list = []  # (name, vector, source) of the walks to add
            start = 0
            for index, walks in good:
                person = names[index]
                holders = set().union(*held[start : start + len(walks)])
                clashes = sorted(holders - {person})
                start += len(walks)
                if person in holders and not clashes:
                    warning(f"{paths[index]}: the very same walk is already enrolled as {person}; enrolled again")
                if clashes:
                    message = f"{paths[index]}: the very same walk is also enrolled as {', '.join(clashes)}"
                    if strict:
                        batch.fail(index, Failure.of(paths[index], InputError(message + " (refused: --strict)")))
                        continue
                    warning(message + f"; enrolled as {person} too (--strict refuses it)")
                rows.extend((person, w.vector, w.source) for w in walks)
            if rows:
                vectors = np.stack([r[1] for r in rows])
                if camera is not None:
                    vectors = target.from_camera(vectors, camera)
                counts = target.add_walks([r[0] for r in rows], vectors, [r[2] for r in rows], pose_engine=engine)
                added: dict[str, int] = {}
                for r in rows:
                    added[r[0]] = added.get(r[0], 0) + 1
                result["people"] = [{"name": n, "added": added[n], "walks": counts[n]} for n in added]
            result["total_people"], result["total_walks"] = len(target.names), target.n_walks
    result["failures"] = [batch.failures[i].as_dict() for i in sorted(batch.failures)]
    return batch, result


def _show(result: dict, *, folder_mode: bool) -> None:
    verb = "created" if result["created"] else "updated"
    where = f"{verb} {result['gallery']}: {result['total_people']} people, {result['total_walks']} walks"
    if not folder_mode:
        p = result["people"][0]
        console.print(printable(f"enrolled {p['added']} walk(s) as {p['name']}: {p['name']} now has {p['walks']} walk(s) ({where})"),
                      markup=False, highlight=False, soft_wrap=True)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=where, title_justify="left")
    for column in ("name", "walks added", "walks now"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for p in result["people"]:
        table.add_row(Text(printable(p["name"])), str(p["added"]), str(p["walks"]))
    print_table(table)


def people_in_folder(folder: Path, known_people, what: str = "--from-folder") -> list[tuple[str, Path]]:
    """``(person, walk)`` pairs of a folder of people (``what``: how the user gave it, for the errors)."""
    from gaitcli.errors import InputError

    if not folder.is_dir():
        raise InputError(f"{what} {folder} is not a folder; give a folder with one sub-folder (or walk file) per person")
    pairs, ignored = known_people(folder)
    for path in ignored:
        warning(f"{path} is not a walk (a video, frame folder, keypoint file or .npy vectors); left out")
    if not pairs:
        raise InputError(f"{what} {folder} holds no walks: expected {folder.name}/<person>/<walk> or {folder.name}/<person>.<ext>")
    return pairs


def register(app: typer.Typer) -> None:
    """Add `gaitcli enroll` to the CLI."""
    app.command("enroll")(enroll)
