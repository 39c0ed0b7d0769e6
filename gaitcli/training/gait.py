"""Training gaitcli's default gait model (``gaitcli train gait``).

Data: synthetic walkers from :mod:`gaitcli.synth` (per-identity bodies and gait, per-walk
speed/view/covariates, pose-estimator noise), turned into network input by exactly the code
inference uses (:func:`gaitcli.features.sequence.prepare_walk` and
:func:`gaitcli.features.joint_maps`), so training and inference features cannot drift apart.
Optionally mixed with walks that carry the real pose engine's errors
(:mod:`gaitcli.training.engine_walks`: rendered walkers run through BlazePose), which can
also be a second validation set.

Model: the seed's :class:`~gaitcli.gait.network.GaitNetwork` (GRU, narrowed widths for CPU).
Loss: a cosine-margin softmax over the training identities (CosFace: the seed's softmax with
L2-normalised vectors and weights, which generalises to people never seen in training) plus a
batch-hard triplet loss on the unit vectors. Optimiser: Adam (the seed's RMSProp is an option;
it learnt no faster in short trials), exponential learning-rate decay and gradient clipping as
the seed. Everything is seeded.

Validation runs the real inference path (:class:`~gaitcli.gait.numpy_forward.NumpyGaitNetwork`
+ :func:`~gaitcli.gait.embedding.identification_vector`) on held-out synthetic identities:
gallery = one plain walk per person, probes = every other walk (other speeds, views,
covariates); rank-1 is reported overall and per covariate. The best checkpoint is kept.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gaitcli.atomic import atomic_write
from gaitcli.constants import FEATURE_SPACE_JOINT_MAPS
from gaitcli.errors import InputError
from gaitcli.features.sequence import CANONICAL_FPS, PreparedWalk, TooFewFramesError, prepare_walk
from gaitcli.gait.embedding import identification_vector
from gaitcli.training.engine_walks import engine_sequences, file_fingerprint, load_engine_walks
from gaitcli.training.gait_config import DEFAULT_WIDTHS, GaitTrainingConfig

__all__ = ["DEFAULT_WIDTHS", "GaitTrainingConfig", "WalkRefresher", "WalkSet", "build_walks", "evaluate", "train_gait", "walk_set"]

VAL_IDENTITY_OFFSET = 1_000_000  # validation people are numbered apart from (and seeded unlike) training people


@dataclass
class WalkSet:
    """Prepared walks with their identity labels and metadata."""

    walks: list[PreparedWalk]
    labels: np.ndarray
    meta: list[dict[str, Any]]


def build_walks(
    n_identities: int,
    walks_per_identity: int,
    seed: int,
    *,
    identity_offset: int = 0,
    include_mocap: bool = False,
    mocap_dir: str | Path | None = None,
    extra: list[tuple] = (),
    log: Callable[[str], None] = print,
) -> WalkSet:
    """Generate synthetic walks (plus ``extra`` ones, e.g. from
    :func:`~gaitcli.training.engine_walks.engine_sequences`) and prepare them exactly as
    inference prepares real ones."""
    from gaitcli.synth.dataset import make_sequences

    sequences = make_sequences(
        n_identities, walks_per_identity, seed, identity_offset=identity_offset, include_mocap=include_mocap, mocap_dir=mocap_dir
    )
    return walk_set([*sequences, *extra], log=log)


def walk_set(sequences: list[tuple], *, log: Callable[[str], None] = print) -> WalkSet:
    """``(identity, coords_y, coords_x, probs, meta)`` walks prepared as inference prepares them;
    labels numbered densely in the order of the identities' names."""
    walks, labels, metas = [], [], []
    dropped = 0
    for identity, coords_y, coords_x, probs, meta in sequences:
        try:
            walk = prepare_walk(coords_y, coords_x, probs, float(meta.get("fps", CANONICAL_FPS)))
        except TooFewFramesError:
            dropped += 1
            continue
        walks.append(walk)
        labels.append(identity)
        metas.append(dict(meta, identity=identity))
    if dropped:
        log(f"dropped {dropped} walks with too few usable frames")
    _, labels_dense = np.unique(np.asarray([str(label) for label in labels]), return_inverse=True)
    return WalkSet(walks, labels_dense.astype(np.int64), metas)


