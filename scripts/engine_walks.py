#!/usr/bin/env python
"""Walks as the real pose engine sees them: render clips of synthetic people, run BlazePose.

The default gait model learns from synthetic walks passed through a *model* of the pose
engine's errors (:mod:`gaitcli.synth.estimator_noise`). This script makes training walks that
carry the engine's *real* errors instead: it renders clips exactly as
``scripts/make_sample_videos.py`` renders the samples (figures, scenes, camera, codec) of other
people (ids from :data:`FIRST_PERSON` up; the sample clips stay a held-out test), several walks
per person with a random clip setting each (direction, speed, distance, place in the frame,
scene, bag or coat; the person's body, gait and clothes stay), and runs BlazePose over each clip
the way ``gaitcli embed`` does (tracking mode). ``gaitcli train gait --engine-walks FILE`` mixes
them into training.

The output is one ``.npz`` without pickles (:mod:`gaitcli.training.engine_walks` describes it;
a clip where the engine finds nobody is kept with no frames). Work is saved every few walks and
a rerun with the same arguments resumes. Deterministic: the same arguments give the same clips
(and, with the same LiteRT build, the same joints). ``--score`` rates gait models on such a file
of held-out people (:func:`score`).

    python scripts/engine_walks.py --people 240 --walks 4 --out engine_walks.npz       # training
    python scripts/engine_walks.py --people 40 --walks 3 --first 3001 --out engine_test.npz
    python scripts/engine_walks.py --out engine_test.npz --score gaitcli/weights/gait_default.npz
    python scripts/engine_walks.py --people 40 --walks 3 --first 3001 --out truth_test.npz --truth

The engine runs as ``gaitcli embed`` runs it: flip-averaged (gaitcli.pose.blazepose_landmarks),
on the frames nearest a ``CANONICAL_FPS`` grid (gaitcli.pose.video.sampled_frame), the frames
between them filled (gaitcli.features.sequence.fill_frames). ``--single-pass`` and
``--every-frame`` reproduce files made before those were the default.
``--truth`` writes the same clips' true joints (what the renderer draws) without running the
engine, in the same format: the same head recipe on those says what the engine's errors cost.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO, REPO / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import make_sample_videos as samples  # noqa: E402

from gaitcli.constants import CANONICAL_FPS, NUM_JOINTS  # noqa: E402
from gaitcli.pose.blazepose_landmarks import FLIP_AVERAGE  # noqa: E402
from gaitcli.training.engine_walks import ARRAYS, load_engine_walks, save_engine_walks  # noqa: E402

FIRST_PERSON = 1001
SEED = 20261125


def clip_of(person: int, walk: int) -> samples.Clip:
    """Walk ``walk`` of ``person``: its setting depends on nothing else."""
    return samples.random_clip(np.random.default_rng([SEED, person, walk]), person, walk)


_ESTIMATOR = None


def engine_walk(job: tuple[int, int], flip_average: bool = FLIP_AVERAGE, sample_fps: float | None = CANONICAL_FPS) -> dict:
    """Render one clip, encode it as the samples are, and run the engine over it as
    ``gaitcli embed`` does; the rows are the clip's frames (those not run filled)."""
    global _ESTIMATOR
    from gaitcli.errors import NoPersonError
    from gaitcli.features.sequence import fill_frames
    from gaitcli.io.video import open_frames
    from gaitcli.pose import load_estimator
    from gaitcli.pose.video import poses_over_frames

    if _ESTIMATOR is None or _ESTIMATOR.landmarks.flip_average != flip_average:
        _ESTIMATOR = load_estimator("blazepose", num_threads=1, flip_average=flip_average)
    clip = clip_of(*job)
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = samples.write_clip(clip, Path(tmp))
        try:
            seq = poses_over_frames(_ESTIMATOR, open_frames(path), name=clip.name, fps=samples.FPS, sample_fps=sample_fps)
        except NoPersonError:
            seq = None
    record = _clip_fields(clip)
    joints = [np.zeros((0, NUM_JOINTS))] * 3 if seq is None else fill_frames(seq.frame_indices, seq.coords_y, seq.coords_x, seq.probs)
    record.update({key: np.asarray(values, np.float32) for key, values in zip(ARRAYS, joints)})
    return record


def truth_walk(job: tuple[int, int]) -> dict:
    """The same clip's true joints, as the renderer projects them (probability 1, no engine):
    ``--truth`` files measure what the engine's errors cost identification."""
    clip = clip_of(*job)
    xy = samples.projected(clip)[3]  # (T, 16, 2): x, y in pixels
    return {**_clip_fields(clip), "coords_y": xy[..., 1].astype(np.float32), "coords_x": xy[..., 0].astype(np.float32),
            "probs": np.ones(xy.shape[:2], np.float32)}


def _clip_fields(clip: samples.Clip) -> dict:
    """The fields of an engine-walk record that describe the clip."""
    return {"person": clip.person, "walk": clip.walk, "fps": samples.FPS, "covariate": clip.covariate or "",
            "direction": clip.direction}


