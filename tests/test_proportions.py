"""Body proportions (limb, trunk and head lengths over height) and the v5 head that carries them as a block."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcli.constants import (
    HEAD_TOP, L_ANKLE, L_ELBOW, L_HIP, L_KNEE, L_SHOULDER, L_WRIST, NUM_JOINTS, PELVIS, R_ANKLE, R_ELBOW, R_HIP, R_KNEE,
    R_SHOULDER, R_WRIST, THORAX, UPPER_NECK,
)  # fmt: skip
from gaitcli.features.proportions import PROPORTIONS_SIZE, PROPORTIONS_VERSION, SEGMENTS, walk_proportions
from gaitcli.features.sequence import prepare_walk
from gaitcli.gait.checkpoint import GaitCheckpoint
from gaitcli.gait.discriminant import DiscriminantHead, fit_head
from gaitcli.gait.model import load_gait_model

#: A standing figure (y down, x right, image pixels before scaling), 100 units from head top to ankles.
FIGURE = {HEAD_TOP: (0, 0), UPPER_NECK: (12, 0), THORAX: (18, 0), PELVIS: (48, 0),
          R_SHOULDER: (18, -10), L_SHOULDER: (18, 10), R_ELBOW: (36, -12), L_ELBOW: (36, 12),
          R_WRIST: (52, -12), L_WRIST: (52, 12), R_HIP: (48, -6), L_HIP: (48, 6),
          R_KNEE: (74, -6), L_KNEE: (74, 6), R_ANKLE: (100, -6), L_ANKLE: (100, 6)}  # fmt: skip
#: Its segment lengths over its height, in SEGMENTS order: thigh, shin, upper arm (18.11), forearm,
#: trunk, shoulder width, hip width, neck, head.
EXPECTED = np.array([26, 26, np.hypot(18, 2), 16, 30, 20, 12, 6, 12]) / 100


def _walking_figure(scale: float = 1.0, shift=(0.0, 0.0), frames: int = 45, speed: float = 3.0):
    """The figure moved across the image at ``speed`` pixels a frame, scaled and shifted."""
    ys, xs = np.zeros((frames, NUM_JOINTS)), np.zeros((frames, NUM_JOINTS))
    for j, (y, x) in FIGURE.items():
        ys[:, j] = shift[0] + scale * (100 + y)
        xs[:, j] = shift[1] + scale * (100 + x + speed * np.arange(frames))
    return ys, xs, np.ones_like(ys)


def test_proportions_are_segment_lengths_over_height():
    walk = prepare_walk(*_walking_figure(), fps=30.0)
    assert [name for name, _ in SEGMENTS][:2] == ["thigh", "shin"] and PROPORTIONS_SIZE == len(EXPECTED)
    np.testing.assert_allclose(walk_proportions(walk), EXPECTED, atol=1e-9)


def test_proportions_do_not_depend_on_distance_position_or_direction():
    base = walk_proportions(prepare_walk(*_walking_figure(), fps=30.0))
    far = walk_proportions(prepare_walk(*_walking_figure(scale=0.4, shift=(50.0, -20.0)), fps=30.0))
    np.testing.assert_allclose(far, base, atol=1e-9)
    back = prepare_walk(*_walking_figure(speed=-3.0), fps=30.0)  # walking right to left: mirrored
    assert back.mirrored
    np.testing.assert_allclose(walk_proportions(back), base, atol=1e-9)
    np.testing.assert_allclose(walk_proportions(back.mirror_image()), base, atol=1e-9)


def test_a_longer_leg_shows_in_the_leg_proportions_only():
    ys, xs, ps = _walking_figure()
    ys[:, [R_ANKLE, L_ANKLE]] += 10  # shins 10 units longer: 110 tall
    p = walk_proportions(prepare_walk(ys, xs, ps, fps=30.0))
    np.testing.assert_allclose(p[1], 36 / 110, atol=1e-9)
    np.testing.assert_allclose(p[[0, 4]], EXPECTED[[0, 4]] * 100 / 110, atol=1e-9)


def _head(rng):
    stats, gait = rng.normal(size=(40, 224)), rng.normal(size=(40, 128))
    labels = np.repeat(np.arange(10), 4)
    base = fit_head(stats, gait, labels, statistics_version="walk-stats-v1", gait_weight=0.5, shrinkage=0.2, output_size=4)
    inputs = np.concatenate([stats, gait], 1)
    return base.with_blocks(inputs.mean(0), inputs.std(0), (1, 1, 0.5, 1), "test", arm_joints=(10, 11, 14, 15)), stats, gait


def test_v5_heads_append_the_proportions_block_round_trip_and_refuse_bad_input():
    rng = np.random.default_rng(5)
    blocks, stats, gait = _head(rng)
    props = 0.2 + 0.02 * rng.normal(size=(40, PROPORTIONS_SIZE))
    head = blocks.with_proportions(PROPORTIONS_VERSION, props.mean(0), props.std(0), (1, 1, 0.5, 1, 1))
    assert head.meta()["kind"] == "walk-discriminant-v5" and head.output_size == blocks.output_size + PROPORTIONS_SIZE
    v = head.apply(stats, gait, props)
    assert v.shape == (40, head.output_size)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    last = v[:, -PROPORTIONS_SIZE:]  # the block: standardised proportions at their weight
    z = (props - props.mean(0)) / props.std(0)
    np.testing.assert_allclose(last, head.block_weights[-1] * z / np.linalg.norm(z, axis=1, keepdims=True), atol=1e-5)
    # the other blocks are the v3 head's, their weights rescaled so that all five have unit length together
    ratio = np.linalg.norm([1, 1, 0.5, 1]) / np.linalg.norm([1, 1, 0.5, 1, 1])
    np.testing.assert_allclose(v[:, : blocks.output_size], ratio * blocks.apply(stats, gait), atol=1e-5)
    again = DiscriminantHead.from_stored(head.meta(), head.arrays())
    assert again.proportions == PROPORTIONS_VERSION
    np.testing.assert_allclose(again.apply(stats, gait, props), v, atol=1e-6)
    with pytest.raises(ValueError, match="body proportions"):
        head.apply(stats, gait)
    with pytest.raises(ValueError, match="9 body proportions"):
        head.apply(stats, gait, props[:, :5])
    with pytest.raises(ValueError, match="5 numbers"):
        blocks.with_proportions(PROPORTIONS_VERSION, props.mean(0), props.std(0), (1, 1, 0.5, 1))
    with pytest.raises(ValueError, match="input blocks"):
        blocks.without_blocks().with_proportions(PROPORTIONS_VERSION, props.mean(0), props.std(0), (1, 1, 1, 1))
    bad = dict(head.arrays(), **{"head/proportion_scale": np.zeros(PROPORTIONS_SIZE, np.float32)})
    with pytest.raises(ValueError, match="proportions"):
        DiscriminantHead.from_stored(head.meta(), bad)
    # blocks replaced: the proportions go with them; without_blocks drops them too
    assert blocks.with_blocks(blocks.block_mean, blocks.block_scale, (1, 1, 1), "again").proportions is None
    assert head.without_blocks().proportions is None and head.without_blocks().proportions_size == 0


def test_the_packaged_model_measures_and_fingerprints_the_proportions(tmp_path):
    model = load_gait_model()
    head = model.checkpoint.head
    assert head.proportions == PROPORTIONS_VERSION and head.proportions_size == PROPORTIONS_SIZE
    assert model.checkpoint.training["input_blocks"]["proportions"] == PROPORTIONS_VERSION
    assert np.all(head.proportion_scale > 0) and np.all((0.03 < head.proportion_mean) & (head.proportion_mean < 0.4))
    back = GaitCheckpoint.load(model.checkpoint.save(tmp_path / "m.npz"))
    assert back.fingerprint == model.fingerprint and back.head.meta() == head.meta()
    other = GaitCheckpoint.create(model.checkpoint.config, model.checkpoint.weights, model.feature_space, model.checkpoint.training,
                                  head=head.with_proportions(PROPORTIONS_VERSION, head.proportion_mean, 2 * head.proportion_scale,
                                                             (1, 1, 0.5, 1, 1)))
    assert other.fingerprint != model.fingerprint
    # the figure's vector depends on its proportions: a longer shin moves it
    ys, xs, ps = _walking_figure(frames=60)
    longer = ys.copy()
    longer[:, [R_ANKLE, L_ANKLE]] += 10
    a = model.embed_walk(prepare_walk(ys, xs, ps, fps=30.0))
    b = model.embed_walk(prepare_walk(longer, xs, ps, fps=30.0))
    assert np.linalg.norm(a[-PROPORTIONS_SIZE:] - b[-PROPORTIONS_SIZE:]) > 0.05


def test_a_model_measured_with_other_proportions_is_refused():
    """Like the statistics: a head whose proportions block was measured another way is refused (by
    the same check a checkpoint passes on load, which turns it into a ModelError: exit 5), not
    applied to numbers of another kind."""
    model = load_gait_model()
    head = model.checkpoint.head
    other = head.with_proportions("body-proportions-v0", head.proportion_mean, head.proportion_scale, (1, 1, 0.5, 1, 1))
    with pytest.raises(ValueError, match="body-proportions-v0 .*rebuild it with `gaitcli train blocks`"):
        GaitCheckpoint.create(model.checkpoint.config, model.checkpoint.weights, model.feature_space,
                              model.checkpoint.training, head=other)


def test_missing_joints_are_left_out_and_an_unmeasurable_walk_still_embeds():
    """A keypoint file marks a joint it did not find with probability 0 and coordinates 0: those
    frames are left out of that joint's segments, and a walk whose head is never seen (a camera
    that crops it) has no height, so its proportions are unknown (NaN) and the head reads them as
    the population's mean."""
    ys, xs, ps = _walking_figure(frames=60)
    gappy_ys, gappy_xs, gappy_ps = ys.copy(), xs.copy(), ps.copy()
    gappy_ys[::3, L_WRIST] = gappy_xs[::3, L_WRIST] = gappy_ps[::3, L_WRIST] = 0.0  # lost in every third frame
    gappy_ys[:, R_ELBOW] = gappy_xs[:, R_ELBOW] = gappy_ps[:, R_ELBOW] = 0.0  # never found
    np.testing.assert_allclose(walk_proportions(prepare_walk(gappy_ys, gappy_xs, gappy_ps, fps=30.0)), EXPECTED, atol=1e-9)
    headless_ps = ps.copy()
    headless_ps[:, HEAD_TOP] = 0.0
    headless = prepare_walk(ys, xs, headless_ps, fps=30.0)
    assert np.isnan(walk_proportions(headless)).all()
    model = load_gait_model()
    v = model.embed_walk(headless)
    assert np.isfinite(v).all() and abs(float(np.linalg.norm(v)) - 1) < 1e-5
    np.testing.assert_array_equal(v[-PROPORTIONS_SIZE:], 0.0)
