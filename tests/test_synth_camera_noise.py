"""Side-view projection, self-occlusion hints and the simulated pose estimator's errors."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcli.constants import (
    HEAD_TOP,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    PELVIS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    THORAX,
)
from gaitcli.synth import camera as cam
from gaitcli.synth.dataset import observe, observe_walk, sample_identity, simulate_walk
from gaitcli.synth.estimator_noise import JOINT_BIAS, NoiseProfile, apply_estimator_noise


@pytest.fixture(scope="module")
def walk():
    person = sample_identity(np.random.default_rng(11), 0)
    return simulate_walk(person, np.random.default_rng(12), fps=30.0, seconds=4.0, heading_sd=0.0)


def test_yaw_zero_is_a_true_side_view(walk):
    c = cam.side_camera(walk.joints, image_size=(720, 1280), yaw_deg=0.0)
    np.testing.assert_allclose(c.rotation[0], [1.0, 0.0, 0.0], atol=1e-12)  # image x = world x
    # two points that differ only in depth (z) project to the same image column at the centre line
    mid = c.position.copy()
    pts = np.array([[mid[0], 1.0, 0.3], [mid[0], 1.0, -0.3]])
    xy, _ = c.project(pts)
    assert abs(xy[0, 0] - xy[1, 0]) < 1e-9
    # ...but not when the camera is yawed 30 degrees
    c30 = cam.side_camera(walk.joints, image_size=(720, 1280), yaw_deg=30.0)
    xy30, _ = c30.project(pts)
    assert abs(xy30[0, 0] - xy30[1, 0]) > 20.0


def test_projection_fits_the_image_and_follows_the_walk(walk):
    c = cam.side_camera(walk.joints, image_size=(360, 640), yaw_deg=0.0, distance_m=2.0)
    proj = cam.project_walk(walk.joints, c)
    assert proj.xy.shape == (walk.frames, 16, 2)
    assert (proj.xy[..., 0] >= 0).all() and (proj.xy[..., 0] <= 640).all()
    assert (proj.xy[..., 1] >= 0).all() and (proj.xy[..., 1] <= 360).all()
    # a +1 walk goes left to right; the head is above the ankles
    assert proj.xy[-1, PELVIS, 0] > proj.xy[0, PELVIS, 0] + 100
    assert (proj.xy[:, 9, 1] < proj.xy[:, R_ANKLE, 1]).all()


def test_visibility_hints_hide_the_far_side(walk):
    c = cam.side_camera(walk.joints, image_size=(720, 1280), yaw_deg=0.0)
    proj = cam.project_walk(walk.joints, c)
    assert ((proj.visibility >= 0) & (proj.visibility <= 1)).all()
    # the camera stands on the +z side: the walker's right (+x walk) is the near side
    assert proj.far_side[:, L_SHOULDER].mean() > 0.9 and proj.far_side[:, R_SHOULDER].mean() < 0.1
    assert proj.visibility[:, L_SHOULDER].mean() < 0.5 < proj.visibility[:, R_SHOULDER].mean()
    assert proj.visibility[:, L_HIP].mean() < proj.visibility[:, R_HIP].mean()
    # a camera placed so the walker leaves the picture: joints outside get visibility 0
    tight = cam.look_at([0.0, 1.0, 3.0], [0.0, 1.0, 0.0], (360, 640), 800.0)
    off = cam.project_walk(walk.joints, tight)
    outside = off.xy[..., 0] > 640
    assert outside.any() and (off.visibility[outside] == 0).all()


def _profile(**kw) -> NoiseProfile:
    base = dict(sigma=0.0, correlation=0.5, white_share=0.5, scale_wobble=0.0, swap_rate=0.0, drop_rate=0.0,
                prob_visible=0.9, hidden_floor=(0.9, 0.7, 0.3), far_side=0.8, blur_rate=0.0)  # fmt: skip
    base.update(kw)
    return NoiseProfile(**base)


def test_estimator_noise_is_scaled_structured_and_bounded(walk):
    c = cam.side_camera(walk.joints, image_size=(720, 1280), yaw_deg=0.0)
    proj = cam.project_walk(walk.joints, c)
    rng = np.random.default_rng(0)
    clean, probs = apply_estimator_noise(proj.xy, proj.visibility, proj.far_side, rng, _profile())
    np.testing.assert_allclose(clean[:, R_ANKLE], proj.xy[:, R_ANKLE])
    # derived joints are midpoints, as the keypoint engines define them
    np.testing.assert_allclose(clean[:, PELVIS], (clean[:, R_HIP] + clean[:, L_HIP]) / 2)
    np.testing.assert_allclose(clean[:, THORAX], (clean[:, R_SHOULDER] + clean[:, L_SHOULDER]) / 2)
    assert probs[:, R_SHOULDER].mean() > probs[:, L_SHOULDER].mean()  # far side less sure
    assert probs[:, R_WRIST].mean() - probs[:, L_WRIST].mean() > 0.15  # far arm much less sure

    height = np.median(proj.xy[:, R_ANKLE, 1] - proj.xy[:, 9, 1])
    noisy, _ = apply_estimator_noise(proj.xy, proj.visibility, proj.far_side, rng, _profile(sigma=0.01))
    err = np.linalg.norm(noisy[:, R_ANKLE] - proj.xy[:, R_ANKLE], axis=1) / height
    assert 0.005 < np.sqrt(np.mean(err**2) / 2) < 0.03  # ~ sigma x difficulty (1.3)

    swapped, _ = apply_estimator_noise(proj.xy, proj.visibility, proj.far_side, np.random.default_rng(1), _profile(swap_rate=0.3))
    assert (np.abs(swapped[:, R_ANKLE] - proj.xy[:, R_ANKLE]).max(axis=1) > 5).any()

    dropped_xy, dropped_p = apply_estimator_noise(proj.xy, proj.visibility, proj.far_side, np.random.default_rng(2), _profile(drop_rate=0.05))
    lost = dropped_p[:, R_ANKLE] < 0.05
    assert lost.any() and ((dropped_p >= 0) & (dropped_p <= 1)).all()


def test_swapped_arms_carry_their_probability(walk):
    """When the estimator labels the far elbow as the near one, it is as sure of it as of
    whatever it sees there: the probability follows the position, not the label."""
    c = cam.side_camera(walk.joints, image_size=(720, 1280), yaw_deg=0.0)
    proj = cam.project_walk(walk.joints, c)
    xy, probs = apply_estimator_noise(proj.xy, proj.visibility, proj.far_side, np.random.default_rng(4),
                                      _profile(arm_swap_rate=0.3, far_side=0.5))
    at_left = np.linalg.norm(xy[:, R_ELBOW] - proj.xy[:, L_ELBOW], axis=1) < 1e-6  # right label, left (far) elbow
    at_right = np.linalg.norm(xy[:, R_ELBOW] - proj.xy[:, R_ELBOW], axis=1) < 1e-6
    assert at_left.sum() > 10 and at_right.sum() > 10
    assert probs[at_right, R_ELBOW].mean() - probs[at_left, R_ELBOW].mean() > 0.3


def test_single_leg_joints_are_mixed_up_where_the_legs_meet(walk):
    c = cam.side_camera(walk.joints, image_size=(720, 1280), yaw_deg=0.0)
    proj = cam.project_walk(walk.joints, c)
    xy, _ = apply_estimator_noise(proj.xy, proj.visibility, proj.far_side, np.random.default_rng(5), _profile(mix_rate=0.05))
    knee_swapped = np.linalg.norm(xy[:, R_KNEE] - proj.xy[:, L_KNEE], axis=1) < 1e-6
    knee_swapped &= np.linalg.norm(proj.xy[:, R_KNEE] - proj.xy[:, L_KNEE], axis=1) > 1e-3
    ankle_kept = np.linalg.norm(xy[:, R_ANKLE] - proj.xy[:, R_ANKLE], axis=1) < 1e-6
    assert (knee_swapped & ankle_kept).any()  # a knee crossed over while its ankle stayed
    gap = np.abs(proj.xy[:, R_KNEE, 0] - proj.xy[:, L_KNEE, 0])
    assert np.median(gap[knee_swapped]) < np.median(gap)  # ... mostly while the knees are close


@pytest.mark.parametrize("direction", [1, -1])
def test_systematic_offsets_follow_the_walking_direction(direction):
    person = sample_identity(np.random.default_rng(11), 0)
    walk = simulate_walk(person, np.random.default_rng(12), fps=30.0, seconds=3.0, heading_sd=0.0, direction=direction)
    proj = cam.project_walk(walk.joints, cam.side_camera(walk.joints, image_size=(720, 1280), yaw_deg=0.0))
    xy, _ = apply_estimator_noise(proj.xy, proj.visibility, proj.far_side, np.random.default_rng(6), _profile(bias=1.0))
    height = np.median(np.maximum(proj.xy[:, R_ANKLE, 1], proj.xy[:, 5, 1]) - proj.xy[:, HEAD_TOP, 1])
    ahead = direction * (xy[:, HEAD_TOP, 0] - proj.xy[:, HEAD_TOP, 0]).mean() / height
    assert ahead == pytest.approx(JOINT_BIAS[HEAD_TOP, 0], rel=0.1)  # the head top is placed ahead


def test_observe_returns_pose_engine_arrays(walk):
    ys, xs, ps = observe(walk, np.random.default_rng(3), image_size=(480, 640), yaw_deg=10.0, noise_level=1.0)
    assert ys.shape == xs.shape == ps.shape == (walk.frames, 16)
    assert ((ps >= 0) & (ps <= 1)).all() and np.isfinite(ys).all()
    obs = observe_walk(walk, np.random.default_rng(3))
    assert obs.projection.camera.image_size in [(360, 640), (480, 640), (576, 768), (720, 1280), (1080, 1920)]
