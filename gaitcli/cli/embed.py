"""`gaitcli embed`: walks -> L2-normalised identification vectors (a thin layer over gaitcli.api)."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import List, Optional

import typer

from gaitcli.cli import batch as batch_options
from gaitcli.cli import model_options
from gaitcli.cli.batch import OutputFormat
from gaitcli.cli.output import err_console, print_csv, print_json, print_table, warning


def embed(
    inputs: List[Path] = typer.Argument(..., help="Videos, folders of frames or keypoint files (COCO, OpenPose, gaitcli JSON); "
                                        "a folder of walks stands for every walk inside it (a folder of images is one walk)."),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Write the vectors to this .npy file (one row per embedded input; meta in FILE.npy.json). "
        "With --all-tracks: a folder (created if missing) that gets VIDEO_trackN.npy per person."),
    json_output: bool = typer.Option(False, "--json", help="Print machine-readable results only: a JSON array with a record per input "
                                     "(an {input, error, exit_code} record for one that failed)."),
    fmt: Optional[OutputFormat] = batch_options.FORMAT,
    track: Optional[int] = typer.Option(None, "--track", help="Embed this track instead of the main walker (see --list-tracks)."),
    list_tracks: bool = typer.Option(
        False, "--list-tracks",
        help="List the people found in each input (id, frames, confident seconds, embeddable; with --json every box); embed nothing."),
    all_tracks: bool = typer.Option(False, "--all-tracks", help="Embed every person long enough to embed, not only the walker."),
    save_video: Optional[Path] = typer.Option(
        None, "--save-video",
        help="With --list-tracks and one video: write it to this .mp4/.avi file with each person's box, track id and skeleton drawn."),
    save_pose: Optional[Path] = typer.Option(
        None, "--save-pose",
        help="Also write the joints each vector was made from to this folder (created if missing): INPUT_pose.json "
        "(INPUT_trackN_pose.json with --all-tracks), gaitcli pose JSON that embeds to the same vector without the video."),
    fps: Optional[float] = model_options.FPS,
    gait_checkpoint: Optional[Path] = model_options.GAIT_CHECKPOINT,
    pose_checkpoint: Optional[Path] = model_options.POSE_CHECKPOINT,
    flip_average: Optional[bool] = typer.Option(
        None, "--flip-average/--no-flip-average",
        help="BlazePose also sees each crop mirrored and averages (the default): about half the pose error of a single pass."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out (and its .json) if they exist; an input is never overwritten."),
    jobs: int = batch_options.JOBS,
    scheduler: Optional[str] = batch_options.SCHEDULER,
) -> None:
    """Turn each walk into an identification vector (the default pose engine and gait model, or the seed's).

    Every input is tried: one that cannot be used is reported on stderr (one line), the others are embedded (and written to --out), and the exit code is that of the first failed input.
    """
    from gaitcli.api import shared_embedder
    from gaitcli.batch import Failure, embed_many
    from gaitcli.cli.batch import Batch, output_format
    from gaitcli.errors import NoPersonError
    from gaitcli.gallery.vectors import check_output
    from gaitcli.io.walk_files import expand_inputs

    fmt = output_format(fmt, json_output)
    _check_options(track=track, list_tracks=list_tracks, all_tracks=all_tracks, save_video=save_video, out=out,
                   save_pose=save_pose, inputs=inputs)
    if save_video is not None:
        from gaitcli.io.video_out import check_video_target

        check_video_target(save_video, force=force, inputs=inputs)
    if out is not None and not all_tracks:
        check_output(out, inputs, force=force)  # both files it writes: FILE.npy and FILE.npy.json
    options = {"gait_checkpoint": gait_checkpoint, "pose_checkpoint": pose_checkpoint, "fps": fps, "flip_average": flip_average,
               **({"keep_joints": True} if save_pose is not None else {})}
    embedder = shared_embedder(**options)  # a model that cannot be used is refused before any input is read
    paths = expand_inputs(inputs)
    if out is not None and not all_tracks:
        check_output(out, paths, force=force)  # nor any walk found in a folder given
    pose_files: dict[int, str] = {}  # id(result) -> the pose file written for it
    save = (lambda results: None) if save_pose is None else _pose_saver(save_pose, paths, pose_files, force=force, per_track=all_tracks)
    if list_tracks:
        listing, failures = {}, []
        with Batch("tracking", paths) as batch:
            for index, path in enumerate(paths):
                try:
                    listing[str(path)] = embedder.list_tracks(path, progress=lambda d, t, i=index: batch.frames(i, d, t))
                    batch.done(index, listing[str(path)])
                except Exception as exc:
                    failures.append(Failure.of(path, exc))
                    batch.done(index, failures[-1])
        if save_video is not None and listing:
            with Batch("drawing", [save_video]) as drawing:
                embedder.save_tracks_video(paths[0], save_video, progress=lambda d, t: drawing.frames(0, d, t))
            err_console.print(f"wrote {save_video}", soft_wrap=True, highlight=False, markup=False)
        _show_tracks(listing, fmt, failures)
        batch.finish()
        return

    with Batch("embedding", paths) as batch:
        if all_tracks:  # every person of each input: one outcome (a list of results, or a failure) per input
            outcomes = []
            for index, path in enumerate(paths):
                try:
                    found = embedder.embed_tracks(path, progress=lambda d, t, i=index: batch.frames(i, d, t))
                    if not found:
                        raise NoPersonError(f"{path}: nobody is seen walking long enough to embed (see --list-tracks)")
                    save(found)
                except Exception as exc:
                    found = Failure.of(path, exc)
                batch.done(index, found)
                outcomes.append(found)
            paths = [p for p, o in zip(paths, outcomes) for _ in (o if isinstance(o, list) else [o])]
            outcomes = [r for o in outcomes for r in (o if isinstance(o, list) else [o])]
        else:
            def done(index: int, outcome) -> None:
                if not isinstance(outcome, Failure):
                    save([outcome])
                batch.done(index, outcome)

            outcomes = embed_many(paths, jobs=jobs, scheduler=scheduler, track=track, on_done=done,
                                  on_frames=batch.frames, **options)
    results = [r for r in outcomes if not isinstance(r, Failure)]
    for r in results:
        if r.info.get("warning"):
            warning(f"{r.source}: {r.info['warning']}")
    if all_tracks and out is not None:
        if results:
            _save_per_track(results, embedder, out, force)
    elif out is not None and results:
        from gaitcli.gallery.vectors import save_vectors

        save_vectors(
            out,
            [r.vector for r in results],
            {
                "model_fingerprint": embedder.gait.fingerprint,
                "feature_space": embedder.feature_space,
                "open_set_threshold": embedder.gait.open_set_threshold,
                "score_blocks": embedder.gait.score_blocks,
                "pose_engine": _engine_of(results, embedder),
                "sources": [r.source for r in results],
                "info": [r.info for r in results],
            },
        )
    records = [
        o.as_dict() if isinstance(o, Failure) else {
            "input": str(path),
            "source": o.source,
            "vector": o.vector,
            "model_fingerprint": o.model_fingerprint,
            "feature_space": o.feature_space,
            "open_set_threshold": o.open_set_threshold,  # as embed --out writes beside the vectors
            "score_blocks": o.score_blocks,
            **o.info,
            **({"pose_file": pose_files[id(o)]} if id(o) in pose_files else {}),
        }
        for path, o in zip(paths, outcomes)
    ]
    if fmt is OutputFormat.json:
        print_json(records)
    elif fmt is OutputFormat.csv:
        print_csv(["input", *_COLUMNS[1:-1], "vector"],
                  [[r["input"], *_cells(r)[1:-1], " ".join(f"{v:.6f}" for v in r["vector"])] for r in records if "error" not in r])
    elif results:
        _show_results(records, embedder)
    if out is not None and results and fmt is not OutputFormat.json and not all_tracks:
        err_console.print(f"wrote {len(results)} vector(s) to {out} (meta in {out}.json)", soft_wrap=True, highlight=False, markup=False)
    if pose_files and fmt is not OutputFormat.json:
        err_console.print(f"wrote {len(pose_files)} pose file(s) to {save_pose}/ (embed them again with `gaitcli embed FILE`)",
                          soft_wrap=True, highlight=False, markup=False)
    batch.finish()


def _check_options(*, track, list_tracks: bool, all_tracks: bool, save_video, out, save_pose, inputs) -> None:
    """Options that do not go together: a bad command line (exit 2), before anything is read."""
    if track is not None and all_tracks:
        raise typer.BadParameter("--track and --all-tracks exclude each other: one person, or all of them")
    if list_tracks and (all_tracks or out is not None or save_pose is not None):
        given = "--all-tracks" if all_tracks else "--out" if out is not None else "--save-pose"
        raise typer.BadParameter(f"--list-tracks embeds nothing; drop {given} (or --list-tracks)")
    if save_video is not None and (not list_tracks or len(inputs) != 1):
        raise typer.BadParameter("--save-video goes with --list-tracks and one video")
    if all_tracks and out is not None and (out.suffix.lower() == ".npy" or (out.exists() and not out.is_dir())):
        raise typer.BadParameter(f"{out}: with --all-tracks --out is a folder (one .npy per person)")
    if save_pose is not None and ((save_pose.exists() and not save_pose.is_dir())
                                  or (not save_pose.exists() and save_pose.suffix.lower() == ".json")):
        raise typer.BadParameter(f"--save-pose {save_pose}: give a folder (it gets one pose file per embedded walk)")


def _pose_saver(folder: Path, paths: list[Path], written: dict[int, str], *, force: bool, per_track: bool):
    """What --save-pose does with each input's results as they arrive: writes their joints as gaitcli
    pose JSON in ``folder`` (made if missing), ``INPUT_pose.json`` or ``INPUT_trackN_pose.json``,
    notes the file in ``written`` and lets the result drop its joints (memory stays one walk's).
    Collisions, existing files (without ``force``) and inputs in the way are an InputError here,
    before anything is embedded."""
    from gaitcli.errors import InputError
    from gaitcli.io.keypoints import write_pose_json

    stems = [Path(p).stem for p in paths]
    if len(set(stems)) < len(stems):
        raise InputError(f"--save-pose {folder}: two inputs have the same name, so their pose files would collide; "
                         "run them separately")
    inputs = {Path(p).resolve() for p in paths}
    for stem in stems:
        found = sorted(folder.glob(f"{glob.escape(stem)}_track*_pose.json")) if per_track else [folder / f"{stem}_pose.json"]
        for target in found:
            if target.resolve() in inputs:
                raise InputError(f"--save-pose {folder}: it would overwrite the input {target}; give another folder")
            if target.exists() and not force:
                raise InputError(f"{target} already exists; pass --force to overwrite it")

    def save(results) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for r in results:
            name = f"{Path(r.source).stem}_track{r.info.get('track')}_pose.json" if per_track else f"{Path(r.source).stem}_pose.json"
            written[id(r)] = str(write_pose_json(folder / name, r.joints, pose_engine=r.pose_engine))
            r.joints = None

    return save


def _engine_of(results, embedder) -> str | None:
    """The pose engine setting to record beside vectors (each input's own is in its info): the one
    that found the joints of ``results``, the embedder's when they differ, None when all came from
    keypoint files of other tools."""
    engines = {r.info.get("pose_engine") for r in results} - {None}
    return (next(iter(engines)) if len(engines) == 1 else embedder.pose_engine) if engines else None


def _save_per_track(results, embedder, out: Path, force: bool) -> None:
    """One vectors file per person, ``VIDEO_trackN.npy``, in the folder ``out`` (made if missing)."""
    from gaitcli.errors import InputError
    from gaitcli.gallery.vectors import save_vectors

    targets = [out / f"{Path(r.source).stem}_track{r.info['track']}.npy" for r in results]
    if len(set(targets)) < len(targets):
        raise InputError(f"--out {out}: two inputs have the same name, so their files would collide; run them separately")
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise InputError(f"{existing[0]} already exists; pass --force to overwrite it")
    out.mkdir(exist_ok=True)
    for target, r in zip(targets, results):
        save_vectors(target, [r.vector], {
            "model_fingerprint": embedder.gait.fingerprint, "feature_space": embedder.feature_space,
            "open_set_threshold": embedder.gait.open_set_threshold, "score_blocks": embedder.gait.score_blocks,
            "pose_engine": _engine_of([r], embedder),
            "sources": [r.source], "info": [r.info],
        })  # fmt: skip
    err_console.print(f"wrote {len(results)} vector file(s) to {out}/ (one per person: VIDEO_trackN.npy)",
                      soft_wrap=True, highlight=False, markup=False)


_COLUMNS = ("input", "frames", "posed", "with pose", "used", "track", "mirrored", "vector")


def _cells(record: dict) -> list[str]:
    """One embedded input's table cells, in :data:`_COLUMNS` order."""
    return [
        record["input"],
        str(record["frames_read"]),
        str(record.get("frames_posed", record["frames_read"])),
        str(record["frames_with_pose"]),
        str(record["frames_used"]),
        f"{record['track']} of {record['tracks']}" if record.get("tracks") else "-",
        "yes" if record.get("mirrored") else "no",
        f"{len(record['vector'])}-d",
    ]


def _show_results(records: list[dict], embedder) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"gait model {embedder.gait.describe()}")
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column in ("input", "vector") else "right")
    for record in records:
        if "error" not in record:
            cells = _cells(record)
            table.add_row(Text(cells[0]), *cells[1:])
    print_table(table)


def _show_tracks(listing: dict, fmt, failures: list) -> None:
    if fmt is OutputFormat.json:
        print_json({**listing, **({"failures": [f.as_dict() for f in failures]} if failures else {})})
        return
    columns = ("track", "frames", "first", "last", "visibility", "travel (body heights)", "confident s", "embeddable", "score", "")
    rows = {
        path: [[str(t["id"]), str(t["frames"]), str(t["first_frame"]), str(t["last_frame"]), f"{t['visibility']:.2f}",
                f"{t['displacement_heights']:.2f}", f"{t['confident_seconds']:.1f}", "yes" if t["embeddable"] else "no",
                f"{t['score']:.1f}", "walker" if t["chosen"] else ""] for t in tracks]
        for path, tracks in listing.items()
    }  # fmt: skip
    if fmt is OutputFormat.csv:
        print_csv(["input", *columns[:-1], "walker"], [[path, *row] for path, table in rows.items() for row in table])
        return
    from rich.table import Table

    for path, table_rows in rows.items():
        table = Table(title=f"people in {path}", title_justify="left")
        for column in columns:
            table.add_column(column, justify="right")
        for row in table_rows:
            table.add_row(*row)
        print_table(table)