class WalkRefresher:
    """Replaces synthetic training walks by new walks of the same people, reproducibly.

    A fixed set of walks is memorised within a few hundred steps (validation rank-1 fell after
    step 600 in the first default model's run); drawing new walks -- new speed, view, covariate,
    estimator noise -- keeps the nuisances fresh while the people, and so the classes, stay.
    """

    def __init__(self, data: WalkSet, cfg: GaitTrainingConfig) -> None:
        from gaitcli.synth.dataset import synthetic_identity

        self.data, self.seed = data, cfg.seed
        self.rng = np.random.default_rng([cfg.seed, 7])
        self.slots = np.asarray([i for i, m in enumerate(data.meta) if m.get("source") == "synthetic"], dtype=np.int64)
        ids = sorted({int(data.meta[i]["identity"]) for i in self.slots})
        self.identities = {i: synthetic_identity(cfg.seed, i) for i in ids}
        self.next_walk = {i: cfg.walks_per_identity for i in ids}  # walk indices 0..n-1 are the initial set
        self.replaced = 0

    def refresh(self, count: int) -> None:
        from gaitcli.synth.dataset import synthetic_walk

        if count <= 0 or len(self.slots) == 0:
            return
        for slot in self.rng.choice(self.slots, size=min(count, len(self.slots)), replace=False):
            ident = int(self.data.meta[int(slot)]["identity"])
            while True:
                w = self.next_walk[ident]
                self.next_walk[ident] += 1
                identity_id, ys, xs, ps, meta = synthetic_walk(self.identities[ident], self.seed, w)
                try:
                    walk = prepare_walk(ys, xs, ps, float(meta.get("fps", CANONICAL_FPS)))
                except TooFewFramesError:
                    continue
                break
            self.data.walks[int(slot)] = walk
            self.data.meta[int(slot)] = dict(meta, identity=identity_id)
            self.replaced += 1


def _random_window(walk: PreparedWalk, length: int, rng: np.random.Generator, jitter: float) -> np.ndarray:
    """A random training window of ``length`` frames (the longest segment; shorter ones padded by repetition)."""
    k = int(np.argmax(walk.lengths))
    n = walk.lengths[k]
    if n >= length:
        start = int(rng.integers(0, n - length + 1))
        joints, ref = walk.joints[k][start : start + length].copy(), walk.references[k][start : start + length]
    else:
        idx = np.arange(length) % n
        joints, ref = walk.joints[k][idx].copy(), walk.references[k][idx]
    if jitter > 0:
        joints[..., :2] += rng.normal(0.0, jitter, joints[..., :2].shape) * ref[:, 2:3, None]
    from gaitcli.features.joint_maps import joint_maps

    return joint_maps(joints[..., 0], joints[..., 1], joints[..., 2], reference=ref, mirror=walk.mirrored)


