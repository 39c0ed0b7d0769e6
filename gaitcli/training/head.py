"""Fitting a gait checkpoint's discriminant head on walks seen by the real pose engine.

``gaitcli train head`` (and :func:`train_head`): every walk of the given engine-walk files
(:mod:`gaitcli.training.engine_walks`, made by ``scripts/engine_walks.py``) is prepared as
inference prepares it, embedded by the gait network and summarised by its walk statistics;
:func:`gaitcli.gait.discriminant.fit_head` then fits the head, and the network with the head is
written as a new checkpoint (new fingerprint; the training record names the files and their
fingerprints). People are told apart by file and person id. Deterministic: the same network
and files give the same head.

:func:`gallery_scores` rates vectors the way the sample-video gallery test uses them;
:func:`open_set_galleries` runs such galleries through gaitcli's gallery classifier, and
:func:`one_walk_threshold` measures from them the open-set threshold a head suggests for
galleries that have one walk per person (and so cannot calibrate themselves).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from gaitcli.constants import FEATURE_SPACE_JOINT_MAPS
from gaitcli.errors import InputError
from gaitcli.gait.checkpoint import GaitCheckpoint, compute_fingerprint
from gaitcli.gait.discriminant import fit_head
from gaitcli.training.provenance import package_versions
from gaitcli.training.gait_config import (
    AXIAL_MIRROR, BLOCK_ARM_JOINTS, BLOCK_MAX_YAW_DEG, BLOCK_PEOPLE, BLOCK_SEED, BLOCK_THRESHOLD_MAX_YAW_DEG, BLOCK_THRESHOLD_PEOPLE,
    BLOCK_PROPORTION_WEIGHT, BLOCK_SCORING, BLOCK_THRESHOLD_PLAIN, BLOCK_THRESHOLD_TRIALS, BLOCK_THRESHOLD_WALKS, BLOCK_WALKS, BLOCK_WEIGHTS,
    CROSS_VIEW_AXIAL_MIRROR, CROSS_VIEW_MAX_YAW_DEG, CROSS_VIEW_PEOPLE, CROSS_VIEW_SEED, CROSS_VIEW_THRESHOLD_GALLERY, CROSS_VIEW_THRESHOLD_PEOPLE,
    CROSS_VIEW_VIEWS, CROSS_VIEW_WALKS,
    HEAD_DIMENSIONS, HEAD_GAIT_WEIGHT, HEAD_SHRINKAGE, HEAD_TRIALS,
)  # fmt: skip


def engine_walk_set(paths: Sequence[str | Path], *, log: Callable[[str], None] = print):
    """The walks of engine-walk files as one :class:`~gaitcli.training.gait.WalkSet`
    (identities ``f{k}-<person>`` for the k-th file)."""
    from gaitcli.training.engine_walks import engine_sequences, load_engine_walks
    from gaitcli.training.gait import walk_set

    sequences = []
    for k, path in enumerate(paths):
        sequences += engine_sequences(load_engine_walks(path), prefix=f"f{k}")
    return walk_set(sequences, log=log)


def network_vectors_and_statistics(checkpoint: GaitCheckpoint, data, *, axial_mirror=None,
                                   progress: Callable[[int, int], None] | None = None):
    """(N, D) network vectors (no head), (N, S) walk statistics and (N, B) body proportions of
    ``data``'s walks, as a head with ``axial_mirror`` takes them (:func:`gaitcli.gait.head_inputs.head_inputs`)."""
    from gaitcli.gait.head_inputs import head_inputs
    from gaitcli.gait.numpy_forward import NumpyGaitNetwork

    net = NumpyGaitNetwork.from_checkpoint(checkpoint)
    vectors, stats, proportions = [], [], []
    for i, walk in enumerate(data.walks, 1):
        walk_stats, vector, walk_props = head_inputs(net.feed_forward_batch, walk, axial_mirror)
        vectors.append(vector)
        stats.append(walk_stats)
        proportions.append(walk_props)
        if progress:
            progress(i, len(data.walks))
    return np.stack(vectors), np.stack(stats), np.stack(proportions)


