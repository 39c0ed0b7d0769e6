"""`gaitcli pose`: the 16 joints of the people in images, as tables, JSON or drawn skeletons."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli import batch as batch_options
from gaitcli.cli.batch import OutputFormat
from gaitcli.cli.output import console, err_console, print_csv, print_json, print_table

#: The --json schema; gaitcli's keypoint reader reads it as one frame per image.
POSE_FORMAT = "gaitcli.pose/1"


class EngineName(str, Enum):
    blazepose = "blazepose"
    ir = "ir"


def pose(
    images: list[Path] = typer.Argument(..., help="Image files (JPEG, PNG, BMP, GIF, WebP, TIFF, PNM).", show_default=False),
    out: Optional[Path] = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the image with the skeleton drawn on it. One image: a file name (or an existing folder). "
        "Several images: a folder, which gets <name>_pose.<ext> per image. Input images are never overwritten.",
    ),
    as_json: bool = typer.Option(False, "--json", help=f"Print only JSON ({POSE_FORMAT}) on stdout; images that failed are "
                                 "{input, error, exit_code} records under \"failures\"."),
    fmt: Optional[OutputFormat] = batch_options.FORMAT,
    all_people: bool = typer.Option(False, "--all", help="Every person found, not only the most prominent one."),
    engine: EngineName = typer.Option(EngineName.blazepose, "--engine", help="Pose engine."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="Trained checkpoint for --engine ir."),
) -> None:
    """Find the person in each IMAGE and print their 16 joints (x, y in pixels, probability).

    Every image is tried: one that cannot be used is reported on stderr (one line) and the
    others are still posed (and drawn); the exit code is then that of the first failed image:
    3 for an unusable file, 4 when an image shows no person. A model problem (5) stops the run.
    """
    from gaitcli.batch import Failure
    from gaitcli.cli.batch import Batch, output_format
    from gaitcli.constants import JOINT_NAMES
    from gaitcli.draw import draw_poses
    from gaitcli.errors import ModelError, NoPersonError
    from gaitcli.io.images import load_image, save_image
    from gaitcli.pose import load_estimator

    fmt = output_format(fmt, as_json)
    targets = output_paths(images, out)
    estimator = None
    frames, failures, rows = [], [], []
    with Batch("pose", images, unit="images") as batch:
        for index, (path, target) in enumerate(zip(images, targets)):
            try:
                image = load_image(path)
                if estimator is None:  # loaded once, after the first image proved usable
                    if engine is EngineName.blazepose:
                        _announce_download()
                    estimator = load_estimator(engine.value, str(checkpoint) if checkpoint is not None else None)
                people = estimator.poses(image, max_people=None if all_people else 1)
                if not people:
                    raise NoPersonError(f"{path}: no person found in the image; use a picture in which a person is clearly visible")
            except ModelError:
                raise  # no image can be posed
            except Exception as exc:
                failures.append(Failure.of(path, exc))
                batch.done(index, failures[-1])
                continue
            frames.append(pose_frame(index, path, image.shape, people))
            if fmt is OutputFormat.csv:
                rows.extend([str(path), k + 1, name, f"{x:.2f}", f"{y:.2f}", f"{q:.4f}"]
                            for k, person in enumerate(people)
                            for name, x, y, q in zip(JOINT_NAMES, person.coords_x, person.coords_y, person.probabilities))
            elif fmt is OutputFormat.table:
                for k, person in enumerate(people):
                    which = f" - person {k + 1} of {len(people)}" if len(people) > 1 else ""
                    console.print(f"{path}{which} (score {person.score:.1%})", soft_wrap=True, highlight=False, markup=False)
                    print_table(_table(person, JOINT_NAMES))
            if target is not None:
                save_image(target, draw_poses(image, people))
                err_console.print(f"wrote {target}", soft_wrap=True, highlight=False, markup=False)
            batch.done(index, people)
    if fmt is OutputFormat.json:
        print_json({"format": POSE_FORMAT, "joint_names": list(JOINT_NAMES), "frames": frames,
                    "failures": [f.as_dict() for f in failures]})
    elif fmt is OutputFormat.csv:
        print_csv(["image", "person", "joint", "x", "y", "probability"], rows)
    batch.finish()


def output_paths(images: list[Path], out: Path | None) -> list[Path | None]:
    """Where each image's drawing goes (see --out); refuses any target that is an input."""
    from gaitcli.errors import InputError
    from gaitcli.io.images import WRITABLE_EXTENSIONS

    if out is None:
        return [None] * len(images)
    if len(images) == 1 and not out.is_dir():
        targets = [out]
        if out.suffix.lower() not in WRITABLE_EXTENSIONS:
            raise InputError(f"--out {out}: give an image file name ending in one of {', '.join(WRITABLE_EXTENSIONS)}")
    else:
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out}: with several images --out must be a folder, and this is a file")
        if not out.exists() and out.suffix.lower() in WRITABLE_EXTENSIONS:
            raise InputError(f"--out {out}: with several images --out must be a folder, not an image file name")
        targets = []
        for image in images:
            suffix = image.suffix.lower() if image.suffix.lower() in WRITABLE_EXTENSIONS else ".png"
            targets.append(out / f"{image.stem}_pose{suffix}")
        if len({t.resolve() for t in targets}) < len(targets):
            raise InputError(f"--out {out}: two input images have the same name, so their drawings would collide; run them separately")
    inputs = {p.resolve() for p in images}
    for target in targets:
        if target.resolve() in inputs:
            raise InputError(f"--out {target}: that is one of the input images; refusing to overwrite it")
    return targets


def pose_frame(index: int, path: Path, shape: tuple[int, ...], people) -> dict:
    """One image's entry in the ``gaitcli.pose/1`` JSON (joints as [x, y, probability])."""
    return {
        "index": index,
        "source": str(path),
        "width": int(shape[1]),
        "height": int(shape[0]),
        "people": [
            {
                "score": round(float(p.score), 4),
                "box": [round(float(v), 2) for v in p.box] if p.box is not None else None,
                "joints": [
                    [round(float(x), 2), round(float(y), 2), round(float(q), 4)]
                    for x, y, q in zip(p.coords_x, p.coords_y, p.probabilities)
                ],
            }
            for p in people
        ],
    }


def _announce_download() -> None:
    """Say so on a terminal's stderr when the first use is about to download the model files."""
    from gaitcli.pose import assets

    if err_console.is_terminal and not all(assets.locate(name) for name in assets.MODEL_FILES):
        err_console.print(
            f"downloading the BlazePose model files (once) into {assets.models_dir()}", soft_wrap=True, highlight=False, markup=False
        )


def _table(person, joint_names):
    from rich.table import Table

    table = Table()
    table.add_column("joint")
    table.add_column("x", justify="right")
    table.add_column("y", justify="right")
    table.add_column("probability", justify="right")
    for name, x, y, p in zip(joint_names, person.coords_x, person.coords_y, person.probabilities):
        table.add_row(name.replace("_", " "), f"{x:.1f}", f"{y:.1f}", f"{p:.2%}")
    return table


def register(app: typer.Typer) -> None:
    """Add the `pose` command to the app."""
    app.command("pose")(pose)
