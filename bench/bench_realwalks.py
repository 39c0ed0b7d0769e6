"""Real walks benchmark: does gaitcli tell real people apart, and better than a hand-made reference?

    python bench/bench_realwalks.py                 # UCalgary 27 people + CMU, true joints and engine noise
    python bench/bench_realwalks.py --quick         # true joints only
    python bench/bench_realwalks.py --gait-checkpoint other.npz --json out.json
    python bench/bench_realwalks.py --quick --no-cmu --views 90 --no-cross --probe-seconds 1   # short probes
    python bench/bench_realwalks.py --no-covariates   # without the normal -> carrying protocols
    python bench/bench_realwalks.py --no-paces        # without the change-of-pace protocol (CMU)
    python bench/bench_realwalks.py --quick --no-cmu --engine   # + rendered and run through BlazePose (cached)

People: the UCalgary people (``../shared/data/realwalks/ucalgary_kinect``, real bodies, real
motion: research/evaluation only, nothing here is fitted on them) and the CMU motion-capture
people with their own skeletons (``../shared/data/mocap``). Each 3D walk is filmed by a virtual
camera (``bench/realwalks.py``) from 0 (toward the camera), 45 and 90 degrees (side view), once
as the true joints and once through the pose engine's error model (fitted to BlazePose); with
``--engine`` also drawn as a figure and run through BlazePose itself (UCalgary only).

Protocol, per view or view pair: the gallery holds one walk per person, enrolled the way
``gaitcli enroll`` does (the gallery's linear SVMs, the model's threshold), and every other walk
of those people is a probe; each of a person's walks takes the gallery's place once (run 1 -> run 2
and run 2 -> run 1). UCalgary has 28 subject numbers and 56 normal runs, of which 6 are not a walk
of their subject (``realwalks.load_ucalgary``; printed as "left out"): subject 10's files are a
copy of subject 4's, subject 22's two runs are one recording, and in three runs the sensor
followed a bystander. That leaves 27 people enrolled (chance 3.7 %) and 46 probes per view;
the 4 people with one usable walk are enrolled with it and never probed. Cross-view:
gallery walks seen from one view, probes from another; walking away from the camera (gallery
walks toward it from 0 or 45 degrees, probes walking away, from straight behind or 45 degrees off
it going the other way); and a gallery enrolled from two views at
once (each gallery walk seen from 0 and from 90 degrees), probed from 45. *Camera-adapted*
cross-view: the same pairs, the probes' camera taught to the gallery from the probe walks
themselves (no names), as ``gaitcli gallery camera`` + ``gaitcli identify --camera`` do; the
reference gets the same shift of its features. Carrying (UCalgary only, each view): the
gallery walks are the normal ones, and every other walk is a probe four times, made to carry
something by ``realwalks.with_covariate`` (a bag in one hand, a phone at the ear, texting, a
coat's damped arm swing: the arms of the recorded walk are replaced, legs and timing stay real),
184 probes per view, as the held-out covariate walks (bag, coat, phone, texting). Change of pace
(``--no-paces`` to skip): the two CMU people who walked at several speeds (one 0.9-1.7 m/s over
11 walks, the other 1.0-1.8 m/s over 8, "slow walk" trials included) are enrolled from one walk
at a time among one walk of every other person (32 in all), and their other walks identified;
rank-1 by how far the probe's speed is from the gallery walk's (within 10 %, 10-25 %, over 25 %).
Two people only: read it as how fast the vector drifts with pace, not as an accuracy. Printed
per protocol:

* **rank-1** of the first candidate with its 95 % Wilson interval, and the number of people;
* **open set**: *named*, the probe's person ranked first and at or above the gallery's threshold;
  *unknown*, each person left out of the gallery in turn and their probe's best score below the
  threshold of that gallery (strangers);
* the same rank-1 for the **reference**: per walk, joints relative to the hip centre divided by
  the median head-to-ankle height, mirrored to face +x; per-joint mean and standard deviation
  over frames + 10 limb-length ratios; ``StandardScaler`` + ``LinearSVC`` fitted on the gallery
  walks. Its "named"/"unknown" use its decision value 0;
* **open-set threshold check** (UCalgary, each same view): the threshold that these real people
  would choose (least FAR + FRR over 2000 galleries of 3 people enrolled from one walk, the
  measurement ``gaitcli train blocks`` makes on synthetic people), beside the shipped one, with
  FRR and FAR at each. It judges the shipped threshold; nothing is fitted on these people.

Skips (exit 0 with a message) where ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from pathlib import Path

import warnings

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realwalks  # noqa: E402

warnings.filterwarnings("ignore", message="The number of unique classes")

VIEWS = (0, 45, 90)
CROSS = ((90, 0), (0, 90), (90, 45), (45, 90))
#: Walking away from the camera: gallery walks toward it (0, 45), probes away from it (180,
#: straight behind; -135, going the other way 45 degrees off behind). Through BlazePose their
#: renders are cached in a file of their own. The drawn figures have no face, so BlazePose's left
#: and right are unreliable from the front and back; the default model's mirror averaging of walks
#: toward or away from the camera makes that irrelevant at 0 and 180 degrees, not at -135.
BEHIND = ((0, 180), (45, -135))
#: Galleries enrolled from several views at once (each person's gallery walk seen from each), probed from another.
MULTI_VIEW = (((0, 90), 45),)
COVARIATE_SEED = 20261205


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


# --- the reference --------------------------------------------------------------------------

def reference_features(ys: np.ndarray, xs: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """The hand-made reference's features of one walk (see the module docstring)."""
    from gaitcli.constants import HEAD_TOP, L_ANKLE, L_ELBOW, L_HIP, L_KNEE, L_SHOULDER, L_WRIST, R_ANKLE, R_ELBOW, R_HIP, R_KNEE, R_SHOULDER, R_WRIST

    ok = np.isfinite(ys).all(1) & np.isfinite(xs).all(1)
    ys, xs = ys[ok], xs[ok]
    cy = (ys[:, R_HIP] + ys[:, L_HIP]) / 2
    cx = (xs[:, R_HIP] + xs[:, L_HIP]) / 2
    height = float(np.median((ys[:, R_ANKLE] + ys[:, L_ANKLE]) / 2 - ys[:, HEAD_TOP]))
    jy = (ys - cy[:, None]) / height
    jx = (xs - cx[:, None]) / height
    if cx[-1] < cx[0]:
        jx = -jx
    limbs = [(R_SHOULDER, R_ELBOW), (R_ELBOW, R_WRIST), (L_SHOULDER, L_ELBOW), (L_ELBOW, L_WRIST), (R_HIP, R_KNEE),
             (R_KNEE, R_ANKLE), (L_HIP, L_KNEE), (L_KNEE, L_ANKLE), (R_SHOULDER, R_HIP), (L_SHOULDER, L_HIP)]
    ratios = [np.median(np.hypot(jy[:, a] - jy[:, b], jx[:, a] - jx[:, b])) for a, b in limbs]
    return np.concatenate([jy.mean(0), jx.mean(0), jy.std(0), jx.std(0), ratios])