def gallery_scores(vectors: np.ndarray, data, *, trials: int = 3000, seed: int = 0) -> dict[str, float]:
    """Rank-1 among all people (gallery: each person's first plain walk, see
    :func:`gaitcli.training.gait.evaluate_vectors`) and, like the sample-video gallery test, in
    ``trials`` random galleries of three people enrolled from one walk each with one other walk
    each as probe: how often a probe is named right (``three_probe``) and all three are (``three_all``)."""
    from gaitcli.evaluation.metrics import ranked_first
    from gaitcli.training.gait import evaluate_vectors

    labels = np.asarray(data.labels)
    result = {"rank1": evaluate_vectors(vectors, data)["rank1"], "people": int(len(np.unique(labels)))}
    several = [lab for lab in np.unique(labels) if (labels == lab).sum() >= 2]
    if len(several) >= 3:
        rng = np.random.default_rng(seed)
        right = []
        for _ in range(trials):
            pairs = [rng.permutation(np.flatnonzero(labels == lab))[:2] for lab in rng.choice(several, 3, replace=False)]
            enrolled, probes = vectors[[p[0] for p in pairs]], vectors[[p[1] for p in pairs]]
            right.append(ranked_first(probes @ enrolled.T, np.arange(3), np.arange(3)))
        right = np.array(right)
        result.update(three_probe=float(right.mean()), three_all=float(right.all(axis=1).mean()))
    return result


def open_set_galleries(vectors: np.ndarray, labels, *, trials: int = HEAD_TRIALS, people: int = 3, walks: int = 1,
                       seed: int = 1, default_threshold: float | None = None, blocks=None) -> dict[str, np.ndarray]:
    """``trials`` galleries of ``people`` people enrolled from ``walks`` walks each (gaitcli's gallery
    classifier, its threshold calibrated as for a user's gallery, with ``default_threshold`` as the
    gait model's, scoring the gait model's ``blocks`` apart), one other walk of each identified, and one walk of a stranger. Returns per
    trial: ``own`` (trials, people), each probe's score for its own person; ``ranked`` (trials,
    people), whether that person came first; ``stranger`` (trials,), the stranger's best score;
    ``threshold`` (trials,), the gallery's threshold."""
    from gaitcli.evaluation.metrics import ranked_first
    from gaitcli.gallery import classifier

    labels = np.asarray(labels)
    several = [lab for lab in np.unique(labels) if (labels == lab).sum() >= walks + 1]
    if len(several) < people + 1:
        raise InputError(f"simulating galleries of {people} needs at least {people + 1} people with {walks + 1} walks; "
                         f"got {len(several)}")  # fmt: skip
    rng = np.random.default_rng(seed)
    enrolled_labels = np.repeat(np.arange(people), walks)
    own, ranked, stranger, threshold = [], [], [], []
    for _ in range(trials):
        chosen = rng.choice(several, people + 1, replace=False)
        picks = [rng.permutation(np.flatnonzero(labels == lab))[: walks + 1] for lab in chosen[:people]]
        enrolled = vectors[np.concatenate([p[:walks] for p in picks])]
        probes = np.concatenate([vectors[[p[walks] for p in picks]], vectors[[rng.choice(np.flatnonzero(labels == chosen[-1]))]]])
        model = classifier.fit(enrolled, enrolled_labels, people, default_threshold=default_threshold, blocks=blocks)
        table = classifier.scores(model, enrolled, enrolled_labels, probes)
        own.append(table[np.arange(people), np.arange(people)])
        ranked.append(ranked_first(table[:people], np.arange(people), np.arange(people)))
        stranger.append(table[people].max())
        threshold.append(model.threshold)
    return {"own": np.array(own), "ranked": np.array(ranked), "stranger": np.array(stranger), "threshold": np.array(threshold)}


