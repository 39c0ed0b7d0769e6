#!/usr/bin/env python
"""Measure how the default pose engine (BlazePose) errs, against known joints.

The synthetic training walks get their estimator errors from :mod:`gaitcli.synth.estimator_noise`.
This script measures the real engine's errors so that model can be fitted to them: it renders
calibration clips exactly as ``scripts/make_sample_videos.py`` renders the samples (same
figures, scenes, camera and codec) but of *other* people (ids from 101 up, each with a random
clip setting; the sample clips stay a held-out test), runs BlazePose over each clip the way
``gaitcli embed`` does (tracking mode) and compares its joints with the projected true joints.

It prints, per joint, BlazePose next to the noise model applied to the same true joints, as
the gait features see them (in units of the person's pixel height, +x ahead in the walking
direction, legs ordered front leg first as ``joint-maps-v2`` orders them): the bias along and
across the walk, the spread, the 90th percentile of the error, the mean probability, and how
often a knee and an ankle come from different legs or the arms are swapped. ``--save`` keeps
the raw measurements (npz); ``--load`` summarises them again; ``--fit`` refits the noise
model's per-joint difficulty to them (docs/synthetic-walkers.md tells how the shipped values were obtained).
The engine runs without flip averaging (``--flip-average`` turns it on): the noise model and the
default gait network trained with it were fitted to BlazePose's single pass.

    python scripts/estimator_calibration.py --clips 40 --save calibration.npz
    python scripts/estimator_calibration.py --load calibration.npz --fit
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO, REPO / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import make_sample_videos as samples  # noqa: E402

from gaitcli import constants as C  # noqa: E402
from gaitcli.synth.camera import project_walk  # noqa: E402

FIRST_PERSON = 101
RECORD_FIELDS = ("truth", "estimate", "visibility", "far_side", "direction", "covariate")
SEED = 20261124


def calibration_clips(count: int) -> list[samples.Clip]:
    """``count`` seeded clips of people who are not in sample_videos/."""
    rng = np.random.default_rng(SEED)
    return [samples.random_clip(rng, FIRST_PERSON + i, 1) for i in range(count)]


def measure_clip(clip: samples.Clip, estimator, workdir: Path) -> dict[str, np.ndarray]:
    """Render and encode ``clip``, run the engine over it; truth and estimate per frame."""
    from gaitcli.io.video import open_frames
    from gaitcli.pose.video import poses_over_frames

    path, _ = samples.write_clip(clip, workdir)
    walk, _ = samples.simulate(clip)
    camera = samples.film(walk.joints, clip)
    projection = project_walk(walk.joints, camera)
    seq = poses_over_frames(estimator, open_frames(path), name=clip.name, fps=samples.FPS)
    t = walk.frames
    est = np.full((t, len(C.JOINT_NAMES), 3), np.nan)
    keep = seq.frame_indices < t
    est[seq.frame_indices[keep]] = np.stack([seq.coords_x, seq.coords_y, seq.probs], -1)[keep]
    est[est[..., 2].max(axis=1) <= 0] = np.nan  # frames where the walker was not seen
    path.unlink()
    return {
        "truth": projection.xy, "estimate": est, "visibility": projection.visibility,
        "far_side": projection.far_side, "direction": np.full(t, clip.direction),
        "covariate": np.array(clip.covariate or ""),
    }


def person_height(xy: np.ndarray) -> np.ndarray:
    """(T,) pixel height: head top to the lower ankle (as the noise model measures it)."""
    return np.maximum(np.maximum(xy[:, C.R_ANKLE, 1], xy[:, C.L_ANKLE, 1]) - xy[:, C.HEAD_TOP, 1], 1.0)


def swapped(truth: np.ndarray, est: np.ndarray, pair: tuple[int, int]) -> np.ndarray:
    """(T,) bool: the engine put joint a where b is and b where a is (closer that way round)."""
    a, b = pair
    straight = np.linalg.norm(est[:, a] - truth[:, a], axis=-1) + np.linalg.norm(est[:, b] - truth[:, b], axis=-1)
    crossed = np.linalg.norm(est[:, a] - truth[:, b], axis=-1) + np.linalg.norm(est[:, b] - truth[:, a], axis=-1)
    return crossed < straight


def walker_frame(xy: np.ndarray, direction: int) -> np.ndarray:
    """x flipped so that +x is ahead in the walking direction."""
    out = np.array(xy, dtype=np.float64, copy=True)
    out[..., 0] *= direction
    return out


def error_stats(truth: np.ndarray, est: np.ndarray, prob: np.ndarray, direction: int) -> dict[str, np.ndarray]:
    """Per frame errors as the gait features see them: in heights, +x ahead, and with both
    skeletons' legs put front leg first (joint-maps-v2 orders the legs so, whatever their labels)."""
    from gaitcli.features.joint_maps import legs_front_first

    seen = np.isfinite(est).all(axis=(1, 2))
    truth, est, prob = walker_frame(truth[seen], direction), walker_frame(est[seen], direction), prob[seen]
    height = person_height(truth)[:, None]
    ty, tx, _ = legs_front_first(truth[..., 1], truth[..., 0], np.ones_like(prob))
    ey, ex, ep = legs_front_first(est[..., 1], est[..., 0], prob)
    err = np.stack([(ex - tx) / height, (ey - ty) / height], -1)
    mixed = swapped(truth, est, (C.R_KNEE, C.L_KNEE)) != swapped(truth, est, (C.R_ANKLE, C.L_ANKLE))
    arms = swapped(truth, est, (C.R_ELBOW, C.L_ELBOW))
    legs = swapped(truth, est, (C.R_ANKLE, C.L_ANKLE))
    return {"err": err, "prob": ep, "mixed": mixed, "arm_swap": arms, "leg_swap": legs}


