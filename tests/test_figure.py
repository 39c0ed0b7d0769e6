"""The shaded figure renderer and the scene: where things are drawn, in which order, how."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gaitcli.constants import (
    HEAD_TOP,
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    NUM_JOINTS,
    PELVIS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    THORAX,
    UPPER_NECK,
)
from gaitcli.synth.figure import Appearance, figure_layer, infer_facing, render_figure, render_frame
from gaitcli.synth.scene import Scene, VideoWriter, make_scene

H, W = 240, 320


def profile_pose(cx: float = 160.0, torso: float = 50.0, facing: int = 1) -> np.ndarray:
    """A mid-stride profile pose looking towards ``facing`` (pixels); right leg forward."""
    f, t = facing, torso
    j = np.zeros((NUM_JOINTS, 2))
    j[PELVIS] = (cx, 120)
    j[R_HIP], j[L_HIP] = (cx + 0.02 * t * f, 120), (cx - 0.02 * t * f, 120)
    j[THORAX] = (cx + 0.05 * t * f, 120 - t)
    j[UPPER_NECK] = (cx + 0.08 * t * f, 120 - 1.25 * t)
    j[HEAD_TOP] = (cx + 0.1 * t * f, 120 - 1.7 * t)
    j[R_SHOULDER], j[L_SHOULDER] = j[THORAX] + (0, 0.06 * t), j[THORAX] + (0, 0.06 * t)
    # right leg swings forward with the knee bent forwards, left leg trails
    j[R_KNEE], j[R_ANKLE] = j[R_HIP] + (0.35 * t * f, 0.8 * t), j[R_HIP] + (0.45 * t * f, 1.7 * t)
    j[L_KNEE], j[L_ANKLE] = j[L_HIP] + (-0.15 * t * f, 0.85 * t), j[L_HIP] + (-0.55 * t * f, 1.6 * t)
    j[R_ELBOW], j[R_WRIST] = j[R_SHOULDER] + (-0.2 * t * f, 0.55 * t), j[R_SHOULDER] + (-0.1 * t * f, 1.05 * t)
    j[L_ELBOW], j[L_WRIST] = j[L_SHOULDER] + (0.2 * t * f, 0.55 * t), j[L_SHOULDER] + (0.45 * t * f, 1.0 * t)
    return j


def side_depth(near: str = "right") -> np.ndarray:
    """Depth per joint: the ``near`` side's limbs 0.2 closer than the other side's."""
    z = np.zeros(NUM_JOINTS)
    right = [R_ANKLE, R_KNEE, R_HIP, R_WRIST, R_ELBOW, R_SHOULDER]
    left = [L_ANKLE, L_KNEE, L_HIP, L_WRIST, L_ELBOW, L_SHOULDER]
    z[right], z[left] = (-0.2, 0.2) if near == "right" else (0.2, -0.2)
    return z


PLAIN = np.full((H, W, 3), 128, np.uint8)


def test_figure_is_drawn_over_the_joints_and_nowhere_else():
    look = Appearance(shirt=(20, 40, 220), trousers=(30, 160, 40))
    img = render_figure(profile_pose(), background=PLAIN, appearance=look)
    assert img.shape == (H, W, 3) and img.dtype == np.uint8
    mid_torso = (profile_pose()[PELVIS] + profile_pose()[THORAX]) / 2
    r, g, b = img[int(mid_torso[1]), int(mid_torso[0])].astype(int)
    assert b > r + 60 and b > g + 60  # the blue shirt, shaded but blue
    thigh = (profile_pose()[L_HIP] + profile_pose()[L_KNEE]) / 2
    r, g, b = img[int(thigh[1]), int(thigh[0])].astype(int)
    assert g > r + 40 and g > b + 40  # green trousers
    # far from the body the background is untouched
    assert (img[:, :40] == 128).all() and (img[:, -40:] == 128).all()
    assert (img[:10] == 128).all()
    # the background passed in is not modified
    assert (PLAIN == 128).all()


def test_head_has_hair_on_top_and_face_on_the_facing_side():
    look = Appearance(skin=(230, 190, 160), hair=(250, 130, 40), hair_style="short")
    background = np.full((420, 320, 3), 128, np.uint8)
    for facing in (1, -1):
        j = profile_pose(torso=90, facing=facing)
        j[:, 1] += 60
        img = render_figure(j, background=background, appearance=look, facing=facing).astype(int)
        top = j[HEAD_TOP] + (0, 4)
        r, g, b = img[int(top[1]), int(top[0])]
        assert r > 200 and b < 90  # orange hair at the crown
        centre = ((j[HEAD_TOP] + j[UPPER_NECK]) / 2).astype(int)
        box = img[centre[1] - 20:centre[1] + 21, centre[0] - 20:centre[0] + 21]
        # the darkest spots of this head are the pupil and the mouth: both on the face's side
        sums = box.sum(axis=2)
        xs = np.unravel_index(np.argsort(sums, axis=None)[:4], sums.shape)[1]
        assert np.all(np.sign(xs - 20) == facing)


def test_frontal_head_has_two_eyes():
    j = profile_pose(torso=90)
    j[:, 1] += 60
    j[[R_SHOULDER, R_HIP]] -= (25, 0)
    j[[L_SHOULDER, L_HIP]] += (25, 0)
    look = Appearance(skin=(230, 190, 160), hair=(240, 220, 150))
    img = render_figure(j, size=(420, 320), appearance=look, facing=0).astype(int)
    centre = ((j[HEAD_TOP] + j[UPPER_NECK]) / 2).astype(int)
    upper = img[centre[1] - 10:centre[1] + 3, centre[0] - 20:centre[0] + 21].sum(axis=2)  # above the mouth
    # a pupil on each side: far darker than skin (~420 at its darkest rim) and blond hair
    assert upper[:, :18].min() < 300 and upper[:, 23:].min() < 300
    assert upper[:, 18:23].min() > 300


@pytest.mark.parametrize("near", ["right", "left"])
def test_depth_order_draws_the_near_arm_over_the_trunk(near):
    """An arm held across the trunk is visible when near and hidden behind it when far."""
    j = profile_pose()
    for elbow, wrist, shoulder in ((R_ELBOW, R_WRIST, R_SHOULDER), (L_ELBOW, L_WRIST, L_SHOULDER)):
        j[elbow] = j[shoulder] + (2, 25)
        j[wrist] = j[shoulder] + (4, 48)
    look = Appearance(skin=(250, 30, 30), shirt=(30, 30, 250), sleeves="short", trousers=(30, 30, 250))
    img = render_figure(j, background=PLAIN, appearance=look, depth=side_depth(near), facing=1).astype(int)
    forearm = ((j[R_ELBOW] + j[R_WRIST]) / 2).astype(int)
    r, g, b = img[forearm[1], forearm[0]]
    assert r > b + 60  # the near (skin-red) forearm lies over the blue shirt
    # with both arms behind the trunk, the shirt covers them
    far = side_depth(near)
    far[[R_WRIST, R_ELBOW, R_SHOULDER, L_WRIST, L_ELBOW, L_SHOULDER]] = 0.5
    img = render_figure(j, background=PLAIN, appearance=look, depth=far, facing=1).astype(int)
    r, g, b = img[forearm[1], forearm[0]]
    assert b > r + 60


def test_far_limbs_are_darker():
    j = profile_pose()
    look = Appearance(trousers=(200, 200, 200))
    img = render_figure(j, background=PLAIN, appearance=look, depth=side_depth("right"), facing=1).astype(float)
    # mid-shin of each leg (the legs are well apart in this pose)
    near = ((j[R_KNEE] + j[R_ANKLE]) / 2).astype(int)
    far = ((j[L_KNEE] + j[L_ANKLE]) / 2).astype(int)
    near_v = img[near[1] - 1:near[1] + 2, near[0] - 1:near[0] + 2].mean()
    far_v = img[far[1] - 1:far[1] + 2, far[0] - 1:far[0] + 2].mean()
    assert far_v < 0.85 * near_v


def test_limbs_taper_and_edges_are_anti_aliased():
    j = profile_pose(torso=60)
    layer = figure_layer(j, Appearance())
    alpha = layer.alpha

    def width_at(p):  # figure width across a horizontal line through p, in pixels
        x, y = int(round(p[0])) - layer.x0, int(round(p[1])) - layer.y0
        row = alpha[y]
        left = x
        while left > 0 and row[left - 1] > 0.5:
            left -= 1
        right = x
        while right < len(row) - 1 and row[right + 1] > 0.5:
            right += 1
        return right - left + 1

    # the trailing (left) leg is nearly vertical: its thigh is wider than its shin
    thigh = j[L_HIP] + 0.45 * (j[L_KNEE] - j[L_HIP])
    shin = j[L_KNEE] + 0.55 * (j[L_ANKLE] - j[L_KNEE])
    assert width_at(thigh) > width_at(shin) * 1.2
    edge = (alpha > 0.05) & (alpha < 0.95)
    inside = alpha >= 0.95
    assert inside.sum() > 500 and edge.sum() > 0.1 * np.sqrt(inside.sum())  # soft edges all round


def test_deterministic_per_seed_and_seeds_differ():
    j = profile_pose()
    a = render_figure(j, size=(H, W), seed=3)
    b = render_figure(j, size=(H, W), seed=3)
    c = render_figure(j, size=(H, W), seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert Appearance.random(3) == Appearance.random(3)


def test_props_coat_and_bag():
    j = profile_pose()
    plain = render_figure(j, background=PLAIN, appearance=Appearance()).astype(int)
    coat = render_figure(j, background=PLAIN, appearance=Appearance(coat=(250, 250, 0))).astype(int)
    thigh = (j[R_HIP] + 0.3 * (j[R_KNEE] - j[R_HIP])).astype(int)
    r, g, b = coat[thigh[1], thigh[0]]
    assert r > 150 and g > 150 and b < 100  # the yellow coat reaches over the thighs
    bag = render_figure(j, background=PLAIN, appearance=Appearance(bag=(0, 200, 0), bag_hand="left")).astype(int)
    changed = np.abs(bag - plain).sum(axis=2) > 60
    ys, xs = np.nonzero(changed)
    assert len(ys) > 30 and ys.mean() > j[L_WRIST][1]  # the bag hangs below the left hand


def test_infer_facing():
    assert infer_facing(profile_pose(facing=1)) == 1
    assert infer_facing(profile_pose(facing=-1)) == -1
    assert infer_facing(profile_pose(), side_depth("right")) == 1  # the right side shows: walking right
    assert infer_facing(profile_pose(), side_depth("left")) == -1


def test_bad_arguments():
    with pytest.raises(ValueError, match="joints_xy"):
        render_figure(np.zeros((15, 2)))
    with pytest.raises(ValueError, match="finite"):
        render_figure(np.full((16, 2), np.nan))
    with pytest.raises(ValueError, match="torso"):
        render_figure(np.full((16, 2), 50.0))
    with pytest.raises(ValueError, match="hair_style"):
        Appearance(hair_style="mohawk")
    with pytest.raises(ValueError, match="background"):
        render_figure(profile_pose(), background=np.zeros((10, 10), np.uint8))


def test_figure_partly_outside_the_frame_is_clipped():
    j = profile_pose(cx=5.0)
    img = render_figure(j, background=PLAIN, appearance=Appearance())
    assert img.shape == PLAIN.shape and (img[:, :20] != 128).any()


# --- scene ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def camera():
    from gaitcli.synth.camera import look_at

    return look_at([0.0, 1.3, 6.0], [0.0, 0.9, 0.0], (180, 320), 300.0)


@pytest.mark.parametrize("kind", ["street", "park"])
def test_scene_is_textured_and_seeded(camera, kind):
    scene = make_scene(camera, kind=kind, seed=1)
    bg = scene.background.astype(int)
    assert bg.shape == (180, 320, 3) and scene.background.dtype == np.uint8
    assert bg[-20:].reshape(-1, 3).std(axis=0).max() > 3  # a textured floor, not a flat one
    assert np.array_equal(make_scene(camera, kind=kind, seed=1).background, scene.background)
    assert not np.array_equal(make_scene(camera, kind=kind, seed=2).background, scene.background)


def test_park_path_lies_along_the_walk(camera):
    """The gravel path is ray-cast where the walk line z = path_z meets the floor."""
    for path_z in (0.0, 1.5):
        bg = make_scene(camera, kind="park", seed=0, path_z=path_z).background.astype(int)
        (on_path, _), (off_path, _) = (camera.project(np.array([0.0, 0.0, z])) for z in (path_z, path_z - 1.6))
        path_rgb = bg[int(on_path[1]), int(on_path[0])]
        grass_rgb = bg[int(off_path[1]), int(off_path[0])]
        assert path_rgb.sum() > grass_rgb.sum() + 80  # light gravel vs green grass
        assert grass_rgb[1] > grass_rgb[2] + 30


def test_scene_floor_texture_shrinks_with_distance(camera):
    """Paving slabs: grout lines crossing a column get closer together towards the horizon."""
    bg = make_scene(camera, kind="street", seed=0).background.astype(float)
    col = cv2.cvtColor(bg.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(float)[:, 160]
    horizon = int(round(camera.image_size[0] / 2 - 300 * np.tan(np.arcsin(0.4 / np.hypot(6.0, 0.4)))))
    near, far = col[horizon + 60:], col[horizon + 8:horizon + 30]
    # grout is darker than slabs: count dark dips per pixel in each band
    def dips(x):
        return np.sum((x[1:-1] < x[:-2] - 4) & (x[1:-1] <= x[2:]))

    assert dips(far) / len(far) > dips(near) / len(near)


def test_render_frame_casts_a_ground_shadow(camera):
    scene = make_scene(camera, kind="street", seed=0)
    flat = Scene(background=scene.background, camera=camera, shadow_strength=0.0)
    j = profile_pose(cx=150.0, torso=28.0)
    j[:, 1] += 10
    look = Appearance()
    with_shadow = render_frame(j, scene, look).astype(int)
    without = render_frame(j, flat, look).astype(int)
    diff = (without - with_shadow).sum(axis=2)
    assert (diff >= 0).all()
    ys, xs = np.nonzero(diff > 15)
    feet_y = max(j[R_ANKLE][1], j[L_ANKLE][1])
    assert len(ys) > 20 and abs(np.median(ys) - feet_y) < 12  # darkened floor at the feet


# --- video --------------------------------------------------------------------------------


def _read_all(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def test_video_writer_round_trip_is_frame_exact(tmp_path):
    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8), (160, 96), interpolation=cv2.INTER_CUBIC)
    frames = []
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, fps=25, size=(96, 160)) as out:
        for i in range(17):
            f = base.copy()
            cv2.circle(f, (10 + 8 * i, 48), 12, (255, 255, 255), -1)
            frames.append(f)
            out.write(f)
    assert out.frames == 17
    back = _read_all(path)
    assert len(back) == 17
    cap = cv2.VideoCapture(str(path))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(25.0)
    cap.release()
    for a, b in zip(frames, back):
        mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
        assert 10 * np.log10(255**2 / max(mse, 1e-9)) > 25  # the same frame, lossy but close
    assert not list(tmp_path.glob(".*partial*"))


def test_video_writer_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"precious")
    with pytest.raises(ValueError, match="RGB uint8"):
        with VideoWriter(path, fps=25, size=(96, 160)) as out:
            out.write(np.zeros((96, 160, 3), np.uint8))
            out.write(np.zeros((50, 50, 3), np.uint8))
    assert path.read_bytes() == b"precious"
    assert not list(tmp_path.glob(".*partial*"))
    with pytest.raises(OSError, match="wrote 0 frames"):
        with VideoWriter(path, fps=25, size=(96, 160)):
            pass
    assert path.read_bytes() == b"precious"
    assert not list(tmp_path.glob(".*partial*"))