def sample_batch(data: WalkSet, cfg: GaitTrainingConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """P identities x K walks (PK sampling, for the batch-hard triplet loss)."""
    by_label: dict[int, np.ndarray] = {}
    for lab in np.unique(data.labels):
        by_label[int(lab)] = np.flatnonzero(data.labels == lab)
    engine = sorted({int(lab) for lab, m in zip(data.labels, data.meta) if m.get("source") == "engine"})
    if cfg.engine_share is None or not engine or len(engine) == len(by_label):
        ids = rng.choice(list(by_label), size=min(cfg.batch_identities, len(by_label)), replace=False)
    else:  # a fixed share of the batch's people from the engine walks
        others = sorted(set(by_label) - set(engine))
        n_engine = min(int(round(cfg.engine_share * cfg.batch_identities)), len(engine))
        n_other = min(cfg.batch_identities - n_engine, len(others))
        ids = np.concatenate([rng.choice(engine, size=n_engine, replace=False), rng.choice(others, size=n_other, replace=False)])
    xs, ys = [], []
    for lab in ids:
        pool = by_label[int(lab)]
        for idx in rng.choice(pool, size=cfg.walks_per_batch_identity, replace=len(pool) < cfg.walks_per_batch_identity):
            xs.append(_random_window(data.walks[int(idx)], cfg.window, rng, cfg.joint_jitter))
            ys.append(int(lab))
    return np.stack(xs).astype(np.float32), np.asarray(ys, np.int64)


def rank1(vectors: np.ndarray, labels: np.ndarray, gallery_mask: np.ndarray) -> float:
    """Rank-1 of probes (not in the gallery) against the gallery by cosine similarity."""
    from gaitcli.evaluation.metrics import ranked_first

    g, p = vectors[gallery_mask], vectors[~gallery_mask]
    if len(p) == 0:
        return float("nan")
    return float(np.mean(ranked_first(p @ g.T, labels[~gallery_mask], labels[gallery_mask])))


def evaluate(forward_batch, data: WalkSet) -> dict[str, Any]:
    """Rank-1 on held-out walks through the inference path (see :func:`evaluate_vectors`)."""
    return evaluate_vectors(np.stack([identification_vector(forward_batch, w.segments) for w in data.walks]), data)


def evaluate_vectors(vectors: np.ndarray, data: WalkSet) -> dict[str, Any]:
    """Rank-1 of ``data``'s walks given their unit vectors; gallery = first plain walk per person
    (the first walk for a person who never walks plain), per covariate too."""
    gallery = np.zeros(len(data.walks), bool)
    seen: set[int] = set()
    for plain_only in (True, False):
        for i, (lab, meta) in enumerate(zip(data.labels, data.meta)):
            if int(lab) not in seen and not (plain_only and meta.get("covariate")):
                gallery[i] = True
                seen.add(int(lab))
    result: dict[str, Any] = {"rank1": rank1(vectors, data.labels, gallery), "probes": int((~gallery).sum())}
    covariates = sorted({str(m.get("covariate") or "none") for m in data.meta})
    for cov in covariates:
        probe = np.array([str(m.get("covariate") or "none") == cov for m in data.meta]) & ~gallery
        if probe.any():
            keep = gallery | probe
            result[f"rank1_{cov}"] = rank1(vectors[keep], data.labels[keep], gallery[keep])
    return result


def train_gait(
    cfg: GaitTrainingConfig,
    out: str | Path,
    *,
    mocap_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
    progress: Callable[[int, int, dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Train a gait model and write the best checkpoint (``.npz``) to ``out``; returns the report.

    With ``cfg.include_mocap`` the CMU walks are read from ``mocap_dir``, which must be given (and
    hold them): no folder is looked for behind the caller's back. The checkpoint records the
    folder's fingerprint and the versions of the packages that trained it."""
    from gaitcli.synth.mocap import mocap_available
    from gaitcli.tf_import import import_tensorflow
    from gaitcli.training.provenance import folder_fingerprint, package_versions

    tf = import_tensorflow()  # first: without TensorFlow nothing here can run, and that is what to say first
    if cfg.include_mocap and (mocap_dir is None or not mocap_available(mocap_dir)):
        raise InputError(
            "the recipe mixes in the CMU motion-capture walks: give their folder (--mocap-dir DIR, the one with INDEX.tsv; "
            "../shared/data/mocap beside a checkout)" + ("" if mocap_dir is None else f", not {mocap_dir}") + ", or --no-mocap"
        )
    mocap_record = {"folder": Path(mocap_dir).name, "fingerprint": folder_fingerprint(mocap_dir)} if cfg.include_mocap else None

    try:  # only possible before TensorFlow's runtime starts (not when a caller already used it)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    tf.config.experimental.enable_op_determinism()  # same seed, same weights
    from gaitcli.gait.checkpoint import GaitCheckpoint
    from gaitcli.gait.network import GaitNetwork
    from gaitcli.gait.numpy_forward import NumpyGaitNetwork

    out = Path(out)
    rng = np.random.default_rng(cfg.seed)
    tf.keras.utils.set_random_seed(cfg.seed)
    t0 = time.time()
    log(f"generating {cfg.train_identities} x {cfg.walks_per_identity} training walks ...")
    engine = engine_sequences(load_engine_walks(cfg.engine_walks)) if cfg.engine_walks else []
    train = build_walks(
        cfg.train_identities, cfg.walks_per_identity, cfg.seed, include_mocap=cfg.include_mocap, mocap_dir=mocap_dir, extra=engine,
        log=log,
    )
    for source, what in (("mocap", "observations of real CMU motion-capture walks"), ("engine", "walks seen by the pose engine")):
        count = sum(1 for m in train.meta if m.get("source") == source)
        if count:
            log(f"mixed in {count} {what}")
    log(f"generating {cfg.val_identities} x {cfg.val_walks_per_identity} validation walks (other people) ...")
    val = build_walks(cfg.val_identities, cfg.val_walks_per_identity, cfg.seed + 1, identity_offset=VAL_IDENTITY_OFFSET, log=log)
    engine_val = None
    if cfg.engine_val_walks:
        engine_val = walk_set(engine_sequences(load_engine_walks(cfg.engine_val_walks)), log=log)
        log(f"validating on {len(engine_val.walks)} walks seen by the pose engine as well")
    log(f"data ready in {time.time() - t0:.0f} s: {len(train.walks)} training walks, {len(val.walks)} validation walks")
    n_classes = int(train.labels.max()) + 1

    net = GaitNetwork(cfg.recurrent_unit, cfg.rnn_layers, widths=cfg.widths, input_scale=cfg.input_scale)
    dim = net.gait_config.identification_size
    class_weights = tf.Variable(tf.random.normal((dim, n_classes), stddev=0.05, seed=cfg.seed), name="classes")
    schedule = tf.keras.optimizers.schedules.ExponentialDecay(cfg.learning_rate, cfg.decay_steps, cfg.decay_rate)
    if cfg.optimizer == "rmsprop":
        optimizer = tf.keras.optimizers.RMSprop(schedule)
    else:
        optimizer = tf.keras.optimizers.Adam(schedule)
    variables = net.trainable_variables + [class_weights]

    @tf.function(reduce_retracing=True)
    def step(x, y):
        with tf.GradientTape() as tape:
            emb = tf.math.l2_normalize(net(x, training=True), axis=-1)
            cos = emb @ tf.math.l2_normalize(class_weights, axis=0)
            onehot = tf.one_hot(y, n_classes)
            logits = cfg.cosine_scale * (cos - cfg.cosine_margin * onehot)
            ce = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(onehot, logits))
            dist = 2.0 - 2.0 * emb @ tf.transpose(emb)  # squared distances of unit vectors
            same = tf.cast(tf.equal(y[:, None], y[None, :]), tf.float32)
            hardest_pos = tf.reduce_max(dist * same, axis=1)
            hardest_neg = tf.reduce_min(dist + 4.0 * same, axis=1)
            triplet = tf.reduce_mean(tf.nn.relu(hardest_pos - hardest_neg + cfg.triplet_margin))
            loss = ce + cfg.triplet_weight * triplet
        grads = tape.gradient(loss, variables)
        grads, _ = tf.clip_by_global_norm(grads, cfg.clip_norm)
        optimizer.apply_gradients(zip(grads, variables))
        return loss, ce, triplet

    def snapshot() -> NumpyGaitNetwork:
        return NumpyGaitNetwork(net.gait_config, net.get_gait_weights())

    history: list[dict[str, Any]] = []
    best: dict[str, Any] = {"score": -1.0}
    best_weights = None
    budget = cfg.time_budget_minutes * 60.0
    losses: list[float] = []
    steps_done = 0
    refresher = WalkRefresher(train, cfg) if cfg.fresh_walks_per_step > 0 else None
    for it in range(1, cfg.steps + 1):
        if refresher is not None and it > 1:
            refresher.refresh(cfg.fresh_walks_per_step)
        x, y = sample_batch(train, cfg, rng)
        loss, ce, tri = step(tf.constant(x), tf.constant(y))
        losses.append(float(loss))
        steps_done = it
        if progress:
            progress(it, cfg.steps, {"loss": float(loss), "ce": float(ce), "triplet": float(tri)})
        out_of_time = time.time() - t0 > budget
        if it % cfg.eval_every == 0 or it == cfg.steps or out_of_time:
            numpy_net = snapshot()
            metrics = evaluate(numpy_net.feed_forward_batch, val)
            metrics["score"] = metrics["rank1"]
            if engine_val is not None:  # the checkpoint kept is the best on both validation sets together
                metrics.update({f"engine_{k}": v for k, v in evaluate(numpy_net.feed_forward_batch, engine_val).items()})
                metrics["score"] = (metrics["rank1"] + metrics["engine_rank1"]) / 2
            metrics.update(step=it, loss=float(np.mean(losses[-cfg.eval_every :])), minutes=(time.time() - t0) / 60)
            history.append(metrics)
            engine_note = f", on engine walks {metrics['engine_rank1']:.3f}" if engine_val is not None else ""
            log("step {step}: loss {loss:.3f}, validation rank-1 {rank1:.3f}".format(**metrics) + f"{engine_note} ({metrics['minutes']:.1f} min)")
            if metrics["score"] > best["score"]:
                best, best_weights = metrics, numpy_net.weights
        if out_of_time:
            log(f"time budget of {cfg.time_budget_minutes:g} min reached after {it} steps")
            break

    report = {
        "config": asdict(cfg),
        "steps": steps_done,
        "minutes": (time.time() - t0) / 60,
        "best": best,
        "history": history,
        "train_walks": len(train.walks),
        "fresh_walks": refresher.replaced if refresher is not None else 0,
        "val_walks": len(val.walks),
        "canonical_fps": CANONICAL_FPS,
        "mocap": mocap_record,
        "packages": package_versions(),
    }
    checkpoint = GaitCheckpoint.create(
        net.gait_config,
        best_weights,
        FEATURE_SPACE_JOINT_MAPS,
        training={
            "data": "gaitcli.synth synthetic walkers" + (" + pose-engine walks" if cfg.engine_walks else ""),
            "engine_walks": {"walks": len(engine), "fingerprint": file_fingerprint(cfg.engine_walks)} if cfg.engine_walks else None,
            "seed": cfg.seed,
            "steps": steps_done,
            "best_step": best.get("step"),
            "validation": {k: v for k, v in best.items() if k.startswith(("rank1", "engine_rank1", "engine_probes")) or k == "probes"},
            "window_frames": cfg.window,
            "canonical_fps": CANONICAL_FPS,
            "mocap": mocap_record,
            "packages": report["packages"],
        },
    )
    checkpoint.save(out, overwrite=True)
    report["fingerprint"] = checkpoint.fingerprint
    atomic_write(out.with_suffix(".json"), json.dumps(report, indent=2, default=float).encode(), mode=None)
    return report
