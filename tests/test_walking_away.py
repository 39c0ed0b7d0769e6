"""Walks toward or away from the camera: the default model averages such a walk with its mirror
image (gaitcli.gait.head_inputs), so the vector does not depend on which way the walker faces."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitcli.features.proportions import walk_proportions
from gaitcli.features.sequence import prepare_walk
from gaitcli.features.walk_statistics import walk_statistics
from gaitcli.gait.checkpoint import META_KEY, GaitCheckpoint
from gaitcli.gait.discriminant import HEAD_KIND_AXIAL
from gaitcli.gait.embedding import identification_vector
from gaitcli.gait.head_inputs import head_inputs, mirror_weight
from gaitcli.gait.model import load_gait_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))


def filmed(yaw_deg: float, person: int = 3, seed: int = 8, noise: float = 1.0):
    """A synthetic person's walk through the estimator's error model, filmed from ``yaw_deg`` off
    the side (90: walking straight toward the camera), prepared as inference prepares it."""
    from gaitcli.synth.dataset import observe_walk, simulate_walk, synthetic_identity

    rng = np.random.default_rng([seed, person])
    walk = simulate_walk(synthetic_identity(seed, person), rng, seconds=4.0, heading_sd=0.0)
    seen = observe_walk(walk, rng, yaw_deg=yaw_deg, noise_level=noise)
    return prepare_walk(seen.coords_y, seen.coords_x, seen.probs, walk.fps)


@pytest.fixture(scope="module")
def model():
    return load_gait_model()


def test_how_much_mirror_image_follows_the_speed_across_the_image():
    speeds = (0.25, 0.75)
    assert mirror_weight(0.0, speeds) == mirror_weight(0.25, speeds) == 0.5
    assert mirror_weight(0.5, speeds) == pytest.approx(0.25)
    assert mirror_weight(0.75, speeds) == mirror_weight(2.0, speeds) == 0.0
    assert mirror_weight(0.0, None) == 0.0


def test_a_walk_toward_the_camera_hardly_crosses_the_image_and_one_past_it_does(model):
    assert filmed(90.0).lateral_speed < 0.25
    past = filmed(0.0)
    assert past.lateral_speed > 1.0
    # across the image and back again: it ends where it started, and still crosses the image
    ys, xs, ps = (np.concatenate([j[..., k] for j in past.joints]) for k in range(3))
    there_and_back = prepare_walk(np.concatenate([ys, ys[::-1]]), np.concatenate([xs, xs[::-1]]),
                                  np.concatenate([ps, ps[::-1]]), 15.0)
    assert there_and_back.lateral_speed > 1.0 and model.mirror_image_weight(there_and_back) == 0.0


def test_the_mirror_image_is_the_walk_reflected_with_its_labels_kept():
    walk = filmed(90.0)
    twin = walk.mirror_image()
    assert twin.mirrored != walk.mirrored and twin.lateral_speed == pytest.approx(walk.lateral_speed)
    back = twin.mirror_image()
    assert back.mirrored == walk.mirrored
    for a, b in zip(back.joints, walk.joints):
        np.testing.assert_array_equal(a, b)
    # the same statistics as the walk's joints reflected in the image, labels kept
    ys = np.concatenate([j[..., 0] for j in walk.joints])
    xs = np.concatenate([j[..., 1] for j in walk.joints])
    ps = np.concatenate([j[..., 2] for j in walk.joints])
    reflected = prepare_walk(ys, 2000.0 - xs, ps, 15.0)
    assert not reflected.mirrored
    np.testing.assert_allclose(walk_statistics(twin), walk_statistics(reflected), atol=1e-9)
    assert not np.allclose(walk_statistics(twin), walk_statistics(walk), atol=1e-3)


def test_the_default_model_gives_a_walk_toward_the_camera_and_its_mirror_image_one_vector(model):
    head = model.checkpoint.head
    assert head.axial_mirror is not None and "axial_mirror" in head.meta()
    toward = filmed(90.0)
    np.testing.assert_allclose(model.embed_walk(toward), model.embed_walk(toward.mirror_image()), atol=1e-5)
    # a walk past the camera keeps its own vector: no mirror image in it
    past = filmed(0.0)
    proportions = walk_proportions(past)  # the same for a walk and its mirror image: left and right averaged
    np.testing.assert_allclose(walk_proportions(past.mirror_image()), proportions, atol=1e-12)
    plain = head.apply(walk_statistics(past), identification_vector(model.network.feed_forward_batch, past), proportions)
    np.testing.assert_allclose(model.embed_walk(past), plain, atol=1e-6)
    assert not np.allclose(model.embed_walk(past), model.embed_walk(past.mirror_image()), atol=1e-3)
    stats, vector, same_proportions = head_inputs(model.network.feed_forward_batch, past, head.axial_mirror)
    np.testing.assert_array_equal(same_proportions, proportions)
    np.testing.assert_allclose(head.apply(stats, vector, proportions), plain, atol=1e-6)


def test_the_mirror_speeds_are_stored_fingerprinted_and_checked(model, tmp_path):
    from gaitcli.errors import ModelError
    from gaitcli.training.gait_config import AXIAL_MIRROR

    head = model.checkpoint.head
    assert head.axial_mirror == AXIAL_MIRROR
    assert model.checkpoint.training["input_blocks"]["axial_mirror"] == list(AXIAL_MIRROR)
    back = GaitCheckpoint.load(model.checkpoint.save(tmp_path / "m.npz"))
    assert back.fingerprint == model.fingerprint and back.head.axial_mirror == head.axial_mirror
    # another setting is another model
    other = GaitCheckpoint.create(model.checkpoint.config, model.checkpoint.weights, model.feature_space,
                                  model.checkpoint.training, head=head.with_axial_mirror((0.1, 0.5)))
    assert other.fingerprint != model.fingerprint
    plain = GaitCheckpoint.create(model.checkpoint.config, model.checkpoint.weights, model.feature_space,
                                  model.checkpoint.training, head=head.with_axial_mirror(None))
    assert plain.head.meta()["kind"] == "walk-discriminant-v5" and "axial_mirror" not in plain.head.meta()
    assert plain.head.axial_mirror is None
    plain_back = GaitCheckpoint.load(plain.save(tmp_path / "plain.npz"))
    assert plain_back.fingerprint == plain.fingerprint and plain_back.head.axial_mirror is None
    for bad in ((0.5, 0.25), (-1.0, 0.5), (0.1, math.inf)):
        with pytest.raises(ValueError, match="mirror"):
            head.with_axial_mirror(bad)
    # any head can mirror-average: one without blocks keeps its v1 arrays under kind v4
    bare = GaitCheckpoint.create(model.checkpoint.config, model.checkpoint.weights, model.feature_space,
                                 model.checkpoint.training, head=head.without_blocks().with_axial_mirror((0.25, 0.75)))
    bare_back = GaitCheckpoint.load(bare.save(tmp_path / "bare.npz"))
    assert bare_back.head.meta()["kind"] == HEAD_KIND_AXIAL and not bare_back.head.has_block
    assert bare_back.head.axial_mirror == (0.25, 0.75) and bare_back.head.arm_joints == ()
    # a file whose speeds were edited is refused
    meta = dict(head.meta(), axial_mirror=[0.75, 0.25])
    with pytest.raises(ValueError, match="mirror"):
        type(head).from_stored(meta, head.arrays())
    with pytest.raises(ModelError):
        GaitCheckpoint.load(_edited(tmp_path, model, meta))


def _edited(tmp_path, model, head_meta):
    """The default checkpoint saved with its head's metadata replaced (fingerprint left as it was)."""
    path = model.checkpoint.save(tmp_path / "edited-source.npz")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(str(arrays[META_KEY]))
    meta["head"] = head_meta
    arrays[META_KEY] = np.array(json.dumps(meta, sort_keys=True))
    np.savez(tmp_path / "edited.npz", **arrays)
    return tmp_path / "edited.npz"


