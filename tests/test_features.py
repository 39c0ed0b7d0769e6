"""Spatial features (joint maps) and the walk -> network-input preparation."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcli.constants import FEATURE_SHAPE, JOINT_INDEX, MIRROR_JOINTS, NUM_JOINTS, PELVIS, SKELETON_EDGES, THORAX
from gaitcli.features.joint_maps import GRID_EXTENT, joint_maps, person_reference, smooth_references
from gaitcli.features.sequence import CANONICAL_FPS, TooFewFramesError, fill_frames, prepare_walk, windows
from gaitcli.pose.video import sampled_frame

# a person mid-stride facing +x, right leg ahead, image pixels (y down): torso (pelvis -> thorax) = 50 px
STAND_Y = np.array([170, 135, 100, 100, 135, 170, 100, 50, 38, 10, 100, 75, 50, 50, 75, 100], float)
STAND_X = np.array([225, 212, 195, 205, 192, 180, 200, 200, 200, 200, 180, 182, 185, 215, 218, 220], float)
LEGS = [JOINT_INDEX[f"{side}_{j}"] for side in ("right", "left") for j in ("hip", "knee", "ankle")]


def walking(frames: int, fps: float, speed_px: float = 4.0, rng=None):
    """A person translating sideways with a little jitter, at ``fps`` frames per second."""
    rng = rng or np.random.default_rng(0)
    t = np.arange(frames)[:, None]
    ys = STAND_Y[None] + rng.normal(0, 0.5, (frames, NUM_JOINTS))
    xs = STAND_X[None] + speed_px * t * 30.0 / fps + rng.normal(0, 0.5, (frames, NUM_JOINTS))
    return ys, xs, np.ones((frames, NUM_JOINTS))


def cell_of(y, x, ref):
    cell = ref[2] * GRID_EXTENT / FEATURE_SHAPE[0]
    return int(round((y - ref[0]) / cell + 8)), int(round((x - ref[1]) / cell + 8))


def test_joint_gaussians_peak_where_the_joints_are():
    probs = np.full(NUM_JOINTS, 0.8)
    maps = joint_maps(STAND_Y[None], STAND_X[None], probs[None])[0]
    assert maps.shape == FEATURE_SHAPE and maps.dtype == np.float32
    assert maps.min() >= 0.0 and maps.max() <= 0.8 + 1e-6
    ref = person_reference(STAND_Y[None], STAND_X[None], probs[None])[0]
    np.testing.assert_allclose(ref, [100, 200, 50])  # pelvis, torso length
    for j in range(NUM_JOINTS):
        r, c = cell_of(STAND_Y[j], STAND_X[j], ref)
        peak = np.unravel_index(np.argmax(maps[..., j]), maps.shape[:2])
        assert abs(peak[0] - r) <= 1 and abs(peak[1] - c) <= 1, j
    # a limb map is brightest along its bone: the cell midway between the joints
    k = SKELETON_EDGES.index((JOINT_INDEX["right_hip"], JOINT_INDEX["right_knee"]))
    mid = cell_of(STAND_Y[[2, 1]].mean(), STAND_X[[2, 1]].mean(), ref)
    assert maps[mid[0], mid[1], 16 + k] > 0.7


def test_legs_are_ordered_front_first_whatever_their_labels():
    """joint-maps-v2: the leg ahead fills the right-leg channels, so a pose engine that mixes
    up the legs (BlazePose does, in profile) gives the same features."""
    probs = np.linspace(0.5, 1.0, NUM_JOINTS)[None]
    plain = joint_maps(STAND_Y[None], STAND_X[None], probs)
    swap = np.arange(NUM_JOINTS)
    swap[LEGS] = swap[LEGS[3:] + LEGS[:3]]  # right hip/knee/ankle <-> left hip/knee/ankle
    relabelled = joint_maps(STAND_Y[None, swap], STAND_X[None, swap], probs[:, swap])
    np.testing.assert_allclose(relabelled, plain, atol=1e-6)
    # the leg ahead is in the right-leg channels, with its own probabilities
    ankle = JOINT_INDEX["right_ankle"]
    peak = np.unravel_index(np.argmax(relabelled[0, ..., ankle]), FEATURE_SHAPE[:2])
    ref = person_reference(STAND_Y[None], STAND_X[None], probs)[0]
    assert peak == cell_of(STAND_Y[ankle], STAND_X[ankle], ref)
    assert relabelled[0, ..., ankle].max() == pytest.approx(plain[0, ..., ankle].max(), rel=1e-5)
    # arms keep their labels
    arms = [JOINT_INDEX[f"{side}_{j}"] for side in ("right", "left") for j in ("wrist", "elbow", "shoulder")]
    swap_arms = np.arange(NUM_JOINTS)
    swap_arms[arms] = swap_arms[arms[3:] + arms[:3]]
    assert not np.allclose(joint_maps(STAND_Y[None, swap_arms], STAND_X[None, swap_arms], probs[:, swap_arms]), plain)


def test_probability_scales_and_missing_torso_gives_zeros():
    full = joint_maps(STAND_Y[None], STAND_X[None], np.ones((1, NUM_JOINTS)))[0]
    probs = np.ones(NUM_JOINTS)
    probs[JOINT_INDEX["left_wrist"]] = 0.25
    part = joint_maps(STAND_Y[None], STAND_X[None], probs[None])[0]
    wrist = JOINT_INDEX["left_wrist"]
    assert part[..., wrist].max() == pytest.approx(0.25 * full[..., wrist].max(), rel=1e-5)
    probs[PELVIS] = 0.0  # no torso, no reference: the frame renders empty
    assert not joint_maps(STAND_Y[None], STAND_X[None], probs[None]).any()


def test_mirroring_reflects_and_swaps_left_and_right():
    rng = np.random.default_rng(3)
    ys, xs, ps = STAND_Y[None] + rng.normal(0, 3, (1, 16)), STAND_X[None] + rng.normal(0, 3, (1, 16)), rng.random((1, 16))
    ps[0, [PELVIS, THORAX]] = 1.0
    ref = person_reference(ys, xs, ps)
    mirrored = joint_maps(ys, xs, ps, ref, mirror=True)
    # the same person reflected about the pelvis with left/right relabelled, rendered plainly
    cx = ref[0, 1]
    swapped = joint_maps(ys[:, MIRROR_JOINTS], 2 * cx - xs[:, MIRROR_JOINTS], ps[:, MIRROR_JOINTS], ref)
    np.testing.assert_allclose(mirrored, swapped, atol=1e-6)
    assert not np.allclose(mirrored, joint_maps(ys, xs, ps, ref))


def test_smoothed_references_fill_gaps_and_share_one_scale():
    ref = np.array([[100, 10, 50], [np.nan] * 3, [102, 30, 54], [101, 40, 46]], float)
    out = smooth_references(ref, window=1)
    np.testing.assert_allclose(out[1, :2], [101, 20])
    assert np.all(out[:, 2] == 50)
    with pytest.raises(ValueError):
        smooth_references(np.full((3, 3), np.nan))


def test_prepare_walk_resamples_bridges_splits_and_mirrors():
    ys, xs, ps = walking(150, fps=30.0, speed_px=-4.0)  # 5 s walking right-to-left
    ps[40:43] = 0.0  # 0.1 s dropout: bridged
    ps[90:100] = 0.0  # 0.33 s: splits the walk
    walk = prepare_walk(ys, xs, ps, fps=30.0)
    assert walk.mirrored
    assert walk.frames_total == 150 and walk.frames_skipped == 13
    assert len(walk.joints) == 2
    assert walk.lengths == [45, 25]  # 90 and 50 frames at 30 fps -> 15 fps
    feats = walk.segments
    assert [f.shape for f in feats] == [(45, *FEATURE_SHAPE), (25, *FEATURE_SHAPE)]
    # the same walk filmed at 60 fps gives the same number of network frames per second
    ys60, xs60, ps60 = walking(300, fps=60.0, speed_px=4.0)
    walk60 = prepare_walk(ys60, xs60, ps60, fps=60.0)
    assert not walk60.mirrored and walk60.lengths == [int(299 / 60 * CANONICAL_FPS) + 1]


def test_engine_runs_on_the_frames_nearest_the_canonical_grid():
    kept = [i for i in range(100) if sampled_frame(i, 25.0, CANONICAL_FPS)]
    assert len(kept) == 60 and kept[:7] == [0, 2, 3, 5, 7, 8, 10]
    for k in range(60):  # every point of the 15-fps grid has its nearest 25-fps frame run
        assert int(np.floor(k / CANONICAL_FPS * 25.0 + 0.5)) in kept
    assert sum(sampled_frame(i, 30.0, CANONICAL_FPS) for i in range(90)) == 45
    assert all(sampled_frame(i, 12.0, CANONICAL_FPS) for i in range(50))  # slower videos: every frame
    assert all(sampled_frame(i, None, CANONICAL_FPS) and sampled_frame(i, 25.0, None) for i in range(50))


def test_frames_the_engine_skipped_are_filled_and_prepare_like_the_full_walk():
    ys, xs, ps = walking(100, fps=25.0, speed_px=4.0)
    kept = np.array([i for i in range(100) if sampled_frame(i, 25.0, CANONICAL_FPS)])
    ps_kept = ps[kept].copy()
    ps_kept[10] = 0.0  # a run frame where nobody was seen: its coordinates do not count
    fy, fx, fp = fill_frames(kept, ys[kept], xs[kept], ps_kept)
    assert fy.shape == (kept[-1] + 1, NUM_JOINTS)
    np.testing.assert_array_equal(fx[kept[:10]], xs[kept[:10]])  # run frames keep their joints
    np.testing.assert_allclose(fx[1], (xs[0] + xs[2]) / 2)  # skipped frames lie between their neighbours
    gap = kept[10]
    a, b = kept[9], kept[11]
    np.testing.assert_allclose(fx[gap], xs[a] + (xs[b] - xs[a]) * (gap - a) / (b - a))  # from the frames that saw somebody
    assert fp[gap].max() == 0.0 and 0.0 < fp[gap - 1].max() < 1.0  # frame 16, between 15 (seen) and 17 (not)
    same = fill_frames(np.arange(5), ys[:5], xs[:5], ps[:5])
    assert all(np.array_equal(a, b) for a, b in zip(same, (ys[:5], xs[:5], ps[:5])))
    with pytest.raises(ValueError):
        fill_frames(kept[::-1], ys[kept], xs[kept], ps[kept])
    full = prepare_walk(ys, xs, ps, fps=25.0)
    sampled = prepare_walk(ys[kept], xs[kept], ps[kept], fps=25.0, frame_indices=kept)
    assert sampled.frames_total == kept[-1] + 1
    n = sampled.lengths[0]
    assert len(sampled.lengths) == 1 and n in (full.lengths[0], full.lengths[0] - 1)  # the clip's last frame was not run
    # the 15-fps frames the network sees: within the joints' frame-to-frame jitter of the full walk's
    assert np.abs(sampled.joints[0][..., :2] - full.joints[0][:n, :, :2]).mean() < 0.6


def test_a_walk_is_read_on_the_networks_confidence_scale_whatever_the_tools():
    """Pose tools score joints on scales of their own. A walk whose best-seen joints (90th
    percentile) score under CONFIDENCE_FLOOR is raised to it by one factor, so the same walk
    scored at 60 % or at 40 % of another tool's numbers is the same prepared walk; a walk on the
    network's own scale (BlazePose, the training walks) is left exactly as it is; and which frames
    are usable is still decided on the tool's own numbers."""
    from gaitcli.features.sequence import CONFIDENCE_FLOOR

    rng = np.random.default_rng(3)
    ys, xs, _ = walking(60, fps=30.0)
    ps = rng.uniform(0.85, 1.0, ys.shape)
    ps[:, [JOINT_INDEX["left_elbow"], JOINT_INDEX["left_wrist"]]] = 0.45  # the far arm, half hidden
    own = prepare_walk(ys, xs, ps, fps=15.0).joints[0]  # at the canonical rate: the rows are the tool's own
    np.testing.assert_array_equal(own[..., 2], ps)  # on the network's scale already: untouched
    low, lower = (prepare_walk(ys, xs, ps * factor, fps=15.0).joints[0] for factor in (0.6, 0.4))
    np.testing.assert_allclose(low[..., 2], lower[..., 2], rtol=1e-12)
    assert np.percentile(low[..., 2], 90) == pytest.approx(CONFIDENCE_FLOOR)
    np.testing.assert_allclose(low[..., 2] / ps, (low[..., 2] / ps).flat[0])  # one factor: the far arm stays less sure
    np.testing.assert_array_equal(low[..., :2], own[..., :2])  # only the probabilities move
    with pytest.raises(TooFewFramesError, match="only 0 of 60 frames"):  # usable frames: the tool's own numbers
        prepare_walk(ys, xs, ps * 0.25, fps=15.0)