def reference_scores(gallery: np.ndarray, labels: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """(probes, people) decision values of StandardScaler + LinearSVC fitted on the gallery."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    model = make_pipeline(StandardScaler(), LinearSVC(dual="auto", max_iter=20000, random_state=0))  # a fixed order: the same rows every run
    model.fit(gallery, labels)
    scores = model.decision_function(probes)
    if scores.ndim == 1:  # two people
        scores = np.stack([-scores, scores], axis=1)
    return scores


# --- gaitcli --------------------------------------------------------------------------------

class Gaitcli:
    """The default pipeline on keypoints: prepare_walk -> gait model -> gallery classifier."""

    def __init__(self, checkpoint: str | None = None):
        from gaitcli.gait.model import load_gait_model

        self.model = load_gait_model(checkpoint)
        self.threshold = self.model.open_set_threshold

    def vector(self, ys, xs, ps, fps) -> np.ndarray:
        from gaitcli.features.sequence import prepare_walk

        return self.model.embed_walk(prepare_walk(ys, xs, ps, fps))

    def scores(self, gallery: np.ndarray, labels: np.ndarray, probes: np.ndarray) -> tuple[np.ndarray, float]:
        from gaitcli.gallery import classifier

        people = int(labels.max()) + 1
        blocks = self.model.score_blocks if gallery.shape[1] == self.model.dimension else None  # the model's own vectors only
        model = classifier.fit(gallery, labels, people, default_threshold=self.threshold, blocks=blocks)
        return classifier.scores(model, gallery, labels, probes), float(model.threshold)


# --- protocols ------------------------------------------------------------------------------

def features_of(pipeline: Gaitcli) -> dict:
    """The two methods compared: name -> features(ys, xs, ps, fps) of one walk."""
    return {"gaitcli": pipeline.vector, "reference": lambda ys, xs, ps, fps: reference_features(ys, xs, ps)}


def scores_of(method: str, pipeline: Gaitcli, gallery: np.ndarray, labels: np.ndarray, probes: np.ndarray) -> tuple[np.ndarray, float]:
    """(probes, people) scores of ``method`` and its open-set threshold (the reference decides at 0)."""
    if method == "gaitcli":
        return pipeline.scores(gallery, labels, probes)
    return reference_scores(gallery, labels, probes), 0.0


def camera_adapted(method: str, probes: np.ndarray, camera_walks: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """``probes`` moved from their camera (whose walks are ``camera_walks``) to the gallery's: for
    gaitcli as ``gaitcli identify --camera`` does (:mod:`gaitcli.gallery.cameras`), for the
    reference the same shift of its raw features (its cameras' feature means)."""
    if method == "gaitcli":
        from gaitcli.gallery.cameras import to_reference, unit_mean

        return to_reference(probes, unit_mean(camera_walks), unit_mean(gallery))
    return probes - camera_walks.mean(axis=0) + gallery.mean(axis=0)


def identify(method: str, pipeline: Gaitcli, gallery: dict, probes: dict, *, adapt: bool = False) -> dict:
    """Rank-1 and open-set rates of ``probes`` against ``gallery`` (dicts person -> [features]; a
    person may be enrolled from several walks, e.g. the same walk seen from several views).
    ``adapt``: the probes come from another camera, whose walks are the probes themselves (as
    ``gaitcli gallery camera`` would be taught with them, no names used): :func:`camera_adapted`."""
    people = sorted(gallery)
    index = {p: i for i, p in enumerate(people)}
    g = np.stack([x for p in people for x in gallery[p]])
    labels = np.array([index[p] for p in people for _ in gallery[p]])
    probe_people = [p for p in people for _ in probes.get(p, [])]
    pr = np.stack([x for p in people for x in probes.get(p, [])])
    if adapt:
        pr = camera_adapted(method, pr, pr, g)
    truth = np.array([index[p] for p in probe_people])
    table, threshold = scores_of(method, pipeline, g, labels, pr)
    first = table.argmax(1)
    right = first == truth
    named = right & (table[np.arange(len(truth)), truth] >= threshold)
    # strangers: each person left out of the gallery in turn, their probes scored by the others
    unknown = []
    for k, person in enumerate(people):
        keep = labels != k
        if len(people) < 3:
            continue
        sub_labels = labels[keep] - (labels[keep] > k)  # the others, numbered 0..n-2
        mine = truth == k
        if not mine.any():
            continue
        t, thr = scores_of(method, pipeline, g[keep], sub_labels, pr[mine])
        unknown.extend(t.max(1) < thr)
    n, k = len(right), int(right.sum())
    lo, hi = wilson(k, n)
    return {"rank1": k / n, "ci": [lo, hi], "probes": n, "people": len(people), "named": float(named.mean()),
            "unknown": float(np.mean(unknown)) if unknown else float("nan"), "threshold": threshold}


def observe_all(walks, views, noise: bool, features, seconds: float | None = None, seen: dict | None = None) -> dict:
    """features[(person, walk, view)] for every walk and view (of the first ``seconds`` of each walk
    when given); ``seen``: the joints to use instead of the virtual camera's (engine keypoints,
    :func:`engine_keypoints`), None where the engine found nobody (that walk is left out)."""
    out = {}
    for n, w in enumerate(walks):
        for view in views:
            if seen is not None:
                if seen.get((w.person, w.walk, view)) is None:
                    continue
                ys, xs, ps = seen[(w.person, w.walk, view)]
            else:
                ys, xs, ps = realwalks.observe(w, view, noise=noise, seed=1000 * n + view)
            if seconds is not None:
                ys, xs, ps = (a[: int(round(seconds * w.fps))] for a in (ys, xs, ps))
            out[(w.person, w.walk, view)] = features(ys, xs, ps, w.fps)
    return out


def _engine_job(job):
    walk, view, n, c = job
    global _ESTIMATOR
    if _ESTIMATOR is None:
        from gaitcli.pose import load_estimator

        _ESTIMATOR = load_estimator("blazepose", num_threads=1)
    key = (walk.person, walk.walk, view) if c < 0 else (walk.person, walk.walk, view, realwalks.REAL_COVARIATES[c])
    if c >= 0:
        walk = realwalks.with_covariate(walk, realwalks.REAL_COVARIATES[c], np.random.default_rng([COVARIATE_SEED, n, c]))
    return key, realwalks.rendered(walk, view, _ESTIMATOR, seed=1000 * n + view + 17 * (c + 1),
                                   look_seed=zlib.crc32(walk.person.encode()))


_ESTIMATOR = None


def engine_keypoints(walks, views, workers: int, log, covariate_views=()) -> dict:
    """(coords_y, coords_x, probabilities) of BlazePose on every walk rendered from every view
    (:func:`realwalks.rendered`; about 3 s a walk and view per worker), keyed (person, walk,
    view), and on every walk carrying each covariate from each of ``covariate_views``, keyed
    (person, walk, view, covariate); cached in gaitcli's cache folder (``bench-realwalks-*.npz``;
    arrays only)."""
    import hashlib
    from multiprocessing import get_context

    from gaitcli.pose.assets import cache_dir

    key = hashlib.sha256(repr([(w.person, w.walk, len(w.joints), float(w.joints.sum())) for w in walks] + list(views)
                              + [realwalks.RENDER_SIZE, 1] + ([COVARIATE_SEED, *covariate_views] if covariate_views else [])
                              ).encode()).hexdigest()[:16]
    jobs = [(w, view, n, -1) for n, w in enumerate(walks) for view in views]
    jobs += [(w, view, n, c) for n, w in enumerate(walks) for view in covariate_views for c in range(len(realwalks.REAL_COVARIATES))]
    keys = [(w.person, w.walk, v) if c < 0 else (w.person, w.walk, v, realwalks.REAL_COVARIATES[c]) for w, v, _, c in jobs]
    path = cache_dir() / f"bench-realwalks-{key}.npz"
    names = ("ys", "xs", "ps")

    def stored_as(k, n):  # one array of the cache file: "person|walk|view[|covariate]|ys"
        return "|".join(map(str, (*k, n)))

    if path.is_file():
        with np.load(path, allow_pickle=False) as archive:
            stored = set(archive.files)
            return {k: tuple(archive[stored_as(k, n)] for n in names) if stored_as(k, "ys") in stored else None for k in keys}
    log(f"  rendering {len(jobs)} walks and running BlazePose on them ({workers} workers; cached in {path})")
    if workers > 1:
        with get_context("spawn").Pool(workers) as pool:
            done = dict(pool.map(_engine_job, jobs, chunksize=1))
    else:
        done = dict(map(_engine_job, jobs))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **{stored_as(k, n): a for k, seen in done.items() if seen is not None for n, a in zip(names, seen)})
    tmp.replace(path)
    return done


def observe_covariates(walks, views, noise: bool, features, seen: dict | None = None) -> dict:
    """features[(person, walk, view, covariate)]: every walk carrying each of
    :data:`realwalks.REAL_COVARIATES` (arms occupied or damped, see :func:`realwalks.with_covariate`);
    ``seen``: engine keypoints to use instead (:func:`engine_keypoints`)."""
    out = {}
    for n, w in enumerate(walks):
        for c, covariate in enumerate(realwalks.REAL_COVARIATES):
            if seen is not None:
                for view in views:
                    if seen.get((w.person, w.walk, view, covariate)) is not None:
                        out[(w.person, w.walk, view, covariate)] = features(*seen[(w.person, w.walk, view, covariate)], w.fps)
                continue
            carried = realwalks.with_covariate(w, covariate, np.random.default_rng([COVARIATE_SEED, n, c]))
            for view in views:
                ys, xs, ps = realwalks.observe(carried, view, noise=noise, seed=1000 * n + view + 17 * (c + 1))
                out[(w.person, w.walk, view, covariate)] = features(ys, xs, ps, w.fps)
    return out


def recorded_twice(walks) -> list:
    """The walks of people recorded walking at least twice (the protocols' people)."""
    counts: dict[str, int] = {}
    for w in walks:
        counts[w.person] = counts.get(w.person, 0) + 1
    return [w for w in walks if counts[w.person] >= 2]


def splits(walks) -> list[tuple[dict, dict]]:
    """(gallery walk, probe walks) of each person recorded at least twice, once for each walk
    position k (the k-th usable walk by name in the gallery, the others probes). Walks marked
    ``excluded`` (not a walk of their subject, :func:`realwalks.load_ucalgary`) are never used: a
    person with one usable walk left is enrolled with it in both splits and never probed, and a
    person with none is not enrolled."""
    usable: dict[str, list[str]] = {}
    for w in recorded_twice(walks):
        usable.setdefault(w.person, [])
        if w.excluded is None:
            usable[w.person].append(w.walk)
    usable = {p: sorted(n) for p, n in usable.items() if n}
    out = []
    for k in range(2):
        gallery = {p: n[min(k, len(n) - 1)] for p, n in usable.items()}
        out.append((gallery, {p: [w for w in n if w != gallery[p]] for p, n in usable.items()}))
    return out


def excluded_walks(walks) -> list[str]:
    """'person walk: why' of each recording the protocols leave out."""
    return [f"{w.person} {w.walk}: {w.excluded}" for w in walks if w.excluded is not None]


def pooled(results: list[dict]) -> dict:
    """Rates of several gallery/probe splits pooled over their probes."""
    n = sum(r["probes"] for r in results)
    k = int(round(sum(r["rank1"] * r["probes"] for r in results)))
    out = {"rank1": k / n, "ci": list(wilson(k, n)), "probes": n, "people": results[0]["people"], "threshold": results[0]["threshold"]}
    for key in ("named", "unknown"):
        out[key] = float(sum(r[key] * r["probes"] for r in results) / n)
    return out


def _identify_splits(method: str, pipeline: Gaitcli, parts, feats: dict, probe_feats: dict, gview, probe_key,
                     adapt: bool = False) -> list[dict]:
    """:func:`identify` over each gallery/probe split: gallery ``feats[(person, walk, gview)]`` (the
    gallery walk seen from each of several views when ``gview`` is a tuple), probes
    ``probe_feats[probe_key(person, walk)]``. A walk without features (the engine could not
    follow it) is left out: its person is not enrolled, or not probed."""
    gviews = gview if isinstance(gview, tuple) else (gview,)
    results = []
    for gallery_walk, probe_walks in parts:
        gallery = {p: [feats[(p, gallery_walk[p], v)] for v in gviews if (p, gallery_walk[p], v) in feats] for p in gallery_walk}
        gallery = {p: vectors for p, vectors in gallery.items() if vectors}
        probes = {p: [probe_feats[probe_key(p, w)] for w in probe_walks[p] if probe_key(p, w) in probe_feats] for p in gallery}
        results.append(identify(method, pipeline, gallery, probes, adapt=adapt))
    return results


#: Galleries drawn for the open-set threshold check (:func:`open_set_threshold_check`).
THRESHOLD_TRIALS = 2000


def open_set_threshold_check(pipeline: Gaitcli, feats: dict, walks, view) -> dict:
    """The one-walk open-set threshold these people would choose, beside the model's: the one
    that minimises FAR + FRR over :data:`THRESHOLD_TRIALS` galleries of 3 people enrolled from one
    walk each, measured exactly as ``gaitcli train blocks`` measures the shipped threshold on
    held-out synthetic people (:func:`gaitcli.training.head.open_set_galleries`), and FAR + FRR at
    both. Judging only: nothing is set from it."""
    from gaitcli.gallery.classifier import min_error_threshold
    from gaitcli.training.head import open_set_galleries

    keys = [(w.person, w.walk, view) for w in walks if w.excluded is None and (w.person, w.walk, view) in feats]
    labels = np.array([k[0] for k in keys])
    galleries = open_set_galleries(np.stack([feats[k] for k in keys]), labels, trials=THRESHOLD_TRIALS,
                                   default_threshold=pipeline.threshold, blocks=pipeline.model.score_blocks)
    best = min_error_threshold(galleries["own"].ravel(), galleries["stranger"])

    def error(t: float) -> tuple[float, float]:
        return float((galleries["own"] < t).mean()), float((galleries["stranger"] >= t).mean())

    return {"best": best, "shipped": pipeline.threshold, "frr_far_best": error(best), "frr_far_shipped": error(pipeline.threshold),
            "people": len(set(labels)), "trials": THRESHOLD_TRIALS}


def format_threshold_row(row: dict) -> str:
    c = row["gaitcli"]
    frr, far = c["frr_far_shipped"]
    return (f"  {row['gallery_view']:>6} deg  open-set threshold, {c['trials']} galleries of 3 of these {c['people']} people: "
            f"shipped {c['shipped']:+.3f} (FRR {100 * frr:4.1f} %  FAR {100 * far:4.1f} %, sum {100 * (frr + far):4.1f} %)"
            f"  | best for them {c['best']:+.3f} (sum {100 * sum(c['frr_far_best']):4.1f} %)")


def run(walks, pipeline: Gaitcli, noise: bool, log, views=VIEWS, cross=CROSS, probe_seconds: float | None = None,
        covariates: bool = False, engine: dict | None = None, multi_view=MULTI_VIEW, behind=(),
        threshold_check: bool = False) -> list[dict]:
    parts = splits(walks)
    walks = recorded_twice(walks)  # every recorded walk keeps its place, hence its noise seed
    seen = sorted({v for pair in (*cross, *behind) for v in pair} | set(views) | {v for g, pv in multi_view for v in (*g, pv)})
    methods = features_of(pipeline)
    features = {m: observe_all(walks, seen, noise, f, seen=engine) for m, f in methods.items()}
    probe_features = features if probe_seconds is None else {
        m: observe_all(walks, seen, noise, f, probe_seconds, seen=engine) for m, f in methods.items()}
    source = "blazepose" if engine is not None else ("error model" if noise else "true joints")
    rows = []
    protocols = [(v, v, False) for v in views] + [(g, p, False) for g, p in (*cross, *behind)] + [(g, p, False) for g, p in multi_view]
    protocols += [(g, p, True) for g, p in cross]  # the same cross-view pairs, the probes' camera taught to the gallery
    for gview, pview, adapt in protocols:
        row = {"gallery_view": gview, "probe_view": pview, "noise": noise, "probe_seconds": probe_seconds, "source": source,
               "camera_adapted": adapt}
        for method, feats in features.items():
            row[method] = pooled(_identify_splits(method, pipeline, parts, feats, probe_features[method], gview,
                                                  lambda p, w: (p, w, pview), adapt=adapt))
        rows.append(row)
        log(format_row(row))
    if threshold_check:
        for view in views:
            row = {"protocol": "threshold", "gallery_view": view, "probe_view": view, "noise": noise, "source": source,
                   "gaitcli": open_set_threshold_check(pipeline, features["gaitcli"], walks, view)}
            rows.append(row)
            log(format_threshold_row(row))
    if covariates:
        carried = {m: observe_covariates(walks, views, noise, f, seen=engine) for m, f in methods.items()}
        for view in views:
            row = {"gallery_view": view, "probe_view": view, "noise": noise, "probe_seconds": None, "covariate": "all", "source": source}
            for method, feats in features.items():
                by_covariate = {c: _identify_splits(method, pipeline, parts, feats, carried[method], view,
                                                    lambda p, w, c=c: (p, w, view, c)) for c in realwalks.REAL_COVARIATES}
                row[method] = {**pooled([r for results in by_covariate.values() for r in results]),
                               "by_covariate": {c: pooled(results) for c, results in by_covariate.items()}}
            rows.append(row)
            log(format_row(row))
    return rows


#: Speed-difference bins of the pace protocol: |log(probe speed / gallery speed)| below each bound.
PACE_BINS = (("pace within 10 %", math.log(1.10)), ("10-25 % apart", math.log(1.25)), ("over 25 % apart", math.inf))
PACE_SPAN = 1.25  # a person joins the pace protocol when their fastest walk is this much faster than their slowest


def pace_rows(paced, distractors, pipeline: Gaitcli, noise: bool, log, views=VIEWS) -> list[dict]:
    """Real changes of pace: each person of ``paced`` (CMU walks at several speeds, :func:`realwalks.load_cmu`
    with ``paces``) whose walks span :data:`PACE_SPAN` is enrolled from one walk at a time among
    ``distractors`` (one walk each of every other person: the UCalgary people's first walk and
    the other CMU people's first), and each of their other walks is identified. Rank-1 by how
    far the probe's speed is from the gallery walk's (:data:`PACE_BINS`)."""
    speeds = {(w.person, w.walk): realwalks.speed(w) for w in paced}
    by_person: dict[str, list] = {}
    for w in paced:
        by_person.setdefault(w.person, []).append(w)
    spanning = sorted(p for p, ws in by_person.items()
                      if len(ws) >= 3 and max(speeds[(p, w.walk)] for w in ws) >= PACE_SPAN * min(speeds[(p, w.walk)] for w in ws))
    others = [ws[0] for p, ws in sorted(by_person.items()) if p not in spanning]
    firsts = {}
    for w in distractors:
        if w.excluded is None:
            firsts.setdefault(w.person, w)
    others += [w for p, w in sorted(firsts.items()) if p not in by_person]
    walks = [w for p in spanning for w in by_person[p]] + others
    methods = features_of(pipeline)
    features = {m: observe_all(walks, views, noise, f) for m, f in methods.items()}
    source = "error model" if noise else "true joints"
    rows = []
    for view in views:
        row = {"protocol": "pace", "gallery_view": view, "probe_view": view, "noise": noise, "source": source,
               "pace_people": spanning, "distractors": len(others)}
        for method, feats in features.items():
            hits = {name: [0, 0] for name, _ in PACE_BINS}
            rest = np.stack([feats[(w.person, w.walk, view)] for w in others])
            for person in spanning:
                mine = by_person[person]
                for g in mine:
                    gallery = np.concatenate([feats[(person, g.walk, view)][None], rest])
                    labels = np.arange(len(gallery))
                    probes = [w for w in mine if w.walk != g.walk]
                    pr = np.stack([feats[(person, w.walk, view)] for w in probes])
                    table, _ = scores_of(method, pipeline, gallery, labels, pr)
                    for w, right in zip(probes, table.argmax(1) == 0):
                        apart = abs(math.log(speeds[(person, w.walk)] / speeds[(person, g.walk)]))
                        name = next(n for n, bound in PACE_BINS if apart < bound)
                        hits[name][0] += int(right)
                        hits[name][1] += 1
            row[method] = {name: {"rank1": k / n if n else float("nan"), "ci": list(wilson(k, n)), "pairs": n}
                           for name, (k, n) in hits.items()}
        rows.append(row)
        log(format_pace_row(row))
    return rows


def format_pace_row(row: dict) -> str:
    a, b = row["gaitcli"], row["reference"]
    cells = "  ".join(f"{name} {100 * a[name]['rank1']:5.1f} / {100 * b[name]['rank1']:5.1f} % ({a[name]['pairs']} pairs)"
                      for name, _ in PACE_BINS)
    return f"  {row['gallery_view']:>6} deg  {cells}  gaitcli / reference, {len(row['pace_people'])} people among {row['distractors'] + 1}"


def format_row(row: dict) -> str:
    a, b = row["gaitcli"], row["reference"]
    gallery = "+".join(map(str, row["gallery_view"])) if isinstance(row["gallery_view"], (tuple, list)) else row["gallery_view"]
    view = f"{gallery:>2}->{row['probe_view']:<2}" if gallery != row["probe_view"] else f"{gallery:>6}"
    if row.get("camera_adapted"):
        view += " deg, camera-adapted,"
    else:
        view += " deg"
    if row.get("covariate"):
        per = "  ".join(f"{c} {100 * a['by_covariate'][c]['rank1']:.0f}/{100 * b['by_covariate'][c]['rank1']:.0f}"
                        for c in a["by_covariate"])
        return (f"  {view}  normal -> carrying: gaitcli {100 * a['rank1']:5.1f} % [{100 * a['ci'][0]:4.1f}, {100 * a['ci'][1]:5.1f}]"
                f"  named {100 * a['named']:5.1f} %  unknown {100 * a['unknown']:5.1f} %"
                f"  | reference {100 * b['rank1']:5.1f} % [{100 * b['ci'][0]:4.1f}, {100 * b['ci'][1]:5.1f}]"
                f"  | {a['people']} people, {a['probes']} probes  ({per}, gaitcli/reference %)")
    return (f"  {view}  gaitcli {100 * a['rank1']:5.1f} % [{100 * a['ci'][0]:4.1f}, {100 * a['ci'][1]:5.1f}]"
            f"  named {100 * a['named']:5.1f} %  unknown {100 * a['unknown']:5.1f} %"
            f"  | reference {100 * b['rank1']:5.1f} % [{100 * b['ci'][0]:4.1f}, {100 * b['ci'][1]:5.1f}]"
            f"  | {a['people']} people, {a['probes']} probes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gait-checkpoint", help="gait model (default: the packaged one)")
    parser.add_argument("--quick", action="store_true", help="true joints only (no engine noise)")
    parser.add_argument("--no-cmu", action="store_true", help="UCalgary people only")
    parser.add_argument("--views", type=int, nargs="+", default=list(VIEWS), help="same-view protocols to run (degrees)")
    parser.add_argument("--no-cross", action="store_true", help="skip the cross-view protocols")
    parser.add_argument("--probe-seconds", type=float, help="identify from only the first SECONDS of each probe walk")
    parser.add_argument("--no-covariates", action="store_true",
                        help="skip the normal -> carrying protocols (UCalgary walks with arms occupied: bag, phone, texting, coat)")
    parser.add_argument("--no-paces", action="store_true",
                        help="skip the change-of-pace protocol (CMU people who walked at several speeds)")
    parser.add_argument("--engine", action="store_true",
                        help="also run the UCalgary walks rendered as figures through BlazePose (~10 min the first time, then cached)")
    parser.add_argument("--workers", type=int, default=2, help="processes for --engine (default 2)")
    parser.add_argument("--json", help="write every row to this JSON file")
    args = parser.parse_args(argv)
    if not realwalks.ucalgary_available():
        print(f"skipped: {realwalks.UCALGARY} is not present (the real walks live in ../shared/data beside the project)")
        return 0
    pipeline = Gaitcli(args.gait_checkpoint)
    print(f"gait model: {pipeline.model.describe()}; one-walk threshold {pipeline.threshold}")
    results = []
    ucalgary = realwalks.load_ucalgary()
    parts = splits(ucalgary)
    probes = sum(len(v) for v in parts[0][1].values()) + sum(len(v) for v in parts[1][1].values())
    datasets = [(f"UCalgary ({len(parts[0][0])} people enrolled, {probes} probes per row, Kinect)", ucalgary)]
    for line in excluded_walks(ucalgary):
        print(f"  left out: {line}")
    if not args.no_cmu and realwalks.MOCAP.is_dir():
        datasets.append(("CMU motion capture (people with their own skeleton)", realwalks.load_cmu()))
    for name, walks in datasets:
        for noise in (False,) if args.quick else (False, True):
            t0 = time.perf_counter()
            print(f"{name}, {'through the engine error model' if noise else 'true joints'}:")
            rows = run(walks, pipeline, noise, print, views=args.views, cross=() if args.no_cross else CROSS,
                       probe_seconds=args.probe_seconds, multi_view=() if args.no_cross else MULTI_VIEW,
                       behind=() if args.no_cross else BEHIND,
                       covariates=not args.no_covariates and args.probe_seconds is None and walks[0].source == "ucalgary",
                       threshold_check=args.probe_seconds is None and walks[0].source == "ucalgary")
            for r in rows:
                r["dataset"] = name
            results.extend(rows)
            print(f"  ({time.perf_counter() - t0:.0f} s)")
        if args.engine and walks[0].source == "ucalgary":
            t0 = time.perf_counter()
            print(f"{name}, rendered and run through BlazePose:")
            seen = sorted({v for pair in (() if args.no_cross else CROSS) for v in pair} | set(args.views)
                          | {v for g, pv in (() if args.no_cross else MULTI_VIEW) for v in (*g, pv)})
            carrying = () if args.no_covariates or args.probe_seconds is not None else tuple(args.views)
            engine = engine_keypoints(walks, seen, args.workers, print, covariate_views=carrying)
            behind = () if args.no_cross else BEHIND
            if behind:  # cached in a file of their own, so that the views above keep theirs
                engine.update(engine_keypoints(walks, sorted({pv for _, pv in behind}), args.workers, print))
            lost = sorted(k for k, v in engine.items() if v is None)
            if lost:
                print(f"  BlazePose found nobody in {len(lost)} of {len(engine)} rendered walks: {lost}")
            rows = run(walks, pipeline, True, print, views=args.views, cross=() if args.no_cross else CROSS,
                       probe_seconds=args.probe_seconds, engine=engine, covariates=bool(carrying),
                       multi_view=() if args.no_cross else MULTI_VIEW, behind=behind, threshold_check=args.probe_seconds is None)
            for r in rows:
                r["dataset"] = name
            results.extend(rows)
            print(f"  ({time.perf_counter() - t0:.0f} s)")
    if not args.no_paces and args.probe_seconds is None and realwalks.MOCAP.is_dir():
        paced = realwalks.load_cmu(paces=True)
        for noise in (False,) if args.quick else (False, True):
            t0 = time.perf_counter()
            print(f"Change of pace (CMU people who walked at several speeds, among every other person), "
                  f"{'through the engine error model' if noise else 'true joints'}:")
            rows = pace_rows(paced, datasets[0][1], pipeline, noise, print, views=args.views)
            for r in rows:
                r["dataset"] = "CMU paces"
            results.extend(rows)
            print(f"  ({time.perf_counter() - t0:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