def test_real_people_enrolled_walking_toward_the_camera_are_found_walking_away(shared_data):
    """The UCalgary people (true joints, 27 enrolled, 46 probes: the benchmark's protocol, see
    bench_realwalks.splits): gallery walks straight toward the camera (0 degrees), probes straight
    away from it (180), through the benchmark's gallery (the gallery's SVMs). Without the mirror
    averaging this row was 2 of 56 under the earlier protocol (docs/experiments.md). Under chance
    (1/27), 12 or more of 46 right has probability below 1e-5 (binomial tail): a bound any
    direction-free vector that identifies people must pass, far from the benchmark's figure."""
    import bench_realwalks as bench
    import realwalks

    if not realwalks.ucalgary_available():
        pytest.skip("the UCalgary walks are not in ../shared/data")
    assert sum(math.comb(46, j) * (1 / 27) ** j * (26 / 27) ** (46 - j) for j in range(12, 47)) < 1e-5
    row = _toward_then_away(bench.Gaitcli())
    assert row["probes"] == 46 and row["people"] == 27
    assert round(row["rank1"] * 46) >= 12, row


def test_the_cross_view_model_finds_real_people_walking_away_without_mirror_averaging(shared_data):
    """The cross-view model's head was fitted on walks seen from both sides in either direction,
    so it keeps its inputs as they are (CROSS_VIEW_AXIAL_MIRROR) and still finds the UCalgary
    people walking straight away from a camera that saw them walking toward it (true joints, 46
    probes): the same binomial bound as above, 12 of 46 (below 1e-5 by chance)."""
    import bench_realwalks as bench
    import realwalks

    from gaitcli.training.gait_config import CROSS_VIEW_AXIAL_MIRROR

    if not realwalks.ucalgary_available():
        pytest.skip("the UCalgary walks are not in ../shared/data")
    pipeline = bench.Gaitcli("cross-view")
    assert pipeline.model.checkpoint.head.axial_mirror == CROSS_VIEW_AXIAL_MIRROR is None
    row = _toward_then_away(pipeline)
    assert row["probes"] == 46
    assert round(row["rank1"] * 46) >= 12, row


def _toward_then_away(pipeline) -> dict:
    """The benchmark's row: each UCalgary person enrolled from one walk filmed from the front
    (true joints), their other walk identified filmed from behind; pooled over both splits."""
    import bench_realwalks as bench
    import realwalks

    walks = realwalks.load_ucalgary()
    features = bench.observe_all(walks, (0, 180), False, pipeline.vector)
    return bench.pooled(bench._identify_splits("gaitcli", pipeline, bench.splits(walks), features, features, 0,
                                               lambda p, w: (p, w, 180)))