def noise_model_estimates(records: list[dict[str, np.ndarray]], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The synthetic noise model's output for the same true joints (levels as training draws them)."""
    from gaitcli.synth.dataset import WalkOptions
    from gaitcli.synth.estimator_noise import apply_estimator_noise, sample_noise_profile

    low, high = WalkOptions().noise_level
    rng = np.random.default_rng(seed)
    out = []
    for r in records:
        profile = sample_noise_profile(rng, rng.uniform(low, high), covariate=str(r["covariate"]) or None)
        xy, prob = apply_estimator_noise(r["truth"], r["visibility"], r["far_side"], rng, profile)
        out.append((xy, prob))
    return out


def pooled(records, estimates) -> dict[str, np.ndarray]:
    stats = [error_stats(r["truth"], xy, prob, int(r["direction"][0])) for r, (xy, prob) in zip(records, estimates)]
    return {key: np.concatenate([s[key] for s in stats]) for key in stats[0]}


def summarise(records: list[dict[str, np.ndarray]]) -> None:
    engine = pooled(records, [(r["estimate"][..., :2], r["estimate"][..., 2]) for r in records])
    model = pooled(records, noise_model_estimates(records))
    print(f"{len(engine['err'])} frames seen in {len(records)} clips. Errors in units of the person's pixel height,")
    print("+x ahead, legs front leg first (right_* = front). engine = BlazePose, model = estimator_noise.")
    print(f"{'joint':15s} {'bias x':>13s} {'bias y':>13s} {'sd x':>13s} {'sd y':>13s} {'p90 radius':>13s} {'probability':>13s}")
    for j, name in enumerate(C.JOINT_NAMES):
        cells = []
        for column in range(6):
            values = []
            for s in (engine, model):
                e = s["err"][:, j]
                values.append((e[:, 0].mean(), e[:, 1].mean(), e[:, 0].std(), e[:, 1].std(),
                               np.percentile(np.linalg.norm(e, axis=-1), 90), s["prob"][:, j].mean())[column])
            cells.append(f"{values[0]:6.3f} {values[1]:6.3f}")
        print(f"{name:15s} " + " ".join(cells))
    for key, label in (("leg_swap", "ankle labels swapped"), ("mixed", "knee and ankle from different legs"),
                       ("arm_swap", "elbows swapped")):
        print(f"{label}: engine {engine[key].mean():.3f}, model {model[key].mean():.3f} of frames")


#: Joints fitted together (left and right share a difficulty).
FIT_GROUPS = {
    "ankles": (C.R_ANKLE, C.L_ANKLE), "knees": (C.R_KNEE, C.L_KNEE), "hips": (C.R_HIP, C.L_HIP),
    "wrists": (C.R_WRIST, C.L_WRIST), "elbows": (C.R_ELBOW, C.L_ELBOW), "shoulders": (C.R_SHOULDER, C.L_SHOULDER),
    "upper_neck": (C.UPPER_NECK,), "head_top": (C.HEAD_TOP,),
}


def robust_spread(err: np.ndarray, joints: tuple[int, ...]) -> np.ndarray:
    """(2,) spread along x and y of the pooled errors of ``joints``: the 68th percentile of the
    distance from the median (the sd for normal errors, blind to rare wild points)."""
    e = err[:, list(joints)].reshape(-1, 2)
    return np.percentile(np.abs(e - np.median(e, axis=0)), 68.3, axis=0)


def fit_difficulty(records: list[dict[str, np.ndarray]], iterations: int = 7) -> dict[str, np.ndarray]:
    """Fit ``estimator_noise.JOINT_DIFFICULTY`` so that the noise model's robust spread per joint
    group matches the engine's (multiplicative updates, everything else in the model as it is)."""
    import gaitcli.synth.estimator_noise as noise

    engine = pooled(records, [(r["estimate"][..., :2], r["estimate"][..., 2]) for r in records])
    target = {k: robust_spread(engine["err"], j) for k, j in FIT_GROUPS.items()}
    saved = noise.JOINT_DIFFICULTY.copy()
    try:
        for j in [j for group in FIT_GROUPS.values() for j in group]:
            noise.JOINT_DIFFICULTY[j] = 1.0
        for _ in range(iterations):
            model = pooled(records, noise_model_estimates(records))
            for key, joints in FIT_GROUPS.items():
                ratio = target[key] / robust_spread(model["err"], joints)
                noise.JOINT_DIFFICULTY[list(joints)] *= np.clip(ratio, 0.5, 2.0) ** 0.8
        return {key: noise.JOINT_DIFFICULTY[joints[0]].copy() for key, joints in FIT_GROUPS.items()}
    finally:
        noise.JOINT_DIFFICULTY[:] = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=24, help="calibration clips to render and measure")
    parser.add_argument("--save", type=Path, help="write the raw measurements here (npz)")
    parser.add_argument("--load", type=Path, help="summarise measurements saved earlier instead")
    parser.add_argument("--fit", action="store_true", help="also fit the noise model's JOINT_DIFFICULTY to them")
    parser.add_argument("--flip-average", action="store_true", help="measure the engine with flip averaging (not what the noise model is fitted to)")
    args = parser.parse_args(argv)
    if args.load:
        data = np.load(args.load)
        n = len({k.split("/")[0] for k in data.files})
        records = [{f: data[f"{i}/{f}"] for f in RECORD_FIELDS} for i in range(n)]
    else:
        from gaitcli.pose import load_estimator

        estimator = load_estimator("blazepose", flip_average=args.flip_average)
        records = []
        with tempfile.TemporaryDirectory() as tmp:
            for i, clip in enumerate(calibration_clips(args.clips)):
                records.append(measure_clip(clip, estimator, Path(tmp)))
                seen = np.isfinite(records[-1]["estimate"][:, 0, 0]).mean()
                print(f"clip {i + 1}/{args.clips} (person {clip.person}): walker seen in {100 * seen:.0f} % of frames",
                      flush=True)
        if args.save:
            np.savez_compressed(args.save, **{f"{i}/{k}": v for i, r in enumerate(records) for k, v in r.items()})
    summarise(records)
    if args.fit:
        print("\nfitted JOINT_DIFFICULTY (x, y):")
        for key, value in fit_difficulty(records).items():
            print(f"  {key:12s} ({value[0]:.1f}, {value[1]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
