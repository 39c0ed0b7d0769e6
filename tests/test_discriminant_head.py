"""The gait checkpoint's discriminant head: walk statistics, fitting, the checkpoint, `gaitcli train head`."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gaitcli.constants import FEATURE_SPACE_JOINT_MAPS, FEATURE_SPACE_SEED_IR, MIRROR_JOINTS
from gaitcli.errors import ModelError
from gaitcli.evaluation.metrics import cosine_similarity, ranked_first
from gaitcli.features.sequence import prepare_walk
from gaitcli.features.walk_statistics import STATISTICS_SIZE, STATISTICS_VERSION, walk_statistics
from gaitcli.gait.checkpoint import GaitCheckpoint, compute_fingerprint
from gaitcli.gait.discriminant import fit_head
from gaitcli.gait.model import default_model_path, load_gait_model
from gaitcli.training.engine_walks import save_engine_walks

from engine_fixtures import records_from_synthetic

REPO = Path(__file__).resolve().parents[1]
OPTIONS = {"gait_weight": 0.5, "shrinkage": 0.2}


@pytest.fixture(scope="module")
def walk():
    """One synthetic walk (joints in image pixels) and its prepared form."""
    (_, ys, xs, ps, meta), = records_and_walks(1, 1)
    return ys, xs, ps, meta


def records_and_walks(people: int, walks: int, first: int = 0):
    from gaitcli.synth.dataset import make_sequences

    return make_sequences(people, walks, 11, identity_offset=first, fps=25.0, covariate_share=0.0)


def test_walk_statistics_ignore_where_and_how_big_the_walker_is_and_which_way_they_go(walk):
    ys, xs, ps, meta = walk
    stats = walk_statistics(prepare_walk(ys, xs, ps, meta["fps"]))
    assert stats.shape == (STATISTICS_SIZE,) and np.all(np.isfinite(stats))
    moved = walk_statistics(prepare_walk(2.0 * ys + 40.0, 2.0 * xs - 75.0, ps, meta["fps"]))
    np.testing.assert_allclose(moved, stats, atol=1e-9)  # pixels and position do not matter
    # the mirror image (the same walk going the other way, seen from the other side: left and right
    # swap places in the image and in the labels) has the same statistics
    width, swap = float(np.nanmax(xs)) + 50.0, list(MIRROR_JOINTS)
    mirrored = walk_statistics(prepare_walk(ys[:, swap], width - xs[:, swap], ps[:, swap], meta["fps"]))
    np.testing.assert_allclose(mirrored, stats, atol=1e-6)
    # and they describe the body: the mean of the head top lies above the pelvis, ankles below
    head_top_y, ankle_y = stats[9], stats[0]
    assert head_top_y < -1.0 < 1.0 < ankle_y  # torso lengths, y down


def _people(n: int, walks: int, seed: int):
    """Statistics of n people: a personal pattern in a few directions, large shared nuisance in others."""
    rng = np.random.default_rng(seed)
    identity = rng.normal(size=(n, 1, 20))
    stats = np.concatenate([identity + 0.2 * rng.normal(size=(n, walks, 20)), 3.0 * rng.normal(size=(n, walks, 30))], axis=2)
    gait = rng.normal(size=(n, walks, 8))
    labels = np.repeat(np.arange(n), walks)
    return stats.reshape(n * walks, -1), gait.reshape(n * walks, -1), labels


def _rank1(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out rank-1: each walk against all the others."""
    sims = cosine_similarity(vectors, vectors)
    np.fill_diagonal(sims, -np.inf)
    return float(np.mean(ranked_first(sims, labels, labels)))