def test_prepare_walk_refuses_less_than_half_a_gait_cycle_and_warns_under_one():
    ys, xs, ps = walking(12, fps=30.0)  # 0.4 s
    with pytest.raises(TooFewFramesError, match=r"all 12 frame\(s\) have a confident pose .*gait cycle"):
        prepare_walk(ys, xs, ps, fps=30.0)
    short = prepare_walk(*walking(24, fps=30.0), fps=30.0)  # 0.8 s: a vector, with a warning
    assert short.seconds < 1.0 and "shorter than a gait cycle" in short.warning
    ps2 = np.ones((90, NUM_JOINTS))
    ps2[:, [JOINT_INDEX[f"{side}_{j}"] for side in ("left", "right") for j in ("hip", "knee", "ankle")]] = 0.0
    with pytest.raises(TooFewFramesError, match="only 0 of 90 frames have a confident pose"):  # legs unseen: no usable frame
        prepare_walk(*walking(90, fps=30.0)[:2], ps2, fps=30.0)


def test_windows_cover_every_frame():
    seg = np.zeros((50, *FEATURE_SHAPE), np.float32)
    seg[:, 0, 0, 0] = np.arange(50)
    wins = windows([seg, seg[:10]], length=24, stride=12)
    assert [len(w) for w in wins] == [24, 24, 24, 24, 10]
    assert [w[0, 0, 0, 0] for w in wins[:4]] == [0, 12, 24, 26]  # the last window covers the tail
