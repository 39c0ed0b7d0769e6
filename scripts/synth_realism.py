#!/usr/bin/env python
"""How real do the synthetic walkers walk? Compare them with the real CMU walks.

Needs ../shared/data/mocap. Prints, for the report:

1. correlation over the normalised gait cycle between the synthetic population's curves and
   every real subject's (thigh, knee, hip, ankle, arm, elbow), with the fit *leaving that
   subject out* (the model refitted on the other subjects) next to the shipped model;
2. the same for individual synthetic people (their own curves against the real grand mean);
3. cadence (strides/s, ankle-separation autocorrelation), stride length / leg length, knee
   range, pelvis bob: synthetic walks against the real ones;
4. the walker's forward kinematics on a real subject's own curves and bones: its stride
   against the stride the subject really walked;
5. identity separation: distance between two people's cycle curves vs two walks of one person.

Usage: python scripts/synth_realism.py [--people 40]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gaitcli.synth import gait_analysis as ga  # noqa: E402
from gaitcli.synth import gait_curves, mocap  # noqa: E402
from gaitcli.synth.covariates import CovariateEffect  # noqa: E402
from gaitcli.synth.dataset import sample_identity, simulate_walk  # noqa: E402
from gaitcli.synth.walker import stride_length  # noqa: E402

CURVES = ("thigh", "knee", "hip", "ankle", "arm", "elbow")


def side_mean(curves: dict, name: str, n: int = 100) -> np.ndarray:
    """Right and half-cycle-shifted left curve averaged (both sides' shape)."""
    return (curves[f"r_{name}"] + np.roll(curves[f"l_{name}"], -n // 2)) / 2.0


def real_subject_curves(walks) -> dict[int, dict[str, np.ndarray]]:
    out: dict[int, list] = {}
    for w in walks:
        if w.description.strip() != "walk":
            continue
        try:
            c = ga.cycle_curves(w.joints, w.fps, w.feet)
        except ValueError:
            continue
        out.setdefault(w.subject, []).append({k: side_mean(c, k) for k in CURVES})
    return {s: {k: np.mean([c[k] for c in cs], axis=0) for k in CURVES} for s, cs in out.items()}


def synthetic_curves(n_people: int, seed: int, walks_each: int = 1) -> tuple[list, list]:
    """Cycle curves and walk measures of synthetic people (profile, plain walks, 3D joints)."""
    curves, measures = [], []
    for k in range(n_people):
        ident = sample_identity(np.random.default_rng([seed, k]), k)
        for w in range(walks_each):
            walk = simulate_walk(ident, np.random.default_rng([seed, k, w]), fps=60.0, seconds=6.0)
            c = ga.cycle_curves(walk.joints, walk.fps, walk.feet[:, :, 1])
            curves.append((k, {name: side_mean(c, name) for name in CURVES}))
            spans = ga.cycles(ga.heel_strikes(walk.joints, walk.fps), walk.fps)
            bob = ga.normalise_cycles(walk.joints[:, 6, 1], spans).mean(axis=0)
            measures.append(
                {
                    "cadence": ga.stride_frequency(walk.joints, walk.fps),
                    "stride_per_leg": walk.meta["stride_length_m"] / ident.body.leg_length,
                    "knee_min": c["r_knee"].min(),
                    "knee_max": c["r_knee"].max(),
                    "bob_cm": 100 * np.ptp(bob),
                    "speed": walk.meta["speed_mps"],
                }
            )
    return curves, measures


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=40)
    args = parser.parse_args()
    if not mocap.mocap_available():
        print(f"no motion capture at {mocap.DEFAULT_MOCAP_DIR}", file=sys.stderr)
        return 1
    walks = mocap.load_walks()
    real = real_subject_curves(walks)
    subjects = sorted(real)
    phase = np.arange(100) / 100

    print("1. population curve vs each real subject (correlation over the cycle)")
    print(f"   {'curve':6s} {'shipped model: min / median':>28s}   {'leave-subject-out: min / median':>32s}")
    loo_models = {s: mocap.fit_gait_model([w for w in walks if w.subject != s]) for s in subjects}
    for name in CURVES:
        shipped, loo = [], []
        for s in subjects:
            if name == "hip":  # hip = thigh - trunk pitch
                pop = _pop(gait_curves.MODEL, "thigh", phase) - _pop(gait_curves.MODEL, "trunk_pitch", phase)
                left_out = _pop(loo_models[s], "thigh", phase) - _pop(loo_models[s], "trunk_pitch", phase)
            else:
                pop, left_out = _pop(gait_curves.MODEL, name, phase), _pop(loo_models[s], name, phase)
            shipped.append(corr(pop, real[s][name]))
            loo.append(corr(left_out, real[s][name]))
        print(f"   {name:6s} {min(shipped):>16.3f} / {np.median(shipped):.3f}   {min(loo):>20.3f} / {np.median(loo):.3f}")

    print(f"\n2. {args.people} synthetic people's own curves vs the real grand mean (correlation)")
    syn, measures = synthetic_curves(args.people, seed=7)
    for name in CURVES:
        grand = np.mean([real[s][name] for s in subjects], axis=0)
        cs = [corr(c[name], grand) for _, c in syn]
        print(f"   {name:6s} min {min(cs):.3f}  5th pct {np.percentile(cs, 5):.3f}  median {np.median(cs):.3f}")

    print("\n3. walk measures: synthetic (plain walks) vs real (CMU 'walk' trials)")
    real_m = []
    for w in walks:
        if w.description.strip() != "walk":
            continue
        c = ga.cycle_curves(w.joints, w.fps, w.feet)
        spans = ga.cycles(ga.heel_strikes(w.joints, w.fps), w.fps)
        v = ga.walk_speed(w.joints, w.fps, spans)
        bob = ga.normalise_cycles(w.joints[:, 6, 1], spans).mean(axis=0)
        real_m.append(
            {
                "cadence": ga.stride_frequency(w.joints, w.fps),
                "stride_per_leg": v * float(c["stride_s"]) / ga.leg_length(w.joints),
                "knee_min": c["r_knee"].min(),
                "knee_max": c["r_knee"].max(),
                "bob_cm": 100 * np.ptp(bob),
                "speed": v,
            }
        )
    for key in ("cadence", "stride_per_leg", "speed", "knee_min", "knee_max", "bob_cm"):
        a, b = np.array([m[key] for m in measures]), np.array([m[key] for m in real_m])
        print(f"   {key:15s} synthetic {a.min():6.2f} .. {np.median(a):6.2f} .. {a.max():6.2f}   real {b.min():6.2f} .. {np.median(b):6.2f} .. {b.max():6.2f}")

    print("\n4. forward kinematics on a real subject's own curves and bones: stride (m)")
    base = sample_identity(np.random.default_rng(0))
    for w in walks:
        if w.description.strip() != "walk" or not w.identity_bones or w.trial != min(x.trial for x in walks if x.subject == w.subject):
            continue
        c = ga.cycle_curves(w.joints, w.fps, w.feet)
        spans = ga.cycles(ga.heel_strikes(w.joints, w.fps), w.fps)
        real_stride = ga.walk_speed(w.joints, w.fps, spans) * float(c["stride_s"])
        j = w.joints
        body = replace(
            base.body,
            thigh=float(np.median(np.linalg.norm(j[:, 2] - j[:, 1], axis=1))),
            shank=float(np.median(np.linalg.norm(j[:, 1] - j[:, 0], axis=1))),
            hip_width=float(np.median(np.linalg.norm(j[:, 2] - j[:, 3], axis=1))),
        )
        side = {n: np.stack([ga.fourier_fit(c[f"r_{n}"], 6), ga.fourier_fit(np.roll(c[f"l_{n}"], -50), 6)]) for n in mocap.SIDE_CURVES}
        centre = {n: ga.fourier_fit(c[n], 6) for n in mocap.CENTRE_CURVES}
        fk = stride_length(gait_curves.WalkCurves(side, centre, 0.5), body, base.style, CovariateEffect())
        print(f"   subject {w.subject:02d} trial {w.trial:02d}: real {real_stride:.3f}  walker {fk:.3f}  ({100 * (fk / real_stride - 1):+.1f} %)")

    print("\n5. identity separation (RMS difference of knee+hip+arm cycle curves, degrees)")
    syn2, _ = synthetic_curves(min(args.people, 20), seed=11, walks_each=2)
    vec = {}
    for k, c in syn2:
        vec.setdefault(k, []).append(np.concatenate([c["knee"], c["hip"], c["arm"]]))
    within = [np.sqrt(np.mean((v[0] - v[1]) ** 2)) for v in vec.values()]
    keys = sorted(vec)
    between = [np.sqrt(np.mean((vec[a][0] - vec[b][0]) ** 2)) for i, a in enumerate(keys) for b in keys[i + 1 :]]
    print(f"   same person, two walks: median {np.median(within):.2f}   different people: median {np.median(between):.2f}")
    return 0


def _pop(model: dict, name: str, phase: np.ndarray) -> np.ndarray:
    return ga.fourier_eval(np.asarray(model["curves"][name]["mean"]), phase)


if __name__ == "__main__":
    sys.exit(main())