def test_the_head_keeps_what_tells_people_apart_and_drops_the_rest():
    stats, gait, labels = _people(40, 4, seed=0)
    head = fit_head(stats, gait, labels, statistics_version="test", **OPTIONS, output_size=10)
    again = fit_head(stats, gait, labels, statistics_version="test", **OPTIONS, output_size=10)
    np.testing.assert_array_equal(head.projection, again.projection)  # deterministic
    new_stats, new_gait, new_labels = _people(30, 3, seed=1)  # other people, same kind of data
    vectors = head.apply(new_stats, new_gait)
    assert vectors.shape == (90, 10) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    raw = np.concatenate([new_stats, new_gait], axis=1)
    assert _rank1(raw - raw.mean(axis=0), new_labels) < 0.5 < 0.9 < _rank1(vectors, new_labels)
    np.testing.assert_allclose(head.apply(new_stats[0], new_gait[0]), vectors[0], atol=1e-6)  # one walk alike
    with pytest.raises(ValueError, match="several walks of several people"):
        fit_head(stats[:4], gait[:4], np.zeros(4), statistics_version="test", **OPTIONS, output_size=4)
    with pytest.raises(ValueError, match="takes 50 statistics"):
        head.apply(new_stats[:, :10], new_gait)


def _headed_default() -> tuple[GaitCheckpoint, GaitCheckpoint]:
    """The packaged model, and its network with a small head fitted on synthetic statistics."""
    default = GaitCheckpoint.load(default_model_path())
    rng = np.random.default_rng(2)
    labels = np.repeat(np.arange(12), 3)
    stats = rng.normal(size=(36, STATISTICS_SIZE)) + np.repeat(rng.normal(size=(12, STATISTICS_SIZE)), 3, axis=0)
    gait = rng.normal(size=(36, default.config.identification_size))
    head = fit_head(stats, gait, labels, statistics_version=STATISTICS_VERSION, **OPTIONS, output_size=6)
    return default, GaitCheckpoint.create(default.config, default.weights, FEATURE_SPACE_JOINT_MAPS, {"note": "test"}, head=head)


def test_a_head_is_part_of_the_checkpoint_and_its_fingerprint(tmp_path):
    default, headed = _headed_default()
    assert headed.identification_size == 6 and "discriminant head 6" in headed.describe()
    assert headed.fingerprint != compute_fingerprint(default.config, default.weights)
    path = headed.save(tmp_path / "headed.npz")
    back = GaitCheckpoint.load(path)
    assert back.fingerprint == headed.fingerprint and back.head is not None
    np.testing.assert_array_equal(back.head.projection, headed.head.projection)
    assert back.head.meta() == headed.head.meta()
    assert headed.meta()["format_version"] == 2 and default.meta()["format_version"] == 2  # older gaitcli: "upgrade"

    # the packaged model's head sits on the network it names, whose fingerprint is as before heads
    assert default.head is not None and default.head.statistics == STATISTICS_VERSION
    assert compute_fingerprint(default.config, default.weights) == default.training["head"]["network_fingerprint"]
    report = json.loads((default_model_path().parent / "gait_default_head.json").read_text())
    assert report["fingerprint"] == default.fingerprint


def test_edited_or_incomplete_heads_are_refused(tmp_path):
    _, headed = _headed_default()
    path = headed.save(tmp_path / "headed.npz")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    edited = dict(arrays)
    edited["head/projection"] = arrays["head/projection"] * 1.01
    np.savez(tmp_path / "edited.npz", **edited)
    with pytest.raises(ModelError, match="fingerprint"):
        GaitCheckpoint.load(tmp_path / "edited.npz")
    np.savez(tmp_path / "partial.npz", **{k: v for k, v in arrays.items() if k != "head/scale"})
    with pytest.raises(ModelError, match="lacks head array head/scale"):
        GaitCheckpoint.load(tmp_path / "partial.npz")
    with pytest.raises(ValueError, match="needs joint features"):
        GaitCheckpoint.create(headed.config, headed.weights, FEATURE_SPACE_SEED_IR, head=headed.head)
    old = fit_head(np.random.default_rng(0).normal(size=(8, STATISTICS_SIZE)), np.zeros((8, headed.config.identification_size)),
                   np.repeat(np.arange(4), 2), statistics_version="walk-stats-v0", **OPTIONS, output_size=3)  # fmt: skip
    with pytest.raises(ValueError, match="refit the head"):
        GaitCheckpoint.create(headed.config, headed.weights, FEATURE_SPACE_JOINT_MAPS, head=old)