def open_set_rates(galleries: dict[str, np.ndarray]) -> dict[str, float]:
    """From :func:`open_set_galleries`: how often an enrolled person is named right (ranked first
    and at or above the threshold), a stranger comes out unknown, and all of a gallery's are right."""
    named = galleries["ranked"] & (galleries["own"] >= galleries["threshold"][:, None])
    unknown = galleries["stranger"] < galleries["threshold"]
    return {"open_named": float(named.mean()), "open_stranger_unknown": float(unknown.mean()),
            "open_all": float((named.all(axis=1) & unknown).mean())}  # fmt: skip


def one_walk_threshold(vectors: np.ndarray, labels, **options) -> float:
    """The threshold that minimises FAR + FRR in one-walk galleries of these (held-out) people:
    probes' scores for their own person against strangers' best scores (:func:`open_set_galleries` with one walk each)."""
    from gaitcli.gallery.classifier import min_error_threshold

    galleries = open_set_galleries(vectors, labels, **options)
    return float(min_error_threshold(galleries["own"].ravel(), galleries["stranger"]))


def train_head(
    checkpoint: GaitCheckpoint,
    walk_files: Sequence[str | Path],
    *,
    val_files: Sequence[str | Path] = (),
    threshold_files: Sequence[str | Path] = (),
    gait_weight: float = HEAD_GAIT_WEIGHT,
    shrinkage: float = HEAD_SHRINKAGE,
    dimensions: int = HEAD_DIMENSIONS,
    trials: int = HEAD_TRIALS,
    log: Callable[[str], None] = print,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[GaitCheckpoint, dict]:
    """The checkpoint's network with a head fitted on ``walk_files``, and a report (validation
    scores without and with the head when ``val_files`` are given). With ``threshold_files``
    (walks of people in neither), the head also carries the open-set threshold for one-walk
    galleries measured on them (:func:`one_walk_threshold`) over ``trials`` simulated galleries (as
    many for each validation score). ``InputError`` for unusable files."""
    from gaitcli.features.walk_statistics import STATISTICS_VERSION
    from gaitcli.training.engine_walks import file_fingerprint

    if checkpoint.feature_space != FEATURE_SPACE_JOINT_MAPS:
        raise InputError(
            f"a discriminant head needs a gait model on joint features ({FEATURE_SPACE_JOINT_MAPS}); "
            f"this one was trained on {checkpoint.feature_space}"
        )
    if not walk_files:
        raise InputError("give at least one --engine-walks file to fit the head on")
    data = engine_walk_set(walk_files, log=log)
    people = len(np.unique(data.labels))
    if people < 2 or len(data.walks) <= people:
        raise InputError(f"fitting a head needs several walks of several people; the files hold {len(data.walks)} usable walks of {people}")
    vectors, stats, _ = network_vectors_and_statistics(checkpoint, data, progress=progress and (lambda i, n: progress("fit", i, n)))
    head = fit_head(stats, vectors, data.labels, statistics_version=STATISTICS_VERSION, gait_weight=gait_weight, shrinkage=shrinkage, output_size=dimensions)
    if threshold_files:
        held_out = engine_walk_set(threshold_files, log=log)
        net, stats, _ = network_vectors_and_statistics(checkpoint, held_out, progress=progress and (lambda i, n: progress("threshold", i, n)))
        head = replace(head, open_set_threshold=one_walk_threshold(head.apply(stats, net), held_out.labels, trials=trials))
    record = {
        "packages": package_versions(),
        "engine_walks": [{"file": Path(p).name, "fingerprint": file_fingerprint(p)} for p in walk_files],
        "threshold_walks": [{"file": Path(p).name, "fingerprint": file_fingerprint(p)} for p in threshold_files],
        "walks": len(data.walks),
        "people": int(people),
        "gait_weight": gait_weight,
        "shrinkage": shrinkage,
        "network_fingerprint": compute_fingerprint(checkpoint.config, checkpoint.weights),  # without any head
    }
    training = {k: v for k, v in checkpoint.training.items() if k != "head"}
    out = GaitCheckpoint.create(checkpoint.config, checkpoint.weights, checkpoint.feature_space, {**training, "head": record}, head=head)
    report = {"fingerprint": out.fingerprint, "head": head.meta(), **record}
    if val_files:
        val = engine_walk_set(val_files, log=log)
        val_vectors, val_stats, _ = network_vectors_and_statistics(checkpoint, val, progress=progress and (lambda i, n: progress("validate", i, n)))
        headed = head.apply(val_stats, val_vectors)
        report["validation"] = {
            "network": {**gallery_scores(val_vectors, val), **open_set_rates(open_set_galleries(val_vectors, val.labels, trials=trials))},
            "with_head": {**gallery_scores(headed, val),
                          **open_set_rates(open_set_galleries(headed, val.labels, trials=trials, default_threshold=head.open_set_threshold))},
        }  # fmt: skip
    return out, report


def synthetic_statistics(checkpoint: GaitCheckpoint, people: int, walks: int, seed: int, *, identity_offset: int = 0,
                         max_yaw_deg: float = BLOCK_MAX_YAW_DEG, axial_mirror=None, plain: bool = False,
                         progress: Callable[[int, int], None] | None = None):
    """Walk statistics (N, S), network vectors (N, D), labels (N,) and body proportions (N, B) of
    ``people`` x ``walks`` synthetic walkers (:func:`gaitcli.synth.dataset.make_sequences`: the
    estimator's error model, cameras up to ``max_yaw_deg`` from the side), prepared as inference
    prepares walks and mirror-averaged as a head with ``axial_mirror`` takes them
    (:mod:`gaitcli.gait.head_inputs`); with ``plain``, only the walks without a covariate."""
    from gaitcli.features.sequence import TooFewFramesError, prepare_walk
    from gaitcli.gait.head_inputs import head_inputs
    from gaitcli.gait.numpy_forward import NumpyGaitNetwork
    from gaitcli.synth.dataset import make_sequences

    network = NumpyGaitNetwork.from_checkpoint(checkpoint)
    stats, vectors, labels, proportions = [], [], [], []
    for k in range(people):
        for ident, ys, xs, ps, meta in make_sequences(1, walks, seed, identity_offset=identity_offset + k, max_yaw_deg=max_yaw_deg):
            if plain and meta.get("covariate"):
                continue
            try:
                walk = prepare_walk(ys, xs, ps, meta["fps"])
            except TooFewFramesError:
                continue
            walk_stats, vector, walk_props = head_inputs(network.feed_forward_batch, walk, axial_mirror)
            stats.append(walk_stats)
            vectors.append(vector)
            labels.append(ident)
            proportions.append(walk_props)
        if progress:
            progress(k + 1, people)
    return np.array(stats), np.array(vectors), np.array(labels), np.array(proportions)


def add_input_blocks(
    checkpoint: GaitCheckpoint,
    *,
    weights: tuple[float, ...] = BLOCK_WEIGHTS,
    arm_joints: Sequence[int] = BLOCK_ARM_JOINTS,
    axial_mirror: Sequence[float] | None = AXIAL_MIRROR,
    proportion_weight: float | None = BLOCK_PROPORTION_WEIGHT,
    seed: int = BLOCK_SEED,
    people: int = BLOCK_PEOPLE,
    walks: int = BLOCK_WALKS,
    threshold_people: int = BLOCK_THRESHOLD_PEOPLE,
    threshold_walks: int = BLOCK_THRESHOLD_WALKS,
    threshold_files: Sequence[str | Path] = (),
    threshold_plain: bool = BLOCK_THRESHOLD_PLAIN,
    threshold_trials: int = BLOCK_THRESHOLD_TRIALS,
    block_scoring: str | None = BLOCK_SCORING,
    log: Callable[[str], None] = print,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[GaitCheckpoint, dict]:
    """The checkpoint with its head's input blocks (:mod:`gaitcli.gait.discriminant`): the mean and
    spread of the walk statistics and network vectors of ``people`` x ``walks`` synthetic background
    walkers, and the one-walk open-set threshold measured on held-out people: the walks of
    ``threshold_files`` (engine-walk files: other synthetic people seen by the real pose engine, as
    for :func:`train_head`) when given, else ``threshold_people`` other synthetic people through the
    estimator's error model; with ``threshold_plain`` on their walks without a covariate only
    (:data:`~gaitcli.training.gait_config.BLOCK_THRESHOLD_PLAIN`), over ``threshold_trials``
    simulated galleries. With ``arm_joints`` (four ``weights``) the head is a v3 one: the
    statistics of those joints are a block of their own; with ``axial_mirror`` as well, a v4 one:
    walks toward or away from the camera are mirror-averaged (:mod:`gaitcli.gait.head_inputs`),
    in the population and the threshold's walks too; with ``proportion_weight`` (and arms), a v5
    one: the walks' body proportions (:mod:`gaitcli.features.proportions`) a fifth block of that
    weight, standardised by the same population. With ``block_scoring``
    (:data:`~gaitcli.gait.discriminant.BLOCK_SCORING_APART`) galleries score the blocks apart, and
    so does the threshold's measurement. Any blocks the head has are replaced. Deterministic."""
    if checkpoint.head is None:
        raise InputError("input blocks extend a discriminant head; fit one first (`gaitcli train head`)")
    base_head = checkpoint.head.without_blocks()
    arm_joints = tuple(sorted(int(j) for j in arm_joints))
    stats, vectors, _, proportions = synthetic_statistics(checkpoint, people, walks, seed, axial_mirror=axial_mirror,
                                                          progress=progress and (lambda i, n: progress("population", i, n)))
    inputs = np.concatenate([stats, vectors], axis=1)
    scale = inputs.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    population = f"synthetic walkers: {len(stats)} walks of {people} people, seed {seed}, yaw up to {BLOCK_MAX_YAW_DEG:g} deg"
    head = base_head.with_blocks(inputs.mean(axis=0), scale, weights, population, arm_joints)
    if axial_mirror is not None:
        head = head.with_axial_mirror(axial_mirror)
    if proportion_weight is not None:
        from gaitcli.features.proportions import PROPORTIONS_VERSION

        head = head.with_proportions(PROPORTIONS_VERSION, np.nanmean(proportions, axis=0), np.nanstd(proportions, axis=0),
                                     (*weights, proportion_weight))  # a walk's unmeasured segments (NaN) left out
    head = head.with_block_scoring(block_scoring)
    if threshold_files:
        from gaitcli.training.engine_walks import file_fingerprint

        held_out = engine_walk_set(threshold_files, log=log)
        if threshold_plain:
            kept = [i for i, meta in enumerate(held_out.meta) if not meta.get("covariate")]
            held_out = replace(held_out, walks=[held_out.walks[i] for i in kept], labels=held_out.labels[kept],
                               meta=[held_out.meta[i] for i in kept])
        held_vectors, held_stats, held_proportions = network_vectors_and_statistics(
            checkpoint, held_out, axial_mirror=head.axial_mirror,
            progress=progress and (lambda i, n: progress("threshold", i, n)))
        held_labels = held_out.labels
        held = {"threshold_walks": [{"file": Path(p).name, "fingerprint": file_fingerprint(p)} for p in threshold_files]}
    else:
        held_stats, held_vectors, held_labels, held_proportions = synthetic_statistics(
            checkpoint, threshold_people, threshold_walks, seed, identity_offset=10**6, max_yaw_deg=BLOCK_THRESHOLD_MAX_YAW_DEG,
            axial_mirror=head.axial_mirror, plain=threshold_plain, progress=progress and (lambda i, n: progress("threshold", i, n)))
        held = {"threshold_people": threshold_people, "threshold_walks": threshold_walks, "threshold_max_yaw_deg": BLOCK_THRESHOLD_MAX_YAW_DEG}
    held.update(threshold_plain=bool(threshold_plain), threshold_trials=int(threshold_trials), threshold_walks_used=int(len(held_labels)))
    threshold = one_walk_threshold(head.apply(held_stats, held_vectors, held_proportions), held_labels, trials=threshold_trials,
                                   blocks=head.score_blocks())
    head = replace(head, open_set_threshold=threshold)
    record = {
        "packages": package_versions(),
        "weights": list(head.block_weights), "arm_joints": list(arm_joints),
        "axial_mirror": None if head.axial_mirror is None else list(head.axial_mirror), "proportions": head.proportions,
        "block_scoring": head.block_scoring, "seed": seed, "people": people, "walks": walks, "max_yaw_deg": BLOCK_MAX_YAW_DEG, **held, "population_walks": int(len(stats)),
        "base_fingerprint": (checkpoint.training.get("input_blocks", {}).get("base_fingerprint") if checkpoint.head.has_block
                             else checkpoint.fingerprint),
    }  # fmt: skip
    out = GaitCheckpoint.create(checkpoint.config, checkpoint.weights, checkpoint.feature_space,
                                {**checkpoint.training, "input_blocks": record}, head=head)
    return out, {"fingerprint": out.fingerprint, "head": head.meta(), **record}


def cross_view_walks(checkpoint: GaitCheckpoint, people: int, seed: int, *, identity_offset: int = 0, walks: int = CROSS_VIEW_WALKS,
                     views: int = CROSS_VIEW_VIEWS, max_yaw_deg: float = CROSS_VIEW_MAX_YAW_DEG, axial_mirror=None,
                     progress: Callable[[int, int], None] | None = None):
    """Walk statistics (N, S), network vectors (N, D) and person labels (N,) of ``people`` synthetic
    walkers (ids ``identity_offset + k`` of population ``seed``), each walking ``walks`` times
    (3-5 s, either direction), every walk filmed by ``views`` cameras at independent headings
    within ``max_yaw_deg`` of the side view and passed through the estimator's error model. The
    same motion seen from several sides: what the camera changes becomes within-person
    variation. The inputs are mirror-averaged as a head with ``axial_mirror`` takes them
    (:mod:`gaitcli.gait.head_inputs`). Deterministic. Walks too short to prepare are left out."""
    from gaitcli.features.sequence import TooFewFramesError, prepare_walk
    from gaitcli.gait.head_inputs import head_inputs
    from gaitcli.gait.numpy_forward import NumpyGaitNetwork
    from gaitcli.synth.dataset import observe_walk, simulate_walk, synthetic_identity

    network = NumpyGaitNetwork.from_checkpoint(checkpoint)
    stats, vectors, labels = [], [], []
    for k in range(people):
        person = identity_offset + k
        identity = synthetic_identity(seed, person)
        rng = np.random.default_rng([seed, 7, person])
        for _ in range(walks):
            walk = simulate_walk(identity, rng, fps=30.0, seconds=float(rng.uniform(3.0, 5.0)), direction=1 if rng.random() < 0.5 else -1)
            for _ in range(views):
                seen = observe_walk(walk, rng, yaw_deg=float(rng.uniform(-max_yaw_deg, max_yaw_deg)), noise_level=float(rng.uniform(0.5, 1.5)))
                try:
                    prepared = prepare_walk(seen.coords_y, seen.coords_x, seen.probs, walk.fps)
                except TooFewFramesError:
                    continue
                walk_stats, vector, _ = head_inputs(network.feed_forward_batch, prepared, axial_mirror)
                stats.append(walk_stats)
                vectors.append(vector)
                labels.append(person)
        if progress:
            progress(k + 1, people)
    return np.array(stats), np.array(vectors), np.array(labels)


def train_cross_view(
    checkpoint: GaitCheckpoint,
    *,
    people: int = CROSS_VIEW_PEOPLE,
    threshold_people: int = CROSS_VIEW_THRESHOLD_PEOPLE,
    gallery: int = CROSS_VIEW_THRESHOLD_GALLERY,
    seed: int = CROSS_VIEW_SEED,
    axial_mirror: Sequence[float] | None = CROSS_VIEW_AXIAL_MIRROR,
    trials: int = HEAD_TRIALS,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[GaitCheckpoint, dict]:
    """The checkpoint's network with a discriminant head for galleries and probes filmed from
    different sides (``gaitcli train cross-view``), and a report.

    The head is the default recipe (:func:`~gaitcli.gait.discriminant.fit_head` with the HEAD_*
    settings) fitted on :func:`cross_view_walks` of ``people`` synthetic walkers; its one-walk
    open-set threshold is measured on ``threshold_people`` others, each walk seen once from a
    random side (so a gallery walk and a probe are usually seen from different sides), in
    galleries of ``gallery`` people (CROSS_VIEW_THRESHOLD_GALLERY, for why). With ``axial_mirror``
    walks toward or away from the camera are mirror-averaged, for the fit, the threshold and
    inference alike (a ``walk-discriminant-v4`` head; :mod:`gaitcli.gait.head_inputs`). Any head
    or input blocks the checkpoint had are dropped; the network is unchanged. Deterministic."""
    from gaitcli.features.walk_statistics import STATISTICS_VERSION

    if checkpoint.feature_space != FEATURE_SPACE_JOINT_MAPS:
        raise InputError(
            f"a discriminant head needs a gait model on joint features ({FEATURE_SPACE_JOINT_MAPS}); "
            f"this one was trained on {checkpoint.feature_space}"
        )
    if people < 2 or threshold_people < 4:
        raise InputError("a cross-view head needs at least 2 people to fit on and 4 to set its threshold on")
    gallery = min(gallery, threshold_people - 1)
    stats, vectors, labels = cross_view_walks(checkpoint, people, seed, axial_mirror=axial_mirror,
                                              progress=progress and (lambda i, n: progress("fit", i, n)))
    head = fit_head(stats, vectors, labels, statistics_version=STATISTICS_VERSION, gait_weight=HEAD_GAIT_WEIGHT,
                    shrinkage=HEAD_SHRINKAGE, output_size=HEAD_DIMENSIONS)
    if axial_mirror is not None:
        head = head.with_axial_mirror(axial_mirror)
    held_stats, held_vectors, held_labels = cross_view_walks(
        checkpoint, threshold_people, seed, identity_offset=10**6, views=1, axial_mirror=axial_mirror,
        progress=progress and (lambda i, n: progress("threshold", i, n)))
    held = head.apply(held_stats, held_vectors)
    head = replace(head, open_set_threshold=one_walk_threshold(held, held_labels, trials=trials, people=gallery))
    record = {
        "packages": package_versions(),
        "kind": "cross-view",
        "seed": seed, "people": people, "walks": CROSS_VIEW_WALKS, "views": CROSS_VIEW_VIEWS,
        "max_yaw_deg": CROSS_VIEW_MAX_YAW_DEG, "threshold_people": threshold_people, "threshold_gallery": gallery,
        "fitted_walks": int(len(labels)), **({"axial_mirror": list(head.axial_mirror)} if head.axial_mirror else {}),
        "gait_weight": HEAD_GAIT_WEIGHT, "shrinkage": HEAD_SHRINKAGE, "dimensions": HEAD_DIMENSIONS,
        "network_fingerprint": compute_fingerprint(checkpoint.config, checkpoint.weights),
    }  # fmt: skip
    training = {k: v for k, v in checkpoint.training.items() if k not in ("head", "input_blocks")}
    out = GaitCheckpoint.create(checkpoint.config, checkpoint.weights, checkpoint.feature_space, {**training, "head": record}, head=head)
    report = {"fingerprint": out.fingerprint, "head": head.meta(), **record,
              "held_out": {size: open_set_rates(open_set_galleries(held, held_labels, trials=trials, people=size,
                                                                   default_threshold=head.open_set_threshold))
                           for size in sorted({3, gallery})}}
    return out, report
