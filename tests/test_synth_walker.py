"""The synthetic walker: deterministic, periodic, human-like, personal, and changed by covariates."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcli.constants import (
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_WRIST,
    PELVIS,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    THORAX,
    UPPER_NECK,
)
from gaitcli.synth import gait_analysis as ga
from gaitcli.synth.dataset import make_sequences, sample_identity, simulate_walk

FPS = 60.0


@pytest.fixture(scope="module")
def people():
    return [sample_identity(np.random.default_rng([101, k]), k) for k in range(6)]


@pytest.fixture(scope="module")
def plain_walks(people):
    """Two plain profile walks per person, 5 s at 60 fps."""
    return {
        p.identity_id: [simulate_walk(p, np.random.default_rng([202, p.identity_id, w]), fps=FPS, seconds=5.0) for w in range(2)]
        for p in people
    }


def test_generator_is_deterministic_per_seed():
    a = make_sequences(2, 2, seed=5)
    b = make_sequences(2, 2, seed=5)
    c = make_sequences(2, 2, seed=6)
    assert len(a) == len(b) == 4
    for (ia, ya, xa, pa, ma), (ib, yb, xb, pb, mb) in zip(a, b):
        assert ia == ib and ma == mb
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a[0][1][:5], c[0][1][:5])
    # identity k's walks do not depend on how many identities are drawn
    more = make_sequences(3, 2, seed=5)
    np.testing.assert_array_equal(more[0][2], a[0][2])


def test_sequences_look_like_pose_engine_output():
    seqs = make_sequences(3, 3, seed=9)
    for ident, ys, xs, ps, meta in seqs:
        t = meta["frames"]
        assert ys.shape == xs.shape == ps.shape == (t, 16)
        assert ((ps >= 0) & (ps <= 1)).all()
        h, w = meta["image_size"]
        assert np.median(xs) > 0 and np.median(xs) < w and np.median(ys) > 0 and np.median(ys) < h
        # head above ankles in the image (y grows downwards)
        assert np.median(ys[:, 9]) < np.median(ys[:, [0, 5]])
        assert meta["source"] == "synthetic" and isinstance(ident, int)


def test_walks_are_periodic_with_plausible_cadence_and_stride(people, plain_walks):
    for p in people:
        for walk in plain_walks[p.identity_id]:
            cadence = ga.stride_frequency(walk.joints, walk.fps)
            assert 0.75 <= cadence <= 1.25, cadence
            # the kinematic cadence agrees with the one the ankles show
            assert cadence == pytest.approx(walk.meta["cadence_hz"], rel=0.06)
            stride_per_leg = walk.meta["stride_length_m"] / p.body.leg_length
            assert 1.1 <= stride_per_leg <= 2.0, stride_per_leg
            # speed = cadence x stride length (the feet carry the walker)
            assert walk.meta["speed_mps"] == pytest.approx(walk.meta["cadence_hz"] * walk.meta["stride_length_m"], rel=0.08)


def test_knee_flexion_range_and_left_right_alternation(plain_walks):
    for walks in plain_walks.values():
        walk = walks[0]
        curves = ga.cycle_curves(walk.joints, walk.fps, walk.feet[:, :, 1])
        for side in ("r", "l"):
            knee = curves[f"{side}_knee"]
            assert -5.0 <= knee.min() <= 25.0 and 50.0 <= knee.max() <= 90.0
        right = ga.heel_strikes(walk.joints, walk.fps, "r")
        left = ga.heel_strikes(walk.joints, walk.fps, "l")
        # strikes alternate: exactly one left strike between two right ones, near half-cycle
        for a, b in zip(right[:-1], right[1:]):
            between = left[(left > a) & (left < b)]
            assert len(between) == 1
            assert 0.4 <= (between[0] - a) / (b - a) <= 0.6


def test_feet_roll_on_the_floor_without_sliding(plain_walks):
    walk = plain_walks[0][0]
    feet = walk.feet  # (T, 2, 3, 3)
    assert feet[..., 1].min() >= -0.011
    speed = walk.meta["speed_mps"]
    for side in range(2):
        ball = feet[:, side, 1]
        low = ball[:, 1] < ball[:, 1].min() + 0.005
        slide = np.linalg.norm(np.gradient(ball[:, [0, 2]], axis=0), axis=1) * walk.fps
        assert np.median(slide[low]) < 0.15 * speed


def test_bones_are_rigid_and_match_the_body(people, plain_walks):
    p = people[1]
    j = plain_walks[1][0].joints
    for (a, b), length in (
        ((R_HIP, R_KNEE), p.body.thigh),
        ((L_KNEE, L_ANKLE), p.body.shank),
        ((R_SHOULDER, R_ELBOW), p.body.upper_arm),
        ((L_ELBOW, L_WRIST), p.body.forearm),
        ((PELVIS, THORAX), p.body.torso),
        ((THORAX, UPPER_NECK), p.body.neck),
    ):
        bone = np.linalg.norm(j[:, a] - j[:, b], axis=1)
        np.testing.assert_allclose(bone, length, rtol=1e-6)


def _descriptor(walk) -> np.ndarray:
    c = ga.cycle_curves(walk.joints, walk.fps, walk.feet[:, :, 1])
    return np.concatenate([c["r_knee"], c["r_hip"], c["r_arm"], c["l_knee"], c["l_hip"], c["l_arm"]])


def test_people_differ_more_than_two_walks_of_one_person(plain_walks):
    desc = {k: [_descriptor(w) for w in ws] for k, ws in plain_walks.items()}
    within = [np.sqrt(np.mean((d[0] - d[1]) ** 2)) for d in desc.values()]
    keys = sorted(desc)
    between = [np.sqrt(np.mean((desc[a][0] - desc[b][0]) ** 2)) for i, a in enumerate(keys) for b in keys[i + 1 :]]
    assert np.median(between) > 1.5 * np.median(within)
    # and nearest-neighbour identification on the curves works for most people
    hits = 0
    for k in keys:
        dists = {o: np.sqrt(np.mean((desc[k][1] - desc[o][0]) ** 2)) for o in keys}
        hits += min(dists, key=dists.get) == k
    assert hits >= len(keys) - 1


def _arm_swing(walk, side: int) -> float:
    """Fore-aft range of the wrist relative to the thorax (m)."""
    wrist = (R_WRIST, L_WRIST)[side]
    fwd, _ = ga.walking_frame(walk.joints, walk.fps)
    rel = ((walk.joints[:, wrist] - walk.joints[:, THORAX]) * fwd).sum(-1)
    return float(np.percentile(rel, 95) - np.percentile(rel, 5))


def test_covariates_change_what_they_should(people):
    p = people[2]
    plain = simulate_walk(p, np.random.default_rng(1), fps=30.0, seconds=4.0, speed=1.2)
    bag = simulate_walk(p, np.random.default_rng(1), fps=30.0, seconds=4.0, speed=1.2, covariate="bag")
    side = 0 if bag.meta["covariate_side"] == "right" else 1
    assert _arm_swing(bag, side) < 0.5 * _arm_swing(plain, side)
    assert _arm_swing(bag, 1 - side) > 0.7 * _arm_swing(plain, 1 - side)
    assert "bag" in bag.props and bag.props["bag"].shape == (bag.frames, 3)

    coat = simulate_walk(p, np.random.default_rng(1), fps=30.0, seconds=4.0, speed=1.2, covariate="coat")
    assert _arm_swing(coat, 0) + _arm_swing(coat, 1) < 0.9 * (_arm_swing(plain, 0) + _arm_swing(plain, 1))

    phone = simulate_walk(p, np.random.default_rng(2), fps=30.0, seconds=4.0, covariate="phone")
    held = (R_WRIST, L_WRIST)[0 if phone.meta["covariate_side"] == "right" else 1]
    assert np.linalg.norm(phone.joints[:, held] - phone.joints[:, UPPER_NECK], axis=1).max() < 0.2

    carry = simulate_walk(p, np.random.default_rng(3), fps=30.0, seconds=4.0, covariate="carry")
    fwd, _ = ga.walking_frame(carry.joints, carry.fps)
    for wrist in (R_WRIST, L_WRIST):
        ahead = ((carry.joints[:, wrist] - carry.joints[:, THORAX]) * fwd).sum(-1)
        assert ahead.min() > 0.2  # both hands held out in front
        assert _arm_swing(carry, 0) < 0.1

    texting = simulate_walk(p, np.random.default_rng(4), fps=30.0, seconds=4.0, covariate="texting")
    assert texting.meta["speed_mps"] < plain.meta["speed_mps"] * 1.02


def test_direction_and_bad_arguments(people):
    p = people[0]
    right = simulate_walk(p, np.random.default_rng(5), direction=1, heading_sd=0.0)
    left = simulate_walk(p, np.random.default_rng(5), direction=-1, heading_sd=0.0)
    assert right.joints[-1, PELVIS, 0] - right.joints[0, PELVIS, 0] > 2.0
    assert left.joints[-1, PELVIS, 0] - left.joints[0, PELVIS, 0] < -2.0
    # the right hip is on the walker's right either way (world +z for +x walks)
    assert (right.joints[:, R_HIP, 2] > right.joints[:, L_HIP, 2]).mean() > 0.95
    assert (left.joints[:, R_HIP, 2] < left.joints[:, L_HIP, 2]).mean() > 0.95
    with pytest.raises(ValueError, match="covariate"):
        simulate_walk(p, np.random.default_rng(0), covariate="umbrella")
    with pytest.raises(ValueError, match="direction"):
        simulate_walk(p, np.random.default_rng(0), direction=0)