def test_a_model_with_a_head_embeds_walks_through_it(walk):
    ys, xs, ps, meta = walk
    model = load_gait_model()
    assert model.checkpoint.head is not None and model.dimension == model.checkpoint.head.output_size
    prepared = prepare_walk(ys, xs, ps, meta["fps"])
    vector = model.embed_walk(prepared)
    assert vector.shape == (model.dimension,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    from gaitcli.gait.embedding import identification_vector

    head = model.checkpoint.head
    from gaitcli.features.proportions import walk_proportions

    network = identification_vector(model.network.feed_forward_batch, prepared.segments)
    np.testing.assert_allclose(vector, head.apply(walk_statistics(prepared), network, walk_proportions(prepared)), atol=1e-6)


def test_the_packaged_head_keeps_the_arms_apart(walk):
    """v3 (and v4, v5): the elbows' and wrists' statistics are a block of their own; moving an arm
    changes that block and leaves the body's statistics as they were."""
    from gaitcli.constants import L_ELBOW, L_WRIST, R_ELBOW, R_WRIST
    from gaitcli.features.walk_statistics import joint_columns
    from gaitcli.training.gait_config import BLOCK_ARM_JOINTS, BLOCK_PROPORTION_WEIGHT, BLOCK_WEIGHTS

    head = load_gait_model().checkpoint.head
    assert head.arm_joints == tuple(sorted(BLOCK_ARM_JOINTS)) == (R_WRIST, R_ELBOW, L_ELBOW, L_WRIST)
    assert head.meta()["kind"] == "walk-discriminant-v5"  # v3 + mirror averaging + the body proportions' block
    weights = np.array([*BLOCK_WEIGHTS, BLOCK_PROPORTION_WEIGHT])
    np.testing.assert_allclose(head.block_weights, weights / np.linalg.norm(weights), atol=1e-9)
    ys, xs, ps, meta = walk
    prepared = prepare_walk(ys, xs, ps, meta["fps"])
    moved_ys = np.array(ys, dtype=np.float64)
    moved_ys[:, R_WRIST] -= 30.0  # the right hand held higher
    moved = walk_statistics(prepare_walk(moved_ys, xs, ps, meta["fps"]))
    arms = joint_columns(head.arm_joints)
    assert arms.sum() == 14 * 4
    np.testing.assert_allclose(moved[~arms], walk_statistics(prepared)[~arms])
    assert np.abs(moved[arms] - walk_statistics(prepared)[arms]).max() > 0.1


def test_v3_heads_round_trip_and_refuse_bad_arm_joints():
    rng = np.random.default_rng(3)
    stats, gait = rng.normal(size=(40, 224)), rng.normal(size=(40, 128))
    labels = np.repeat(np.arange(10), 4)
    from gaitcli.gait.discriminant import DiscriminantHead, fit_head

    base = fit_head(stats, gait, labels, statistics_version="walk-stats-v1", gait_weight=0.5, shrinkage=0.2, output_size=4)
    inputs = np.concatenate([stats, gait], 1)
    head = base.with_blocks(inputs.mean(0), inputs.std(0), (1, 1, 0.5, 1), "test", arm_joints=(15, 10, 11, 14))
    assert head.arm_joints == (10, 11, 14, 15) and head.output_size == 4 + 224 + 128
    again = DiscriminantHead.from_stored(head.meta(), head.arrays())
    np.testing.assert_allclose(again.apply(stats, gait), head.apply(stats, gait), atol=1e-6)
    v = head.apply(stats[:1], gait[:1])[0]
    w = np.array(head.block_weights)
    sizes = (4, 224 - 56, 56, 128)
    lengths = [np.linalg.norm(part) for part in np.split(v, np.cumsum(sizes)[:-1])]
    np.testing.assert_allclose(lengths, w, atol=1e-5)  # each block scaled to its weight
    with pytest.raises(ValueError, match="4 numbers"):
        base.with_blocks(inputs.mean(0), inputs.std(0), (1, 1, 1), "test", arm_joints=(10,))
    with pytest.raises(ValueError, match="arm joints"):
        base.with_blocks(inputs.mean(0), inputs.std(0), (1, 1, 1, 1), "test", arm_joints=(6,))  # the pelvis
    meta = {**head.meta(), "arm_joints": ["x"]}
    with pytest.raises(ValueError, match="malformed"):
        DiscriminantHead.from_stored(meta, head.arrays())
    meta = {**head.meta(), "block_weights": head.meta()["block_weights"][:3]}
    with pytest.raises(ValueError, match="not finite and positive"):
        DiscriminantHead.from_stored(meta, head.arrays())


def test_blocks_scored_apart_are_part_of_the_head_and_its_fingerprint():
    """The packaged head asks galleries to score its five blocks apart; the layout covers the
    vector in the head's order with the blocks' weights; the setting is in the metadata (and so the
    fingerprint) and a head without blocks, or an unknown setting, is refused."""
    from gaitcli.gait.discriminant import BLOCK_SCORING_APART, DiscriminantHead
    from gaitcli.training.gait_config import BLOCK_PROPORTION_WEIGHT, BLOCK_SCORING, BLOCK_WEIGHTS

    model = load_gait_model()
    head = model.checkpoint.head
    assert head.block_scoring == BLOCK_SCORING == BLOCK_SCORING_APART and head.meta()["block_scoring"] == BLOCK_SCORING_APART
    blocks = model.score_blocks
    assert head.score_blocks() == blocks
    assert [(a, b) for a, b, _ in blocks] == [(0, 24), (24, 192), (192, 248), (248, 376), (376, 385)] and blocks[-1][1] == model.dimension
    weights = np.array([*BLOCK_WEIGHTS, BLOCK_PROPORTION_WEIGHT])
    np.testing.assert_allclose([w for _, _, w in blocks], weights / weights.sum())
    together = head.with_block_scoring(None)
    assert together.score_blocks() is None and together.open_set_threshold is None and "block_scoring" not in together.meta()
    config, weights_ = model.checkpoint.config, model.checkpoint.weights
    threshold = head.open_set_threshold
    assert compute_fingerprint(config, weights_, replace(together, open_set_threshold=threshold)) != model.fingerprint
    assert compute_fingerprint(config, weights_, replace(head, open_set_threshold=threshold)) == model.fingerprint
    assert DiscriminantHead.from_stored(head.meta(), head.arrays()).score_blocks() == blocks
    with pytest.raises(ValueError, match="block scoring"):
        DiscriminantHead.from_stored({**head.meta(), "block_scoring": "median"}, head.arrays())
    with pytest.raises(ValueError, match="unknown block scoring"):
        head.with_block_scoring("median")
    with pytest.raises(ValueError, match="needs input blocks"):
        head.without_blocks().with_block_scoring(BLOCK_SCORING_APART)


def _cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gaitcli.cli.main", *args], capture_output=True, text=True, timeout=timeout)


def test_one_walk_threshold_lies_between_own_and_stranger_scores():
    from gaitcli.training.head import open_set_galleries, one_walk_threshold, open_set_rates

    stats, gait, labels = _people(30, 3, seed=4)
    head = fit_head(*_people(40, 4, seed=0), statistics_version="test", **OPTIONS, output_size=10)
    vectors = head.apply(stats, gait)
    galleries = open_set_galleries(vectors, labels, trials=60)
    threshold = one_walk_threshold(vectors, labels, trials=60)
    assert np.median(galleries["stranger"]) < threshold < np.median(galleries["own"])
    rates = open_set_rates(open_set_galleries(vectors, labels, trials=60, default_threshold=threshold))
    assert rates["open_named"] > 0.8 and rates["open_stranger_unknown"] > 0.8  # well-separated synthetic people


def test_train_head_fits_validates_and_writes_a_checkpoint(tmp_path):
    train, val, held = tmp_path / "train.npz", tmp_path / "val.npz", tmp_path / "held.npz"
    save_engine_walks(records_from_synthetic(10, 3, 500), train)
    save_engine_walks(records_from_synthetic(6, 3, 600), val)
    save_engine_walks(records_from_synthetic(6, 2, 700), held)
    out = tmp_path / "headed.npz"
    done = _cli("train", "head", "--engine-walks", str(train), "--val-walks", str(val), "--threshold-walks", str(held),
                "--out", str(out), "--dimensions", "8", "--trials", "40", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    checkpoint = GaitCheckpoint.load(out)
    assert report["fingerprint"] == checkpoint.fingerprint and checkpoint.identification_size == 8
    assert report["walks"] == 30 and report["people"] == 10
    assert checkpoint.training["head"]["engine_walks"][0]["file"] == "train.npz"
    # fitted on the packaged model's network (its own head replaced), which the record names
    assert checkpoint.training["head"]["network_fingerprint"] == compute_fingerprint(checkpoint.config, checkpoint.weights)
    np.testing.assert_array_equal(checkpoint.weights["fc/kernel"], GaitCheckpoint.load(default_model_path()).weights["fc/kernel"])
    for scores in report["validation"].values():
        assert scores["people"] == 6 and 0.0 <= scores["three_all"] <= scores["three_probe"] <= 1.0
        assert 0.0 <= scores["open_all"] <= scores["open_named"] <= 1.0
    threshold = checkpoint.head.open_set_threshold
    assert threshold is not None and -1.0 < threshold < 1.0 and report["head"]["open_set_threshold"] == threshold
    assert checkpoint.training["head"]["threshold_walks"][0]["file"] == "held.npz"
    # again: the same files give the same model
    again = tmp_path / "again.npz"
    assert _cli("train", "head", "--engine-walks", str(train), "--threshold-walks", str(held), "--out", str(again),
                "--dimensions", "8", "--trials", "40").returncode == 0  # fmt: skip
    assert GaitCheckpoint.load(again).fingerprint == checkpoint.fingerprint
    # mistakes: one line, no traceback, nothing written
    refused = _cli("train", "head", "--engine-walks", str(train), "--out", str(out))
    assert refused.returncode != 0 and "already exists" in refused.stderr and "Traceback" not in refused.stderr
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    refused = _cli("train", "head", "--engine-walks", str(tmp_path / "bad.npz"), "--out", str(tmp_path / "x.npz"))
    assert refused.returncode != 0 and "bad.npz" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "x.npz").exists()


def test_the_blocks_threshold_is_measured_on_plain_walks_only(tmp_path):
    """A walk that carries something is left out of the one-walk threshold's galleries: what such
    walks hold does not move the threshold, and the record says how many walks were used."""
    from gaitcli.training.head import add_input_blocks

    records = records_from_synthetic(8, 3, 800)
    for k, record in enumerate(records):
        record["covariate"] = "bag" if k % 3 == 2 else ""
    plain = sum(not r["covariate"] for r in records)
    held, scrambled = tmp_path / "held.npz", tmp_path / "scrambled.npz"
    save_engine_walks(records, held)
    other = records_from_synthetic(8, 3, 900)  # the carrying walks replaced by strangers' walks
    save_engine_walks([{**o, "person": r["person"], "walk": r["walk"], "covariate": "bag"} if r["covariate"] else r
                       for r, o in zip(records, other)], scrambled)
    base = load_gait_model().checkpoint
    options = {"people": 6, "walks": 2, "threshold_trials": 50, "log": lambda message: None}
    first, report = add_input_blocks(base, threshold_files=[held], **options)
    second, _ = add_input_blocks(base, threshold_files=[scrambled], **options)
    assert report["threshold_plain"] is True and report["threshold_walks_used"] == plain < len(records)
    assert first.head.open_set_threshold == second.head.open_set_threshold
    _, everything = add_input_blocks(base, threshold_files=[held], threshold_plain=False, **options)
    assert everything["threshold_walks_used"] == len(records)