def score(checkpoint: str, walks_file: Path, trials: int = 3000, open_sets: tuple[tuple[int, int], ...] = ((3, 1),)) -> dict:
    """How a gait model (with its discriminant head, if any) does on engine walks of held-out
    people: :func:`gaitcli.training.head.gallery_scores` (rank-1 among all of them and random
    three-person galleries like the sample-video gallery test), and, per ``(people, walks)`` in
    ``open_sets``, galleries of that many people enrolled from that many walks each through
    gaitcli's gallery classifier with its open-set threshold, as a user's gallery gets it
    (:func:`gaitcli.training.head.open_set_rates`, under ``"open_set"`` keyed ``"PxW"``)."""
    from gaitcli.gait.model import load_gait_model
    from gaitcli.training.head import engine_walk_set, gallery_scores, open_set_galleries, open_set_rates

    data = engine_walk_set([walks_file], log=lambda _: None)
    model = load_gait_model(checkpoint)
    vectors = np.stack([model.embed_walk(w) for w in data.walks])
    rates = {f"{people}x{walks}": open_set_rates(open_set_galleries(
        vectors, data.labels, trials=trials // 10, people=people, walks=walks, default_threshold=model.open_set_threshold,
        blocks=model.score_blocks))
        for people, walks in open_sets}  # fmt: skip
    return {**gallery_scores(vectors, data, trials=trials), "open_set": rates}


def gallery_shape(text: str) -> tuple[int, int]:
    """``"PxW"`` (people x walks each) for ``--open-set``."""
    try:
        people, walks = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected PEOPLExWALKS such as 3x1; got {text!r}") from None
    if people < 2 or walks < 1:
        raise argparse.ArgumentTypeError(f"a gallery needs at least 2 people and 1 walk each; got {text!r}")
    return people, walks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=240, help="how many people (ids from %d up)" % FIRST_PERSON)
    parser.add_argument("--walks", type=int, default=4, help="walks per person")
    parser.add_argument("--first", type=int, default=FIRST_PERSON, help="first person id")
    parser.add_argument("--out", type=Path, required=True, help="output .npz (resumed when it exists)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel processes")
    parser.add_argument("--save-every", type=int, default=20, help="save after this many new walks")
    parser.add_argument("--single-pass", action="store_true", help="run BlazePose without flip averaging (files made before it was the default)")
    parser.add_argument("--every-frame", action="store_true", help="run the engine on every frame (files made before frame sampling)")
    parser.add_argument("--truth", action="store_true", help="write the clips' true joints instead of running the engine")
    parser.add_argument("--score", nargs="+", metavar="CKPT", help="score these gait models on --out instead (see score())")
    parser.add_argument("--open-set", nargs="+", type=gallery_shape, default=[(3, 1)], metavar="PxW",
                        help="with --score: open-set galleries of P people enrolled from W walks each (default 3x1)")
    args = parser.parse_args(argv)
    if args.score:
        for checkpoint in args.score:
            r = score(checkpoint, args.out, open_sets=tuple(args.open_set))
            print(f"{checkpoint}: rank-1 among {r['people']} people {100 * r['rank1']:.1f} %; in galleries of 3: "
                  f"a probe ranked first {100 * r['three_probe']:.1f} %, all 3 {100 * r['three_all']:.1f} %", flush=True)
            for shape, o in r["open_set"].items():
                print(f"  open set, {shape} walks + a stranger, the gallery's threshold: named right {100 * o['open_named']:.1f} %, "
                      f"a stranger unknown {100 * o['open_stranger_unknown']:.1f} %, all right {100 * o['open_all']:.1f} %", flush=True)
        return 0

    records = load_engine_walks(args.out) if args.out.exists() else []
    done = {(r["person"], r["walk"]) for r in records}
    jobs = [(p, w) for p in range(args.first, args.first + args.people) for w in range(1, args.walks + 1) if (p, w) not in done]
    print(f"{len(done)} walks already in {args.out}, {len(jobs)} to make with {args.workers} workers", flush=True)
    t0, frames, unsaved = time.time(), 0, 0
    work = truth_walk if args.truth else partial(engine_walk, flip_average=not args.single_pass,
                                                 sample_fps=None if args.every_frame else CANONICAL_FPS)
    if args.workers > 1:
        from multiprocessing import get_context

        pool = get_context("spawn").Pool(args.workers)
        results = pool.imap(work, jobs)
    else:
        pool, results = None, map(work, jobs)
    try:
        for n, record in enumerate(results, 1):
            records.append(record)
            frames += len(record["probs"])
            unsaved += 1
            if unsaved >= args.save_every or n == len(jobs):
                save_engine_walks(records, args.out)
                unsaved = 0
                rate = (time.time() - t0) / max(frames, 1)
                print(f"{n}/{len(jobs)} walks, {frames} frames, {rate * 1000:.0f} ms/frame, "
                      f"{(time.time() - t0) / 60:.1f} min", flush=True)
    finally:
        if pool is not None:
            pool.terminate()
    if not jobs:
        save_engine_walks(records, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
